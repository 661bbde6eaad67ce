/**
 * Issue 4's measure: Convoy's queue against the official CLI's loops, in one run on one engine
 * (30 ms per request, 200 ms per conversion; 200 URL items + 200 local files by default):
 *   - sequential create→upload→start→poll loop (bench/baseline-loops.ts)
 *   - the same loop on NumCPU workers (the official CLI's default)
 *   - Convoy at its default concurrency, and at NumCPU (same parallelism as the loop)
 * Prints wall time, speed-up, requests per item, and the completion-detection delay (time from
 * the engine finishing a job to the client reading it finished) for Convoy and the official rhythm.
 *
 *   npx tsx bench/queue-throughput.ts [--urls 200] [--files 200] [--latency 30] [--conversion 200]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_CONCURRENCY } from '../main/queue/index';
import { runBench, setupBench, workerLoop } from './baseline-loops';
import { runConvoy, spyClient, summarize } from './queue-run';

const detection: Record<string, number[]> = {};
const cpu = os.availableParallelism();

const rows = await runBench([
  {
    label: `convoy (default c=${DEFAULT_CONCURRENCY})`,
    run: async (setup, outDir) => {
      const r = await runConvoy(setup, outDir, DEFAULT_CONCURRENCY);
      detection[`convoy c=${DEFAULT_CONCURRENCY}`] = r.detectionMs;
      return r;
    },
  },
  {
    label: `convoy (c=${cpu}, NumCPU)`,
    run: async (setup, outDir) => {
      const r = await runConvoy(setup, outDir, cpu);
      detection[`convoy c=${cpu}`] = r.detectionMs;
      return r;
    },
  },
]);

// Completion-detection delay of the official polling rhythm (1 s, ×1.5, +0–25 %), on 40 URL items.
const latency = Number(process.argv[process.argv.indexOf('--latency') + 1]) || 30;
const conversion = Number(process.argv[process.argv.indexOf('--conversion') + 1]) || 200;
const small = await setupBench({ urls: 40, files: 0, latencyMs: latency, conversionDelayMs: conversion });
try {
  const ms: number[] = [];
  const client = spyClient({ baseUrl: small.baseUrl, apiKey: small.apiKey }, ms);
  const outDir = fs.mkdtempSync(path.join(small.workDir, 'official-'));
  await workerLoop(small.items, { client, outDir }, cpu);
  client.close();
  detection[`official loop (${cpu} workers, 40 URL items)`] = ms;
} finally {
  await small.close();
}

console.log('completion-detection delay (engine finished → client saw it):');
for (const [label, values] of Object.entries(detection)) console.log(`  ${label}: ${summarize(values)}`);
process.exit(rows.some((r) => r.failed > 0) ? 1 : 0);
