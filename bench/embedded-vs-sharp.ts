/**
 * The embedded default against the converter on its own: `convoy convert` with the local engine
 * (no API key: in-process) against a bare sharp loop running as many conversions at once as there
 * are CPUs, on the same files to the same format (WEBP, quality 80 — the engine's default — with
 * the engine's pipeline: auto-orient, metadata kept), in one run of this script.
 *
 *   npx tsx bench/embedded-vs-sharp.ts [--photos 40] [--small 800] [--concurrency n] [--only photos|small]
 *
 * Workloads (issue 15): 40 generated 3000×2000 JPEG photos; 800 small PNGs (320×240). Goals:
 * convoy ≤ 1.15× sharp on the photos, ≤ 1.5× on the small images. `--concurrency` passes
 * `--concurrency n` to convoy (default: the provider's own choice). Prints each ratio (wall time;
 * the baseline runs before and after convoy and counts as their mean), and the CPU time of each
 * side (user + system, all threads) with its ratio, steadier than wall time on a shared machine.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import sharp from 'sharp';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    photos: { type: 'string', default: '40' },
    small: { type: 'string', default: '800' },
    concurrency: { type: 'string' },
    only: { type: 'string' },
  },
});
const CPUS = os.availableParallelism();
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'convoy-bench-embedded-'));

/** Photo-like content: smooth colour fields (upscaled noise) with fine grain on top. */
async function photo(seed: number, width: number, height: number): Promise<Buffer> {
  const coarse = await sharp({
    create: {
      width: Math.ceil(width / 40),
      height: Math.ceil(height / 40),
      channels: 3,
      background: '#808080',
      noise: { type: 'gaussian', mean: 120 + seed, sigma: 60 },
    },
  })
    .png()
    .toBuffer();
  const grain = await sharp({ create: { width, height, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 18 } } })
    .raw()
    .toBuffer();
  return sharp(coarse)
    .resize(width, height, { kernel: 'cubic' })
    .composite([{ input: grain, raw: { width, height, channels: 3 }, blend: 'soft-light' }])
    .jpeg({ quality: 90 })
    .toBuffer();
}

/** `count` files in a new folder, made from `distinct` generated images copied round-robin. */
async function makeSet(name: string, count: number, distinct: number, make: (i: number) => Promise<Buffer>, ext: string): Promise<string> {
  const dir = path.join(work, name);
  fs.mkdirSync(dir);
  const bodies: Buffer[] = [];
  for (let i = 0; i < Math.min(distinct, count); i++) bodies.push(await make(i));
  for (let i = 0; i < count; i++) fs.writeFileSync(path.join(dir, `${name}-${String(i).padStart(4, '0')}.${ext}`), bodies[i % bodies.length]);
  return dir;
}

/** The converter alone: CPU-count conversions at a time, same pipeline as the engine's webp target. */
async function bareSharp(dir: string, outDir: string): Promise<{ ms: number; cpuMs: number }> {
  fs.mkdirSync(outDir);
  const files = fs.readdirSync(dir);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CPUS }, async () => {
      while (next < files.length) {
        const f = files[next++];
        await sharp(path.join(dir, f), { autoOrient: true, failOn: 'error' })
          .keepMetadata()
          .webp({ quality: 80 })
          .toFile(path.join(outDir, `${path.parse(f).name}.webp`));
      }
    }),
  );
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000 };
}

/** `convoy convert <dir> --to webp` as a user runs it, with a fresh data folder (local engine). */
async function convoy(dir: string, outDir: string): Promise<{ ms: number; cpuMs: number; outputs: number }> {
  const home = fs.mkdtempSync(path.join(work, 'home-'));
  const env: NodeJS.ProcessEnv = { ...process.env, CONVOY_HOME: home, CONVOY_SECRETS: 'memory' };
  delete env.API2CONVERT_API_KEY;
  const args = [path.join(root, 'bin', 'convoy.mjs'), 'convert', dir, '--to', 'webp', '--out-dir', outDir, '--json'];
  if (values.concurrency) args.push('--concurrency', values.concurrency);
  // /usr/bin/time reports the child's CPU time (user + system, all threads).
  const timeBin = fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
  const t0 = performance.now();
  const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = timeBin
      ? spawn(timeBin, ['-f', 'CPU %U %S', process.execPath, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] })
      : spawn(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('close', (c) => resolve({ code: c, stderr: err }));
  });
  const ms = performance.now() - t0;
  if (code !== 0) throw new Error(`convoy convert exited ${code}: ${stderr.slice(-2000)}`);
  const m = /CPU ([\d.]+) ([\d.]+)\s*$/.exec(stderr);
  const cpuMs = m ? (Number(m[1]) + Number(m[2])) * 1000 : NaN;
  // A dropped folder keeps its name under --out-dir.
  const outputs = (fs.readdirSync(outDir, { recursive: true }) as string[]).filter((f) => f.endsWith('.webp')).length;
  return { ms, cpuMs, outputs };
}

async function compare(label: string, dir: string, count: number, goal: number): Promise<void> {
  // Warm the page cache for both sides alike.
  for (const f of fs.readdirSync(dir)) fs.readFileSync(path.join(dir, f));
  // The baseline runs before and after convoy and counts as their mean, so a change of the
  // machine's load during the run (it is shared) weighs on both sides alike.
  const before = await bareSharp(dir, path.join(work, `${label}-sharp-1`));
  const conv = await convoy(dir, path.join(work, `${label}-convoy`));
  const after = await bareSharp(dir, path.join(work, `${label}-sharp-2`));
  const base = { ms: (before.ms + after.ms) / 2, cpuMs: (before.cpuMs + after.cpuMs) / 2 };
  if (conv.outputs !== count) throw new Error(`${label}: convoy wrote ${conv.outputs} of ${count} results`);
  const ratio = conv.ms / base.ms;
  const perItem = (conv.ms - base.ms) / count;
  console.log(
    `${label.padEnd(8)} sharp ${(before.ms / 1000).toFixed(2)} s / ${(after.ms / 1000).toFixed(2)} s (CPU ${(base.cpuMs / 1000).toFixed(1)} s) | convoy ${(conv.ms / 1000).toFixed(2)} s (CPU ${(conv.cpuMs / 1000).toFixed(1)} s) | ratio ${ratio.toFixed(2)}x (goal ≤ ${goal}x: ${ratio <= goal ? 'met' : 'NOT met'}), CPU ${(conv.cpuMs / base.cpuMs).toFixed(2)}x | ${perItem >= 0 ? '+' : ''}${perItem.toFixed(1)} ms per item`,
  );
}

async function main(): Promise<void> {
  const photos = Number(values.photos);
  const small = Number(values.small);
  const only = values.only;
  console.log(
    `embedded engine vs bare sharp (node ${process.version}, ${CPUS} CPUs, sharp ${sharp.versions.sharp}, libvips ${sharp.versions.vips}; convoy --concurrency ${values.concurrency ?? 'default'}; ${fs.existsSync(path.join(root, 'dist', 'cli', 'convoy.mjs')) ? 'CLI bundle' : 'CLI through tsx'})`,
  );
  const tasks: Array<() => Promise<void>> = [];
  if (only !== 'small') {
    const dir = await makeSet('photo', photos, 4, (i) => photo(i, 3000, 2000), 'jpg');
    tasks.push(() => compare('photos', dir, photos, 1.15));
  }
  if (only !== 'photos') {
    const dir = await makeSet(
      'small',
      small,
      16,
      (i) =>
        sharp({
          create: {
            width: 320,
            height: 240,
            channels: 4,
            background: { r: 10 * i, g: 120, b: 200, alpha: 1 },
            noise: { type: 'gaussian', mean: 100 + i, sigma: 30 },
          },
        })
          .png()
          .toBuffer(),
      'png',
    );
    tasks.push(() => compare('small', dir, small, 1.5));
  }
  for (const t of tasks) await t();
}

main()
  .catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => fs.rmSync(work, { recursive: true, force: true }));
