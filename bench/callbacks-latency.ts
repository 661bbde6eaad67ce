/**
 * Completion-detection delay and API requests per item: callbacks vs polling, in one run.
 *
 *   npx tsx bench/callbacks-latency.ts [jobs=200] [concurrency=16]
 *
 * Each mode converts the same number of real images through the persistent queue. The API (the
 * local engine) and the tunnel (a reverse proxy on 127.0.0.2) run in a child process, as they
 * would on other machines; Convoy's queue, client and callback server run here. Conversion times
 * vary (the engine's conversion delay is re-drawn between 200 ms and 2 s every 50 ms), as real
 * API jobs do.
 *
 * Delay = when Convoy first read the job back as finished − when the engine finished it (the
 * job's `modified_at`; same machine, same clock). Requests = every HTTP request the engine
 * answered, per item (create, upload, start, reads, download).
 */
import { fork, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { EngineStats } from '../engine/index';
import { freePort, startConvoySide } from '../test/callbacks/support/stack';
import type { RemoteCommand } from './callbacks-remote';

const JOBS = Number(process.argv[2] ?? 200);
const CONCURRENCY = Number(process.argv[3] ?? 16);
const MODES = ['polling', 'callback, notify_status on', 'callback, notify_status off'] as const;
type Mode = (typeof MODES)[number];

interface ModeResult {
  mode: Mode;
  p50: number;
  p95: number;
  mean: number;
  max: number;
  requestsPerItem: number;
  readsPerItem: number;
  callbacksPerItem: number;
  wallMs: number;
  /** Convoy's own event-loop delay during the batch (p99, ms): time a callback may wait to be read. */
  loopP99: number;
  /** Callback modes: the delay split into delivery (engine → tunnel → Convoy's server) and Convoy (hint or signed callback → job taken). */
  split: { deliveryP50: number; deliveryP95: number; convoyP50: number; convoyP95: number } | null;
}

class Remote {
  private next = 1;
  private waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  constructor(private child: ChildProcess) {
    child.on('message', (m: { id: number; result?: unknown; error?: string }) => {
      const w = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      if (m.error !== undefined) w?.reject(new Error(m.error));
      else w?.resolve(m.result);
    });
  }
  call<T>(msg: RemoteCommand): Promise<T> {
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ id, msg });
    });
  }
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

async function runMode(mode: Mode): Promise<ModeResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'convoy-cb-bench-'));
  const here = path.dirname(fileURLToPath(import.meta.url));
  const child = fork(path.join(here, 'callbacks-remote.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const remote = new Remote(child);
  const apiKey = crypto.randomBytes(16).toString('hex');
  const signingSecret = crypto.randomBytes(24).toString('hex');
  const port = await freePort();
  const { baseUrl, proxyUrl } = await remote.call<{ baseUrl: string; proxyUrl: string }>({
    cmd: 'start',
    dataDir: path.join(dir, 'engine'),
    apiKey,
    callbackSecret: signingSecret,
    faults: { conversionDelayMs: 600 },
    tunnelTo: port,
  });
  const callbacks = mode !== 'polling';
  const side = await startConvoySide({
    dir,
    baseUrl: `${baseUrl}/v2`,
    apiKey,
    signingSecret,
    publicUrl: callbacks ? proxyUrl : null,
    callbackPort: port,
    liveStatus: mode === 'callback, notify_status on',
    concurrency: CONCURRENCY,
  });
  try {
    if (callbacks && side.manager.status().mode !== 'callback') throw new Error(`not in callback mode: ${side.manager.status().reason}`);
    const files = await side.makeImages(JOBS);
    await remote.call({ cmd: 'jitter', minMs: 200, maxMs: 2000 });
    await remote.call({ cmd: 'resetStats' });
    // When each job's hints reached the queue, to split the delay into delivery and Convoy's part.
    const hints = new Map<string, number[]>();
    const hintJob = side.queue.hintJob.bind(side.queue);
    side.queue.hintJob = (id: string) => {
      let list = hints.get(id);
      if (!list) hints.set(id, (list = []));
      list.push(Date.now());
      return hintJob(id);
    };
    // A signed callback's document reaches the queue here instead (no read).
    const takeJob = side.queue.takeJob.bind(side.queue);
    side.queue.takeJob = (doc: unknown) => {
      const id = (doc as { id?: unknown })?.id;
      if (typeof id === 'string') {
        let list = hints.get(id);
        if (!list) hints.set(id, (list = []));
        list.push(Date.now());
      }
      return takeJob(doc);
    };
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    const t0 = Date.now();
    const ids = await side.add(files);
    const items = await side.waitAllSettled(ids, 15 * 60_000);
    const wallMs = Date.now() - t0;
    loop.disable();
    const failed = items.filter((i) => i.state !== 'done');
    if (failed.length) throw new Error(`${failed.length} items did not finish: ${failed[0]!.error?.message}`);
    const stats = await remote.call<EngineStats>({ cmd: 'stats' });
    const delays: number[] = [];
    const delivery: number[] = [];
    const convoy: number[] = [];
    for (const id of side.jobIds) {
      const seen = side.seenTerminal.get(id);
      if (!seen) throw new Error(`job ${id} was never read back as finished`);
      const ended = Date.parse(String(seen.job.modified_at));
      delays.push(seen.at - ended);
      const hint = (hints.get(id) ?? []).find((t) => t >= ended);
      if (hint !== undefined && hint <= seen.at) {
        delivery.push(hint - ended);
        convoy.push(seen.at - hint);
      }
    }
    for (const list of [delays, delivery, convoy]) list.sort((a, b) => a - b);
    return {
      mode,
      p50: pct(delays, 50),
      p95: pct(delays, 95),
      mean: Math.round(delays.reduce((a, b) => a + b, 0) / delays.length),
      max: delays.at(-1)!,
      requestsPerItem: stats.requests / JOBS,
      readsPerItem: (stats.byRoute['GET /v2/jobs/:id'] ?? 0) / JOBS,
      callbacksPerItem: stats.callbacksSent / JOBS,
      wallMs,
      loopP99: Math.round(loop.percentile(99) / 1e6),
      split: delivery.length
        ? { deliveryP50: pct(delivery, 50), deliveryP95: pct(delivery, 95), convoyP50: pct(convoy, 50), convoyP95: pct(convoy, 95) }
        : null,
    };
  } finally {
    await side.close();
    await remote.call({ cmd: 'close' }).catch(() => {});
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  console.log(`callbacks-latency: ${JOBS} jobs per mode, queue concurrency ${CONCURRENCY}, conversions 0.2–2 s (random); load ${os.loadavg()[0]!.toFixed(1)}`);
  const results: ModeResult[] = [];
  for (const mode of MODES) {
    const r = await runMode(mode);
    results.push(r);
    console.log(
      `${r.mode.padEnd(28)} delay p50 ${String(r.p50).padStart(5)} ms  p95 ${String(r.p95).padStart(5)} ms  ` +
        `mean ${String(r.mean).padStart(5)} ms  max ${String(r.max).padStart(5)} ms | ` +
        `requests/item ${r.requestsPerItem.toFixed(2)} (job reads ${r.readsPerItem.toFixed(2)}) | ` +
        `callbacks/item ${r.callbacksPerItem.toFixed(2)} | wall ${(r.wallMs / 1000).toFixed(1)} s | event-loop delay p99 ${r.loopP99} ms`,
    );
    if (r.split) {
      console.log(
        `${''.padEnd(28)}   of which delivery (engine → tunnel → callback server) p50 ${r.split.deliveryP50} ms p95 ${r.split.deliveryP95} ms; ` +
          `Convoy (hint or signed callback → job taken) p50 ${r.split.convoyP50} ms p95 ${r.split.convoyP95} ms`,
      );
    }
  }
  const base = results[0]!;
  for (const r of results.slice(1)) {
    console.log(
      `${r.mode} vs polling: delay p50 ×${(r.p50 / base.p50).toFixed(2)}, p95 ×${(r.p95 / base.p95).toFixed(2)}; ` +
        `job reads/item ×${(r.readsPerItem / base.readsPerItem).toFixed(2)}, requests/item ×${(r.requestsPerItem / base.requestsPerItem).toFixed(2)}`,
    );
  }
  console.log(`load after: ${os.loadavg()[0]!.toFixed(1)}`);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
