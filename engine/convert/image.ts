/**
 * Raster image targets, converted with sharp (libvips: reads from the path, works on its own
 * threads, streams through tiles rather than holding whole images where it can). BMP, which
 * libvips cannot read or write, goes through ffmpeg when it is installed; HEIC/HEIF through
 * libheif's decoder; a video made into a GIF through ffmpeg alone (media.ts videoToGif).
 */
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { FitEnum } from 'sharp';
import { decodeHeif, HEIF_INPUTS } from './heif';
import { loadSharp } from './lazy';
import { runProcess, ProcessFailure } from './run-process';
import { ffmpegInputGuard } from './sandbox';
import { GIF_FROM_VIDEO_OPTIONS, trimCheck, VIDEO_INPUTS, videoToGif } from './media';
import { maxImagePixels } from './memory-budget';
import { outputFile, type ConvertJob, type TargetDef } from './target';
import type { Tools } from './tools';
import { ConversionError, type ConvertedFile, type OptionSpec } from './types';

/** Inputs libvips decodes in the prebuilt sharp. */
export const SHARP_INPUTS = ['jpg', 'jpeg', 'jpe', 'jfif', 'png', 'webp', 'avif', 'tif', 'tiff', 'gif', 'svg'];
/** Inputs ffmpeg decodes to PNG for sharp. */
const FFMPEG_IMAGE_INPUTS = ['bmp'];
const ANIMATED = new Set(['gif', 'webp']);
const NO_ALPHA = new Set(['jpg', 'bmp']);
const MAX_DIMENSION = 16383;

const common: Record<string, OptionSpec> = {
  width: {
    type: 'integer',
    minimum: 1,
    maximum: MAX_DIMENSION,
    description: 'Width in pixels. With only width or height given, the other follows the aspect ratio.',
  },
  height: {
    type: 'integer',
    minimum: 1,
    maximum: MAX_DIMENSION,
    description: 'Height in pixels. With only width or height given, the other follows the aspect ratio.',
  },
  fit: {
    type: 'string',
    enum: ['inside', 'cover', 'contain', 'fill', 'outside'],
    default: 'inside',
    description:
      'How to fit width × height: inside (keep aspect ratio, within the box), cover (fill the box, crop the overflow), contain (keep aspect ratio, pad with background), fill (stretch), outside (keep aspect ratio, cover the box).',
  },
  allow_enlarge: { type: 'boolean', default: true, description: 'Allow resizing to a size larger than the original.' },
  grayscale: { type: 'boolean', default: false, description: 'Convert to shades of gray (a single channel where the format allows).' },
  rotate: { type: 'integer', enum: [0, 90, 180, 270], default: 0, description: 'Clockwise rotation in degrees, after the EXIF orientation is applied.' },
  flip: { type: 'boolean', default: false, description: 'Mirror vertically (upside down).' },
  flop: { type: 'boolean', default: false, description: 'Mirror horizontally.' },
  strip_metadata: { type: 'boolean', default: false, description: 'Remove EXIF, XMP and ICC metadata from the result.' },
  dpi: { type: 'integer', minimum: 1, maximum: 2400, description: 'Resolution to record in the result, in dots per inch.' },
  background: {
    type: 'string',
    pattern: '#?[0-9a-fA-F]{6}',
    default: '#ffffff',
    description: 'Background colour (hex, e.g. #ffffff) for padding and for transparency in formats without alpha.',
  },
};

const quality = (def: number): OptionSpec => ({
  type: 'integer',
  minimum: 1,
  maximum: 100,
  default: def,
  description: 'Compression quality, 1 (smallest) to 100 (best).',
});

const perTarget: Record<string, Record<string, OptionSpec>> = {
  jpg: {
    quality: quality(85),
    progressive: { type: 'boolean', default: false, description: 'Write a progressive JPEG.' },
  },
  png: {
    compression_level: {
      type: 'integer',
      minimum: 0,
      maximum: 9,
      default: 6,
      description: 'zlib compression level, 0 (fastest) to 9 (smallest); lossless either way.',
    },
    progressive: { type: 'boolean', default: false, description: 'Write an interlaced (Adam7) PNG.' },
    palette: { type: 'boolean', default: false, description: 'Quantise to a palette (smaller, lossy).' },
    colors: { type: 'integer', minimum: 2, maximum: 256, default: 256, description: 'Palette size when palette is on.' },
  },
  webp: {
    quality: quality(80),
    lossless: { type: 'boolean', default: false, description: 'Encode losslessly (quality is then ignored).' },
  },
  avif: {
    quality: quality(50),
    lossless: { type: 'boolean', default: false, description: 'Encode losslessly (quality is then ignored).' },
  },
  tiff: {
    compression: { type: 'string', enum: ['none', 'lzw', 'deflate', 'jpeg'], default: 'lzw', description: 'TIFF compression.' },
    quality: { ...quality(85), description: 'JPEG quality when compression is jpeg, 1 (smallest) to 100 (best).' },
  },
  gif: {
    colors: { type: 'integer', minimum: 2, maximum: 256, default: 256, description: 'Maximum number of palette colours.' },
    dither: { type: 'number', minimum: 0, maximum: 1, default: 1, description: 'Floyd–Steinberg dithering, 0 (none) to 1 (full).' },
  },
  bmp: {},
};

function hex(color: string): string {
  return color.startsWith('#') ? color : `#${color}`;
}

/** libvips messages mention our temp paths; show the user's file name instead. */
function imageError(err: unknown, job: ConvertJob, filename: string): ConversionError {
  const msg = String((err as Error)?.message ?? err)
    .split(job.inputPath)
    .join(filename)
    .trim();
  if (/unsupported image format|bad seek|not a known file format|no loader/i.test(msg)) {
    return new ConversionError(`${filename} is not a readable image (${msg})`);
  }
  if (/pixel limit/i.test(msg)) {
    return new ConversionError(`${filename} is too large to convert (more than 268 megapixels)`);
  }
  return new ConversionError(`Could not convert ${filename}: ${vipsMessage(msg)}`);
}

/**
 * libvips repeats its lines (each retry of a load adds them again) and prefixes them with its
 * loader's class: "premature end of JPEG image; JPEG datastream contains no image" says it once.
 */
function vipsMessage(msg: string): string {
  const said: string[] = [];
  for (const line of msg.split('\n')) {
    const text = line
      .replace(/\bVips[A-Za-z]+: /g, '')
      .replace(/\s+/g, ' ')
      .trim();
    if (text && !said.some((s) => s.includes(text))) said.push(text);
  }
  return said.join('; ');
}

async function ffmpegTranscode(job: ConvertJob, from: string, to: string, extra: string[] = []): Promise<void> {
  try {
    await runProcess(
      job.tools.ffmpeg!,
      [
        '-hide_banner',
        '-nostdin',
        '-loglevel',
        'error',
        '-y',
        ...ffmpegInputGuard(from === job.inputPath ? job.inputExt : path.extname(from).slice(1)),
        '-i',
        from,
        ...extra,
        '-frames:v',
        '1',
        to,
      ],
      {
        timeoutMs: job.timeoutMs,
        signal: job.signal,
      },
    );
  } catch (err) {
    if (err instanceof ProcessFailure) {
      const last = err.stderr.trim().split('\n').pop() ?? '';
      throw new ConversionError(
        `The image could not be read or written with ffmpeg (${err.message}${last ? `: ${last.split(from).join('input').split(to).join('output')}` : ''})`,
      );
    }
    throw err;
  }
}

async function convertImage(job: ConvertJob, target: string): Promise<ConvertedFile[]> {
  const o = job.options;
  const out = outputFile(job, target);
  const work = path.join(job.outDir, '.work');
  const displayName = `${job.baseName}.${job.inputExt}`;
  let source = job.inputPath;
  try {
    if (FFMPEG_IMAGE_INPUTS.includes(job.inputExt)) {
      await mkdir(work, { recursive: true });
      source = path.join(work, 'decoded.png');
      await ffmpegTranscode(job, job.inputPath, source);
    } else if (HEIF_INPUTS.includes(job.inputExt)) {
      await mkdir(work, { recursive: true });
      source = path.join(work, 'decoded.png');
      await decodeHeif(job.tools.heifConvert!, job.inputPath, source, `${job.baseName}.${job.inputExt}`, job);
    }
    const animated = ANIMATED.has(job.inputExt) && ANIMATED.has(target);
    // As lenient as common viewers: a PNG with one bad CRC or a truncated JPEG still converts.
    const sharp = await loadSharp();
    let img = sharp(source, { animated, autoOrient: true, failOn: 'none', limitInputPixels: maxImagePixels() });
    if (o.rotate) img = img.rotate(o.rotate as number);
    if (o.flip) img = img.flip();
    if (o.flop) img = img.flop();
    if (o.width !== undefined || o.height !== undefined) {
      img = img.resize({
        width: o.width as number | undefined,
        height: o.height as number | undefined,
        fit: o.fit as keyof FitEnum,
        background: hex(o.background as string),
        withoutEnlargement: !o.allow_enlarge,
      });
    }
    if (NO_ALPHA.has(target)) img = img.flatten({ background: hex(o.background as string) });
    // b-w colourspace gives a real single-channel result (grayscale() alone keeps three channels).
    if (o.grayscale) img = img.grayscale().toColourspace('b-w');
    // An sRGB ICC profile would turn a gray result back into three channels: keep it only in colour.
    if (!o.strip_metadata) img = o.grayscale ? img.keepExif().keepXmp() : img.keepMetadata();
    if (o.dpi !== undefined) img = img.withDensity(o.dpi as number);

    switch (target) {
      case 'jpg':
        img = img.jpeg({ quality: o.quality as number, progressive: o.progressive as boolean, mozjpeg: true });
        break;
      case 'png':
        img = img.png({
          compressionLevel: o.compression_level as number,
          progressive: o.progressive as boolean,
          palette: o.palette as boolean,
          colours: o.colors as number,
        });
        break;
      case 'webp':
        img = img.webp({ quality: o.quality as number, lossless: o.lossless as boolean });
        break;
      case 'avif':
        img = img.avif({ quality: o.quality as number, lossless: o.lossless as boolean });
        break;
      case 'tiff':
        img = img.tiff({ compression: o.compression as string, quality: o.quality as number });
        break;
      case 'gif':
        img = img.gif({ colours: o.colors as number, dither: o.dither as number });
        break;
      case 'bmp':
        img = img.png({ compressionLevel: 1 });
        break;
    }
    if (target === 'bmp') {
      await mkdir(work, { recursive: true });
      const png = path.join(work, 'encoded.png');
      await img.toFile(png);
      await ffmpegTranscode(job, png, out.path, ['-c:v', 'bmp', '-pix_fmt', o.grayscale ? 'gray' : 'bgr24']);
    } else {
      await img.toFile(out.path);
    }
    return [out];
  } catch (err) {
    await rm(out.path, { force: true });
    if (job.signal?.aborted) throw job.signal.reason;
    if (err instanceof ConversionError) throw err;
    throw imageError(err, job, displayName);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

export function imageTargets(tools: Tools): TargetDef[] {
  const inputs = [...SHARP_INPUTS, ...(tools.ffmpeg ? FFMPEG_IMAGE_INPUTS : []), ...(tools.heifConvert ? HEIF_INPUTS : [])].sort();
  const names = ['jpg', 'png', 'webp', 'avif', 'tiff', 'gif', ...(tools.ffmpeg && tools.encoders.has('bmp') ? ['bmp'] : [])];
  // A GIF is also made of a video ("video to GIF"), where ffmpeg can read one.
  const gifOfVideo = !!(tools.ffmpeg && tools.ffprobe && tools.encoders.has('gif'));
  return names.map((target) =>
    target === 'gif' && gifOfVideo
      ? {
          spec: { target, category: 'image', options: { ...perTarget.gif, ...common, ...GIF_FROM_VIDEO_OPTIONS }, inputs: [...inputs, ...VIDEO_INPUTS].sort() },
          check: trimCheck,
          run: (job) => (VIDEO_INPUTS.includes(job.inputExt) ? videoToGif(job) : convertImage(job, target)),
        }
      : {
          spec: { target, category: 'image', options: { ...perTarget[target], ...common }, inputs },
          run: (job) => convertImage(job, target),
        },
  );
}
