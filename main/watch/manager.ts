/**
 * The app's watched folders (`watch.*` of the contract): each one is a FolderWatcher (the same
 * durable watcher as `convoy watch`), its spec and on/off recorded in the watch area, so every
 * watch that is on starts again with the app and takes what arrived while it was closed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ContractError, type Handlers, type WatchView } from '../../preload/contract';
import { migrate, type Db } from '../db';
import type { Logger } from '../log';
import { outputFolderProblem } from '../queue/outputs';
import type { Queue } from '../queue/queue';
import { FolderWatcher, type WatchSpec, type WatchTiming } from './folder-watcher';
import { watchMigrations } from './schema';

interface Row {
  key: string;
  batch_id: string;
  spec: string;
  enabled: number;
}

export interface WatchManagerOptions {
  db: Db;
  queue: Queue;
  log?: Logger;
  /** The output folder for watches that name none. */
  defaultOutDir: () => string;
  timing?: WatchTiming;
}

export class WatchManager {
  private readonly running = new Map<string, FolderWatcher>();
  private closed = false;

  constructor(private readonly o: WatchManagerOptions) {
    migrate(o.db, 'watch', watchMigrations);
  }

  /** Starts every watch that is on. A folder that is gone is logged and stays listed. */
  startAll(): void {
    for (const r of this.rows()) {
      if (!r.enabled) continue;
      try {
        this.run(JSON.parse(r.spec) as WatchSpec);
      } catch (err) {
        this.o.log?.warn(`watch ${r.key}: not started: ${(err as Error).message}`);
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.running.values()].map((w) => w.close()));
    this.running.clear();
  }

  handlers(): Partial<Handlers> {
    return {
      'watch.list': async () => this.rows().map((r) => this.view(r)),
      'watch.add': async (a) => {
        const dir = path.resolve(a.dir);
        if (!path.isAbsolute(a.dir)) throw new ContractError('invalid_argument', `Use a full path (from the root), not ${a.dir}`);
        const st = await fs.promises.stat(dir).catch(() => null);
        if (!st?.isDirectory()) throw new ContractError('invalid_argument', `Folder not found: ${dir}`);
        const outDir = path.resolve(a.outDir ?? this.o.defaultOutDir());
        const problem = outputFolderProblem(outDir);
        if (problem) throw new ContractError('invalid_argument', problem);
        const spec: WatchSpec = {
          dir,
          target: a.target.toLowerCase(),
          options: a.options ?? {},
          outDir,
          recursive: Boolean(a.recursive),
          include: [],
          exclude: [],
          existing: Boolean(a.existing),
        };
        const w = this.run(spec);
        this.o.db.prepare('UPDATE watch_folders SET spec = ?, enabled = 1, app = 1 WHERE key = ?').run(JSON.stringify(spec), w.key);
        return this.view(this.row(w.key)!);
      },
      'watch.setEnabled': async ({ id, enabled }) => {
        const r = this.row(id);
        if (!r) throw new ContractError('not_found', `No watched folder ${id}`);
        if (enabled && !this.running.has(id)) this.run(JSON.parse(r.spec) as WatchSpec);
        if (!enabled) {
          await this.running.get(id)?.close();
          this.running.delete(id);
        }
        this.o.db.prepare('UPDATE watch_folders SET enabled = ? WHERE key = ?').run(enabled ? 1 : 0, id);
        return this.view(this.row(id)!);
      },
      'watch.remove': async ({ id }) => {
        await this.running.get(id)?.close();
        this.running.delete(id);
        const r = this.o.db.prepare('DELETE FROM watch_folders WHERE key = ? AND app = 1').run(id);
        this.o.db.prepare('DELETE FROM watch_baseline WHERE key = ?').run(id);
        return { removed: r.changes > 0 };
      },
    };
  }

  private run(spec: WatchSpec): FolderWatcher {
    if (this.closed) throw new ContractError('unavailable', 'Convoy is closing');
    const w = new FolderWatcher(this.o.db, this.o.queue, spec, this.o.timing, this.o.log);
    const old = this.running.get(w.key);
    if (old) return old;
    this.running.set(w.key, w);
    w.start();
    return w;
  }

  private rows(): Row[] {
    return this.o.db.prepare('SELECT key, batch_id, spec, enabled FROM watch_folders WHERE app = 1 AND spec IS NOT NULL ORDER BY created_at').all() as Row[];
  }

  private row(id: string): Row | undefined {
    return this.o.db.prepare('SELECT key, batch_id, spec, enabled FROM watch_folders WHERE key = ? AND app = 1 AND spec IS NOT NULL').get(id) as
      | Row
      | undefined;
  }

  private view(r: Row): WatchView {
    const spec = JSON.parse(r.spec) as WatchSpec;
    const batchId = this.running.get(r.key)?.batchId ?? r.batch_id;
    const batch = this.o.queue.batches().find((b) => b.id === batchId);
    return {
      id: r.key,
      dir: spec.dir,
      target: spec.target,
      options: spec.options,
      outDir: spec.outDir,
      recursive: spec.recursive,
      enabled: Boolean(r.enabled),
      batchId,
      counts: batch?.counts ?? null,
    };
  }
}
