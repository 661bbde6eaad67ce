/**
 * Callback delivery. Every callback is first written to the `callbacks` table (so a restart does
 * not lose it), then POSTed: 3 s to answer the first attempt, 10 s on retries; 2xx acknowledges,
 * 4xx (and redirects) are final, 5xx / timeouts / network errors are retried with exponential
 * backoff up to 10 times. One job's callbacks go out in order; a host that keeps failing is
 * skipped for a while. With a secret, `X-Oc-Signature` carries the HMAC-SHA256 of the raw body.
 *
 * Cost per callback: connections are kept alive (at most MAX_PARALLEL per host; a POST that fails
 * on a reused socket before any answer byte, because the receiver closed it meanwhile, is sent again
 * at once on another, once); rows sent are deleted together, one commit per turn of the event loop;
 * the pump runs when a row is added, when a delivery ends that a row may wait for, and when the next
 * row falls due (a timer to that time, none when nothing waits), reading what is due from an index
 * (`callbacks_due`).
 */
import crypto from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { urlToHttpOptions } from 'node:url';
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

/** A due row as the pump reads it from the index; url, body and attempts are read only to send it. */
interface DueRow {
  id: number;
  job_id: string;
}

interface Row extends DueRow {
  url: string;
  body: string;
  attempts: number;
}

const MAX_RETRIES = 10;
const FIRST_TIMEOUT_MS = 3000;
const RETRY_TIMEOUT_MS = 10_000;
const MAX_BACKOFF_MS = 60_000;
const MAX_PARALLEL = 16;
const HOST_FAILURE_LIMIT = 25;
const HOST_PAUSE_MS = 30_000;
/** A kept-alive socket unused this long is closed (receivers commonly close theirs after 5 s). */
const IDLE_SOCKET_MS = 4000;

export function signBody(secret: string, body: string): string {
  return crypto.createHmac('sha256', secret).update(body).digest('hex');
}

export class CallbackOutbox {
  private stmts;
  /** Job id → the id of its row being sent. */
  private inFlight = new Map<string, number>();
  /** A due row could not start at the last pump (or may lie beyond its LIMIT): pump when a delivery ends. */
  private waiting = false;
  private timer: NodeJS.Timeout | undefined;
  /** When the pending timer fires (ms since epoch). */
  private timerAt = 0;
  private closed = false;
  private requests = new Set<http.ClientRequest>();
  private hostFailures = new Map<string, { count: number; pausedUntil: number }>();
  private agents = {
    http: new http.Agent({ keepAlive: true, maxSockets: MAX_PARALLEL, maxFreeSockets: MAX_PARALLEL, timeout: IDLE_SOCKET_MS }),
    https: new https.Agent({ keepAlive: true, maxSockets: MAX_PARALLEL, maxFreeSockets: MAX_PARALLEL, timeout: IDLE_SOCKET_MS }),
  };
  private targets = new Map<string, Target | Error>();
  /** Rows sent (or given up): deleted together, in one commit per turn of the event loop. */
  private done = new Set<number>();
  private removeDone: (ids: number[]) => void;
  private headers: Record<string, string> = { 'Content-Type': 'application/json', 'User-Agent': 'convoy-engine-callback' };

  constructor(
    db: Db,
    private opts: OutboxOptions,
  ) {
    this.stmts = {
      insert: db.prepare('INSERT INTO callbacks (job_id, url, body, attempts, next_ms) VALUES (?, ?, ?, 0, ?)'),
      // The first rows of their job that are due, oldest first: a range of callbacks_due, each row
      // checked against callbacks_job for an older one (rows being sent are among them: the caller skips those).
      due: db.prepare<[number, number], DueRow>(
        `SELECT c.id, c.job_id FROM callbacks c
         WHERE c.next_ms <= ? AND NOT EXISTS (SELECT 1 FROM callbacks p WHERE p.job_id = c.job_id AND p.id < c.id)
         ORDER BY c.next_ms, c.id LIMIT ?`,
      ),
      row: db.prepare<[number], Row>('SELECT id, job_id, url, body, attempts FROM callbacks WHERE id = ?'),
      // Rows due already are being sent, or wait for one that is (its end pumps again: see delivered).
      nextDue: db.prepare<[number], { t: number | null }>('SELECT MIN(next_ms) AS t FROM callbacks WHERE next_ms > ?'),
      hasNext: db.prepare<[string, number], { id: number }>('SELECT id FROM callbacks WHERE job_id = ? AND id > ? LIMIT 1'),
      remove: db.prepare('DELETE FROM callbacks WHERE id = ?'),
      reschedule: db.prepare('UPDATE callbacks SET attempts = ?, next_ms = ? WHERE id = ?'),
      removeJob: db.prepare('DELETE FROM callbacks WHERE job_id = ?'),
      pending: db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM callbacks'),
    };
    this.removeDone = db.transaction((ids: number[]) => {
      for (const id of ids) this.stmts.remove.run(id);
    });
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
    this.flushDone();
    return this.stmts.pending.get()!.n;
  }

  forgetJob(jobId: string): void {
    this.stmts.removeJob.run(jobId);
  }

  /** Stops sending: requests under way are cut (their rows stay for the next run), kept-alive sockets closed. */
  async close(): Promise<void> {
    this.closed = true;
    this.flushDone();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const req of this.requests) req.destroy(new Error('engine closing'));
    this.agents.http.destroy();
    this.agents.https.destroy();
  }

  /**
   * A crash before the commit sends the callback again at the next start (as one between the answer
   * and a commit always could): a commit per row cost more than the rest of its delivery.
   */
  private removeSoon(id: number): void {
    this.done.add(id);
    if (this.done.size === 1) setImmediate(() => this.flushDone());
  }

  private flushDone(): void {
    if (this.done.size === 0) return;
    try {
      this.removeDone([...this.done]);
      this.done.clear();
      if (this.waiting) this.schedule(0); // rows of their jobs may be due now
    } catch {
      // The database is busy or gone: the rows stay marked (the pump skips them) for the next try.
      if (!this.closed) setTimeout(() => this.flushDone(), 1000).unref?.();
    }
  }

  /** Pumps in `delayMs`, or sooner if a pump is already set for sooner. */
  private schedule(delayMs: number): void {
    if (this.closed) return;
    const at = Date.now() + Math.max(0, delayMs);
    if (this.timer) {
      if (this.timerAt <= at) return;
      clearTimeout(this.timer);
    }
    this.timerAt = at;
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
    this.waiting = true;
    const free = MAX_PARALLEL - this.inFlight.size;
    if (free <= 0) return; // a finishing delivery pumps again
    const limit = free + this.inFlight.size;
    const rows = this.stmts.due.all(now, limit);
    this.waiting = rows.length >= limit;
    for (const due of rows) {
      if (this.inFlight.size >= MAX_PARALLEL) return void (this.waiting = true);
      const sending = this.inFlight.get(due.job_id);
      if (sending === due.id) continue; // its job's next rows are looked for when it ends
      if (sending !== undefined || this.done.has(due.id)) {
        this.waiting = true;
        continue;
      }
      const row = this.stmts.row.get(due.id);
      if (!row) continue;
      this.inFlight.set(row.job_id, row.id);
      void this.deliver(row)
        .catch(() => {
          // The store went away (engine closing) or is busy: the row stays, for a later pump or the next run.
          this.waiting = true;
        })
        .finally(() => this.delivered(row));
    }
    const next = this.stmts.nextDue.get(now)!.t;
    if (next !== null) this.schedule(next - Date.now());
  }

  /** Pumps again only when a row may be waiting for this one (a retry or pause set its own time). */
  private delivered(row: Row): void {
    this.inFlight.delete(row.job_id);
    if (this.closed) return;
    try {
      if (this.waiting || this.stmts.hasNext.get(row.job_id, row.id)) {
        this.waiting = true;
        this.schedule(0);
      }
    } catch {
      this.schedule(1000);
    }
  }

  private async deliver(row: Row): Promise<void> {
    const faults = this.opts.faults();
    if (row.attempts === 0 && faults.callbackDropRate > 0 && Math.random() < faults.callbackDropRate) {
      this.removeSoon(row.id);
      this.opts.stats.callbacksDropped++;
      return;
    }
    const target = this.target(row.url);
    const host = target instanceof Error ? row.url : target.host;
    const health = this.hostFailures.get(host);
    if (health && health.pausedUntil > Date.now()) {
      this.stmts.reschedule.run(row.attempts, health.pausedUntil, row.id);
      this.schedule(health.pausedUntil - Date.now());
      return;
    }
    const outcome = await this.post(target, row.body, row.attempts === 0 ? FIRST_TIMEOUT_MS : RETRY_TIMEOUT_MS);
    if (this.closed) return;
    if (outcome === 'ok') {
      this.hostFailures.delete(host);
      this.removeSoon(row.id);
      this.opts.stats.callbacksSent++;
      if (faults.callbackDuplicateRate > 0 && Math.random() < faults.callbackDuplicateRate) {
        if ((await this.post(target, row.body, FIRST_TIMEOUT_MS)) === 'ok') this.opts.stats.callbacksSent++;
      }
      return;
    }
    if (outcome === 'final') {
      this.removeSoon(row.id);
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
      this.removeSoon(row.id);
      this.opts.stats.callbacksFailed++;
      return;
    }
    const backoff = Math.min(this.opts.retryBaseMs * 2 ** (attempts - 1), MAX_BACKOFF_MS);
    this.stmts.reschedule.run(attempts, Date.now() + backoff, row.id);
    this.schedule(backoff);
  }

  /** 'ok' (2xx), 'final' (4xx, 3xx: never retried) or 'retry' (5xx, timeout, network error). */
  private async post(target: Target | Error, body: string, timeoutMs: number): Promise<'ok' | 'final' | 'retry'> {
    if (target instanceof Error) return 'retry';
    let headers = this.headers;
    if (this.opts.secret) headers = { ...headers, 'X-Oc-Signature': signBody(this.opts.secret, body) };
    const deadline = Date.now() + timeoutMs;
    try {
      let status: number;
      try {
        status = await this.postOnce(target, body, headers, timeoutMs);
      } catch (err) {
        // A kept-alive socket the receiver closed while we picked it: the POST never reached it.
        if (!(err instanceof StaleSocketError) || this.closed) throw err;
        status = await this.postOnce(target, body, headers, deadline - Date.now());
      }
      if (status >= 200 && status < 300) return 'ok';
      if (status >= 500) return 'retry';
      return 'final';
    } catch {
      return 'retry';
    }
  }

  /**
   * One POST with node:http(s) (a fraction of fetch's cost per request; redirects are not followed);
   * resolves with the status once the answer has ended, its body discarded. Fails with a
   * StaleSocketError when a reused socket failed before any byte of an answer arrived.
   */
  private postOnce(target: Target, body: string, headers: Record<string, string>, timeoutMs: number): Promise<number> {
    return new Promise((resolve, reject) => {
      let settled = false;
      let answered = false;
      let timedOut = false;
      let bytesBefore = -1;
      const settle = (err: Error | undefined, status = 0) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.requests.delete(req);
        if (err) reject(err);
        else resolve(status);
      };
      const req = target.client.request({ ...target.options, headers: { ...headers, 'Content-Length': Buffer.byteLength(body) } }, (res) => {
        answered = true;
        res.resume();
        res.once('end', () => settle(undefined, res.statusCode ?? 0));
        res.on('error', settle);
        res.once('close', () => settle(new Error('answer cut')));
      });
      const timer = setTimeout(
        () => {
          timedOut = true;
          req.destroy(new Error('timeout'));
        },
        Math.max(0, timeoutMs),
      );
      this.requests.add(req);
      req.once('socket', (socket) => (bytesBefore = socket.bytesRead));
      req.on('error', (err) => {
        const socket = req.socket;
        const stale = req.reusedSocket && !answered && !timedOut && !this.closed && bytesBefore >= 0 && socket !== null && socket.bytesRead === bytesBefore;
        settle(stale ? new StaleSocketError(err) : err);
      });
      req.once('close', () => settle(new Error('request closed before an answer')));
      req.end(body);
    });
  }

  /** The parsed callback URL and its client (cached: a job's callbacks go to the same few URLs). */
  private target(url: string): Target | Error {
    let t = this.targets.get(url);
    if (t) return t;
    try {
      const u = new URL(url);
      const secure = u.protocol === 'https:';
      if (!secure && u.protocol !== 'http:') throw new Error(`unsupported callback URL scheme ${u.protocol}`);
      t = {
        host: u.host,
        client: secure ? https : http,
        options: { ...urlToHttpOptions(u), method: 'POST', agent: secure ? this.agents.https : this.agents.http },
      };
    } catch (err) {
      t = err as Error;
    }
    if (this.targets.size >= 1000) this.targets.clear();
    this.targets.set(url, t);
    return t;
  }
}

interface Target {
  host: string;
  client: typeof http | typeof https;
  options: http.RequestOptions;
}

/** A reused keep-alive socket failed before any byte of the answer: the request may be sent again at once. */
class StaleSocketError extends Error {
  constructor(cause: Error) {
    super(cause.message, { cause });
  }
}
