/**
 * Jobs by id: a cache over the `jobs` table. Unfinished jobs stay in memory (the runner mutates
 * them); finished ones are cached up to a bound and reloaded on demand.
 *
 * Writes are batched: `save` marks a job dirty and all dirty jobs are committed in one transaction
 * on the next turn of the event loop — or earlier, by `flush()`, which the HTTP layer calls before
 * every answer, so nothing a client is told about can be lost to a crash.
 */
import type { JobRecord, JobStatusCode } from '../jobs/model';
import { terminalStatuses } from '../jobs/model';
import type { Db } from './db';

const MAX_CACHED_FINISHED = 5000;

export class JobStore {
  private cache = new Map<string, JobRecord>();
  private dirty = new Map<string, JobRecord>();
  /** Other rows that go with the changed jobs (see `alongside`). */
  private extra: Array<() => void> = [];
  private flushScheduled = false;
  private writeDirty: () => void;
  private stmts;

  constructor(
    db: Db,
    private onError: (err: Error) => void = () => {},
  ) {
    this.stmts = {
      get: db.prepare<[string], { doc: string }>('SELECT doc FROM jobs WHERE id = ?'),
      upsert: db.prepare(
        `INSERT INTO jobs (id, owner, token, status, created_at, finished_at, expires_at, doc)
         VALUES (@id, @owner, @token, @status, @created_at, @finished_at, @expires_at, @doc)
         ON CONFLICT(id) DO UPDATE SET status = excluded.status, finished_at = excluded.finished_at,
           expires_at = excluded.expires_at, doc = excluded.doc`,
      ),
      del: db.prepare('DELETE FROM jobs WHERE id = ?'),
      list: db.prepare<[number, number], { id: string }>('SELECT id FROM jobs ORDER BY created_at DESC, id LIMIT ? OFFSET ?'),
      listByStatus: db.prepare<[string, number, number], { id: string }>('SELECT id FROM jobs WHERE status = ? ORDER BY created_at DESC, id LIMIT ? OFFSET ?'),
      count: db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM jobs'),
      countByStatus: db.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM jobs WHERE status = ?'),
      byToken: db.prepare<[string], { id: string }>('SELECT id FROM jobs WHERE token = ?'),
      unfinished: db.prepare<[], { doc: string }>("SELECT doc FROM jobs WHERE status NOT IN ('completed', 'failed', 'canceled') ORDER BY created_at, id"),
      finishedBefore: db.prepare<[string], { id: string }>('SELECT id FROM jobs WHERE finished_at IS NOT NULL AND finished_at < ?'),
      expiring: db.prepare<[string], { id: string }>('SELECT id FROM jobs WHERE expires_at IS NOT NULL AND expires_at <= ?'),
    };
    this.writeDirty = db.transaction(() => {
      for (const job of this.dirty.values()) this.write(job);
      for (const write of this.extra) {
        try {
          write();
        } catch (err) {
          this.onError(err as Error); // one bad row must not keep every job change from being saved
        }
      }
      this.dirty.clear();
      this.extra = [];
    });
  }

  get(id: string): JobRecord | undefined {
    const hit = this.cache.get(id) ?? this.dirty.get(id);
    if (hit) return hit;
    const row = this.stmts.get.get(id);
    if (!row) return undefined;
    const job = JSON.parse(row.doc) as JobRecord;
    this.remember(job);
    return job;
  }

  /** Marks the job changed; it is written with the next batch (see flush). */
  save(job: JobRecord): void {
    this.dirty.set(job.id, job);
    this.remember(job);
    this.scheduleFlush();
  }

  /**
   * Runs `write` (SQL on the same database) in the transaction of the next batch, so it is
   * committed together with the job changes made so far (one commit, and neither without the other).
   */
  alongside(write: () => void): void {
    this.extra.push(write);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => {
        try {
          this.flush();
        } catch (err) {
          // Kept dirty: the next change or answer tries again.
          this.onError(err as Error);
        }
      });
    }
  }

  /** Commits every changed job now (one transaction). */
  flush(): void {
    this.flushScheduled = false;
    if (this.closed || (this.dirty.size === 0 && this.extra.length === 0)) return;
    this.writeDirty();
  }

  /** Last flush; later changes (from work still unwinding) are not written. */
  close(): void {
    this.flush();
    this.closed = true;
  }
  private closed = false;

  /** Inserts a job at once (inside the caller's transaction). */
  insertNow(job: JobRecord): void {
    this.dirty.delete(job.id);
    this.write(job);
    this.remember(job);
  }

  private write(job: JobRecord): void {
    this.stmts.upsert.run({
      id: job.id,
      owner: job.owner,
      token: job.token,
      status: job.status,
      created_at: job.createdAt,
      finished_at: job.finishedAt ?? null,
      expires_at: nextExpiry(job),
      doc: JSON.stringify(job),
    });
  }

  delete(id: string): void {
    this.dirty.delete(id);
    this.stmts.del.run(id);
    this.cache.delete(id);
  }

  /**
   * Newest first. The engine serves one account (its key may change between runs, e.g. when the
   * desktop app restarts), so every job in the data dir is listed.
   */
  list(status: string | undefined, limit: number, offset: number): { jobs: JobRecord[]; total: number } {
    this.flush();
    const rows = status ? this.stmts.listByStatus.all(status, limit, offset) : this.stmts.list.all(limit, offset);
    const total = status ? this.stmts.countByStatus.get(status)!.n : this.stmts.count.get()!.n;
    return { jobs: rows.map((r) => this.get(r.id)).filter((j): j is JobRecord => j !== undefined), total };
  }

  byToken(token: string): JobRecord | undefined {
    this.flush();
    const row = this.stmts.byToken.get(token);
    return row ? this.get(row.id) : undefined;
  }

  unfinished(): JobRecord[] {
    return this.stmts.unfinished.all().map((r) => {
      const job = JSON.parse(r.doc) as JobRecord;
      this.remember(job);
      return job;
    });
  }

  finishedBefore(iso: string): string[] {
    this.flush();
    return this.stmts.finishedBefore.all(iso).map((r) => r.id);
  }

  /** Jobs holding an output file that has expired by `iso`. */
  withExpiredOutputs(iso: string): string[] {
    this.flush();
    return this.stmts.expiring.all(iso).map((r) => r.id);
  }

  private remember(job: JobRecord): void {
    this.cache.delete(job.id);
    this.cache.set(job.id, job);
    if (this.cache.size <= MAX_CACHED_FINISHED) return;
    for (const [id, cached] of this.cache) {
      if (this.cache.size <= MAX_CACHED_FINISHED) break;
      if (terminalStatuses.has(cached.status as JobStatusCode)) this.cache.delete(id);
    }
  }
}

/** The earliest expiry among outputs still on disk (ISO strings sort by time). */
function nextExpiry(job: JobRecord): string | null {
  let min: string | null = null;
  for (const o of job.outputs) if (o.path && (min === null || o.expiresAt < min)) min = o.expiresAt;
  return min;
}
