/**
 * The callback outbox's CPU per callback, for A/B runs of two checkouts (the machine's speed drifts:
 * interleave them, base, new, base, new, …):
 *
 *   npx tsx bench/callbacks-outbox.mts [TREE=this checkout] [N=2000]
 *
 * N callbacks (3 KB bodies), 8 under way at once, each enqueued in a transaction with a job row
 * (as the job store commits it), to a node:http receiver in another process (its CPU not counted).
 * Prints this process's CPU per callback (user + kernel) and callbacks/s.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
const tree = path.resolve(process.argv[2] || path.join(import.meta.dirname, '..'));
const N = Number(process.argv[3] ?? 2000);
const { CallbackOutbox } = await import(`${tree}/engine/callbacks/outbox.ts`);
const { openDb } = await import(`${tree}/engine/store/db.ts`);
const child = spawn(
  process.execPath,
  [
    '-e',
    `const http=require('http');let n=0;const s=http.createServer((q,r)=>{q.resume();q.on('end',()=>{r.writeHead(204).end()})});s.listen(0,'127.0.0.1',()=>console.log(s.address().port))`,
  ],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
const port = await new Promise<number>((r) => child.stdout!.once('data', (d) => r(Number(String(d).trim()))));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'outbox-cpu-'));
const db = openDb(dir);
const stats = { callbacksSent: 0, callbacksFailed: 0, callbacksDropped: 0 };
const box = new CallbackOutbox(db, { retryBaseMs: 1000, faults: () => ({ callbackDropRate: 0, callbackDuplicateRate: 0 }), stats });
box.start();
const url = `http://127.0.0.1:${port}/cb`;
const body = JSON.stringify({ pad: 'x'.repeat(3000) });
const upd = db.prepare('INSERT OR REPLACE INTO jobs (id, owner, token, status, created_at, doc) VALUES (?, ?, ?, ?, ?, ?)');
async function runN(n: number) {
  let enq = 0;
  const target = stats.callbacksSent + n;
  while (stats.callbacksSent < target) {
    while (enq - (stats.callbacksSent - (target - n)) < 8 && enq < n) {
      const id = `job-${enq % 500}`;
      db.transaction(() => {
        upd.run(id, 'o', 't', 'completed', 'c', body);
        box.enqueue(`${id}-${enq}`, url, body);
      })();
      enq++;
    }
    await new Promise((r) => setImmediate(r));
  }
}
await runN(200); // warm-up
const c0 = process.cpuUsage();
const t0 = performance.now();
await runN(N);
const c = process.cpuUsage(c0);
console.log(
  `${tree}: ${((c.user + c.system) / N / 1000).toFixed(3)} ms CPU/callback (kernel ${(c.system / N / 1000).toFixed(3)}), ${(N / ((performance.now() - t0) / 1000)).toFixed(0)} callbacks/s`,
);
await box.close();
db.close();
child.kill();
fs.rmSync(dir, { recursive: true, force: true });
