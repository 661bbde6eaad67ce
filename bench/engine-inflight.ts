/**
 * 1,000 jobs in flight at once: created concurrently (each a real image conversion from a remote
 * input on a local file server), all followed to the end. Reports errors (must be 0), creation
 * latency under that load, time to drain, and the engine's peak memory. Baseline in the same run:
 * the same 1,000 jobs created one after another.
 *
 *   npx tsx bench/engine-inflight.ts [--jobs 1000]
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { ms, percentile, startBenchEngine } from './engine-child';

const { values } = parseArgs({ options: { jobs: { type: 'string', default: '1000' } } });
const JOBS = Number(values.jobs);
const KEY = 'bench-key';
const headers = { 'X-Api2convert-Api-Key': KEY, 'Content-Type': 'application/json' };

async function main(): Promise<void> {
  const image = await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 200, g: 80, b: 40 } } })
    .jpeg()
    .toBuffer();
  const files = http.createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'image/jpeg', 'Content-Length': image.length });
    res.end(image);
  });
  await new Promise<void>((r) => files.listen(0, '127.0.0.1', r));
  const fileUrl = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
  const engine = await startBenchEngine(KEY);
  const body = (i: number) => JSON.stringify({ input: [{ type: 'remote', source: `${fileUrl}/img-${i}.jpg` }], conversion: [{ target: 'png' }] });

  const create = async (i: number): Promise<{ id?: string; status: number; ms: number }> => {
    const t0 = performance.now();
    try {
      const res = await fetch(`${engine.baseUrl}/v2/jobs`, { method: 'POST', headers, body: body(i) });
      const json = (await res.json()) as { id?: string };
      return { id: json.id, status: res.status, ms: performance.now() - t0 };
    } catch (_err) {
      return { status: -1, ms: performance.now() - t0 };
    }
  };

  const drain = async (ids: string[]): Promise<{ failed: number; ms: number }> => {
    const t0 = performance.now();
    const pending = new Set(ids);
    let failed = 0;
    while (pending.size > 0) {
      for (const status of ['completed', 'failed', 'canceled']) {
        for (let page = 1; ; page++) {
          const res = await fetch(`${engine.baseUrl}/v2/jobs?status=${status}&page=${page}`, { headers });
          if (res.status === 204) break;
          const jobs = (await res.json()) as Array<{ id: string }>;
          for (const j of jobs) {
            if (pending.delete(j.id) && status !== 'completed') failed++;
          }
          if (jobs.length < 50) break;
        }
      }
      if (pending.size > 0) await new Promise((r) => setTimeout(r, 200));
      if (performance.now() - t0 > 600_000) throw new Error(`${pending.size} jobs still unfinished after 10 minutes`);
    }
    return { failed, ms: performance.now() - t0 };
  };

  // Baseline: the same number of jobs created sequentially (one in flight at a time).
  const seqT0 = performance.now();
  const seq: Awaited<ReturnType<typeof create>>[] = [];
  for (let i = 0; i < JOBS; i++) seq.push(await create(i));
  const seqCreateMs = performance.now() - seqT0;
  const seqDrain = await drain(seq.filter((r) => r.id).map((r) => r.id!));

  // All at once.
  const conT0 = performance.now();
  const con = await Promise.all(Array.from({ length: JOBS }, (_, i) => create(JOBS + i)));
  const conCreateMs = performance.now() - conT0;
  const conDrain = await drain(con.filter((r) => r.id).map((r) => r.id!));

  // Every output of the concurrent batch really is a PNG.
  let badOutputs = 0;
  const sample = con.filter((r) => r.id);
  await Promise.all(
    sample.map(async (r) => {
      const job = (await (await fetch(`${engine.baseUrl}/v2/jobs/${r.id}`, { headers })).json()) as { output: Array<{ uri: string }> };
      const data = Buffer.from(await (await fetch(job.output[0].uri)).arrayBuffer());
      if ((await sharp(data).metadata()).format !== 'png') badOutputs++;
    }),
  );

  const summary = (label: string, rs: typeof seq, createMs: number, d: { failed: number; ms: number }) => {
    const lat = rs.map((r) => r.ms).sort((a, b) => a - b);
    const errors = rs.filter((r) => r.status !== 201).length;
    console.log(
      `${label.padEnd(12)} create errors ${errors}, job failures ${d.failed} | create p50 ${ms(percentile(lat, 50))} p99 ${ms(percentile(lat, 99))} max ${ms(lat[lat.length - 1])} | all created in ${(createMs / 1000).toFixed(2)} s, all finished ${((createMs + d.ms) / 1000).toFixed(2)} s → ${(JOBS / ((createMs + d.ms) / 1000)).toFixed(0)} jobs/s`,
    );
  };
  console.log(`${JOBS} jobs (remote 64x48 jpg → png), engine in its own process, node ${process.version}`);
  summary('sequential', seq, seqCreateMs, seqDrain);
  summary('concurrent', con, conCreateMs, conDrain);
  console.log(`outputs checked: ${sample.length}, not PNG: ${badOutputs}; engine peak RSS ${engine.peakRssMiB()} MiB`);
  await engine.stop();
  files.close();
  const errors = con.filter((r) => r.status !== 201).length + conDrain.failed + badOutputs + seq.filter((r) => r.status !== 201).length + seqDrain.failed;
  if (errors > 0) process.exit(1);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
