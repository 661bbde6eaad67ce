/**
 * Start-up time with a 100,000-item queue on disk, against an empty queue (same process kind):
 * a fresh `tsx` child opens the database, creates the queue (which resumes unfinished work) and
 * answers the UI's first calls (queue.status, queue.batches, first page of queue.list).
 *
 *   npx tsx bench/queue-startup.ts [--items 100000] [--unfinished 1000]
 *
 * The on-disk queue: `items` items in 10 batches; all but `unfinished` have ended (done), the rest
 * are started and pending. The API is a closed loopback port, so resumed work waits offline and
 * the measurement is the queue's own start-up.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? Number(process.argv[i + 1]) : fallback;
}

interface ChildReport {
  importMs: number;
  openMs: number;
  firstCallsMs: number;
  totalMs: number;
  rssMb: number;
  total: number;
}

async function child(dataDir: string): Promise<void> {
  const t0 = performance.now();
  const { Api2ConvertClient } = await import('../main/api/index');
  const { openDatabase } = await import('../main/db');
  const { EventBus } = await import('../main/events');
  const { createQueue } = await import('../main/queue/index');
  const t1 = performance.now();
  const db = openDatabase(dataDir);
  const client = new Api2ConvertClient({ baseUrl: 'http://127.0.0.1:9/v2', apiKey: 'bench-key-0000', retry: { rateLimitRetries: 0, retries: 0 } });
  const queue = createQueue({ db, client, events: new EventBus(), dataDir, outputDir: path.join(dataDir, 'out') });
  const t2 = performance.now();
  const status = queue.status();
  queue.batches();
  const page = queue.list({ offset: 0, limit: 1000 });
  const t3 = performance.now();
  const report: ChildReport = {
    importMs: t1 - t0,
    openMs: t2 - t1,
    firstCallsMs: t3 - t2,
    totalMs: t3, // performance.now() counts from the process's start
    rssMb: process.memoryUsage().rss / 1024 / 1024,
    total: page.total,
  };
  if (status.totals.total !== page.total) throw new Error('inconsistent totals');
  process.stdout.write(`${JSON.stringify(report)}\n`);
  await queue.close();
  client.close();
  db.close();
}

async function fill(dataDir: string, items: number, unfinished: number): Promise<number[]> {
  const { Api2ConvertClient } = await import('../main/api/index');
  const { openDatabase } = await import('../main/db');
  const { EventBus } = await import('../main/events');
  const { createQueue, QueueStore } = await import('../main/queue/index');
  const db = openDatabase(dataDir);
  const client = new Api2ConvertClient({ baseUrl: 'http://127.0.0.1:9/v2', apiKey: 'bench-key-0000' });
  const queue = createQueue({ db, client, events: new EventBus(), dataDir, outputDir: path.join(dataDir, 'out'), autoResume: false });
  const addMs: number[] = [];
  const perBatch = Math.ceil(items / 10);
  for (let b = 0; b < 10 && items > 0; b++) {
    const n = Math.min(perBatch, items - b * perBatch);
    const t = performance.now();
    await queue.add({
      items: Array.from({ length: n }, (_, i) => ({ source: { kind: 'file' as const, path: `/photos/batch-${b}/IMG_${String(i).padStart(6, '0')}.jpg` } })),
      target: 'png',
    });
    addMs.push(performance.now() - t);
  }
  await queue.close();
  // Every item started (as queue.start would: one unit each); all but `unfinished` have ended.
  const store = new QueueStore(db);
  const rows = db.prepare('SELECT id, batch_id FROM queue_items ORDER BY seq').all() as Array<{ id: string; batch_id: string }>;
  store.tx(() => {
    for (const r of rows) store.updateItem(r.id, { unitId: store.createUnit(r.batch_id, 'file') });
  });
  db.exec(`UPDATE queue_units SET phase = 'finished' WHERE seq NOT IN (SELECT seq FROM queue_units ORDER BY seq DESC LIMIT ${unfinished})`);
  db.exec(
    `UPDATE queue_items SET state = 'done', outputs = '[{"outputId":"x","path":"/out/x.png","done":true}]' WHERE unit_id IN (SELECT id FROM queue_units WHERE phase = 'finished')`,
  );
  db.pragma('wal_checkpoint(TRUNCATE)');
  client.close();
  db.close();
  return addMs;
}

function runChild(dataDir: string): ChildReport {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(here, 'queue-startup.ts'), '--child', dataDir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`child failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

const childIndex = process.argv.indexOf('--child');
if (childIndex > 0) {
  await child(process.argv[childIndex + 1]);
} else {
  const items = arg('items', 100_000);
  const unfinished = arg('unfinished', 1000);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'convoy-bench-startup-'));
  try {
    const big = path.join(root, 'big');
    const empty = path.join(root, 'empty');
    const addMs = await fill(big, items, unfinished);
    await fill(empty, 0, 0);
    const dbMb = fs.statSync(path.join(big, 'convoy.db')).size / 1024 / 1024;
    const perAdd = addMs.sort((a, b) => a - b)[Math.floor(addMs.length / 2)];
    console.log(
      `queue start-up: ${items} items on disk (${unfinished} unfinished), database ${dbMb.toFixed(1)} MB; queue.add of ${Math.ceil(items / 10)} items: median ${perAdd.toFixed(0)} ms`,
    );
    const runs = (dir: string) => Array.from({ length: 5 }, () => runChild(dir)).sort((a, b) => a.totalMs - b.totalMs)[2];
    const e = runs(empty);
    const b = runs(big);
    const row = (label: string, r: ChildReport) =>
      console.log(
        `  ${label.padEnd(18)} process→first page ${r.totalMs.toFixed(0).padStart(5)} ms | open+resume ${r.openMs.toFixed(1).padStart(7)} ms | first calls ${r.firstCallsMs.toFixed(1).padStart(6)} ms | RSS ${r.rssMb.toFixed(0)} MB | items ${r.total}`,
      );
    row('empty queue', e);
    row(`${items} items`, b);
    console.log(
      `  (median of 5 runs each) open+resume+first calls: ${(b.openMs + b.firstCallsMs).toFixed(1)} ms vs ${(e.openMs + e.firstCallsMs).toFixed(1)} ms empty; whole process ${(b.totalMs / e.totalMs).toFixed(2)}× the empty queue's`,
    );
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}
