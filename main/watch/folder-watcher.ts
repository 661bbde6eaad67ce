/**
 * A watched folder: files that appear in it are added to one queue batch, each exactly once.
 *
 * - Durable: the batch is recorded per watch (folder + target + options + destination); at start
 *   the folder is scanned, so what arrived while Convoy was stopped is taken then. A file is in the
 *   batch at most once (the queue refuses a duplicate source in a batch), so a kill -9 between
 *   adding and anything else never takes it twice.
 * - Stable files only: a file is taken once its size and mtime have not changed for `settleMs`
 *   (a copy in progress keeps changing them), checked on two looks at least `pollMs` apart.
 * - Never Convoy's own outputs: the destination folder (when inside the watched one), output
 *   paths the queue has claimed, dot-files (Convoy's `.part` downloads) are skipped.
 * fs.watch only hints that something changed (a scan comes sooner); the periodic scan is the truth,
 * so a missed event (network drives, overflow) delays a file but never loses it.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { ConflictPolicy, ConversionOptions } from '../../preload/contract';
import { migrate, type Db } from '../db';
import type { Logger } from '../log';
import type { Queue } from '../queue/queue';
import { makeFilter } from './glob';
import { watchMigrations } from './schema';

export interface WatchSpec {
  dir: string;
  target: string;
  options: ConversionOptions;
  outDir: string;
  recursive: boolean;
  include: string[];
  exclude: string[];
  conflict?: ConflictPolicy;
  /** Take files that were there before the first start too (default: only new ones, as the official CLI). */
  existing?: boolean;
}

export interface WatchTiming {
  /** How long size and mtime must stay the same (default 1000 ms). */
  settleMs: number;
  /** Scan interval (default 500 ms); fs.watch events bring a scan sooner. */
  pollMs: number;
}

interface Seen {
  size: number;
  mtimeMs: number;
  /** When this size+mtime was first seen. */
  since: number;
}

export class FolderWatcher {
  readonly key: string;
  readonly batchId: string;
  private readonly dir: string;
  private readonly outDir: string;
  private readonly filter: (rel: string) => boolean;
  private readonly taken = new Set<string>();
  private readonly baseline = new Set<string>();
  private readonly seen = new Map<string, Seen>();
  private timer: NodeJS.Timeout | null = null;
  private fsWatcher: fs.FSWatcher | null = null;
  private scanning: Promise<void> | null = null;
  private rescan = false;
  private nextLookMs: number | null = null;
  private closed = false;

  constructor(
    readonly db: Db,
    private readonly queue: Queue,
    private readonly spec: WatchSpec,
    private readonly timing: WatchTiming = { settleMs: 1000, pollMs: 500 },
    private readonly log?: Logger,
    private readonly onTaken?: (file: string) => void,
  ) {
    migrate(db, 'watch', watchMigrations);
    this.dir = path.resolve(spec.dir);
    this.outDir = path.resolve(spec.outDir);
    this.filter = makeFilter(spec.include, spec.exclude);
    this.key = crypto
      .createHash('sha256')
      .update(JSON.stringify([this.dir, spec.target, sortKeys(spec.options), this.outDir, spec.recursive, spec.include, spec.exclude]))
      .digest('hex');
    const row = db.prepare('SELECT batch_id FROM watch_folders WHERE key = ?').get(this.key) as { batch_id: string } | undefined;
    if (row && queue.store.hasBatch(row.batch_id)) {
      this.batchId = row.batch_id;
      for (const it of queue.store.itemsOfBatch(this.batchId)) if (it.source.kind === 'file') this.taken.add(path.resolve(it.source.path));
      for (const r of db.prepare('SELECT path FROM watch_baseline WHERE key = ?').all(this.key) as Array<{ path: string }>) this.baseline.add(r.path);
    } else {
      // First start (or its batch was removed): the files already there form the baseline.
      this.batchId = queue.createEmptyBatch();
      const files = spec.existing ? [] : this.listFilesSync();
      db.transaction(() => {
        db.prepare('INSERT OR REPLACE INTO watch_folders (key, dir, batch_id, created_at) VALUES (?, ?, ?, ?)').run(
          this.key,
          this.dir,
          this.batchId,
          Date.now(),
        );
        db.prepare('DELETE FROM watch_baseline WHERE key = ?').run(this.key);
        const ins = db.prepare('INSERT OR IGNORE INTO watch_baseline (key, path) VALUES (?, ?)');
        for (const f of files) ins.run(this.key, f);
      })();
      for (const f of files) this.baseline.add(f);
    }
  }

  /** Continues the batch's unfinished work and starts watching. */
  start(): void {
    this.queue.resumeBatch(this.batchId);
    try {
      this.fsWatcher = fs.watch(this.dir, { recursive: this.spec.recursive }, () => this.soon());
      this.fsWatcher.on('error', () => {
        this.fsWatcher?.close();
        this.fsWatcher = null;
      });
    } catch {
      this.fsWatcher = null; // polling alone still finds everything
    }
    this.tick();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.fsWatcher?.close();
    await this.scanning;
  }

  /** Files taken so far (this run and before). */
  takenCount(): number {
    return this.taken.size;
  }

  private soon(): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.tick(), 50);
  }

  private tick(): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.scanning) {
      this.rescan = true;
      return;
    }
    this.scanning = this.scan()
      .catch((err: unknown) => this.log?.warn(`watch ${this.dir}: ${(err as Error).message}`))
      .finally(() => {
        this.scanning = null;
        if (this.closed) return;
        // A file still settling is looked at again when it may be stable.
        let next = Math.min(this.timing.pollMs, this.nextLookMs ?? Infinity);
        if (this.rescan) next = 0;
        this.rescan = false;
        this.nextLookMs = null;
        this.timer = setTimeout(() => this.tick(), next);
      });
  }

  /** The next look comes no later than when a settling file may be complete. */
  private due(at: number, now: number): void {
    const wait = Math.max(20, at - now + 10);
    if (this.nextLookMs === null || wait < this.nextLookMs) this.nextLookMs = wait;
  }

  private skipped(abs: string): boolean {
    if (abs === this.outDir || abs.startsWith(this.outDir + path.sep)) return true;
    return this.queue.store.isPathClaimed(abs);
  }

  private rel(abs: string): string {
    return path.relative(this.dir, abs).split(path.sep).join('/');
  }

  private listFilesSync(): string[] {
    const out: string[] = [];
    const walk = (dir: string) => {
      let entries: fs.Dirent[];
      try {
        entries = fs.readdirSync(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        if (e.name.startsWith('.')) continue;
        const full = path.join(dir, e.name);
        if (e.isDirectory()) {
          if (this.spec.recursive && !this.skipped(full)) walk(full);
        } else if (e.isFile()) out.push(full);
      }
    };
    walk(this.dir);
    return out;
  }

  private async scan(): Promise<void> {
    const now = Date.now();
    const ready: string[] = [];
    const present = new Set<string>();
    for (const file of this.listFilesSync()) {
      if (this.taken.has(file) || this.baseline.has(file)) continue;
      if (this.skipped(file) || !this.filter(this.rel(file))) continue;
      present.add(file);
      // Sync: a stat is microseconds, and the thread pool may be busy with transfers and conversions.
      const st = fs.statSync(file, { throwIfNoEntry: false });
      if (!st?.isFile()) continue;
      const prev = this.seen.get(file);
      if (!prev || prev.size !== st.size || prev.mtimeMs !== st.mtimeMs) {
        this.seen.set(file, { size: st.size, mtimeMs: st.mtimeMs, since: now });
        this.due(Math.min(st.mtimeMs, now) + this.timing.settleMs, now);
        continue;
      }
      // Unchanged since an earlier look, and quiet (no write) for settleMs: complete.
      if (Math.max(now - st.mtimeMs, now - prev.since) >= this.timing.settleMs && st.size > 0) ready.push(file);
      else this.due(Math.min(Math.max(st.mtimeMs, prev.since), now) + this.timing.settleMs, now);
    }
    for (const f of this.seen.keys()) if (!present.has(f)) this.seen.delete(f);
    if (ready.length === 0 || this.closed) return;
    for (const f of ready) this.onTaken?.(f);
    const added = await this.queue.add({
      batchId: this.batchId,
      items: ready.map((f) => ({ source: { kind: 'file' as const, path: f, relDir: path.relative(this.dir, path.dirname(f)) } })),
      target: this.spec.target,
      options: this.spec.options,
      destination: { kind: 'folder', path: this.outDir },
    });
    for (const f of ready) {
      this.taken.add(f);
      this.seen.delete(f);
    }
    if (added.itemIds.length) this.queue.start({ batchId: this.batchId, itemIds: added.itemIds });
    for (const r of added.rejected) if (!/^Duplicate/.test(r.reason)) this.log?.warn(`watch: ${r.input}: ${r.reason}`);
  }
}

function sortKeys(o: object): object {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
}
