/**
 * The LibreOffice pipeline around a stand-in `soffice` (a shell script first on PATH): how the
 * engine calls it (own profile per run, input named by its type), how it reads the result, and
 * how it handles a silent failure, a crash, a timeout and an abort. Real LibreOffice conversions
 * are in convert-documents.test.ts.
 */
import { execFile } from 'node:child_process';
import { chmod, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConversionError, configureConvert, convert, listTargets, normalizeOptions, resetTargets } from '../../engine/convert/index';
import { resetToolCache } from '../../engine/convert/tools';
import { tempDir } from './convert-helpers';

const FAKE_SOFFICE = `#!/bin/sh
# Stand-in for LibreOffice: logs its arguments, then behaves as the input's first line says.
echo "$@" >> "$FAKE_SOFFICE_LOG"
outdir=""; convert=""
while [ $# -gt 1 ]; do
  case "$1" in
    --outdir) outdir="$2"; shift;;
    --convert-to) convert="$2"; shift;;
  esac
  shift
done
input="$1"
ext="\${convert%%:*}"
case "$(head -c 40 "$input")" in
  CORRUPT*) echo "Error: source file could not be loaded" >&2; exit 0;;
  CRASH*) echo "soffice.bin: fatal error in module" >&2; exit 81;;
  SLEEP*) sleep 37.25 & sleep 37.25; exit 0;;
  SLOW*) sleep 0.3;;
esac
name=$(basename "$input"); base="\${name%.*}"
{ echo "CONVERTED TO $ext"; cat "$input"; } > "$outdir/$base.$ext"
`;

let tmp: Awaited<ReturnType<typeof tempDir>>;
let log: string;
const originalPath = process.env.PATH;

async function input(name: string, content: string): Promise<string> {
  const file = path.join(tmp.dir, name);
  await writeFile(file, content);
  return file;
}

beforeAll(async () => {
  tmp = await tempDir('convoy-soffice-');
  const bin = await tmp.sub('bin');
  await writeFile(path.join(bin, 'soffice'), FAKE_SOFFICE);
  await chmod(path.join(bin, 'soffice'), 0o755);
  log = path.join(tmp.dir, 'soffice.log');
  await writeFile(log, '');
  process.env.FAKE_SOFFICE_LOG = log;
  process.env.PATH = `${bin}${path.delimiter}${originalPath}`;
  resetToolCache();
  resetTargets();
});
afterAll(async () => {
  process.env.PATH = originalPath;
  resetToolCache();
  resetTargets();
  await tmp?.cleanup();
});

describe('document conversion pipeline (stand-in soffice)', () => {
  it('lists document targets once soffice is on PATH; they take no options (pdf: only its stamp options)', async () => {
    const targets = new Map((await listTargets()).map((t) => [t.target, t]));
    expect(targets.get('pdf')).toMatchObject({ category: 'document' });
    expect(Object.keys(targets.get('pdf')!.options).sort()).toEqual(['alignment', 'pdf_a', 'stamp', 'stamp_opacity', 'stamp_size']);
    expect(targets.get('pdf')!.inputs).toEqual(expect.arrayContaining(['docx', 'odt', 'rtf', 'xlsx', 'pptx', 'pdf', 'png']));
    expect(targets.get('docx')!.inputs).not.toContain('docx');
    expect(targets.get('docx')!.options).toEqual({});
    expect(() => normalizeOptions('docx', { quality: 3 })).toThrow('Unknown option "quality" for target docx (it has no options)');
  });

  it('runs soffice headless with its own profile, and names the result after the input', async () => {
    const src = await input('upload-123', 'Hello document');
    const outDir = await tmp.sub('out');
    const files = await convert({ inputPath: src, inputFilename: 'Quarterly report.docx', target: 'pdf', options: {}, outDir });
    expect(files).toEqual([{ path: path.join(outDir, 'Quarterly report.pdf'), filename: 'Quarterly report.pdf', contentType: 'application/pdf' }]);
    expect(await readFile(files[0].path, 'utf8')).toBe('CONVERTED TO pdf\nHello document');
    expect(await readdir(outDir)).toEqual(['Quarterly report.pdf']); // profile and links are gone
    const args = (await readFile(log, 'utf8')).trim().split('\n').pop()!;
    expect(args).toMatch(/-env:UserInstallation=file:\/\/\/.+\/profile /);
    expect(args).toContain('--headless');
    expect(args).toMatch(/--convert-to pdf --outdir \S+ \S+\/input\.docx$/);
  });

  it('gives concurrent runs separate profiles', async () => {
    await writeFile(log, '');
    const src = await input('slow.odt', 'SLOW');
    await Promise.all(
      [1, 2, 3].map(async () => convert({ inputPath: src, inputFilename: 'slow.odt', target: 'docx', options: {}, outDir: await tmp.sub('c') })),
    );
    const profiles = (await readFile(log, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => /-env:UserInstallation=(\S+)/.exec(l)![1]);
    expect(profiles).toHaveLength(3);
    expect(new Set(profiles).size).toBe(3);
  });

  it('reports an input LibreOffice could not load (exit 0, no output)', async () => {
    const src = await input('bad.docx', 'CORRUPT');
    const err = await convert({ inputPath: src, inputFilename: 'bad.docx', target: 'pdf', options: {}, outDir: await tmp.sub('bad') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConversionError);
    expect((err as Error).message).toBe('LibreOffice could not convert bad.docx to pdf (the file is damaged or not a .docx document)');
  });

  it('reports a crash with its exit code', async () => {
    const src = await input('crash.rtf', 'CRASH');
    await expect(convert({ inputPath: src, inputFilename: 'crash.rtf', target: 'odt', options: {}, outDir: await tmp.sub('crash') })).rejects.toThrow(
      'LibreOffice could not convert crash.rtf (exited with 81: soffice.bin: fatal error in module)',
    );
  });

  it('refuses a source type the target does not take', async () => {
    const src = await input('sheet.xlsx', 'x');
    await expect(convert({ inputPath: src, inputFilename: 'sheet.xlsx', target: 'docx', options: {}, outDir: await tmp.sub('t') })).rejects.toThrow(
      /^Cannot convert \.xlsx files to docx/,
    );
  });

  it('kills soffice and everything it started on timeout and on abort', async () => {
    const src = await input('hang.docx', 'SLEEP');
    const ps = async () => (await promisify(execFile)('ps', ['-eo', 'args'])).stdout;
    configureConvert({ processTimeoutMs: 700 });
    try {
      await expect(convert({ inputPath: src, inputFilename: 'hang.docx', target: 'pdf', options: {}, outDir: await tmp.sub('to') })).rejects.toThrow(
        'LibreOffice could not convert hang.docx (timed out after 0.7 s)',
      );
      expect(await ps()).not.toContain('sleep 37.25');
    } finally {
      configureConvert({ processTimeoutMs: null });
    }
    const controller = new AbortController();
    const pending = convert({ inputPath: src, inputFilename: 'hang.docx', target: 'pdf', options: {}, outDir: await tmp.sub('ab'), signal: controller.signal });
    setTimeout(() => controller.abort(new Error('job deleted')), 300);
    await expect(pending).rejects.toThrow('job deleted');
    expect(await ps()).not.toContain('sleep 37.25');
  });
});
