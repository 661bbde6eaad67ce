/**
 * The `resize-image` operation: a new size in pixels or percent, in the input's own format, with
 * api2convert's `resize_handling` (keep the aspect ratio, crop to fill, pad to fill, or stretch).
 */
import type { FitEnum, FormatEnum } from 'sharp';
import { SHARP_INPUTS } from '../image';
import { loadSharp } from '../lazy';
import { outputFile, type ConvertJob, type TargetDef } from '../target';
import { ConversionError, type ConvertedFile, type OptionSpec } from '../types';
import { scrubPaths } from './util';

const HANDLING: Record<string, keyof FitEnum> = {
  keep_aspect_ratio: 'inside',
  keep_aspect_ratio_crop: 'cover',
  keep_aspect_ratio_fill: 'contain',
  stretch: 'fill',
};

const options: Record<string, OptionSpec> = {
  width: {
    type: 'number',
    minimum: 1,
    maximum: 16383,
    description: 'New width, in pixels or percent (see resize_by). Without width and height the size stays.',
  },
  height: { type: 'number', minimum: 1, maximum: 16383, description: 'New height, in pixels or percent (see resize_by).' },
  resize_by: { type: 'string', enum: ['px', 'percent'], default: 'px', description: 'Whether width and height are pixels or percent of the original.' },
  resize_handling: {
    type: 'string',
    enum: Object.keys(HANDLING),
    default: 'keep_aspect_ratio',
    description:
      'keep_aspect_ratio (fit inside the box), keep_aspect_ratio_crop (fill the box, crop the overflow), keep_aspect_ratio_fill (fit inside, pad with background), stretch.',
  },
  background: { type: 'string', pattern: '#?[0-9a-fA-F]{6}', default: '#ffffff', description: 'Padding colour for keep_aspect_ratio_fill.' },
};

/** sharp's output format for an input format (svg has no writer: png). */
const WRITE_AS: Record<string, string> = { jpeg: 'jpg', png: 'png', webp: 'webp', gif: 'gif', tiff: 'tiff', heif: 'avif', svg: 'png' };

async function resize(job: ConvertJob): Promise<ConvertedFile[]> {
  const sharp = await loadSharp();
  const o = job.options;
  const name = job.inputs[0].filename;
  try {
    const meta = await sharp(job.inputPath, { failOn: 'none' }).metadata();
    const ext = WRITE_AS[meta.format ?? ''] ?? 'png';
    const srcW = meta.autoOrient?.width ?? meta.width ?? 0;
    const srcH = meta.autoOrient?.height ?? meta.height ?? 0;
    const scale = (v: unknown, of: number) =>
      v === undefined ? undefined : Math.max(1, Math.round(o.resize_by === 'percent' ? (of * (v as number)) / 100 : (v as number)));
    const width = scale(o.width, srcW);
    const height = scale(o.height, srcH);
    if ((width ?? 0) > 16383 || (height ?? 0) > 16383) throw new ConversionError(`The new size of ${name} is larger than 16383 pixels`);
    const out = outputFile(job, ext);
    const background = (o.background as string).startsWith('#') ? (o.background as string) : `#${o.background}`;
    await sharp(job.inputPath, { failOn: 'none', autoOrient: true, animated: ext === 'gif' || ext === 'webp' })
      .resize({ width, height, fit: HANDLING[o.resize_handling as string], background })
      .keepMetadata()
      .toFormat((ext === 'jpg' ? 'jpeg' : ext) as keyof FormatEnum)
      .toFile(out.path);
    return [out];
  } catch (err) {
    if (job.signal?.aborted) throw job.signal.reason;
    if (err instanceof ConversionError) throw err;
    throw new ConversionError(`Could not resize ${name}: ${scrubPaths(String((err as Error)?.message ?? err), job)}`);
  }
}

export function resizeImageTarget(): TargetDef {
  return {
    spec: { target: 'resize-image', category: 'operation', options, inputs: [...SHARP_INPUTS].sort() },
    run: resize,
  };
}
