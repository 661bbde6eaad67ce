/**
 * Chooses the queue's default concurrency by measurement: Convoy alone over the same workload at
 * several concurrency levels (same engine, same latency faults), wall time and requests per item.
 * Levels are interleaved over several rounds (the machine is shared) and the median is reported.
 *
 *   npx tsx bench/queue-concurrency.ts [--urls 200] [--files 200] [--latency 30] [--conversion 200] [--levels 4,8,16,32,64] [--rounds 3]
 */
import { measure, setupBench } from './baseline-loops';
import { runConvoy, summarize } from './queue-run';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

const opts = {
  urls: Number(arg('urls', '200')),
  files: Number(arg('files', '200')),
  latencyMs: Number(arg('latency', '30')),
  conversionDelayMs: Number(arg('conversion', '200')),
};
const levels = arg('levels', '4,8,16,32,64').split(',').map(Number);
const rounds = Number(arg('rounds', '3'));
console.log(
  `queue concurrency sweep: ${opts.urls} URL items + ${opts.files} local files, ${opts.latencyMs} ms/request, ${opts.conversionDelayMs} ms/conversion, ${rounds} rounds`,
);
const setup = await setupBench(opts);
const walls = new Map<number, number[]>(levels.map((n) => [n, []]));
const reqs = new Map<number, number[]>(levels.map((n) => [n, []]));
const detections = new Map<number, number[]>(levels.map((n) => [n, []]));
try {
  await runConvoy({ ...setup, items: setup.items.slice(0, 20) }, `${setup.workDir}/warmup`, 8); // JIT, sharp, sqlite warm
  for (let round = 0; round < rounds; round++) {
    const order = levels.map((_, i) => levels[(i + round) % levels.length]);
    for (const n of order) {
      const m = await measure(setup, `convoy c=${n} r${round}`, async (outDir) => {
        const r = await runConvoy(setup, outDir, n);
        detections.get(n)!.push(...r.detectionMs);
        return r;
      });
      if (m.failed) throw new Error(`c=${n}: ${m.failed} failed: ${m.errors.join('; ')}`);
      walls.get(n)!.push(m.wallMs);
      reqs.get(n)!.push(m.requestsPerItem);
      console.log(`  round ${round + 1} c=${String(n).padStart(2)}: ${(m.wallMs / 1000).toFixed(2)} s, ${m.requestsPerItem.toFixed(2)} req/item`);
    }
  }
} finally {
  await setup.close();
}
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const best = Math.min(...levels.map((n) => median(walls.get(n)!)));
console.log('\nmedian per level:');
for (const n of levels) {
  const w = median(walls.get(n)!);
  console.log(
    `  c=${String(n).padStart(2)}: ${(w / 1000).toFixed(2)} s (${(w / best).toFixed(2)}× the fastest), ${median(reqs.get(n)!).toFixed(2)} req/item, detection ${summarize(detections.get(n)!)}`,
  );
}
