/**
 * The engine's operations against bare sharp, and hashing memory.
 *
 *   npx tsx bench/engine-ops.ts [--photos 100] [--size 1200x900] [--hash-gib 2] [--in-flight 4×CPUs]
 *
 * 1. `thumbnail` (width 300, png) and `compress` (medium) of N generated photos, each as one job
 *    through the engine's HTTP API (create → upload → start → poll → download), against a bare
 *    sharp loop doing the same work at the same concurrency, in the same run; also the engine's
 *    converter module alone. Prints photos/s and the ratios engine ÷ bare sharp (goal ≥ 0.8). The
 *    HTTP client runs in the same process as the engine and competes with it for the CPU.
 * 2. Peak RSS of a child process hashing (sha256, the engine's converter) a sparse file of the
 *    given size (goal ≤ 100 MiB).
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, open, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { createEngine } from '../engine/index';

const run = promisify(execFile);

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i !== -1 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const KEY = 'bench-engine-ops-key';
const concurrency = os.availableParallelism();
const inFlight = Number(arg('in-flight', String(concurrency * 4)));

/** Runs `fn` over `items` with at most `limit` at once. */
async function pool<T>(items: T[], limit: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i], i);
      }
    }),
  );
}

async function makePhotos(dir: string, count: number, width: number, height: number): Promise<string[]> {
  const files: string[] = [];
  for (let i = 0; i < count; i++) {
    const file = path.join(dir, `photo-${i}.jpg`);
    await sharp({ create: { width, height, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 30 } } })
      .composite([
        {
          input: Buffer.from(
            `<svg width="${width}" height="${height}"><defs><linearGradient id="g"><stop offset="0" stop-color="#${((i * 40) % 200) + 16}3050"/><stop offset="1" stop-color="#f0c020"/></linearGradient></defs><rect width="100%" height="100%" fill="url(#g)" opacity="0.8"/></svg>`,
          ),
        },
      ])
      .jpeg({ quality: 92 })
      .toFile(file);
    files.push(file);
  }
  return files;
}

/** What the engine does for each operation, done directly with sharp. */
const bare: Record<string, (input: string, out: string) => Promise<void>> = {
  thumbnail: async (input, out) =>
    void (await sharp(input, { failOn: 'none', autoOrient: true }).resize({ width: 300, fit: 'inside', withoutEnlargement: true }).png().toFile(`${out}.png`)),
  compress: async (input, out) => void (await sharp(input, { failOn: 'none' }).jpeg({ quality: 70, mozjpeg: true }).keepExif().toFile(`${out}.jpg`)),
};

async function timeBare(op: string, photos: string[], outDir: string): Promise<number> {
  const started = performance.now();
  await pool(photos, concurrency, (p, i) => bare[op](p, path.join(outDir, `${op}-${i}`)));
  return (performance.now() - started) / 1000;
}

/** The engine's converter module alone (what a job runs, without HTTP, uploads and the job store). */
async function timeConverter(op: string, options: Record<string, unknown>, photos: string[], outDir: string): Promise<number> {
  const { convert, normalizeOptions } = await import('../engine/convert/index');
  const normalized = normalizeOptions(op, options);
  const started = performance.now();
  await pool(photos, concurrency, async (p, i) => {
    const dir = path.join(outDir, `conv-${op}-${i}`);
    await mkdir(dir);
    await convert({ inputPath: p, inputFilename: path.basename(p), target: op, options: normalized, outDir: dir });
  });
  return (performance.now() - started) / 1000;
}

async function timeEngine(baseUrl: string, op: string, options: Record<string, unknown>, photos: string[]): Promise<number> {
  const h = { 'X-Api2convert-Api-Key': KEY, 'Content-Type': 'application/json' };
  const started = performance.now();
  // Jobs in flight: a client pipelines jobs (Convoy's queue does); the engine still converts at most `concurrency` at once.
  await pool(photos, inFlight, async (file) => {
    const job = await (
      await fetch(`${baseUrl}/v2/jobs`, {
        method: 'POST',
        headers: h,
        body: JSON.stringify({ process: false, conversion: [{ category: 'operation', target: op, options }] }),
      })
    ).json();
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(await readFile(file))]), path.basename(file));
    const up = await fetch(`${job.server}/upload-file/${job.id}`, { method: 'POST', body: form, headers: { 'X-Api2convert-Token': job.token } });
    if (up.status !== 201) throw new Error(`upload: ${up.status}`);
    await (await fetch(`${baseUrl}/v2/jobs/${job.id}`, { method: 'PATCH', headers: h, body: JSON.stringify({ process: true }) })).json();
    let done: any;
    for (;;) {
      done = await (await fetch(`${baseUrl}/v2/jobs/${job.id}`, { headers: h })).json();
      if (['completed', 'failed', 'canceled'].includes(done.status.code)) break;
      await new Promise((r) => setTimeout(r, 50)); // tighter polling only steals CPU from the conversions
    }
    if (done.status.code !== 'completed') throw new Error(`${op}: ${JSON.stringify(done.errors)}`);
    const res = await fetch(done.output[0].uri);
    await res.arrayBuffer();
  });
  return (performance.now() - started) / 1000;
}

/** Child mode: hash the file with the engine's converter, print the peak RSS in bytes. */
async function hashChild(file: string, outDir: string): Promise<void> {
  // Baseline first (it also warms the page cache): a bare read + hash loop over the same file.
  const crypto = await import('node:crypto');
  const fs = await import('node:fs');
  const t0 = performance.now();
  const hash = crypto.createHash('sha256');
  const buf = Buffer.alloc(1 << 20);
  const fd = fs.openSync(file, 'r');
  for (let n; (n = fs.readSync(fd, buf)) > 0; ) hash.update(buf.subarray(0, n));
  fs.closeSync(fd);
  const bareSeconds = (performance.now() - t0) / 1000;
  const { convert, normalizeOptions } = await import('../engine/convert/index');
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
  const started = performance.now();
  await convert({ inputPath: file, inputFilename: 'big.bin', target: 'sha256', options: normalizeOptions('sha256', {}), outDir });
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  process.stdout.write(JSON.stringify({ baselineRss: baseline, peakRss: peak, maxRssBytes: process.resourceUsage().maxRSS * 1024, seconds, bareSeconds }));
}

async function main(): Promise<void> {
  if (process.argv[2] === '--hash-child') return hashChild(process.argv[3], process.argv[4]);
  const count = Number(arg('photos', '100'));
  const [width, height] = arg('size', '1200x900').split('x').map(Number);
  const hashGib = Number(arg('hash-gib', '2'));
  const dir = await mkdtemp(path.join(os.tmpdir(), 'convoy-bench-ops-'));
  const engine = await createEngine({ port: 0, dataDir: path.join(dir, 'engine'), apiKey: KEY, maxConcurrentConversions: concurrency }, { log: () => {} });
  try {
    await mkdir(path.join(dir, 'photos'));
    const photos = await makePhotos(path.join(dir, 'photos'), count, width, height);
    const outDir = path.join(dir, 'bare');
    await mkdir(outDir);
    console.log(`${count} photos ${width}×${height}, concurrency ${concurrency} (HTTP jobs in flight: ${inFlight})`);
    for (const [op, options] of [
      ['thumbnail', { thumbnail_target: 'png', width: 300 }],
      ['compress', { compression_level: 'medium' }],
    ] as const) {
      await timeBare(op, photos.slice(0, 4), outDir); // warm-up
      const sharpSeconds = await timeBare(op, photos, outDir);
      const converterSeconds = await timeConverter(op, options, photos, outDir);
      const engineSeconds = await timeEngine(engine.baseUrl, op, options, photos);
      const rate = (s: number) => `${(count / s).toFixed(1)} photos/s`;
      console.log(
        `${op.padEnd(10)} bare sharp ${rate(sharpSeconds)} · engine converter ${rate(converterSeconds)} (ratio ${(sharpSeconds / converterSeconds).toFixed(2)}, goal ≥ 0.8) · ` +
          `engine HTTP jobs incl. upload/poll/download ${rate(engineSeconds)} (ratio ${(sharpSeconds / engineSeconds).toFixed(2)})`,
      );
    }

    const big = path.join(dir, 'big.bin');
    const size = Math.round(hashGib * 1024 ** 3);
    const fh = await open(big, 'w');
    await fh.truncate(size); // sparse: no disk space, reads as zeros
    await fh.close();
    const hashOut = path.join(dir, 'hash');
    await mkdir(hashOut);
    // The child runs this script as a plain-Node bundle (as the built app runs the engine), so the
    // measure is the engine's hashing, not tsx's compiler in memory.
    const childBundle = path.join(path.resolve(import.meta.dirname, '..'), '.cache', `bench-engine-ops-${process.pid}.mjs`);
    const { build } = await import('esbuild');
    await build({
      entryPoints: [path.resolve(import.meta.dirname, 'engine-ops.ts')],
      outfile: childBundle,
      bundle: true,
      platform: 'node',
      format: 'esm',
      packages: 'external',
      logLevel: 'error',
    });
    const { stdout } = await run(process.execPath, [childBundle, '--hash-child', big, hashOut], { maxBuffer: 1 << 20 }).finally(() =>
      rm(childBundle, { force: true }),
    );
    const r = JSON.parse(stdout) as { baselineRss: number; peakRss: number; maxRssBytes: number; seconds: number; bareSeconds: number };
    const mib = (b: number) => `${(b / 1024 ** 2).toFixed(0)} MiB`;
    console.log(
      `sha256 of a ${hashGib} GiB file: ${(size / 1024 ** 2 / r.seconds).toFixed(0)} MiB/s (bare read+hash loop ${(size / 1024 ** 2 / r.bareSeconds).toFixed(0)} MiB/s) · ` +
        `RSS while hashing: ${mib(r.peakRss)} peak, ${mib(r.peakRss - r.baselineRss)} above the ${mib(r.baselineRss)} the process had before (goal ≤ 100 MiB for the whole process)`,
    );
  } finally {
    await engine.close();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
