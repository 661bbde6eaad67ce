/**
 * Image conversion throughput of the engine's converters, one at a time vs bounded concurrency.
 *
 *   npx tsx bench/convert-images.ts [--images 24] [--size 1600x1200] [--target webp] [--concurrency N]
 *
 * Generates photo-like JPEGs, converts them all (resize to half width + re-encode) at concurrency
 * 1, then at N (default: the number of CPUs), and prints images/s, megapixels/s, peak RSS and the
 * speed-up ratio of N over 1, all from the same run.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { configureConvert, convert, normalizeOptions } from '../engine/convert/index';
import { makePhotos } from './photos';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i !== -1 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const count = Number(arg('images', '24'));
const [width, height] = arg('size', '1600x1200').split('x').map(Number);
const target = arg('target', 'webp');
const parallel = Number(arg('concurrency', String(os.availableParallelism())));

async function runAt(concurrency: number, inputs: string[], workDir: string): Promise<{ seconds: number; peakRss: number }> {
  configureConvert({ concurrency });
  const options = normalizeOptions(target, { width: Math.round(width / 2) });
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);
  const started = process.hrtime.bigint();
  // All submitted at once: the converters' own limit decides how many run.
  await Promise.all(
    inputs.map(async (input, i) => {
      const outDir = await mkdtemp(path.join(workDir, `c${concurrency}-${i}-`));
      await convert({ inputPath: input, inputFilename: path.basename(input), target, options, outDir });
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  clearInterval(sampler);
  return { seconds, peakRss };
}

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'convoy-bench-images-'));
  try {
    const inputs = await makePhotos(dir, count, width, height, { grain: 40, quality: 90 });
    const mp = (count * width * height) / 1e6;
    console.log(
      `convert-images: ${count} × ${width}x${height} jpg → ${target} (half width), sharp threads ${sharp.concurrency()}, CPUs ${os.availableParallelism()}`,
    );
    await runAt(1, inputs.slice(0, 2), dir); // warm-up (codec init, caches)
    const results: Array<[number, { seconds: number; peakRss: number }]> = [];
    for (const c of [1, parallel]) results.push([c, await runAt(c, inputs, dir)]);
    for (const [c, r] of results) {
      console.log(
        `concurrency ${String(c).padStart(2)}: ${r.seconds.toFixed(2)} s  ${(count / r.seconds).toFixed(2)} images/s  ${(mp / r.seconds).toFixed(1)} MP/s  peak RSS ${(r.peakRss / 1048576).toFixed(0)} MB`,
      );
    }
    console.log(`speed-up concurrency ${parallel} vs 1: ×${(results[0][1].seconds / results[1][1].seconds).toFixed(2)}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
