/**
 * The `compare-image` operation: two images in, two outputs out — a diff image (the second image
 * dimmed, differing pixels painted in `diff_color`) and a JSON report with the similarity score
 * (SSIM on 8×8 windows, or the share of equal pixels). A second image of another size is scaled
 * to the first one's size first, and the report says so.
 */
import { writeFile } from 'node:fs/promises';
import { SHARP_INPUTS } from '../image';
import { loadSharp } from '../lazy';
import { outputFile, type ConvertJob, type TargetDef } from '../target';
import { ConversionError, type ConvertedFile, type OptionSpec } from '../types';
import { scrubPaths } from './util';

/** Images are compared as raw pixels in memory: bound them. */
const MAX_PIXELS = 40_000_000;

const COLORS: Record<string, [number, number, number]> = {
  red: [255, 0, 0],
  green: [0, 200, 0],
  blue: [0, 64, 255],
  yellow: [255, 220, 0],
  magenta: [255, 0, 255],
  cyan: [0, 220, 220],
  black: [0, 0, 0],
  white: [255, 255, 255],
};

const options: Record<string, OptionSpec> = {
  method: {
    type: 'string',
    enum: ['ssim', 'pixel'],
    default: 'ssim',
    description: 'Similarity measure: ssim (structural similarity) or pixel (share of equal pixels).',
  },
  threshold: {
    type: 'number',
    minimum: 0,
    maximum: 100,
    default: 5,
    description: 'How different (in percent of the colour range) a pixel may be and still count as equal.',
  },
  diff_color: {
    type: 'string',
    pattern: `${Object.keys(COLORS).join('|')}|#?[0-9a-fA-F]{6}`,
    default: 'red',
    description: `Colour of differing pixels in the diff image: ${Object.keys(COLORS).join(', ')} or a hex colour.`,
  },
};

function rgb(color: string): [number, number, number] {
  if (COLORS[color]) return COLORS[color];
  const hex = color.replace('#', '');
  return [parseInt(hex.slice(0, 2), 16), parseInt(hex.slice(2, 4), 16), parseInt(hex.slice(4, 6), 16)];
}

/** Mean SSIM of two grayscale images on non-overlapping 8×8 windows. */
export function ssim(a: Uint8Array, b: Uint8Array, width: number, height: number): number {
  const c1 = (0.01 * 255) ** 2;
  const c2 = (0.03 * 255) ** 2;
  let total = 0;
  let windows = 0;
  for (let y0 = 0; y0 < height; y0 += 8) {
    for (let x0 = 0; x0 < width; x0 += 8) {
      let sa = 0,
        sb = 0,
        saa = 0,
        sbb = 0,
        sab = 0,
        n = 0;
      for (let y = y0; y < Math.min(y0 + 8, height); y++) {
        for (let x = x0; x < Math.min(x0 + 8, width); x++) {
          const va = a[y * width + x];
          const vb = b[y * width + x];
          sa += va;
          sb += vb;
          saa += va * va;
          sbb += vb * vb;
          sab += va * vb;
          n++;
        }
      }
      const ma = sa / n,
        mb = sb / n;
      const va = saa / n - ma * ma,
        vb = sbb / n - mb * mb,
        cov = sab / n - ma * mb;
      total += ((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma * ma + mb * mb + c1) * (va + vb + c2));
      windows++;
    }
  }
  return windows ? total / windows : 1;
}

async function compare(job: ConvertJob): Promise<ConvertedFile[]> {
  if (job.inputs.length !== 2) {
    throw new ConversionError(`compare-image compares exactly two images; this job has ${job.inputs.length} input(s)`);
  }
  const [first, second] = job.inputs;
  const o = job.options;
  try {
    const sharp = await loadSharp();
    const metaA = await sharp(first.path, { failOn: 'none', autoOrient: true }).metadata();
    const width = metaA.autoOrient?.width ?? metaA.width ?? 0;
    const height = metaA.autoOrient?.height ?? metaA.height ?? 0;
    if (width * height > MAX_PIXELS) throw new ConversionError(`${first.filename} is too large to compare (more than ${MAX_PIXELS / 1e6} megapixels)`);
    const metaB = await sharp(second.path, { failOn: 'none', autoOrient: true }).metadata();
    const widthB = metaB.autoOrient?.width ?? metaB.width ?? 0;
    const heightB = metaB.autoOrient?.height ?? metaB.height ?? 0;
    if (widthB * heightB > MAX_PIXELS) throw new ConversionError(`${second.filename} is too large to compare (more than ${MAX_PIXELS / 1e6} megapixels)`);
    const resized = widthB !== width || heightB !== height;
    const raw = (file: string) =>
      sharp(file, { failOn: 'none', autoOrient: true })
        .resize(width, height, { fit: 'fill' })
        .flatten({ background: '#ffffff' })
        .removeAlpha()
        .raw()
        .toBuffer();
    const [a, b] = await Promise.all([raw(first.path), raw(second.path)]);
    const tolerance = ((o.threshold as number) / 100) * 255;
    const [dr, dg, db] = rgb(o.diff_color as string);
    const diff = Buffer.alloc(width * height * 3);
    const grayA = new Uint8Array(width * height);
    const grayB = new Uint8Array(width * height);
    let differing = 0;
    for (let p = 0, i = 0; p < width * height; p++, i += 3) {
      const delta = Math.max(Math.abs(a[i] - b[i]), Math.abs(a[i + 1] - b[i + 1]), Math.abs(a[i + 2] - b[i + 2]));
      grayA[p] = (a[i] * 299 + a[i + 1] * 587 + a[i + 2] * 114) / 1000;
      grayB[p] = (b[i] * 299 + b[i + 1] * 587 + b[i + 2] * 114) / 1000;
      if (delta > tolerance) {
        differing++;
        diff[i] = dr;
        diff[i + 1] = dg;
        diff[i + 2] = db;
      } else {
        // Equal pixels: a faded copy of the image, so the differences stand out.
        const g = 255 - (255 - grayB[p]) * 0.3;
        diff[i] = diff[i + 1] = diff[i + 2] = g;
      }
    }
    const total = width * height;
    const similarity = o.method === 'pixel' ? 1 - differing / total : ssim(grayA, grayB, width, height);
    const diffOut = outputFile(job, 'png', `${first.baseName}-diff`);
    await sharp(diff, { raw: { width, height, channels: 3 } })
      .png()
      .toFile(diffOut.path);
    const report = outputFile(job, 'json', `${first.baseName}-compare`);
    await writeFile(
      report.path,
      JSON.stringify(
        {
          method: o.method,
          similarity: Math.round(similarity * 1e6) / 1e6,
          identical: differing === 0,
          different_pixels: differing,
          total_pixels: total,
          width,
          height,
          threshold: o.threshold,
          inputs: [first.filename, second.filename],
          resized: resized ? { from: [widthB, heightB], to: [width, height] } : false,
        },
        null,
        2,
      ),
    );
    return [diffOut, report];
  } catch (err) {
    if (job.signal?.aborted) throw job.signal.reason;
    if (err instanceof ConversionError) throw err;
    throw new ConversionError(`Could not compare ${first.filename} with ${second.filename}: ${scrubPaths(String((err as Error)?.message ?? err), job)}`);
  }
}

export function compareImageTarget(): TargetDef {
  return {
    spec: { target: 'compare-image', category: 'operation', options, inputs: [...SHARP_INPUTS].sort() },
    inputMode: () => 'all',
    run: compare,
  };
}
