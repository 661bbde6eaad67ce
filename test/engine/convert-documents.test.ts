/**
 * Real document conversions with LibreOffice, when it is installed (CI: apt-get install
 * libreoffice-writer-nogui libreoffice-calc-nogui). Without it, the document targets must not be
 * offered at all.
 */
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConversionError, convert, listTargets, normalizeOptions } from '../../engine/convert/index';
import { hasCommand, tempDir } from './convert-helpers';

const haveSoffice = (await hasCommand('soffice')) || (await hasCommand('libreoffice'));
const SKIP_NOTE = 'SKIPPED: LibreOffice (soffice) is not on PATH — apt-get install libreoffice-writer-nogui libreoffice-calc-nogui';
if (!haveSoffice) console.warn(`convert-documents: ${SKIP_NOTE}`);

describe.runIf(!haveSoffice)('without LibreOffice', () => {
  it('offers no document targets', async () => {
    const targets = await listTargets();
    expect(targets.filter((t) => t.category === 'document')).toEqual([]);
    expect(() => normalizeOptions('pdf', {})).toThrow(/^Unknown target "pdf"/);
  });
});

describe.runIf(haveSoffice)(`documents with LibreOffice${haveSoffice ? '' : ` (${SKIP_NOTE})`}`, () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let rtf: string;
  beforeAll(async () => {
    tmp = await tempDir('convoy-docs-');
    rtf = path.join(tmp.dir, 'letter.rtf');
    await writeFile(rtf, '{\\rtf1\\ansi{\\fonttbl\\f0\\fswiss Helvetica;}\\f0\\pard Convoy test letter, line one.\\par}');
  });
  afterAll(async () => {
    await tmp?.cleanup();
  });

  const run = async (input: string, target: string) =>
    (await convert({ inputPath: input, inputFilename: path.basename(input), target, options: {}, outDir: await tmp.sub(target) }))[0];

  it('rtf → pdf', async () => {
    const out = await run(rtf, 'pdf');
    expect(out.filename).toBe('letter.pdf');
    expect((await readFile(out.path)).subarray(0, 5).toString()).toBe('%PDF-');
  }, 120_000);

  it('rtf → docx and → txt keep the text', async () => {
    const docx = await run(rtf, 'docx');
    expect((await readFile(docx.path)).subarray(0, 2).toString()).toBe('PK');
    const txt = await run(rtf, 'txt');
    expect(await readFile(txt.path, 'utf8')).toContain('Convoy test letter, line one.');
  }, 120_000);

  it('runs two conversions at once (separate profiles)', async () => {
    const [a, b] = await Promise.all([run(rtf, 'pdf'), run(rtf, 'odt')]);
    expect((await stat(a.path)).size).toBeGreaterThan(500);
    expect((await stat(b.path)).size).toBeGreaterThan(500);
  }, 120_000);

  it('a damaged document fails with a ConversionError', async () => {
    const bad = path.join(tmp.dir, 'damaged.docx');
    await writeFile(bad, Buffer.from('PK\u0003\u0004 not really a zip'));
    await expect(run(bad, 'pdf')).rejects.toBeInstanceOf(ConversionError);
  }, 120_000);
});
