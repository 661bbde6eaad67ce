/**
 * The `compress` operation: a smaller file of the same type. Images are re-encoded by sharp at a
 * quality (or palette) that follows `compression_level`; PDFs get their JPEG images re-encoded
 * (pdf-lib + sharp) and object streams; audio and video are re-encoded by ffmpeg at a lower
 * bitrate. When the result would not be smaller, the original is kept.
 */
import { copyFile, readFile, stat, writeFile } from 'node:fs/promises';
import type { PDFDocument } from 'pdf-lib';
import { loadPdfLib, loadSharp } from '../lazy';
import { AUDIO_INPUTS, VIDEO_INPUTS } from '../media';
import { runProcess } from '../run-process';
import { outputFile, type ConvertJob, type TargetDef } from '../target';
import type { Tools } from '../tools';
import { ConversionError, type ConvertedFile, type OptionSpec } from '../types';
import { byLevel, scrubPaths, toolError } from './util';

const IMAGE_INPUTS = ['jpg', 'jpeg', 'jfif', 'png', 'webp', 'avif', 'tif', 'tiff', 'gif'];
/** Largest PDF loaded into memory for compression. */
const MAX_PDF_BYTES = 512 * 1024 ** 2;

const options: Record<string, OptionSpec> = {
  compression_level: {
    type: 'string',
    enum: ['low', 'medium', 'high'],
    default: 'medium',
    description: 'How hard to compress: low (best quality), medium, high (smallest file).',
  },
};

const QUALITY = { low: 85, medium: 70, high: 50 };

async function compressImage(job: ConvertJob, out: ConvertedFile): Promise<void> {
  const sharp = await loadSharp();
  const q = byLevel(job.options.compression_level, QUALITY);
  let img = sharp(job.inputPath, { failOn: 'none', animated: ['gif', 'webp'].includes(job.inputExt) });
  switch (job.inputExt) {
    case 'png':
      img =
        q >= 85
          ? img.png({ compressionLevel: 9, adaptiveFiltering: true })
          : img.png({ compressionLevel: 9, palette: true, quality: q, colours: q >= 70 ? 256 : 128 });
      break;
    case 'webp':
      img = img.webp({ quality: q });
      break;
    case 'avif':
      img = img.avif({ quality: Math.round(q * 0.7) });
      break;
    case 'tif':
    case 'tiff':
      img = img.tiff({ compression: 'jpeg', quality: q });
      break;
    case 'gif':
      img = img.gif({ colours: q >= 85 ? 256 : q >= 70 ? 128 : 64, effort: 10 });
      break;
    default:
      img = img.jpeg({ quality: q, mozjpeg: true });
  }
  await img.keepExif().toFile(out.path);
}

async function compressPdf(job: ConvertJob, out: ConvertedFile): Promise<void> {
  const [{ PDFDocument, PDFName, PDFRawStream }, sharp] = await Promise.all([loadPdfLib(), loadSharp()]);
  const { size } = await stat(job.inputPath);
  if (size > MAX_PDF_BYTES) throw new ConversionError(`${job.inputs[0].filename} is too large to compress (limit ${MAX_PDF_BYTES / 1024 ** 2} MiB)`);
  const q = byLevel(job.options.compression_level, QUALITY);
  let doc: PDFDocument;
  try {
    doc = await PDFDocument.load(await readFile(job.inputPath), { ignoreEncryption: false, updateMetadata: false });
  } catch (err) {
    throw new ConversionError(`${job.inputs[0].filename} is not a readable PDF (${(err as Error).message})`);
  }
  for (const [ref, obj] of doc.context.enumerateIndirectObjects()) {
    if (job.signal?.aborted) throw job.signal.reason;
    if (!(obj instanceof PDFRawStream)) continue;
    const dict = obj.dict;
    if (dict.get(PDFName.of('Subtype')) !== PDFName.of('Image') || dict.get(PDFName.of('Filter')) !== PDFName.of('DCTDecode')) continue;
    try {
      const smaller = await sharp(Buffer.from(obj.contents), { failOn: 'none' }).jpeg({ quality: q, mozjpeg: true }).toBuffer();
      if (smaller.length >= obj.contents.length) continue;
      dict.set(PDFName.of('Length'), doc.context.obj(smaller.length));
      doc.context.assign(ref, PDFRawStream.of(dict, smaller));
    } catch {
      // an image sharp cannot read stays as it is
    }
  }
  await writeFile(out.path, await doc.save({ useObjectStreams: true }));
}

async function compressMedia(job: ConvertJob, out: ConvertedFile): Promise<void> {
  const level = job.options.compression_level;
  const audioRate = byLevel(level, { low: '192k', medium: '128k', high: '64k' });
  const isVideo = VIDEO_INPUTS.includes(job.inputExt);
  const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', '-i', job.inputPath, '-map', '0:v:0?', '-map', '0:a:0?', '-sn', '-dn'];
  if (isVideo) {
    const crf = byLevel(level, { low: 26, medium: 30, high: 35 });
    if (job.inputExt === 'webm')
      args.push('-c:v', 'libvpx-vp9', '-crf', String(crf + 6), '-b:v', '0', '-row-mt', '1', '-deadline', 'good', '-cpu-used', '4', '-c:a', 'libopus');
    else
      args.push(
        '-c:v',
        'libx264',
        '-preset',
        'veryfast',
        '-crf',
        String(crf),
        '-pix_fmt',
        'yuv420p',
        '-vf',
        'scale=trunc(iw/2)*2:trunc(ih/2)*2',
        '-c:a',
        'aac',
      );
  } else {
    const codec: Record<string, string> = { mp3: 'libmp3lame', ogg: 'libvorbis', oga: 'libvorbis', opus: 'libopus', m4a: 'aac', aac: 'aac', wma: 'wmav2' };
    args.push('-vn', '-c:a', codec[job.inputExt] ?? 'libmp3lame');
  }
  args.push('-b:a', audioRate, out.path);
  try {
    await runProcess(job.tools.ffmpeg!, args, { timeoutMs: job.timeoutMs, signal: job.signal });
  } catch (err) {
    throw toolError(err, job, 'ffmpeg', `compress ${job.inputs[0].filename}`);
  }
}

/** Audio formats ffmpeg re-encodes into the same format (lossless ones become mp3). */
const LOSSY_AUDIO = ['mp3', 'ogg', 'oga', 'opus', 'm4a', 'aac', 'wma'];
const COMPRESS_VIDEO = ['mp4', 'm4v', 'mov', 'mkv', 'webm'];

async function compress(job: ConvertJob): Promise<ConvertedFile[]> {
  const ext = job.inputExt === 'jpeg' || job.inputExt === 'jfif' ? 'jpg' : job.inputExt;
  const audioOut = AUDIO_INPUTS.includes(ext) && !LOSSY_AUDIO.includes(ext) ? 'mp3' : ext;
  const out = outputFile(job, audioOut);
  try {
    if (IMAGE_INPUTS.includes(job.inputExt)) await compressImage(job, out);
    else if (ext === 'pdf') await compressPdf(job, out);
    else await compressMedia(job, out);
  } catch (err) {
    if (job.signal?.aborted) throw job.signal.reason;
    if (err instanceof ConversionError) throw err;
    throw new ConversionError(`Could not compress ${job.inputs[0].filename}: ${scrubPaths(String((err as Error)?.message ?? err), job)}`);
  }
  // Never hand back a bigger file than was given (same format only).
  if (audioOut === ext && (await stat(out.path)).size >= (await stat(job.inputPath)).size) await copyFile(job.inputPath, out.path);
  return [out];
}

export function compressTarget(tools: Tools): TargetDef {
  const media = tools.ffmpeg && tools.encoders.has('libx264') ? [...AUDIO_INPUTS, ...COMPRESS_VIDEO] : [];
  return {
    spec: { target: 'compress', category: 'operation', options, inputs: [...new Set([...IMAGE_INPUTS, 'pdf', ...media])].sort() },
    run: compress,
  };
}
