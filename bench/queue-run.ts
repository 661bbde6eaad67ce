/**
 * One Convoy run over a bench setup (shared by bench/queue-throughput.ts and
 * bench/queue-concurrency.ts): a fresh queue in a fresh data folder, all items added as one batch,
 * started, awaited. A spy on the client records when each job was first seen finished, to measure
 * the completion-detection delay against the engine's own finish time (`modified_at`).
 */
import fs from 'node:fs';
import path from 'node:path';
import { Api2ConvertClient, isTerminal, type ClientOptions, type Job } from '../main/api/index';
import { openDatabase } from '../main/db';
import { EventBus } from '../main/events';
import { createQueue } from '../main/queue/index';
import type { AddItem } from '../preload/contract';
import type { BenchSetup } from './baseline-loops';

export interface ConvoyRunResult {
  ok: number;
  failed: number;
  errors: string[];
  /** ms between the engine finishing a job and Convoy reading it finished. */
  detectionMs: number[];
}

/**
 * A client whose getJob notes the first time each job is seen finished (a subclass, so the
 * client's own polling in `waitForJob` is measured too).
 */
export function spyClient(opts: ClientOptions, detectionMs: number[]): Api2ConvertClient {
  const seen = new Set<string>();
  class SpyClient extends Api2ConvertClient {
    override async getJob(id: string, o?: { signal?: AbortSignal }): Promise<Job> {
      const job = await super.getJob(id, o);
      if (isTerminal(job) && !seen.has(id)) {
        seen.add(id);
        const finished = Date.parse(job.modified_at ?? '');
        if (Number.isFinite(finished)) detectionMs.push(Date.now() - finished);
      }
      return job;
    }
  }
  return new SpyClient(opts);
}

export async function runConvoy(setup: BenchSetup, outDir: string, concurrency: number): Promise<ConvoyRunResult> {
  const dataDir = fs.mkdtempSync(path.join(setup.workDir, `convoy-${concurrency}-`));
  const detectionMs: number[] = [];
  const db = openDatabase(dataDir);
  const client = spyClient({ baseUrl: setup.baseUrl, apiKey: setup.apiKey, retry: { rateLimitRetries: 0 } }, detectionMs);
  const queue = createQueue({ db, client, events: new EventBus(), dataDir, outputDir: outDir, concurrency });
  try {
    const items: AddItem[] = setup.items.map((it) =>
      it.kind === 'url'
        ? { source: { kind: 'url', url: it.url, filename: it.name }, target: it.target }
        : { source: { kind: 'file', path: it.path }, target: it.target },
    );
    const added = await queue.add({ items });
    queue.start({ batchId: added.batchId });
    while (queue.unfinishedCount([added.batchId]) > 0) await new Promise((r) => setTimeout(r, 20));
    const list = queue.list({ batchId: added.batchId, offset: 0, limit: 100_000 }).items;
    const failed = list.filter((i) => i.state !== 'done');
    return {
      ok: list.length - failed.length,
      failed: failed.length,
      errors: failed.slice(0, 5).map((i) => `${i.label}: ${i.error?.message ?? i.state}`),
      detectionMs,
    };
  } finally {
    await queue.close();
    client.close();
    db.close();
  }
}

export function summarize(values: number[]): string {
  if (values.length === 0) return 'n/a';
  const s = [...values].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  return `mean ${mean.toFixed(0)} ms, p50 ${q(0.5).toFixed(0)} ms, p95 ${q(0.95).toFixed(0)} ms (n=${s.length})`;
}
