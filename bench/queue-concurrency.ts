/**
 * Chooses the queue's default concurrency by measurement: Convoy alone over the same workload at
 * several concurrency levels (same engine, same latency faults), wall time and requests per item.
 *
 *   npx tsx bench/queue-concurrency.ts [--urls 200] [--files 200] [--latency 30] [--conversion 200] [--levels 1,2,4,8,16,32]
 */
import { measure, setupBench, type Measured } from './baseline-loops';
import { runConvoy, summarize } from './queue-run';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

const opts = { urls: Number(arg('urls', '200')), files: Number(arg('files', '200')), latencyMs: Number(arg('latency', '30')), conversionDelayMs: Number(arg('conversion', '200')) };
const levels = arg('levels', '1,2,4,8,16,32').split(',').map(Number);
console.log(`queue concurrency sweep: ${opts.urls} URL items + ${opts.files} local files, ${opts.latencyMs} ms/request, ${opts.conversionDelayMs} ms/conversion`);
const setup = await setupBench(opts);
const rows: Array<Measured & { detection: string }> = [];
try {
  for (const n of levels) {
    let detection = '';
    const m = await measure(setup, `convoy c=${n}`, async (outDir) => {
      const r = await runConvoy(setup, outDir, n);
      detection = summarize(r.detectionMs);
      return r;
    });
    rows.push({ ...m, detection });
    console.log(`  c=${String(n).padStart(2)}: ${(m.wallMs / 1000).toFixed(2)} s, ${m.requestsPerItem.toFixed(2)} req/item, ok ${m.ok}, failed ${m.failed}; detection ${detection}`);
  }
} finally {
  await setup.close();
}
const best = rows.reduce((a, b) => (b.wallMs < a.wallMs ? b : a));
console.log(`\nfastest: ${best.label} (${(best.wallMs / 1000).toFixed(2)} s)`);
for (const r of rows) console.log(`${r.label}: ${(r.wallMs / best.wallMs).toFixed(2)}× the fastest, ${r.requestsPerItem.toFixed(2)} req/item`);
