/**
 * Document targets, converted by LibreOffice in headless mode. Every run gets its own user
 * profile folder (-env:UserInstallation) so that several conversions can run at once, and its own
 * input link named with the right extension (LibreOffice picks the import filter by it).
 */
import { link, mkdir, readdir, rename, rm, symlink } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ProcessFailure, runProcess } from './run-process';
import { writeLockedDownProfile } from './sandbox';
import { outputFile, type ConvertJob, type TargetDef } from './target';
import type { Tools } from './tools';
import { ConversionError, type ConvertedFile } from './types';

const TEXT = ['doc', 'docx', 'odt', 'rtf', 'txt', 'html', 'htm', 'wpd', 'dot', 'dotx', 'ott'];
const SHEET = ['xls', 'xlsx', 'ods', 'csv', 'xlsm', 'ots'];
const SLIDES = ['ppt', 'pptx', 'odp', 'pps', 'ppsx', 'otp'];

interface DocTarget {
  target: string;
  /** The --convert-to argument: extension[:filter[:options]]. */
  convertTo: string;
  inputs: string[];
}

const DOCS: DocTarget[] = [
  { target: 'pdf', convertTo: 'pdf', inputs: [...TEXT, ...SHEET, ...SLIDES] },
  { target: 'docx', convertTo: 'docx:MS Word 2007 XML', inputs: TEXT.filter((e) => e !== 'docx') },
  { target: 'odt', convertTo: 'odt', inputs: TEXT.filter((e) => e !== 'odt') },
  { target: 'doc', convertTo: 'doc:MS Word 97', inputs: TEXT.filter((e) => e !== 'doc') },
  { target: 'rtf', convertTo: 'rtf', inputs: TEXT.filter((e) => e !== 'rtf') },
  { target: 'txt', convertTo: 'txt:Text (encoded):UTF8', inputs: TEXT.filter((e) => e !== 'txt') },
  { target: 'html', convertTo: 'html:XHTML Writer File:UTF8', inputs: TEXT.filter((e) => e !== 'html' && e !== 'htm') },
  { target: 'xlsx', convertTo: 'xlsx:Calc MS Excel 2007 XML', inputs: SHEET.filter((e) => e !== 'xlsx') },
  { target: 'xls', convertTo: 'xls:MS Excel 97', inputs: SHEET.filter((e) => e !== 'xls') },
  { target: 'ods', convertTo: 'ods', inputs: SHEET.filter((e) => e !== 'ods') },
  // 44,34,76 = comma separator, double-quote text delimiter, UTF-8.
  { target: 'csv', convertTo: 'csv:Text - txt - csv (StarCalc):44,34,76', inputs: SHEET.filter((e) => e !== 'csv') },
  { target: 'pptx', convertTo: 'pptx:Impress MS PowerPoint 2007 XML', inputs: SLIDES.filter((e) => e !== 'pptx') },
  { target: 'odp', convertTo: 'odp', inputs: SLIDES.filter((e) => e !== 'odp') },
];

async function convertDocument(job: ConvertJob, t: DocTarget): Promise<ConvertedFile[]> {
  const work = path.join(job.outDir, '.soffice');
  const profile = path.join(work, 'profile');
  const inDir = path.join(work, 'in');
  const outDir = path.join(work, 'out');
  const display = `${job.baseName}.${job.inputExt}`;
  await mkdir(profile, { recursive: true });
  await mkdir(inDir, { recursive: true });
  await mkdir(outDir, { recursive: true });
  const input = path.join(inDir, `input.${job.inputExt}`);
  try {
    // A hard link (or symlink across file systems) instead of a copy: inputs can be large.
    await link(job.inputPath, input).catch(() => symlink(path.resolve(job.inputPath), input));
    await writeLockedDownProfile(profile);
    await runProcess(
      job.tools.soffice!,
      [
        `-env:UserInstallation=${pathToFileURL(profile).href}`,
        '--headless',
        '--invisible',
        '--nodefault',
        '--nofirststartwizard',
        '--nolockcheck',
        '--nologo',
        '--norestore',
        '--convert-to',
        t.convertTo,
        '--outdir',
        outDir,
        input,
      ],
      { timeoutMs: job.timeoutMs, signal: job.signal, cwd: work, env: { ...process.env, HOME: work, SAL_USE_VCLPLUGIN: 'svp' }, noNetwork: true },
    );
    // LibreOffice exits 0 even when it could not load the input: the missing output tells.
    const produced = (await readdir(outDir)).find((f) => f.toLowerCase().endsWith(`.${t.target}`));
    if (!produced)
      throw new ConversionError(`LibreOffice could not convert ${display} to ${t.target} (the file is damaged or not a .${job.inputExt} document)`);
    const out = outputFile(job, t.target);
    await rename(path.join(outDir, produced), out.path);
    return [out];
  } catch (err) {
    if (job.signal?.aborted) throw job.signal.reason;
    if (err instanceof ProcessFailure) {
      const last = err.stderr.trim().split('\n').pop() ?? '';
      throw new ConversionError(`LibreOffice could not convert ${display} (${err.message}${last ? `: ${last.split(work).join('…')}` : ''})`);
    }
    throw err;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The pdf target as PDF/A-2b (`pdf_a`, an option of the pdf target): the export filter of the input's application. */
function pdfA(inputExt: string, t: DocTarget): DocTarget {
  const filter = SHEET.includes(inputExt) ? 'calc_pdf_Export' : SLIDES.includes(inputExt) ? 'impress_pdf_Export' : 'writer_pdf_Export';
  return { ...t, convertTo: `pdf:${filter}:{"SelectPdfVersion":{"type":"long","value":"2"}}` };
}

export function documentTargets(tools: Tools): TargetDef[] {
  if (!tools.soffice) return [];
  return DOCS.map((t) => ({
    spec: { target: t.target, category: 'document', options: {}, inputs: [...t.inputs].sort() },
    run: (job) => convertDocument(job, t.target === 'pdf' && job.options.pdf_a ? pdfA(job.inputExt, t) : t),
  }));
}
