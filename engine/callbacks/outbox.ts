/**
 * Callback delivery. Every callback is first written to the `callbacks` table (so a restart does
 * not lose it), then POSTed: 3 s to answer the first attempt, 10 s on retries; 2xx acknowledges,
 * 4xx (and redirects) are final, 5xx / timeouts / network errors are retried with exponential
 * backoff up to 10 times. One job's callbacks go out in order; a host that keeps failing is
 * skipped for a while. With a secret, `X-Oc-Signature` carries the HMAC-SHA256 of the raw body.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { Db } from '../store/db';
import type { EngineFaults } from '../types';

export interface OutboxStats {
  callbacksSent: number;
  callbacksFailed: number;
  callbacksDropped: number;
}

export interface OutboxOptions {
  secret?: string;
  retryBaseMs: number;
  faults: () => EngineFaults;
  stats: OutboxStats;
}

interface Row {
  id: number;
  job_id: string;
  url: string;
  body: string;
  attempts: number;
  next_ms: number;
}

const MAX_RETRIES = 10;
const FIRST_TIMEOUT_MS = 3000;
const RETRY_TIMEOUT_MS = 10_000;
const MAX_BACKOFF_MS = 60_000;
const MAX_PARALLEL = 16;
const HOST_FAILURE_LIMIT = 25;
const HOST_PAUSE_MS = 30_000;

export function signBody(secret: string, body: string): string {
  return crypto.createHmac('sha256', secret).update(body).digest('hex');
}

export class CallbackOutbox {
  private stmts;
  private inFlight = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private controllers = new Set<AbortController>();
  private hostFailures = new Map<string, { count: number; pausedUntil: number }>();

  constructor(
    db: Db,
    private opts: OutboxOptions,
  ) {
    this.stmts = {
      insert: db.prepare('INSERT INTO callbacks (job_id, url, body, attempts, next_ms) VALUES (?, ?, ?, 0, ?)'),
      due: db.prepare<[number, number], Row>(
        `SELECT c.* FROM callbacks c
         WHERE c.id = (SELECT MIN(id) FROM callbacks WHERE job_id = c.job_id) AND c.next_ms <= ?
         ORDER BY c.next_ms, c.id LIMIT ?`,
      ),
      nextDue: db.prepare<[], { t: number | null }>('SELECT MIN(next_ms) AS t FROM callbacks'),
      remove: db.prepare('DELETE FROM callbacks WHERE id = ?'),
      reschedule: db.prepare('UPDATE callbacks SET attempts = ?, next_ms = ? WHERE id = ?'),
      removeJob: db.prepare('DELETE FROM callbacks WHERE job_id = ?'),
      pending: db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM callbacks'),
    };
  }

  /**
   * Records a callback (the job store commits it with the status change it reports: see
   * JobService.setStatus) and sends it; recorded also while closing, for the next start to send.
   */
  enqueue(jobId: string, url: string, body: string): void {
    this.stmts.insert.run(jobId, url, body, Date.now());
    this.schedule(0);
  }

  /** Starts delivering what a previous run left behind. */
  start(): void {
    this.schedule(0);
  }

  pendingCount(): number {
    return this.stmts.pending.get()!.n;
  }

  forgetJob(jobId: string): void {
    this.stmts.removeJob.run(jobId);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    for (const c of this.controllers) c.abort(new Error('engine closing'));
  }

  private schedule(delayMs: number): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.pump(), Math.max(0, delayMs));
    this.timer.unref?.();
  }

  private pump(): void {
    this.timer = undefined;
    if (this.closed) return;
    try {
      this.pumpDue();
    } catch {
      this.schedule(1000); // e.g. the database is busy: try again shortly
    }
  }

  private pumpDue(): void {
    const now = Date.now();
    const free = MAX_PARALLEL - this.inFlight.size;
    if (free > 0) {
      for (const row of this.stmts.due.all(now, free + this.inFlight.size)) {
        if (this.inFlight.size >= MAX_PARALLEL) break;
        if (this.inFlight.has(row.job_id)) continue;
        this.inFlight.add(row.job_id);
        void this.deliver(row)
          .catch(() => {
            /* the store went away (engine closing); the row stays for the next run */
          })
          .finally(() => {
            this.inFlight.delete(row.job_id);
            this.schedule(0);
          });
      }
    }
    if (this.inFlight.size >= MAX_PARALLEL) return; // a finishing delivery pumps again
    const next = this.stmts.nextDue.get()!.t;
    if (next !== null && this.inFlight.size === 0) this.schedule(next - Date.now());
    else if (next !== null) this.schedule(Math.max(next - Date.now(), 50));
  }

  private async deliver(row: Row): Promise<void> {
    const faults = this.opts.faults();
    if (row.attempts === 0 && faults.callbackDropRate > 0 && Math.random() < faults.callbackDropRate) {
      this.stmts.remove.run(row.id);
      this.opts.stats.callbacksDropped++;
      return;
    }
    const host = hostOf(row.url);
    const health = this.hostFailures.get(host);
    if (health && health.pausedUntil > Date.now()) {
      this.stmts.reschedule.run(row.attempts, health.pausedUntil, row.id);
      return;
    }
    const outcome = await this.post(row.url, row.body, row.attempts === 0 ? FIRST_TIMEOUT_MS : RETRY_TIMEOUT_MS);
    if (this.closed) return;
    if (outcome === 'ok') {
      this.hostFailures.delete(host);
      this.stmts.remove.run(row.id);
      this.opts.stats.callbacksSent++;
      if (faults.callbackDuplicateRate > 0 && Math.random() < faults.callbackDuplicateRate) {
        if ((await this.post(row.url, row.body, FIRST_TIMEOUT_MS)) === 'ok') this.opts.stats.callbacksSent++;
      }
      return;
    }
    if (outcome === 'final') {
      this.stmts.remove.run(row.id);
      this.opts.stats.callbacksFailed++;
      return;
    }
    const h = this.hostFailures.get(host) ?? { count: 0, pausedUntil: 0 };
    h.count++;
    if (h.count >= HOST_FAILURE_LIMIT) {
      h.count = 0;
      h.pausedUntil = Date.now() + HOST_PAUSE_MS;
    }
    this.hostFailures.set(host, h);
    const attempts = row.attempts + 1;
    if (attempts > MAX_RETRIES) {
      this.stmts.remove.run(row.id);
      this.opts.stats.callbacksFailed++;
      return;
    }
    const backoff = Math.min(this.opts.retryBaseMs * 2 ** (attempts - 1), MAX_BACKOFF_MS);
    this.stmts.reschedule.run(attempts, Date.now() + backoff, row.id);
  }

  /** 'ok' (2xx), 'final' (4xx, 3xx: never retried) or 'retry' (5xx, timeout, network error). */
  private async post(url: string, body: string, timeoutMs: number): Promise<'ok' | 'final' | 'retry'> {
    const controller = new AbortController();
    this.controllers.add(controller);
    const timer = setTimeout(() => controller.abort(new Error('timeout')), timeoutMs);
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      'User-Agent': 'convoy-engine-callback',
    };
    if (this.opts.secret) headers['X-Oc-Signature'] = signBody(this.opts.secret, body);
    try {
      const status = await postOnce(url, body, headers, controller.signal);
      if (status >= 200 && status < 300) return 'ok';
      if (status >= 500) return 'retry';
      return 'final';
    } catch {
      return 'retry';
    } finally {
      clearTimeout(timer);
      this.controllers.delete(controller);
    }
  }
}

/**
 * One POST with node:http(s) (a fraction of fetch's cost per request; redirects are not followed);
 * resolves with the status once the answer has ended, its body discarded.
 */
function postOnce(url: string, body: string, headers: Record<string, string>, signal: AbortSignal): Promise<number> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const client = target.protocol === 'https:' ? https : target.protocol === 'http:' ? http : undefined;
    if (!client) return reject(new Error(`unsupported callback URL scheme ${target.protocol}`));
    const req = client.request(target, { method: 'POST', headers: { ...headers, 'Content-Length': Buffer.byteLength(body) }, signal }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? 0));
      res.once('error', reject);
    });
    req.once('error', reject);
    req.end(body);
  });
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
