/**
 * The persistent batch queue: the store, the scheduler, the connection gate, the completion
 * watcher and the coalesced events, put together. `handlers()` serves the contract's `queue.*`,
 * `conversions.list` and `files.open/reveal`; the callback server plugs in through `hintJob` and
 * `setCallbackTarget`.
 */
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import {
  ContractError,
  type AddResult,
  type BatchCounts,
  type BatchView,
  type ChangeAnswer,
  type ConflictPolicy,
  type Destination,
  type Handlers,
  type ItemView,
  type MethodArgs,
  type QueueStatus,
  type SourceInput,
} from '../../preload/contract';
import type { Api2ConvertClient } from '../api/client';
import type { RequestOptions } from '../api/context';
import type { Job } from '../api/types';
import type { Db } from '../db';
import type { EventBus } from '../events';
import { silentLogger, type Logger } from '../log';
import { classify } from './classify';
import type { LocalEngineAccess } from '../provider';
import { ConversionsCache } from './conversions';
import { creditsOf, type Credits } from './credits';
import { QueueEmitter } from './emitter';
import { StepIsolation } from './step-isolation';
import { Gate, type GateSnapshot } from './gate';
import { acquireQueueLock, type QueueLock } from './lock';
import { outputDir, outputFolderProblem, releaseOutputs } from './outputs';
import { DEFAULT_MAX_CRASHES, failItems, finishUnit, runUnit, Semaphore, type DestinationsPort, type Progress, type RunnerDeps } from './runner';
import { Scheduler } from './scheduler';
import { expandPaths, labelOf, rejectReason, sourceExtOf, sourceKey } from './sources';
import { emptyCounts, newId, QueueStore, type NewItem } from './store';
import { isTerminalItem, sameApi, type BatchApi, type ItemRow } from './types';
import { JobWatcher, type PollRhythm } from './watcher';

/**
 * Default jobs in flight, chosen by measurement (bench/queue-concurrency.ts: 200 URL items + 200
 * local files against the local engine at 30 ms per request and 200 ms per conversion, median of 3
 * interleaved rounds): c=16 11.7 s, c=32 7.1 s, c=64 5.7 s, c=128 5.9 s (and 4.20 → 4.26 → 4.82
 * requests per item). 64 is the knee: beyond it nothing is gained and polls grow. Uploads and
 * downloads are bounded separately (8 each), so 64 jobs in flight never means 64 transfers; an API
 * that allows fewer jobs answers 429 and the queue lowers its limit at run time (AIMD).
 */
export const DEFAULT_CONCURRENCY = 64;
/** Uploads at once, and downloads at once: many jobs in flight need not mean as many transfers sharing the line. */
export const DEFAULT_MAX_TRANSFERS = 8;
/** Most conversions that share one job (one source, several targets). */
const MAX_CONVERSIONS_PER_JOB = 10;

export interface QueueSettingsPort {
  /** `concurrency` unset: the provider's default applies. */
  get(): { concurrency?: number; outputDir: string | null; conflictPolicy: ConflictPolicy };
}

export interface QueueOptions {
  db: Db;
  /**
   * The client for the queue's API key (one per key; shared with the rest of Convoy). The queue
   * passes its own per-request options on every call (see `request`).
   */
  client: Api2ConvertClient;
  events: EventBus;
  dataDir: string;
  log?: Logger;
  settings?: QueueSettingsPort;
  shell?: 'electron' | 'browser' | 'cli';
  /** The desktop shell's file actions (files.open / files.reveal). */
  desktop?: { openPath(file: string): Promise<boolean>; reveal(file: string): boolean };
  destinations?: DestinationsPort | null;
  /** Jobs in flight; overrides the settings. */
  concurrency?: number;
  /** Jobs in flight when neither `concurrency` nor the settings say (the provider's choice). */
  defaultConcurrency?: number;
  /** The in-process engine's shortcuts (files by path, job ends announced); absent for a remote API. */
  local?: LocalEngineAccess | null;
  /** Conflict policy for new items; overrides the settings. */
  conflictPolicy?: ConflictPolicy;
  /** Output folder for items without one; overrides the settings' outputDir. */
  outputDir?: string;
  /** Continue every unfinished batch right away (default). Off: only batches started by this process run. */
  autoResume?: boolean;
  /**
   * The API this queue's client talks to. New batches record it; only batches of this API (and
   * older ones that recorded none) run here: the others' jobs exist on their own API only.
   */
  api?: BatchApi;
  /** Take the data folder's queue lock (default true), or use one the caller already holds. */
  lock?: boolean | QueueLock;
  poll?: Partial<PollRhythm>;
  probe?: { initialMs?: number; maxMs?: number; timeoutMs?: number; diskCheckMs?: number };
  /** Bounds on what an API may return: outputs per conversion (default 1000), bytes per output without a declared size (default 64 GiB). */
  limits?: { maxOutputs?: number; maxDownloadBytes?: number };
  retry?: { maxAttempts?: number; baseMs?: number; maxCrashes?: number };
  /** Parallel downloads of finished results (default 8). */
  maxDownloads?: number;
  /** Parallel uploads of local files (default 8). */
  maxUploads?: number;
  /** Files above this size use the chunked, resumable upload. */
  chunkSize?: number;
  eventIntervalMs?: number;
  now?: () => number;
}

export interface CallbackTarget {
  url: string;
  notifyStatus: boolean;
}

export class Queue {
  readonly store: QueueStore;
  private client: Api2ConvertClient;
  private readonly gate: Gate;
  private readonly watcher: JobWatcher;
  private readonly scheduler: Scheduler;
  private readonly emitter: QueueEmitter;
  private readonly conversions: ConversionsCache;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly progress = new Map<string, Progress>();
  private readonly jobs = new Map<string, Job>();
  private readonly fresh = new Set<string>();
  private readonly counts: Map<string, BatchCounts>;
  /** Batches with started work not yet ended (for batchDone). */
  private readonly activeBatches: Set<string>;
  private readonly lock: QueueLock | null;
  private readonly deps: RunnerDeps;
  private callbackTarget: CallbackTarget | null = null;
  /** Remaining credits from the API's contracts (desktop / browser only), refreshed at most once a minute. */
  private credits: Credits | null = null;
  private creditsAt = 0;
  /**
   * The queue's options on every request: no 429 retries one by one (the queue answers a 429 for
   * all its requests at once), and an answer (not an error status) tells the gate the API is
   * there, so an offline queue notices it is back.
   */
  private readonly request: Omit<RequestOptions, 'signal'> = {
    retry: { rateLimitRetries: 0 },
    onResponse: ({ status }) => {
      if (status < 400) this.gate.ok();
    },
  };
  private closed = false;
  private readonly unsubscribe: () => void;

  constructor(private readonly opts: QueueOptions) {
    this.now = opts.now ?? Date.now;
    this.log = opts.log ?? silentLogger;
    this.lock = opts.lock === false ? null : typeof opts.lock === 'object' ? opts.lock : acquireQueueLock(opts.dataDir);
    try {
      this.store = new QueueStore(opts.db, this.now);
    } catch (err) {
      this.lock?.release();
      throw err;
    }
    // The in-process engine's crash-loop guard counts an end of the process during its conversion:
    // the queue's steps that were running then (downloads of other items, say) did not cause it.
    if (opts.local?.endedWhileConverting?.()) {
      const forgiven = this.store.forgiveRunning();
      if (forgiven > 0)
        this.log.info(`the last run ended during a conversion of the local engine; ${forgiven} step(s) running then are not counted as crashes`);
    }
    this.client = opts.client;
    this.counts = this.store.countsByBatch();
    this.activeBatches = new Set(this.store.batchesWithUnfinishedUnits());
    this.emitter = new QueueEmitter(
      opts.events,
      {
        views: (ids) => this.views(ids),
        recount: (batches) => {
          for (const b of batches) {
            if (this.store.hasBatch(b)) this.counts.set(b, this.store.countsOfBatch(b));
            else this.counts.delete(b);
          }
        },
        status: () => this.status(),
        finishedBatches: (candidates) => this.finishedBatches(candidates),
      },
      opts.eventIntervalMs ?? 200,
    );
    this.gate = new Gate({
      probe: async () => {
        await this.client.getContracts(this.request);
      },
      probeInitialMs: opts.probe?.initialMs,
      probeMaxMs: opts.probe?.maxMs,
      probeTimeoutMs: opts.probe?.timeoutMs,
      diskCheckMs: opts.probe?.diskCheckMs,
      log: (m) => this.log.info(m),
      now: this.now,
      onChange: () => this.onGateChange(),
    });
    this.watcher = new JobWatcher({
      getJob: (id) => this.gated(() => this.client.getJob(id, this.request)),
      gate: this.gate,
      rhythm: opts.poll,
      maxConcurrentPolls: 16,
      announced: Boolean(opts.local),
      log: (m) => this.log.info(m),
      now: this.now,
    });
    this.conversions = new ConversionsCache(this.store, () => this.gated(() => this.client.listConversions({}, this.request)), this.now);
    this.scheduler = new Scheduler(
      {
        store: this.store,
        gate: this.gate,
        run: (unitId, signal) => runUnit(this.deps, unitId, signal),
        concurrency: opts.concurrency ?? opts.settings?.get().concurrency ?? opts.defaultConcurrency ?? DEFAULT_CONCURRENCY,
        log: (m) => this.log.info(m),
        now: this.now,
      },
      opts.autoResume !== false && !opts.api,
    );
    if (opts.autoResume !== false && opts.api) this.allowOwnBatches();
    // A pause is the app's: a command line run is itself the request to convert.
    if (opts.shell !== 'cli' && this.store.paused()) this.scheduler.setPaused(true);
    this.deps = {
      store: this.store,
      client: () => this.client,
      request: this.request,
      gate: this.gate,
      watcher: this.watcher,
      log: this.log,
      destinations: opts.destinations ?? null,
      callbackTarget: () => this.callbackTarget,
      knownTargets: () => this.conversions.knownTargets(),
      touch: (ids, batchId) => this.emitter.touch(ids, batchId),
      progress: this.progress,
      limiter: { success: () => this.scheduler.success(), rateLimited: () => this.scheduler.rateLimited() },
      releaseSlot: (unitId) => this.scheduler.releaseSlot(unitId),
      downloads: new Semaphore(opts.maxDownloads ?? DEFAULT_MAX_TRANSFERS),
      uploads: new Semaphore(opts.maxUploads ?? DEFAULT_MAX_TRANSFERS),
      jobs: this.jobs,
      fresh: this.fresh,
      chunkSize: opts.chunkSize,
      maxAttempts: opts.retry?.maxAttempts ?? 10,
      maxCrashes: opts.retry?.maxCrashes ?? DEFAULT_MAX_CRASHES,
      isolation: new StepIsolation(),
      retryBaseMs: opts.retry?.baseMs ?? 1000,
      now: this.now,
      limits: opts.limits,
      apiReachable: () =>
        this.client.getContracts(this.request).then(
          () => true,
          (err: unknown) => !['offline', 'unavailable', 'abort'].includes(classify(err).kind),
        ),
      local: opts.local ?? null,
    };
    const offSettings = opts.events.on('settings', (s) => {
      if (opts.concurrency === undefined && s.concurrency !== this.scheduler.concurrency) this.setConcurrency(s.concurrency);
    });
    // The in-process engine says when a job ends: read it at once, as a callback would make us.
    const offJobEnd = opts.local?.onJobEnd((jobId) => this.hintJob(jobId));
    this.unsubscribe = () => {
      offSettings();
      offJobEnd?.();
    };
    // Unfinished work from before (a crash, a reboot) continues right away.
    if (this.conversions.isStale()) void this.conversions.refresh().catch(() => {});
    this.scheduler.pump();
  }

  // ---- what the other parts call ------------------------------------------------------------

  handlers(): Partial<Handlers> {
    return {
      'queue.add': async (a) => {
        const added = await this.add(a);
        // Asked for by a window only: building the views costs about as much as the add itself.
        return a.withItems ? { ...added, items: this.views(added.itemIds) } : added;
      },
      'queue.list': async (a) => this.list(a),
      'queue.batches': async () => this.batches(),
      'queue.setTarget': async (a) => this.setTarget(a),
      'queue.setDestination': async (a) => this.setDestination(a),
      'queue.start': async (a) => this.start(a ?? {}),
      'queue.merge': (a) => this.merge(a),
      'queue.retry': async (a) => this.retry(a),
      'queue.cancel': async (a) => this.answer((await this.cancel(a.itemIds)).updated, a.itemIds, a.withItems),
      'queue.remove': (a) => this.remove(a.itemIds),
      'queue.status': async () => this.status(),
      'queue.pause': async ({ paused }) => this.pause(paused),
      'conversions.list': async (a) => {
        try {
          return await this.conversions.get(Boolean(a?.refresh));
        } catch (err) {
          throw new ContractError('unavailable', `The conversions list could not be loaded: ${(err as Error).message}`);
        }
      },
      'files.open': async ({ itemId }) => {
        const file = await this.requireResult(itemId);
        if (this.opts.desktop) return { opened: await this.opts.desktop.openPath(file) };
        if (this.opts.shell === 'browser') return { opened: false, url: `/api/files/${encodeURIComponent(itemId)}` };
        return { opened: false };
      },
      'files.reveal': async ({ itemId }) => {
        const file = await this.requireResult(itemId);
        if (this.opts.desktop) return { revealed: this.opts.desktop.reveal(file) };
        return { revealed: false };
      },
    };
  }

  /** The local file an item converts (null for URLs, cloud objects, merges). */
  sourcePath(itemId: string): string | null {
    const item = this.store.item(itemId);
    return item?.source.kind === 'file' ? item.source.path : null;
  }

  /** A finished item's first local result that still exists. */
  async resultPath(itemId: string): Promise<string | null> {
    const item = this.store.item(itemId);
    if (item?.state !== 'done') return null;
    for (const rec of item.outputs) {
      if (!rec.path || !rec.done || rec.skipped) continue;
      const stat = await fs.promises.stat(rec.path).catch(() => null);
      if (stat?.isFile()) return rec.path;
    }
    return null;
  }

  /** A callback arrived for this job: re-read it now. */
  hintJob(jobId: string): 'known' | 'pending' | 'unknown' {
    if (this.closed) return 'unknown';
    if (this.watcher.hint(jobId)) return 'known';
    const unit = this.store.unitByRemoteId(jobId);
    if (unit) {
      if (unit.phase !== 'finished' && !this.scheduler.isRunning(unit.id)) {
        this.store.wakeUnit(unit.id);
        this.scheduler.pump();
      } else if (unit.phase !== 'finished') {
        // Its runner is between phases and not watching yet: the watch it starts reads at once.
        this.watcher.keepHint(jobId);
      }
      return 'known';
    }
    if (this.store.creatingCount() > 0) {
      this.watcher.keepHint(jobId);
      return 'pending';
    }
    return 'unknown';
  }

  /** Whether a callback's job is this queue's, without reading it. */
  knowsJob(jobId: string): 'known' | 'pending' | 'unknown' {
    if (this.closed) return 'unknown';
    if (this.watcher.isWatched(jobId) || this.store.unitByRemoteId(jobId)) return 'known';
    return this.store.creatingCount() > 0 ? 'pending' : 'unknown';
  }

  /**
   * A signed callback's job document, trusted as the job's state: a watched job takes it as a
   * read. 'reread' when it is not a job document, not watched now, or disagrees (see JobWatcher.deliver).
   */
  takeJob(doc: unknown): 'known' | 'reread' {
    if (this.closed) return 'reread';
    const job = this.client.acceptJob(doc);
    // agrees(): the unit exists, unfinished, with these conversions, so an early document may be kept.
    if (!job || !this.agrees(job) || !this.watcher.deliver(job, true)) return 'reread';
    this.gate.ok(); // the API was heard from
    return 'known';
  }

  /** The document names the conversions this queue created for the job, and its outputs come from them. */
  private agrees(job: Job): boolean {
    const unit = this.store.unitByRemoteId(job.id);
    if (!unit || unit.phase === 'finished') return false;
    const ids = new Set(job.conversion.map((c) => c.id).filter(Boolean));
    const expected = this.store.itemsOfUnit(unit.id).map((i) => i.convId);
    if (expected.length === 0 || !expected.every((id) => id && ids.has(id))) return false;
    return job.output.every((o) => Boolean(o.source?.conversion && ids.has(o.source.conversion)));
  }

  setCallbackTarget(target: CallbackTarget | null): void {
    this.callbackTarget = target;
    this.watcher.setCallbackMode(Boolean(target));
  }

  /** A new key (or provider): requests go through the new client and a held queue continues. */
  setClient(client: Api2ConvertClient): void {
    this.client = client;
    this.credits = null;
    this.creditsAt = 0;
    this.gate.resume();
    this.scheduler.pump();
  }

  setConcurrency(n: number): void {
    this.scheduler.setConcurrency(n);
    this.emitter.statusChanged();
  }

  /** Also run batches that were unfinished before this process started (those of this queue's API). */
  resumeAll(): void {
    if (this.opts.api) this.allowOwnBatches();
    else this.scheduler.allowAll();
  }

  /** A new batch with no items yet (a watched folder's, created before it takes its first file). */
  createEmptyBatch(): string {
    this.assertOpen();
    const id = this.store.createBatch(this.opts.api).id;
    this.counts.set(id, emptyCounts());
    return id;
  }

  /** Runs this batch's unfinished work now (when it belongs to this queue's API). */
  resumeBatch(batchId: string): void {
    if (!this.ownsBatch(batchId)) return;
    this.scheduler.allowBatch(batchId);
    this.scheduler.pump();
  }

  /** Whether a batch runs on this queue's API (batches that recorded no API run anywhere). */
  ownsBatch(batchId: string): boolean {
    if (!this.opts.api) return true;
    const api = this.store.batches().find((b) => b.id === batchId)?.api;
    return !api || sameApi(api, this.opts.api);
  }

  /** Unfinished batches that belong to another API and therefore wait here. */
  foreignBatches(): Array<{ id: string; api: BatchApi }> {
    const own = this.opts.api;
    if (!own) return [];
    const unfinished = new Set(this.store.batchesWithUnfinishedUnits());
    return this.store
      .batches()
      .filter((b) => b.api && !sameApi(b.api, own) && unfinished.has(b.id))
      .map((b) => ({ id: b.id, api: b.api! }));
  }

  private allowOwnBatches(): void {
    const own = this.opts.api!;
    for (const b of this.store.batches()) if (!b.api || sameApi(b.api, own)) this.scheduler.allowBatch(b.id);
    this.scheduler.pump();
  }

  connection(): GateSnapshot {
    return this.gate.snapshot();
  }

  status(): QueueStatus {
    const g = this.gate.snapshot();
    const totals = emptyCounts();
    for (const c of this.counts.values()) {
      totals.total += c.total;
      totals.queued += c.queued;
      totals.active += c.active;
      totals.done += c.done;
      totals.failed += c.failed;
      totals.canceled += c.canceled;
    }
    const waiting = g.connection !== 'online' || g.halt !== null;
    this.refreshCredits();
    return {
      running: !this.closed && g.halt?.kind !== 'auth' && this.activeBatches.size > 0,
      connection: g.connection,
      reason: g.halt?.reason ?? g.reason,
      halt: g.halt?.kind ?? null,
      retryAt: g.retryAt,
      waitingItems: waiting ? this.waitingCount() : 0,
      concurrency: this.scheduler.concurrency,
      paused: this.scheduler.isPaused,
      totals,
      credits: this.credits?.credits ?? null,
      ...(this.credits?.unlimited ? { creditsUnlimited: true } : {}),
    };
  }

  /**
   * Pauses (no new job starts; those under way finish, results download) or resumes the queue.
   * Kept across restarts. Items started meanwhile wait as started.
   */
  pause(paused: boolean): QueueStatus {
    this.assertOpen();
    if (this.opts.shell === 'cli') throw new ContractError('invalid_argument', 'A command line run does not pause; stop it with Ctrl+C');
    this.store.setPaused(paused);
    this.scheduler.setPaused(paused);
    this.log.info(paused ? 'queue paused' : 'queue resumed');
    this.emitter.statusChanged();
    return this.status();
  }

  /** Asks the API for its contracts in the background (the app's status bar shows the credits). */
  private refreshCredits(): void {
    if (this.closed || (this.opts.shell !== 'electron' && this.opts.shell !== 'browser')) return;
    if (this.now() - this.creditsAt < 60_000) return;
    this.creditsAt = this.now();
    const client = this.client;
    client
      .getContracts()
      .then((list) => {
        if (this.closed || client !== this.client) return;
        this.credits = creditsOf(list);
        this.emitter.statusChanged();
      })
      .catch((err: unknown) => this.log.info(`credits unknown: ${(err as Error).message}`));
  }

  /** Items started and not yet finished (all batches, or the given ones). */
  unfinishedCount(batchIds?: string[]): number {
    return this.store.startedOpenCount(batchIds);
  }

  /** Emits pending events now. */
  flushEvents(): void {
    this.emitter.flush();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    this.gate.close();
    this.watcher.close();
    await this.scheduler.close();
    this.emitter.close();
    this.lock?.release();
  }

  // ---- contract methods ---------------------------------------------------------------------

  async add(args: MethodArgs<'queue.add'>): Promise<AddResult> {
    this.assertOpen();
    if (args.batchId && !this.store.hasBatch(args.batchId)) throw new ContractError('not_found', `No batch ${args.batchId}`);
    const rejected: AddResult['rejected'] = [];
    const rows: NewItem[] = [];
    const seen = new Set<string>();
    if (args.batchId) for (const it of this.store.itemsOfBatch(args.batchId)) seen.add(this.dedupeKey(it.source, it.target, it.options, it.destination));
    const defaults = this.defaults();
    for (const entry of args.items) {
      const target = (entry.target ?? args.target ?? null)?.toLowerCase() ?? null;
      const options = entry.options ?? args.options ?? {};
      const destination: Destination = entry.destination ?? args.destination ?? { kind: 'folder' };
      let sources: SourceInput[] = [entry.source];
      if (entry.source.kind === 'file') {
        const abs = path.resolve(entry.source.path);
        const stat = await fs.promises.stat(abs).catch(() => null);
        if (stat?.isDirectory()) {
          const files = await expandPaths([abs], true);
          if (files.length === 0) {
            rejected.push({ input: entry.source.path, reason: 'The folder contains no files' });
            continue;
          }
          const base = entry.source.relDir;
          sources = files.map((f) => ({ kind: 'file', path: f.path, relDir: base ? path.join(base, f.relDir ?? '') : f.relDir }));
        } else {
          sources = [{ ...entry.source, path: abs }];
        }
      } else if (entry.source.kind === 'url') {
        sources = [{ ...entry.source, url: entry.source.url.trim() }];
      } else if (entry.source.kind === 'merge') {
        // The parts keep their order; paths are made absolute so a resume finds them.
        const inputs = entry.source.inputs.map((p) =>
          p.kind === 'file' ? { kind: 'file' as const, path: path.resolve(p.path) } : { ...p, url: p.url.trim() },
        );
        sources = [{ ...entry.source, inputs }];
      }
      for (const source of sources) {
        const display = source.kind === 'file' ? source.path : labelOf(source);
        const reason = rejectReason(source) ?? this.cliOnly(source, destination);
        if (reason) {
          rejected.push({ input: display, reason });
          continue;
        }
        const key = this.dedupeKey(source, target, options, destination);
        if (seen.has(key)) {
          rejected.push({ input: display, reason: 'Duplicate: the same source, target and destination are already in this batch' });
          continue;
        }
        seen.add(key);
        rows.push({
          id: newId(),
          batchId: '',
          source,
          label: (source.kind === 'cloud' && source.profileId && this.opts.destinations?.cloudLabel?.(source.profileId, source.file)) || labelOf(source),
          sourceExt: sourceExtOf(source),
          target,
          options,
          destination,
          outDir: this.outDirFor(destination, defaults.outputDir),
          conflict: defaults.conflictPolicy,
        });
      }
    }
    if (rows.length === 0) return { batchId: args.batchId ?? '', itemIds: [], rejected };
    // An output folder that can never be written is the user's to fix now, before any upload.
    for (const dir of new Set(rows.map((r) => r.outDir).filter((d): d is string => Boolean(d)))) {
      const problem = outputFolderProblem(dir);
      if (problem) throw new ContractError('invalid_argument', problem);
    }
    // A local file's size is shown from the moment it is added (the row's "1.2 MB → 340 KB").
    const sizes = await Promise.all(
      rows.map((r) =>
        r.source.kind === 'file'
          ? fs.promises.stat(r.source.path).then(
              (st) => st.size,
              () => null,
            )
          : null,
      ),
    );
    const batchId = this.store.tx(() => {
      const id = args.batchId ?? this.store.createBatch(this.opts.api).id;
      this.store.insertItems(id, rows);
      rows.forEach((r, i) => {
        if (sizes[i] !== null) this.store.updateItem(r.id, { bytesUpTotal: sizes[i] });
      });
      return id;
    });
    if (!this.counts.has(batchId)) this.counts.set(batchId, emptyCounts());
    const ids = rows.map((r) => r.id);
    this.emitter.touch(ids, batchId);
    return { batchId, itemIds: ids, rejected };
  }

  list(args: MethodArgs<'queue.list'>): { total: number; items: ItemView[] } {
    const { batchId, offset = 0, limit = 1000 } = args ?? {};
    const page = this.store.listItems(batchId, offset, limit);
    return { total: page.total, items: page.items.map((r) => this.view(r)) };
  }

  batches(): BatchView[] {
    return this.store.batches().map((b) => ({ id: b.id, createdAt: b.createdAt, counts: { ...(this.counts.get(b.id) ?? emptyCounts()) } }));
  }

  setTarget(args: MethodArgs<'queue.setTarget'>): ChangeAnswer {
    let updated = 0;
    const touched: string[] = [];
    this.store.tx(() => {
      for (const item of this.store.items(args.itemIds)) {
        if (!this.editable(item)) continue;
        this.store.updateItem(item.id, { target: args.target?.toLowerCase() ?? null, options: args.options ?? item.options });
        touched.push(item.id);
        updated++;
      }
    });
    this.emitter.touch(touched);
    return this.answer(updated, touched, args.withItems);
  }

  setDestination(args: MethodArgs<'queue.setDestination'>): ChangeAnswer {
    const refused = args.destination.kind === 'cloud' ? this.cliOnly({ kind: 'url', url: '' }, args.destination) : null;
    if (refused) throw new ContractError('invalid_argument', refused);
    let updated = 0;
    const touched: string[] = [];
    const outDir = this.outDirFor(args.destination, this.defaults().outputDir);
    this.store.tx(() => {
      for (const item of this.store.items(args.itemIds)) {
        if (!this.editable(item)) continue;
        const patch: Parameters<QueueStore['updateItem']>[1] = { destination: args.destination, outDir };
        // A started item shares its job with items of the same source; a new destination gets its own job.
        if (item.unitId && this.store.itemsOfUnit(item.unitId).length > 1) {
          const unit = this.store.unit(item.unitId)!;
          patch.unitId = this.store.createUnit(item.batchId, unit.kind);
        }
        this.store.updateItem(item.id, patch);
        touched.push(item.id);
        updated++;
      }
    });
    this.emitter.touch(touched);
    return this.answer(updated, touched, args.withItems);
  }

  start(args: MethodArgs<'queue.start'> & object): { started: number; missingTarget: number } {
    this.assertOpen();
    let rows: ItemRow[];
    if (args.itemIds) rows = this.store.items(args.itemIds).filter((i) => i.state === 'queued' && !i.unitId && (!args.batchId || i.batchId === args.batchId));
    else rows = this.store.unstartedItems(args.batchId);
    const missing = rows.filter((r) => !r.target);
    const going = rows.filter((r) => r.target);
    const groups = new Map<string, ItemRow[]>();
    for (const item of going) {
      const key = [item.batchId, sourceKey(item.source), JSON.stringify(item.destination), item.outDir, item.conflict].join('\n');
      let g = groups.get(key);
      // Same source and same target twice (other options) still shares a job; a full job starts a new group.
      if (!g || g.length >= MAX_CONVERSIONS_PER_JOB) groups.set(key, (g = []));
      g.push(item);
    }
    const batches = new Set<string>();
    this.store.tx(() => {
      for (const items of groups.values()) {
        const unitId = this.store.createUnit(items[0].batchId, items[0].source.kind);
        for (const item of items) this.store.updateItem(item.id, { unitId });
        batches.add(items[0].batchId);
      }
    });
    for (const b of batches) {
      this.activeBatches.add(b);
      if (this.ownsBatch(b)) this.scheduler.allowBatch(b);
      this.emitter.touchBatch(b);
    }
    this.scheduler.pump();
    return { started: going.length, missingTarget: missing.length };
  }

  /** One new item merging these items' sources in the given order (see the contract's queue.merge). */
  async merge(args: MethodArgs<'queue.merge'>): Promise<{ batchId: string; itemId: string; removed: number }> {
    this.assertOpen();
    if (new Set(args.itemIds).size !== args.itemIds.length) throw new ContractError('invalid_argument', 'An item is listed twice in the merge');
    const rows = this.store.items(args.itemIds);
    const byId = new Map(rows.map((r) => [r.id, r]));
    const inputs: Array<Extract<SourceInput, { kind: 'file' | 'url' }>> = [];
    for (const id of args.itemIds) {
      const row = byId.get(id);
      if (!row) throw new ContractError('not_found', `No item ${id}`);
      if (row.source.kind !== 'file' && row.source.kind !== 'url')
        throw new ContractError('invalid_argument', `${row.label} cannot be merged: only files and URLs can`);
      inputs.push(
        row.source.kind === 'file'
          ? { kind: 'file', path: row.source.path }
          : { kind: 'url', url: row.source.url, ...(row.source.filename ? { filename: row.source.filename } : {}) },
      );
    }
    const first = byId.get(args.itemIds[0])!;
    const source: SourceInput = { kind: 'merge', inputs, ...(args.name ? { name: args.name } : {}) };
    const added = await this.add({ items: [{ source, target: args.target ?? 'merge', destination: first.destination ?? { kind: 'folder' } }] });
    if (!added.itemIds.length) throw new ContractError('invalid_argument', added.rejected[0]?.reason ?? 'The merge was not accepted');
    // The rows that only waited are now inputs of the merge; started or finished ones stay.
    const replaced = rows.filter((r) => r.state === 'queued' && !r.unitId).map((r) => r.id);
    const { removed } = replaced.length ? await this.remove(replaced) : { removed: 0 };
    return { batchId: added.batchId, itemId: added.itemIds[0], removed };
  }

  retry(args: { itemIds: string[] }): { updated: number } {
    this.assertOpen();
    const items = this.store.items(args.itemIds).filter((i) => i.state === 'failed' || i.state === 'canceled');
    this.store.tx(() => {
      for (const item of items) {
        releaseOutputs(this.store, item);
        this.store.updateItem(item.id, {
          state: 'queued',
          error: null,
          unitId: null,
          convIndex: null,
          convId: null,
          outputs: [],
          bytesUp: 0,
          bytesUpTotal: null,
          bytesDown: 0,
          bytesDownTotal: null,
        });
      }
    });
    this.emitter.touch(items.map((i) => i.id));
    if (items.length) this.start({ itemIds: items.map((i) => i.id) });
    return { updated: items.length };
  }

  async cancel(itemIds: string[]): Promise<{ updated: number }> {
    const items = this.store.items(itemIds).filter((i) => !isTerminalItem(i.state));
    const units = new Set<string>();
    this.store.tx(() => {
      for (const item of items) {
        releaseOutputs(this.store, item);
        this.store.updateItem(item.id, { state: 'canceled', error: null, outputs: item.outputs.filter((r) => r.done && !r.skipped) });
        this.progress.delete(item.id);
        if (item.unitId) units.add(item.unitId);
      }
    });
    for (const unitId of units) {
      const unit = this.store.unit(unitId);
      if (!unit || unit.phase === 'finished') continue;
      if (this.store.itemsOfUnit(unitId).some((i) => !isTerminalItem(i.state))) continue;
      // A creation in flight is let through: once its job id is recorded the runner sees nothing
      // left to do and deletes the job on the server (an aborted POST could leave it unknown).
      if (unit.phase === 'creating' && this.scheduler.isRunning(unitId)) continue;
      await this.scheduler.abort(unitId);
      const current = this.store.unit(unitId);
      if (current && current.phase !== 'finished') finishUnit(this.deps, current);
    }
    this.emitter.touch(items.map((i) => i.id));
    this.scheduler.pump();
    return { updated: items.length };
  }

  async remove(itemIds: string[]): Promise<{ removed: number }> {
    await this.cancel(itemIds);
    const items = this.store.items(itemIds);
    const batches = new Set<string>();
    const units = new Set<string>();
    this.store.tx(() => {
      for (const item of items) {
        this.store.deleteItem(item.id);
        batches.add(item.batchId);
        if (item.unitId) units.add(item.unitId);
      }
      for (const u of units) this.store.deleteUnitIfEmpty(u);
      for (const b of batches) {
        if (this.store.dropBatchIfEmpty(b)) {
          this.counts.delete(b);
          this.activeBatches.delete(b);
        }
      }
    });
    this.emitter.remove(
      items.map((i) => i.id),
      batches,
    );
    return { removed: items.length };
  }

  // ---- internals ----------------------------------------------------------------------------

  private defaults(): { outputDir: string; conflictPolicy: ConflictPolicy } {
    const s = this.opts.settings?.get();
    return {
      outputDir: this.opts.outputDir ?? s?.outputDir ?? defaultOutputDir(),
      conflictPolicy: this.opts.conflictPolicy ?? s?.conflictPolicy ?? 'rename',
    };
  }

  private outDirFor(destination: Destination, fallback: string): string | null {
    if (destination.kind !== 'folder') return null;
    return path.resolve(destination.path ?? fallback);
  }

  /** Cloud accounts with credentials from a file or the environment come from the command line only. */
  private cliOnly(source: SourceInput, destination: Destination): string | null {
    if (this.opts.shell === 'cli') return null;
    if ((source.kind === 'cloud' && source.account) || destination.kind === 'cloud') {
      return 'Cloud accounts with credentials from a file or the environment are accepted from the command line only; use a saved profile';
    }
    return null;
  }

  private dedupeKey(source: SourceInput, target: string | null, options: object, destination: Destination | null): string {
    return [sourceKey(source), target ?? '', JSON.stringify(options ?? {}), JSON.stringify(destination ?? { kind: 'folder' })].join('\n');
  }

  /** Target and destination may change until the item's job is being created. */
  private editable(item: ItemRow): boolean {
    if (item.state === 'failed' || item.state === 'canceled') return true;
    if (item.state !== 'queued') return false;
    if (!item.unitId) return true;
    const unit = this.store.unit(item.unitId);
    return !unit || unit.phase === 'pending';
  }

  private assertOpen(): void {
    if (this.closed) throw new ContractError('unavailable', 'The queue is shutting down');
  }

  private async requireResult(itemId: string): Promise<string> {
    const item = this.store.item(itemId);
    if (!item) throw new ContractError('not_found', `No item ${itemId}`);
    const file = await this.resultPath(itemId);
    if (!file) throw new ContractError('not_found', `"${item.label}" has no local result to open`);
    return file;
  }

  private view(r: ItemRow): ItemView {
    const p = this.progress.get(r.id);
    const g = this.gate.snapshot();
    const active = !isTerminalItem(r.state) && r.state !== 'queued';
    return {
      id: r.id,
      batchId: r.batchId,
      label: r.label,
      sourceKind: r.source.kind,
      sourceExt: r.sourceExt,
      target: r.target,
      options: r.options,
      destination: r.destination,
      outDir: outputDir(r),
      state: r.state,
      waiting: active && g.connection !== 'online' ? g.connection : null,
      bytesUp: p?.bytesUp ?? r.bytesUp,
      bytesUpTotal: p?.bytesUpTotal ?? r.bytesUpTotal,
      bytesDown: p?.bytesDown ?? r.bytesDown,
      bytesDownTotal: p?.bytesDownTotal ?? r.bytesDownTotal,
      error: r.error,
      lastError: r.lastError,
      outputs: r.outputs
        .filter((o) => o.done && !o.skipped)
        .map((o) => (o.path ?? o.location)!)
        .filter(Boolean),
      updatedAt: r.updatedAt,
    };
  }

  /** A change's answer; with `withItems`, these items as `queue.list` shows them now (a window shows them at once). */
  private answer(updated: number, ids: string[], withItems: boolean | undefined): ChangeAnswer {
    return withItems ? { updated, items: this.views(ids) } : { updated };
  }

  private views(ids: string[]): ItemView[] {
    return this.store.items(ids).map((r) => this.view(r));
  }

  private waitingCount(): number {
    return this.unfinishedCount();
  }

  private finishedBatches(candidates: Iterable<string>): Array<{ batchId: string; counts: BatchCounts }> {
    const out: Array<{ batchId: string; counts: BatchCounts }> = [];
    for (const b of candidates) {
      if (!this.activeBatches.has(b)) continue;
      if (this.store.unfinishedUnitsInBatch(b) > 0) continue;
      this.activeBatches.delete(b);
      out.push({ batchId: b, counts: { ...(this.counts.get(b) ?? this.store.countsOfBatch(b)) } });
    }
    return out;
  }

  private onGateChange(): void {
    // Items under way show whether they wait; the status carries the reason.
    const active = this.store.activeItemIds();
    if (active.length) this.emitter.touch(active);
    this.emitter.statusChanged();
    if (this.gate.isOpen()) this.scheduler?.pump();
  }

  /** Runs a request after the gate; an answer tells the gate the API is there. */
  private async gated<T>(fn: () => Promise<T>): Promise<T> {
    await this.gate.pass();
    const result = await fn();
    this.gate.ok();
    return result;
  }
}

/** Where results go when nothing else says: ~/Downloads/Convoy (or ~/Convoy without a Downloads folder). */
export function defaultOutputDir(): string {
  const home = os.homedir();
  const downloads = path.join(home, 'Downloads');
  return fs.existsSync(downloads) ? path.join(downloads, 'Convoy') : path.join(home, 'Convoy');
}

export function createQueue(opts: QueueOptions): Queue {
  return new Queue(opts);
}

export { failItems };
