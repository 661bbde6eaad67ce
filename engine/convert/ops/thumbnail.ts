/**
 * The `thumbnail` operation: a small image of a file. Images with sharp; the first page of a PDF
 * rendered by pdftoppm (poppler-utils); a frame of a video (10 % in, at most 5 s) by ffmpeg.
 */
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { SHARP_INPUTS } from '../image';
import { loadSharp } from '../lazy';
import { VIDEO_INPUTS } from '../media';
import { runProcess } from '../run-process';
import { outputFile, type ConvertJob, type TargetDef } from '../target';
import type { Tools } from '../tools';
import { ConversionError, type ConvertedFile, type OptionSpec } from '../types';
import { scrubPaths, toolError } from './util';

const options: Record<string, OptionSpec> = {
  thumbnail_target: { type: 'string', enum: ['png', 'jpg', 'webp'], default: 'png', description: 'Image format of the thumbnail.' },
  width: { type: 'integer', minimum: 1, maximum: 4096, default: 300, description: 'Largest width in pixels (the aspect ratio is kept).' },
  height: { type: 'integer', minimum: 1, maximum: 4096, description: 'Largest height in pixels (default: as the width allows).' },
  pages: { type: 'string', enum: ['first'], default: 'first', description: 'Which page of a document to show.' },
  dpi: { type: 'integer', minimum: 10, maximum: 600, default: 72, description: 'Resolution a document page is rendered at before scaling.' },
};

/** Renders page 1 of a PDF to PNG in the work folder. */
async function pdfPage(job: ConvertJob, work: string, pdf = job.inputPath): Promise<string> {
  const prefix = path.join(work, 'page');
  try {
    await runProcess(job.tools.pdftoppm!, ['-f', '1', '-l', '1', '-r', String(job.options.dpi), '-png', '-singlefile', pdf, prefix], {
      timeoutMs: Math.min(job.timeoutMs, 5 * 60_000),
      signal: job.signal,
    });
  } catch (err) {
    throw toolError(err, job, 'pdftoppm', `render the first page of ${job.inputs[0].filename}`);
  }
  return `${prefix}.png`;
}

async function videoFrame(job: ConvertJob, work: string): Promise<string> {
  const frame = path.join(work, 'frame.png');
  let duration = 0;
  try {
    const { stdout } = await runProcess(job.tools.ffprobe!, ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', job.inputPath], {
      timeoutMs: 60_000,
      signal: job.signal,
    });
    duration = Number(stdout.trim()) || 0;
    const at = Math.min(5, duration * 0.1);
    await runProcess(
      job.tools.ffmpeg!,
      ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', '-ss', at.toFixed(3), '-i', job.inputPath, '-frames:v', '1', '-an', frame],
      {
        timeoutMs: Math.min(job.timeoutMs, 5 * 60_000),
        signal: job.signal,
      },
    );
  } catch (err) {
    throw toolError(err, job, 'ffmpeg', `take a frame of ${job.inputs[0].filename}`);
  }
  return frame;
}

/** An office document: LibreOffice makes a PDF, whose first page is rendered. */
async function officePage(job: ConvertJob, work: string, office: TargetDef): Promise<string> {
  const pdfDir = path.join(work, 'pdf');
  await mkdir(pdfDir, { recursive: true });
  const [pdf] = await office.run({ ...job, outDir: pdfDir, options: {} });
  return pdfPage(job, work, pdf.path);
}

async function thumbnail(job: ConvertJob, office?: TargetDef): Promise<ConvertedFile[]> {
  const o = job.options;
  // Scratch space only for a rendered page or video frame: an image is read directly.
  const work = path.join(job.outDir, '.thumb');
  const needsWork = job.inputExt === 'pdf' || VIDEO_INPUTS.includes(job.inputExt) || (office !== undefined && !SHARP_INPUTS.includes(job.inputExt));
  if (needsWork) await mkdir(work, { recursive: true });
  const out = outputFile(job, o.thumbnail_target as string);
  try {
    let source = job.inputPath;
    if (job.inputExt === 'pdf') source = await pdfPage(job, work);
    else if (VIDEO_INPUTS.includes(job.inputExt)) source = await videoFrame(job, work);
    else if (office && !SHARP_INPUTS.includes(job.inputExt)) source = await officePage(job, work, office);
    const sharp = await loadSharp();
    let img = sharp(source, { failOn: 'none', autoOrient: true }).resize({
      width: o.width as number,
      height: o.height as number | undefined,
      fit: 'inside',
      withoutEnlargement: true,
    });
    if (o.thumbnail_target === 'jpg') img = img.flatten({ background: '#ffffff' }).jpeg({ quality: 80, mozjpeg: true });
    else if (o.thumbnail_target === 'webp') img = img.webp({ quality: 80 });
    else img = img.png();
    await img.toFile(out.path);
    return [out];
  } catch (err) {
    if (job.signal?.aborted) throw job.signal.reason;
    if (err instanceof ConversionError) throw err;
    throw new ConversionError(`Could not make a thumbnail of ${job.inputs[0].filename}: ${scrubPaths(String((err as Error)?.message ?? err), job)}`);
  } finally {
    if (needsWork) await rm(work, { recursive: true, force: true });
  }
}

/** `office`: LibreOffice's pdf target, when installed (thumbnails of office documents). */
export function thumbnailTarget(tools: Tools, office?: TargetDef): TargetDef {
  const documents = tools.pdftoppm ? ['pdf', ...(office?.spec.inputs ?? [])] : [];
  const inputs = [...SHARP_INPUTS, ...documents, ...(tools.ffmpeg ? VIDEO_INPUTS : [])];
  const officeForPages = tools.pdftoppm ? office : undefined;
  return { spec: { target: 'thumbnail', category: 'operation', options, inputs: [...new Set(inputs)].sort() }, run: (job) => thumbnail(job, officeForPages) };
}
