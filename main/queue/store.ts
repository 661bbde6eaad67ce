/**
 * The queue's persistence: every state the queue relies on after a crash is written here, in a
 * transaction, before the side effect it announces. Plain SQL over better-sqlite3 (synchronous,
 * so a recorded step is on disk when the call returns).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import type { BatchCounts, ItemState } from '../../preload/contract';
import { migrate, type Db } from '../db';
import { queueMigrations } from './schema';
import {
  isTerminalItem,
  NEXT_PHASES,
  type ApiKeySource,
  type BatchApi,
  type ItemRow,
  type NextPhase,
  type OutputRecord,
  type UnitPhase,
  type UnitRow,
} from './types';

interface ItemDbRow {
  id: string;
  batch_id: string;
  seq: number;
  unit_id: string | null;
  source_kind: string;
  source: string;
  label: string;
  source_ext: string | null;
  target: string | null;
  options: string;
  destination: string | null;
  out_dir: string | null;
  conflict: string;
  state: string;
  conv_index: number | null;
  conv_id: string | null;
  error: string | null;
  outputs: string;
  bytes_up: number;
  bytes_up_total: number | null;
  bytes_down: number;
  bytes_down_total: number | null;
  unit_last_error: string | null;
  created_at: number;
  updated_at: number;
}

interface UnitDbRow {
  id: string;
  batch_id: string;
  seq: number;
  kind: string;
  phase: string;
  idem_key: string;
  upload_uuid: string;
  remote_id: string | null;
  server: string | null;
  attempts: number;
  running: number;
  crashes: number;
  last_error: string | null;
  next_at: number;
}

/**
 * A unit was not in the phase a transition expected: another runner moved it first, or it is
 * gone. An internal error (a bug or a race lost), never shown as the item's own problem.
 */
export class TransitionError extends Error {
  override name = 'TransitionError';
  constructor(
    readonly unitId: string,
    readonly from: UnitPhase,
    readonly to: UnitPhase | 'attempt',
  ) {
    super(`Internal error: unit ${unitId} is no longer in phase "${from}" (moving to "${to}")`);
  }
}

/** Items with the last error of their unit (one query, so a list shows why an item is retried). */
const ITEMS = 'SELECT queue_items.*, (SELECT last_error FROM queue_units WHERE queue_units.id = queue_items.unit_id) AS unit_last_error FROM queue_items';
/** The phases of a unit under way: a restart continues these before it starts new units. */
const UNDER_WAY: Record<Exclude<UnitPhase, 'pending' | 'finished'>, true> = {
  creating: true,
  uploading: true,
  starting: true,
  converting: true,
  downloading: true,
};
const UNDER_WAY_SQL = `(${Object.keys(UNDER_WAY)
  .map((p) => `'${p}'`)
  .join(',')})`;
const ACTIVE_STATE_LIST = "('creating','uploading','converting','downloading','delivering')";

export const newId = (): string => crypto.randomUUID();

/**
 * Group commit for the write-ahead log: `sync()` resolves once every transaction committed before
 * the call is on disk. A sync already under way may have missed the newest commits, so callers
 * arriving meanwhile share the one that starts after it. (fdatasync flushes the file whichever
 * descriptor wrote it; a log that a checkpoint removed has its content synced in the database.)
 */
class WalSync {
  private running: Promise<void> | null = null;
  private next: Promise<void> | null = null;

  constructor(private readonly file: string) {}

  sync(): Promise<void> {
    if (!this.running) return (this.running = this.run());
    this.next ??= this.running.then(
      () => this.startNext(),
      () => this.startNext(),
    );
    return this.next;
  }

  private startNext(): Promise<void> {
    this.next = null;
    return (this.running = this.run());
  }

  private async run(): Promise<void> {
    try {
      const handle = await fs.promises.open(this.file, 'r+').catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return null;
        throw err;
      });
      if (handle) {
        try {
          await handle.datasync();
        } finally {
          await handle.close();
        }
      }
    } finally {
      this.running = null;
    }
  }
}

const ACTIVE_STATES = new Set<ItemState>(['creating', 'uploading', 'converting', 'downloading', 'delivering']);

export function emptyCounts(): BatchCounts {
  return { total: 0, queued: 0, active: 0, done: 0, failed: 0, canceled: 0 };
}

export function addToCounts(c: BatchCounts, state: ItemState, n: number): void {
  c.total += n;
  if (state === 'queued') c.queued += n;
  else if (ACTIVE_STATES.has(state)) c.active += n;
  else if (state === 'done') c.done += n;
  else if (state === 'failed') c.failed += n;
  else if (state === 'canceled') c.canceled += n;
}

function toItem(r: ItemDbRow): ItemRow {
  return {
    id: r.id,
    batchId: r.batch_id,
    seq: r.seq,
    unitId: r.unit_id,
    source: JSON.parse(r.source),
    label: r.label,
    sourceExt: r.source_ext,
    target: r.target,
    options: JSON.parse(r.options),
    destination: r.destination ? JSON.parse(r.destination) : null,
    outDir: r.out_dir,
    conflict: r.conflict as ItemRow['conflict'],
    state: r.state as ItemState,
    convIndex: r.conv_index,
    convId: r.conv_id,
    error: r.error ? JSON.parse(r.error) : null,
    outputs: JSON.parse(r.outputs),
    bytesUp: r.bytes_up,
    bytesUpTotal: r.bytes_up_total,
    bytesDown: r.bytes_down,
    bytesDownTotal: r.bytes_down_total,
    lastError: isTerminalItem(r.state as ItemState) ? null : r.unit_last_error,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

function toUnit(r: UnitDbRow): UnitRow {
  return {
    id: r.id,
    batchId: r.batch_id,
    seq: r.seq,
    kind: r.kind as UnitRow['kind'],
    phase: r.phase as UnitPhase,
    idemKey: r.idem_key,
    uploadUuid: r.upload_uuid,
    remoteId: r.remote_id,
    server: r.server,
    attempts: r.attempts,
    crashes: r.crashes,
    running: r.running === 1,
    lastError: r.last_error,
    nextAt: r.next_at,
  };
}

export type NewItem = Omit<
  ItemRow,
  | 'seq'
  | 'unitId'
  | 'state'
  | 'convIndex'
  | 'convId'
  | 'error'
  | 'outputs'
  | 'bytesUp'
  | 'bytesUpTotal'
  | 'bytesDown'
  | 'bytesDownTotal'
  | 'lastError'
  | 'createdAt'
  | 'updatedAt'
>;

/** Fields of an item that the runner changes (JSON fields are serialised here). */
export interface ItemPatch {
  state?: ItemState;
  unitId?: string | null;
  target?: string | null;
  options?: ItemRow['options'];
  destination?: ItemRow['destination'];
  outDir?: string | null;
  conflict?: ItemRow['conflict'];
  convIndex?: number | null;
  convId?: string | null;
  error?: ItemRow['error'];
  outputs?: OutputRecord[];
  bytesUp?: number;
  bytesUpTotal?: number | null;
  bytesDown?: number;
  bytesDownTotal?: number | null;
}

const ITEM_COLUMNS: Record<keyof ItemPatch, [string, (v: never) => unknown]> = {
  state: ['state', (v) => v],
  unitId: ['unit_id', (v) => v],
  target: ['target', (v) => v],
  options: ['options', (v) => JSON.stringify(v ?? {})],
  destination: ['destination', (v) => (v ? JSON.stringify(v) : null)],
  outDir: ['out_dir', (v) => v],
  conflict: ['conflict', (v) => v],
  convIndex: ['conv_index', (v) => v],
  convId: ['conv_id', (v) => v],
  error: ['error', (v) => (v ? JSON.stringify(v) : null)],
  outputs: ['outputs', (v) => JSON.stringify(v ?? [])],
  bytesUp: ['bytes_up', (v) => v],
  bytesUpTotal: ['bytes_up_total', (v) => v],
  bytesDown: ['bytes_down', (v) => v],
  bytesDownTotal: ['bytes_down_total', (v) => v],
};

/** How an attempt of a unit's step ended (see QueueStore.endAttempt). */
export type AttemptEnd =
  /** The step did its work: the unit's counters start over. */
  | { kind: 'ok' }
  /** Not the unit's fault (offline, rate limited, disk full, closing): the attempt does not count. */
  | { kind: 'uncounted' }
  /** The step failed and is retried at `nextAt`; the attempt counts. */
  | { kind: 'failed'; error: string; nextAt: number }
  /** The unit's items failed for good; the reason stays as the last error. */
  | { kind: 'gave_up'; error: string };

export class QueueStore {
  private seq: number;
  private readonly s;
  private readonly patchCache = new Map<string, { run(...params: unknown[]): unknown }>();
  private readonly batchStmts = new Map<string, ReturnType<Db['prepare']>>();
  /** The connection's `synchronous` level (2 = FULL), restored after each `txAfter`. */
  private readonly syncLevel: number;
  /** Syncs the write-ahead log for `txDurable` (null: not in WAL mode on a file, or not synced per commit anyway). */
  private readonly walSync: WalSync | null;

  constructor(
    readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {
    migrate(db, 'queue', queueMigrations);
    const maxSeq = db
      .prepare(
        'SELECT MAX(m) AS m FROM (SELECT MAX(seq) AS m FROM queue_items UNION ALL SELECT MAX(seq) FROM queue_units UNION ALL SELECT MAX(seq) FROM queue_batches)',
      )
      .get() as { m: number | null };
    this.seq = maxSeq.m ?? 0;
    this.syncLevel = Number((db.prepare('PRAGMA synchronous').get() as { synchronous?: number } | undefined)?.synchronous ?? 2);
    const journal = String((db.prepare('PRAGMA journal_mode').get() as { journal_mode?: string } | undefined)?.journal_mode ?? '');
    const file = (db as { name?: unknown }).name;
    this.walSync =
      journal.toLowerCase() === 'wal' && this.syncLevel > 1 && typeof file === 'string' && file && file !== ':memory:' ? new WalSync(`${file}-wal`) : null;
    this.s = {
      insertBatch: db.prepare('INSERT INTO queue_batches (id, seq, created_at, api_base_url, api_key_source) VALUES (?, ?, ?, ?, ?)'),
      batch: db.prepare('SELECT id, created_at FROM queue_batches WHERE id = ?'),
      batches: db.prepare('SELECT id, created_at, api_base_url, api_key_source FROM queue_batches ORDER BY seq'),
      deleteBatch: db.prepare('DELETE FROM queue_batches WHERE id = ?'),
      insertItem: db.prepare(
        `INSERT INTO queue_items (id, batch_id, seq, source_kind, source, label, source_ext, target, options, destination, out_dir, conflict, state, created_at, updated_at)
         VALUES (@id, @batch_id, @seq, @source_kind, @source, @label, @source_ext, @target, @options, @destination, @out_dir, @conflict, 'queued', @now, @now)`,
      ),
      item: db.prepare(`${ITEMS} WHERE id = ?`),
      itemsOfUnit: db.prepare(`${ITEMS} WHERE unit_id = ? ORDER BY seq`),
      itemsPage: db.prepare(`${ITEMS} ORDER BY seq LIMIT ? OFFSET ?`),
      itemsPageBatch: db.prepare(`${ITEMS} WHERE batch_id = ? ORDER BY seq LIMIT ? OFFSET ?`),
      itemsOfBatch: db.prepare(`${ITEMS} WHERE batch_id = ? ORDER BY seq`),
      openItemsOfBatch: db.prepare(`${ITEMS} WHERE batch_id = ? AND state NOT IN ('done','canceled') ORDER BY seq`),
      unstarted: db.prepare(`${ITEMS} WHERE state = 'queued' AND unit_id IS NULL ORDER BY seq`),
      unstartedOfBatch: db.prepare(`${ITEMS} WHERE batch_id = ? AND state = 'queued' AND unit_id IS NULL ORDER BY seq`),
      activeItemIds: db.prepare(`SELECT id FROM queue_items WHERE state IN ${ACTIVE_STATE_LIST} ORDER BY seq`),
      startedOpen: db.prepare("SELECT COUNT(*) AS n FROM queue_items WHERE unit_id IS NOT NULL AND state NOT IN ('done','failed','canceled')"),
      startedOpenOfBatch: db.prepare(
        "SELECT COUNT(*) AS n FROM queue_items WHERE batch_id = ? AND unit_id IS NOT NULL AND state NOT IN ('done','failed','canceled')",
      ),
      pathClaimed: db.prepare('SELECT 1 FROM queue_claims WHERE path = ?'),
      releaseClaim: db.prepare('DELETE FROM queue_claims WHERE path_key = ? AND item_id = ?'),
      transition: db.prepare(
        'UPDATE queue_units SET phase = @to, remote_id = COALESCE(@remote_id, remote_id), server = COALESCE(@server, server), updated_at = @now WHERE id = @id AND phase = @from',
      ),
      beginAttempt: db.prepare(
        'UPDATE queue_units SET attempts = attempts + 1, crashes = crashes + running, running = @running, updated_at = @now WHERE id = @id AND phase = @phase',
      ),
      endOk: db.prepare('UPDATE queue_units SET attempts = 0, crashes = 0, running = 0, last_error = NULL, updated_at = ? WHERE id = ?'),
      endUncounted: db.prepare('UPDATE queue_units SET attempts = MAX(attempts - 1, 0), running = 0, updated_at = ? WHERE id = ?'),
      endFailed: db.prepare('UPDATE queue_units SET running = 0, last_error = ?, next_at = ?, updated_at = ? WHERE id = ?'),
      endGaveUp: db.prepare('UPDATE queue_units SET running = 0, last_error = ?, updated_at = ? WHERE id = ?'),
      wake: db.prepare("UPDATE queue_units SET next_at = 0 WHERE id = ? AND phase <> 'finished'"),
      forgiveRunning: db.prepare('UPDATE queue_units SET running = 0 WHERE running = 1'),
      countAll: db.prepare('SELECT COUNT(*) AS n FROM queue_items'),
      countBatch: db.prepare('SELECT COUNT(*) AS n FROM queue_items WHERE batch_id = ?'),
      countsByBatch: db.prepare('SELECT batch_id, state, COUNT(*) AS n FROM queue_items GROUP BY batch_id, state'),
      countsOfBatch: db.prepare('SELECT state, COUNT(*) AS n FROM queue_items WHERE batch_id = ? GROUP BY state'),
      deleteItem: db.prepare('DELETE FROM queue_items WHERE id = ?'),
      batchItemCount: db.prepare('SELECT COUNT(*) AS n FROM queue_items WHERE batch_id = ?'),
      insertUnit: db.prepare(
        `INSERT INTO queue_units (id, batch_id, seq, kind, phase, idem_key, upload_uuid, created_at, updated_at)
         VALUES (?, ?, ?, ?, 'pending', ?, ?, ?, ?)`,
      ),
      unit: db.prepare('SELECT * FROM queue_units WHERE id = ?'),
      unitByRemote: db.prepare('SELECT * FROM queue_units WHERE remote_id = ? LIMIT 1'),
      creatingCount: db.prepare("SELECT COUNT(*) AS n FROM queue_units WHERE phase = 'creating'"),
      unfinishedInBatch: db.prepare("SELECT COUNT(*) AS n FROM queue_units WHERE batch_id = ? AND phase <> 'finished'"),
      unfinishedBatches: db.prepare("SELECT DISTINCT batch_id FROM queue_units WHERE phase <> 'finished'"),
      deleteUnit: db.prepare('DELETE FROM queue_units WHERE id = ?'),
      unitItemCount: db.prepare('SELECT COUNT(*) AS n FROM queue_items WHERE unit_id = ?'),
      claimOwner: db.prepare('SELECT item_id, batch_id FROM queue_claims WHERE path_key = ?'),
      insertClaim: db.prepare('INSERT INTO queue_claims (path_key, path, item_id, batch_id) VALUES (?, ?, ?, ?)'),
      replaceClaim: db.prepare('UPDATE queue_claims SET item_id = ?, batch_id = ?, path = ? WHERE path_key = ?'),
      claimsOf: db.prepare('SELECT path_key, path FROM queue_claims WHERE item_id = ?'),
      releaseClaims: db.prepare('DELETE FROM queue_claims WHERE item_id = ?'),
      stateGet: db.prepare('SELECT value FROM queue_state WHERE name = ?'),
      stateSet: db.prepare('INSERT INTO queue_state (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value'),
      cacheGet: db.prepare('SELECT fetched_at, doc FROM queue_cache WHERE name = ?'),
      cacheSet: db.prepare(
        'INSERT INTO queue_cache (name, fetched_at, doc) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET fetched_at = excluded.fetched_at, doc = excluded.doc',
      ),
    };
  }

  nextSeq(): number {
    return ++this.seq;
  }

  tx<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  /**
   * A transaction that records what already happened, with no side effect waiting on it (an
   * answer received, a result in place): committed without waiting for the disk. It survives a
   * crash of the process like any commit, and is on disk at the latest with the next `tx()`, whose
   * sync of the write-ahead log carries everything before it; only a power loss in between can
   * lose it, and then the step it records runs again, which every such step allows. A record
   * that must precede a side effect (the write-ahead rule) uses `tx()`.
   */
  txAfter<T>(fn: () => T): T {
    if (this.db.inTransaction || this.syncLevel <= 1) return this.tx(fn);
    this.db.exec('PRAGMA synchronous = NORMAL');
    try {
      return this.tx(fn);
    } finally {
      this.db.exec(`PRAGMA synchronous = ${this.syncLevel}`);
    }
  }

  /**
   * A write-ahead record: a transaction that is on disk before the returned promise resolves, so
   * the side effect it announces can follow. Committed at once (other runners see it), then the
   * write-ahead log is synced off the main thread — one sync serving every record committed
   * while it waited (group commit) — instead of a sync inside each commit that blocks the process.
   */
  async txDurable<T>(fn: () => T): Promise<T> {
    if (!this.walSync || this.db.inTransaction) return this.tx(fn);
    const result = this.txAfter(fn);
    await this.walSync.sync();
    return result;
  }

  // ---- batches -----------------------------------------------------------------------------

  createBatch(api?: BatchApi | null): { id: string; createdAt: number } {
    const id = newId();
    const createdAt = this.now();
    this.s.insertBatch.run(id, this.nextSeq(), createdAt, api?.baseUrl ?? null, api?.keySource ?? null);
    return { id, createdAt };
  }

  hasBatch(id: string): boolean {
    return Boolean(this.s.batch.get(id));
  }

  batches(): Array<{ id: string; createdAt: number; api: BatchApi | null }> {
    return (this.s.batches.all() as Array<{ id: string; created_at: number; api_base_url: string | null; api_key_source: string | null }>).map((r) => ({
      id: r.id,
      createdAt: r.created_at,
      // Batches from before this was recorded have no API: they run on whichever the queue has.
      api: r.api_key_source ? { baseUrl: r.api_base_url, keySource: r.api_key_source as ApiKeySource } : null,
    }));
  }

  /** Removes batches left without items. */
  dropBatchIfEmpty(id: string): boolean {
    const n = (this.s.batchItemCount.get(id) as { n: number }).n;
    if (n > 0) return false;
    this.s.deleteBatch.run(id);
    return true;
  }

  countsByBatch(): Map<string, BatchCounts> {
    const out = new Map<string, BatchCounts>();
    for (const b of this.batches()) out.set(b.id, emptyCounts());
    for (const r of this.s.countsByBatch.all() as Array<{ batch_id: string; state: ItemState; n: number }>) {
      let c = out.get(r.batch_id);
      if (!c) out.set(r.batch_id, (c = emptyCounts()));
      addToCounts(c, r.state, r.n);
    }
    return out;
  }

  countsOfBatch(batchId: string): BatchCounts {
    const c = emptyCounts();
    for (const r of this.s.countsOfBatch.all(batchId) as Array<{ state: ItemState; n: number }>) addToCounts(c, r.state, r.n);
    return c;
  }

  unfinishedUnitsInBatch(batchId: string): number {
    return (this.s.unfinishedInBatch.get(batchId) as { n: number }).n;
  }

  batchesWithUnfinishedUnits(): string[] {
    return (this.s.unfinishedBatches.all() as Array<{ batch_id: string }>).map((r) => r.batch_id);
  }

  // ---- items -------------------------------------------------------------------------------

  insertItems(batchId: string, items: NewItem[]): void {
    const now = this.now();
    for (const it of items) {
      this.s.insertItem.run({
        id: it.id,
        batch_id: batchId,
        seq: this.nextSeq(),
        source_kind: it.source.kind,
        source: JSON.stringify(it.source),
        label: it.label,
        source_ext: it.sourceExt,
        target: it.target,
        options: JSON.stringify(it.options ?? {}),
        destination: it.destination ? JSON.stringify(it.destination) : null,
        out_dir: it.outDir,
        conflict: it.conflict,
        now,
      });
    }
  }

  item(id: string): ItemRow | null {
    const r = this.s.item.get(id) as ItemDbRow | undefined;
    return r ? toItem(r) : null;
  }

  items(ids: string[]): ItemRow[] {
    const out: ItemRow[] = [];
    for (const id of ids) {
      const it = this.item(id);
      if (it) out.push(it);
    }
    return out;
  }

  itemsOfUnit(unitId: string): ItemRow[] {
    return (this.s.itemsOfUnit.all(unitId) as ItemDbRow[]).map(toItem);
  }

  listItems(batchId: string | undefined, offset: number, limit: number): { total: number; items: ItemRow[] } {
    const rows = batchId ? (this.s.itemsPageBatch.all(batchId, limit, offset) as ItemDbRow[]) : (this.s.itemsPage.all(limit, offset) as ItemDbRow[]);
    const total = batchId ? (this.s.countBatch.get(batchId) as { n: number }).n : (this.s.countAll.get() as { n: number }).n;
    return { total, items: rows.map(toItem) };
  }

  itemsOfBatch(batchId: string): ItemRow[] {
    return (this.s.itemsOfBatch.all(batchId) as ItemDbRow[]).map(toItem);
  }

  /** A batch's items that are not done or canceled (failed ones included). */
  openItemsOfBatch(batchId: string): ItemRow[] {
    return (this.s.openItemsOfBatch.all(batchId) as ItemDbRow[]).map(toItem);
  }

  /** Queued items not yet given to a unit (all batches, or one). */
  unstartedItems(batchId?: string): ItemRow[] {
    return ((batchId ? this.s.unstartedOfBatch.all(batchId) : this.s.unstarted.all()) as ItemDbRow[]).map(toItem);
  }

  /** Ids of the items under way (creating … delivering). */
  activeItemIds(): string[] {
    return (this.s.activeItemIds.all() as Array<{ id: string }>).map((r) => r.id);
  }

  /** Items started and not yet finished (all batches, or the given ones). */
  startedOpenCount(batchIds?: string[]): number {
    if (!batchIds) return (this.s.startedOpen.get() as { n: number }).n;
    return batchIds.reduce((n, b) => n + (this.s.startedOpenOfBatch.get(b) as { n: number }).n, 0);
  }

  updateItem(id: string, patch: ItemPatch): void {
    const keys = (Object.keys(patch) as Array<keyof ItemPatch>).filter((k) => patch[k] !== undefined);
    if (keys.length === 0) return;
    const sig = `i:${keys.join(',')}`;
    let stmt = this.patchCache.get(sig);
    if (!stmt) {
      const sets = keys.map((k) => `${ITEM_COLUMNS[k][0]} = ?`).join(', ');
      // Never equal to the last one: a window tells a newer view from an older one by it.
      stmt = this.db.prepare(`UPDATE queue_items SET ${sets}, updated_at = MAX(?, updated_at + 1) WHERE id = ?`);
      this.patchCache.set(sig, stmt);
    }
    const values = keys.map((k) => ITEM_COLUMNS[k][1](patch[k] as never));
    stmt.run(...values, this.now(), id);
  }

  deleteItem(id: string): void {
    this.s.releaseClaims.run(id);
    this.s.deleteItem.run(id);
  }

  // ---- units -------------------------------------------------------------------------------

  createUnit(batchId: string, kind: UnitRow['kind']): string {
    const id = newId();
    const now = this.now();
    this.s.insertUnit.run(id, batchId, this.nextSeq(), kind, crypto.randomUUID(), crypto.randomUUID(), now, now);
    return id;
  }

  unit(id: string): UnitRow | null {
    const r = this.s.unit.get(id) as UnitDbRow | undefined;
    return r ? toUnit(r) : null;
  }

  unitByRemoteId(remoteId: string): UnitRow | null {
    const r = this.s.unitByRemote.get(remoteId) as UnitDbRow | undefined;
    return r ? toUnit(r) : null;
  }

  // ---- unit transitions ------------------------------------------------------------------------
  // Each moves a unit from the phase the caller saw to the next one, only if it is still there:
  // of two runners racing on one unit exactly one wins, the other gets a TransitionError.

  private transition<F extends UnitPhase>(id: string, from: F, to: NextPhase<F>, job?: { remoteId: string; server: string | null }): void {
    if (!(NEXT_PHASES[from] as readonly UnitPhase[]).includes(to)) throw new TransitionError(id, from, to);
    const r = this.s.transition.run({ id, from, to, remote_id: job?.remoteId ?? null, server: job?.server ?? null, now: this.now() });
    if (r.changes !== 1) throw new TransitionError(id, from, to);
  }

  /** pending → creating: the conversions are frozen, the job is about to be created. */
  startCreating(id: string): void {
    this.transition(id, 'pending', 'creating');
  }

  /** creating → uploading (a local file) or converting: the job exists; its id is recorded. */
  recordCreated(id: string, next: NextPhase<'creating'> & ('uploading' | 'converting'), job: { remoteId: string; server: string | null }): void {
    this.transition(id, 'creating', next, job);
  }

  /** uploading → starting (the file is on the server) or converting (the job already runs). */
  recordUploaded(id: string, next: 'starting' | 'converting'): void {
    this.transition(id, 'uploading', next);
  }

  /** starting → converting: the job was told to process. */
  recordStarted(id: string): void {
    this.transition(id, 'starting', 'converting');
  }

  /** converting → downloading: the job completed. */
  recordConverted(id: string): void {
    this.transition(id, 'converting', 'downloading');
  }

  /** Any phase → finished: nothing is left to do for the unit's items. */
  finishUnit(id: string, from: Exclude<UnitPhase, 'finished'>): void {
    this.transition(id, from, 'finished');
  }

  /**
   * Records an attempt before a step runs. `watchCrash` marks the step as running until
   * endAttempt, so a step still marked at the next start is known to have ended the process (a
   * wait for the API cannot, and is not marked). Returns the unit's counters.
   *
   * Committed without a disk sync (like endAttempt): the guard counts steps that ended the
   * process, and a commit survives the end of the process (kill -9, a converter's crash) without
   * one; only a power loss can take the mark back, and a power loss is not the step's doing.
   */
  beginAttempt(id: string, phase: UnitPhase, watchCrash: boolean): { attempts: number; crashes: number } {
    return this.txAfter(() => {
      const r = this.s.beginAttempt.run({ id, phase, running: watchCrash ? 1 : 0, now: this.now() });
      if (r.changes !== 1) throw new TransitionError(id, phase, 'attempt');
      const u = this.unit(id)!;
      return { attempts: u.attempts, crashes: u.crashes };
    });
  }

  /** Records how the attempt ended: what already happened, so no disk sync is waited for (see beginAttempt). */
  endAttempt(id: string, end: AttemptEnd): void {
    const now = this.now();
    this.txAfter(() => {
      if (end.kind === 'ok') this.s.endOk.run(now, id);
      else if (end.kind === 'uncounted') this.s.endUncounted.run(now, id);
      else if (end.kind === 'failed') this.s.endFailed.run(end.error, end.nextAt, now, id);
      else this.s.endGaveUp.run(end.error, now, id);
    });
  }

  /**
   * Clears every step's running mark without counting it as a crash: at a start whose previous
   * process is known to have ended for another reason (a conversion of the in-process engine,
   * which that engine's own guard counts). Returns how many marks were cleared.
   */
  forgiveRunning(): number {
    return this.s.forgiveRunning.run().changes;
  }

  /** Makes a waiting unit due now (a callback arrived for its job). */
  wakeUnit(id: string): void {
    this.s.wake.run(id);
  }

  deleteUnitIfEmpty(id: string): void {
    if ((this.s.unitItemCount.get(id) as { n: number }).n === 0) this.s.deleteUnit.run(id);
  }

  /**
   * Units that may run now: those already under way first (a restart continues them), then new
   * ones in order (unless `pending` is false: the queue is paused); optionally only of some batches.
   */
  runnableUnits(now: number, limit: number, batches?: string[], pending = true): UnitRow[] {
    if (batches?.length === 0) return [];
    const scope = batches ?? [];
    // Two reads, each stopping at the limit through the phase index, instead of one that sorts
    // every unfinished unit at each call (the scheduler asks at every slot change).
    const inFlight = (
      this.scoped('inFlight', scope.length, (f) => `SELECT * FROM queue_units WHERE phase IN ${UNDER_WAY_SQL} AND next_at <= ?${f} ORDER BY seq LIMIT ?`).all(
        now,
        ...scope,
        limit,
      ) as UnitDbRow[]
    ).map(toUnit);
    if (inFlight.length >= limit || !pending) return inFlight;
    const notStarted = this.scoped(
      'pending',
      scope.length,
      (f) => `SELECT * FROM queue_units WHERE phase = 'pending' AND next_at <= ?${f} ORDER BY seq LIMIT ?`,
    ).all(now, ...scope, limit - inFlight.length) as UnitDbRow[];
    return inFlight.concat(notStarted.map(toUnit));
  }

  nextDueAt(now: number, batches?: string[], pending = true): number | null {
    if (batches?.length === 0) return null;
    const scope = batches ?? [];
    const phases = pending ? "phase <> 'finished'" : `phase IN ${UNDER_WAY_SQL}`;
    const r = this.scoped(
      `nextDue${pending ? '' : 'UnderWay'}`,
      scope.length,
      (f) => `SELECT MIN(next_at) AS t FROM queue_units WHERE ${phases} AND next_at > ?${f}`,
    ).get(now, ...scope) as { t: number | null };
    return r.t;
  }

  /**
   * A scheduler statement, over every batch (n = 0) or only n of them (`AND batch_id IN (?, …)`),
   * prepared once per shape.
   */
  private scoped(name: string, n: number, sql: (filter: string) => string): ReturnType<Db['prepare']> {
    const key = `${name}:${n}`;
    let stmt = this.batchStmts.get(key);
    if (!stmt) {
      const filter = n ? ` AND batch_id IN (${Array.from({ length: n }, () => '?').join(',')})` : '';
      stmt = this.db.prepare(sql(filter));
      if (this.batchStmts.size > 64) this.batchStmts.clear();
      this.batchStmts.set(key, stmt);
    }
    return stmt;
  }

  /** Units in a phase whose remote job may exist without its id recorded yet. */
  creatingCount(): number {
    return (this.s.creatingCount.get() as { n: number }).n;
  }

  // ---- output claims -------------------------------------------------------------------------

  claimOwner(pathKey: string): { itemId: string; batchId: string } | null {
    const r = this.s.claimOwner.get(pathKey) as { item_id: string; batch_id: string } | undefined;
    return r ? { itemId: r.item_id, batchId: r.batch_id } : null;
  }

  /** Inserts the claim; false when another item holds the path. */
  insertClaim(pathKey: string, p: string, itemId: string, batchId: string): boolean {
    try {
      this.s.insertClaim.run(pathKey, p, itemId, batchId);
      return true;
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') return false;
      throw err;
    }
  }

  /** Gives a claimed name up (someone else created the file first). */
  releaseClaim(pathKey: string, itemId: string): void {
    this.s.releaseClaim.run(pathKey, itemId);
  }

  /** Whether an item claimed exactly this path. */
  isPathClaimed(p: string): boolean {
    return Boolean(this.s.pathClaimed.get(p));
  }

  takeOverClaim(pathKey: string, p: string, itemId: string, batchId: string): void {
    this.s.replaceClaim.run(itemId, batchId, p, pathKey);
  }

  claimsOf(itemId: string): Array<{ pathKey: string; path: string }> {
    return (this.s.claimsOf.all(itemId) as Array<{ path_key: string; path: string }>).map((r) => ({ pathKey: r.path_key, path: r.path }));
  }

  releaseClaims(itemId: string): void {
    this.s.releaseClaims.run(itemId);
  }

  // ---- switches ----------------------------------------------------------------------------

  /** The user paused the queue: no new job starts until resumed (kept across restarts). */
  paused(): boolean {
    return (this.s.stateGet.get('paused') as { value: string } | undefined)?.value === '1';
  }

  setPaused(paused: boolean): void {
    this.s.stateSet.run('paused', paused ? '1' : '0');
  }

  // ---- cache -------------------------------------------------------------------------------

  cacheGet(name: string): { fetchedAt: number; doc: unknown } | null {
    const r = this.s.cacheGet.get(name) as { fetched_at: number; doc: string } | undefined;
    if (!r) return null;
    try {
      return { fetchedAt: r.fetched_at, doc: JSON.parse(r.doc) };
    } catch {
      return null;
    }
  }

  cacheSet(name: string, doc: unknown): void {
    this.s.cacheSet.run(name, this.now(), JSON.stringify(doc));
  }
}
