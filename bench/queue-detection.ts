/**
 * Completion-detection delay (engine finished a job → the client read it finished) and requests
 * per item, on a small workload so it runs in a minute: the official loop's polling rhythm on
 * NumCPU workers against Convoy's queue (adaptive first poll) at the same parallelism and at its
 * default. Same engine, same faults (30 ms per request, 200 ms per conversion).
 *
 *   npx tsx bench/queue-detection.ts [--urls 40] [--files 40]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_CONCURRENCY } from '../main/queue/index';
import { measure, setupBench, workerLoop } from './baseline-loops';
import { runConvoy, spyClient, summarize } from './queue-run';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? Number(process.argv[i + 1]) : fallback;
}

const cpu = os.availableParallelism();
const setup = await setupBench({ urls: arg('urls', 40), files: arg('files', 40), latencyMs: 30, conversionDelayMs: 200 });
console.log(`completion detection: ${setup.items.length} items, 30 ms/request, 200 ms/conversion, NumCPU = ${cpu}`);
try {
  const official: number[] = [];
  const m1 = await measure(setup, 'official loop', async (outDir) => {
    const client = spyClient({ baseUrl: setup.baseUrl, apiKey: setup.apiKey }, official);
    try {
      return await workerLoop(setup.items, { client, outDir }, cpu);
    } finally {
      client.close();
    }
  });
  console.log(
    `  official loop (${cpu} workers): ${(m1.wallMs / 1000).toFixed(1)} s, ${m1.requestsPerItem.toFixed(2)} req/item, detection ${summarize(official)}`,
  );
  for (const c of [cpu, DEFAULT_CONCURRENCY]) {
    let detection: number[] = [];
    const m = await measure(setup, `convoy c=${c}`, async (outDir) => {
      fs.mkdirSync(path.join(outDir), { recursive: true });
      const r = await runConvoy(setup, outDir, c);
      detection = r.detectionMs;
      return r;
    });
    console.log(`  convoy c=${c}: ${(m.wallMs / 1000).toFixed(1)} s, ${m.requestsPerItem.toFixed(2)} req/item, detection ${summarize(detection)}`);
  }
} finally {
  await setup.close();
}
