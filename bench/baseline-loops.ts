/**
 * Baselines for issue 4's measure: how the official CLI would convert a batch, using Convoy's client.
 *
 *   npx tsx bench/baseline-loops.ts [--urls 200] [--files 200] [--latency 30] [--conversion 200] [--workers N]
 *
 * Against the local engine with injected latency (30 ms per request, 200 ms per conversion), for
 * 200 URL items and 200 local files, it runs:
 *   - sequentialLoop: one job per item, create → upload → start → poll (official rhythm) → download
 *   - workerLoop:     the same loop on NumCPU workers (the official CLI's default)
 * and prints wall time and requests per item for each. The queue's Convoy run is added to the same
 * script (see `runBench`), so every ratio comes from one run on one machine.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { createEngine } from '../engine/index';
import type { Engine } from '../engine/types';
import { Api2ConvertClient, type Job, type PollOptions } from '../main/api/index';

export type BenchItem = { kind: 'url'; url: string; name: string; target: string } | { kind: 'file'; path: string; target: string };

export interface LoopContext {
  client: Api2ConvertClient;
  /** Results are written here as `<base>.<target>` (the official CLI's naming). */
  outDir: string;
  /** Default: the official rhythm (1 s, ×1.5 up to 5 s, +0–25 %). */
  poll?: PollOptions;
  signal?: AbortSignal;
}

export interface LoopResult {
  ok: number;
  failed: number;
  errors: string[];
  wallMs: number;
}

/** One item the way the official CLI does it: a job per file, upload, start, poll, download. */
export async function convertItem(item: BenchItem, ctx: LoopContext): Promise<void> {
  const { client } = ctx;
  let job: Job;
  if (item.kind === 'url') {
    // A URL needs no upload: the job is created with its input and starts at once.
    job = await client.createJob({ input: [{ type: 'remote', source: item.url }], conversion: [{ target: item.target }] }, { signal: ctx.signal });
  } else {
    job = await client.createJob({ process: false, conversion: [{ target: item.target }] }, { signal: ctx.signal });
    await client.uploadFile({ id: job.id, server: job.server ?? '', token: job.token ?? '' }, item.path, { signal: ctx.signal });
    await client.patchJob(job.id, { process: true }, { signal: ctx.signal });
  }
  const done = await client.waitForJob(job.id, { poll: ctx.poll, signal: ctx.signal });
  if (done.status.code !== 'completed') {
    throw new Error(`job ${job.id} ${done.status.code}: ${done.errors.map((e) => e.message).join('; ') || done.status.info || ''}`);
  }
  const base = item.kind === 'url' ? item.name : path.basename(item.path);
  for (const out of done.output) {
    const name = `${base.replace(/\.[^.]+$/, '')}.${item.target}`;
    await client.downloadOutput(out, path.join(ctx.outDir, name), { signal: ctx.signal });
  }
}

/** The official CLI with one worker: items strictly one after another. */
export async function sequentialLoop(items: BenchItem[], ctx: LoopContext): Promise<LoopResult> {
  return workerLoop(items, ctx, 1);
}

/** The official CLI's batch mode: `workers` goroutine-style workers pulling from one list. */
export async function workerLoop(items: BenchItem[], ctx: LoopContext, workers: number): Promise<LoopResult> {
  const started = performance.now();
  const result: LoopResult = { ok: 0, failed: 0, errors: [], wallMs: 0 };
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++];
      try {
        await convertItem(item, ctx);
        result.ok++;
      } catch (err) {
        result.failed++;
        if (result.errors.length < 5) result.errors.push((err as Error).message);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(workers, items.length)) }, worker));
  result.wallMs = performance.now() - started;
  return result;
}

// ---- The bench harness (shared with the Convoy run) ----

export interface BenchSetup {
  engine: Engine;
  apiKey: string;
  baseUrl: string;
  items: BenchItem[];
  workDir: string;
  close(): Promise<void>;
}

export interface BenchOptions {
  urls: number;
  files: number;
  latencyMs: number;
  conversionDelayMs: number;
}

/** Engine with injected latency, `files` small JPEGs on disk, and `urls` served over loopback HTTP. */
export async function setupBench(o: BenchOptions): Promise<BenchSetup> {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'convoy-bench-loops-'));
  const inputs = path.join(workDir, 'inputs');
  fs.mkdirSync(inputs);
  const count = Math.max(o.urls, o.files);
  for (let i = 0; i < count; i++) {
    await sharp({ create: { width: 96, height: 64, channels: 3, background: { r: (i * 37) % 256, g: (i * 91) % 256, b: 120 } } })
      .jpeg()
      .toFile(path.join(inputs, `img-${String(i).padStart(4, '0')}.jpg`));
  }
  // The "internet" for URL items: a static server on loopback.
  const files = http.createServer((req, res) => {
    const name = path.basename(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    const file = path.join(inputs, name);
    fs.stat(file, (err, st) => {
      if (err) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'Content-Type': 'image/jpeg', 'Content-Length': st.size });
      fs.createReadStream(file).pipe(res);
    });
  });
  await new Promise<void>((r) => files.listen(0, '127.0.0.1', r));
  const filesUrl = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;

  const apiKey = `bench-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
  const engine = await createEngine(
    { port: 0, dataDir: path.join(workDir, 'engine'), apiKey, faults: { latencyMs: o.latencyMs, conversionDelayMs: o.conversionDelayMs } },
    { log: () => {} },
  );
  const items: BenchItem[] = [];
  for (let i = 0; i < o.urls; i++) {
    const name = `img-${String(i).padStart(4, '0')}.jpg`;
    items.push({ kind: 'url', url: `${filesUrl}/${name}`, name: `url-${name}`, target: 'png' });
  }
  for (let i = 0; i < o.files; i++) items.push({ kind: 'file', path: path.join(inputs, `img-${String(i).padStart(4, '0')}.jpg`), target: 'png' });
  return {
    engine,
    apiKey,
    baseUrl: `${engine.baseUrl}/v2`,
    items,
    workDir,
    async close() {
      await engine.close();
      files.closeAllConnections();
      await new Promise<void>((r) => files.close(() => r()));
      fs.rmSync(workDir, { recursive: true, force: true });
    },
  };
}

export interface Measured {
  label: string;
  wallMs: number;
  ok: number;
  failed: number;
  requests: number;
  requestsPerItem: number;
  byRoute: Record<string, number>;
  errors: string[];
}

/** Runs one contender with fresh engine stats and a fresh output folder. */
export async function measure(
  setup: BenchSetup,
  label: string,
  run: (outDir: string) => Promise<{ ok: number; failed: number; errors?: string[] }>,
): Promise<Measured> {
  const outDir = path.join(setup.workDir, 'out', label.replace(/[^\w-]+/g, '_'));
  fs.mkdirSync(outDir, { recursive: true });
  setup.engine.resetStats();
  const started = performance.now();
  const r = await run(outDir);
  const wallMs = performance.now() - started;
  const s = setup.engine.stats();
  return {
    label,
    wallMs,
    ok: r.ok,
    failed: r.failed,
    requests: s.requests,
    requestsPerItem: s.requests / setup.items.length,
    byRoute: { ...s.byRoute },
    errors: r.errors ?? [],
  };
}

export function printTable(rows: Measured[], reference?: Measured): void {
  const ref = reference ?? rows[0];
  const line = (cols: string[]) =>
    console.log(`${cols[0].padEnd(28)}${cols[1].padStart(10)}${cols[2].padStart(14)}${cols[3].padStart(7)}${cols[4].padStart(8)}${cols[5].padStart(10)}`);
  console.log('');
  line(['run', 'wall', `× ${ref.label.split(' ')[0]}`, 'ok', 'failed', 'req/item']);
  for (const r of rows) {
    line([
      r.label,
      `${(r.wallMs / 1000).toFixed(1)} s`,
      `${(ref.wallMs / r.wallMs).toFixed(2)}×`,
      String(r.ok),
      String(r.failed),
      r.requestsPerItem.toFixed(2),
    ]);
    if (r.errors.length) console.log(`  first errors: ${r.errors.join(' | ')}`);
  }
  console.log(`(× = speed-up: ${ref.label} wall time / this run's wall time)`);
  console.log('');
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? Number(process.argv[i + 1]) : fallback;
}

export async function runBench(
  extra: Array<{ label: string; run: (setup: BenchSetup, outDir: string) => Promise<{ ok: number; failed: number; errors?: string[] }> }> = [],
): Promise<Measured[]> {
  const opts: BenchOptions = { urls: arg('urls', 200), files: arg('files', 200), latencyMs: arg('latency', 30), conversionDelayMs: arg('conversion', 200) };
  const workers = arg('workers', os.availableParallelism());
  console.log(
    `baseline loops: ${opts.urls} URL items + ${opts.files} local files, engine latency ${opts.latencyMs} ms/request, ${opts.conversionDelayMs} ms/conversion, NumCPU = ${os.availableParallelism()}`,
  );
  const setup = await setupBench(opts);
  const rows: Measured[] = [];
  try {
    const loop = (outDir: string, n: number) => {
      const client = new Api2ConvertClient({ baseUrl: setup.baseUrl, apiKey: setup.apiKey });
      return workerLoop(setup.items, { client, outDir }, n).finally(() => client.close());
    };
    rows.push(await measure(setup, 'sequential loop', (outDir) => loop(outDir, 1)));
    console.log(`  sequential loop: ${(rows.at(-1)!.wallMs / 1000).toFixed(1)} s`);
    rows.push(await measure(setup, `${workers} workers (NumCPU)`, (outDir) => loop(outDir, workers)));
    console.log(`  ${workers} workers: ${(rows.at(-1)!.wallMs / 1000).toFixed(1)} s`);
    for (const e of extra) {
      rows.push(await measure(setup, e.label, (outDir) => e.run(setup, outDir)));
      console.log(`  ${e.label}: ${(rows.at(-1)!.wallMs / 1000).toFixed(1)} s`);
    }
  } finally {
    await setup.close();
  }
  printTable(rows);
  for (const r of rows) console.log(`${r.label}: requests by route ${JSON.stringify(r.byRoute)}`);
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runBench().then(
    (rows) => process.exit(rows.some((r) => r.failed > 0) ? 1 : 0),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
