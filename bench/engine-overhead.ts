/**
 * Engine overhead per request on loopback: p50/p99 of `POST /v2/jobs` and `GET /v2/jobs/{id}`,
 * against a baseline in the same run — a bare node:http server on loopback answering a JSON body of
 * the same size — so the numbers say what the engine adds, not what loopback HTTP costs.
 *
 *   npx tsx bench/engine-overhead.ts [--requests 2000]
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { ms, percentile, startBenchEngine } from './engine-child';

const { values } = parseArgs({ options: { requests: { type: 'string', default: '2000' } } });
const N = Number(values.requests);
const WARMUP = Math.min(300, Math.floor(N / 5));
const KEY = 'bench-key';

async function timeOne(fn: () => Promise<void>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

async function series(label: string, fn: (i: number) => Promise<void>): Promise<number[]> {
  for (let i = 0; i < WARMUP; i++) await fn(i);
  const times: number[] = [];
  for (let i = 0; i < N; i++) times.push(await timeOne(() => fn(i)));
  times.sort((a, b) => a - b);
  process.stderr.write(`  ${label}: done\n`);
  return times;
}

async function main(): Promise<void> {
  const engine = await startBenchEngine(KEY);
  const createBody = JSON.stringify({ process: false, conversion: [{ target: 'png' }] });
  const headers = { 'X-Api2convert-Api-Key': KEY, 'Content-Type': 'application/json' };
  const sample = await (await fetch(`${engine.baseUrl}/v2/jobs`, { method: 'POST', headers, body: createBody })).text();
  const jobId = JSON.parse(sample).id;

  // Baseline: the same exchange (JSON in, a job-sized JSON out) with no engine behind it.
  const baseline = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(req.method === 'POST' ? 201 : 200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(sample) });
      res.end(sample);
    });
  });
  await new Promise<void>((r) => baseline.listen(0, '127.0.0.1', r));
  const baseUrl = `http://127.0.0.1:${(baseline.address() as AddressInfo).port}`;

  const post = (url: string) => async () => {
    const res = await fetch(`${url}/v2/jobs`, { method: 'POST', headers, body: createBody });
    if (res.status !== 201) throw new Error(`POST → ${res.status}`);
    await res.arrayBuffer();
  };
  const get = (url: string) => async () => {
    const res = await fetch(`${url}/v2/jobs/${jobId}`, { headers });
    if (res.status !== 200) throw new Error(`GET → ${res.status}`);
    await res.arrayBuffer();
  };

  const results = {
    baselinePost: await series('baseline POST', post(baseUrl)),
    enginePost: await series('engine POST /v2/jobs', post(engine.baseUrl)),
    baselineGet: await series('baseline GET', get(baseUrl)),
    engineGet: await series('engine GET /v2/jobs/{id}', get(engine.baseUrl)),
  };

  const row = (name: string, engineTimes: number[], baseTimes: number[]) => {
    const e50 = percentile(engineTimes, 50);
    const e99 = percentile(engineTimes, 99);
    const b50 = percentile(baseTimes, 50);
    const b99 = percentile(baseTimes, 99);
    console.log(
      `${name.padEnd(22)} engine p50 ${ms(e50)}  p99 ${ms(e99)} | baseline p50 ${ms(b50)}  p99 ${ms(b99)} | overhead p50 ${ms(e50 - b50)}  p99 ${ms(e99 - b99)} | ratio p50 ${(e50 / b50).toFixed(2)}x`,
    );
  };
  console.log(`engine overhead on loopback, ${N} sequential requests each (after ${WARMUP} warm-up), node ${process.version}`);
  row('POST /v2/jobs', results.enginePost, results.baselinePost);
  row('GET /v2/jobs/{id}', results.engineGet, results.baselineGet);
  console.log(`engine peak RSS: ${engine.peakRssMiB()} MiB`);
  baseline.close();
  await engine.stop();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
