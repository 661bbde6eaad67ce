/**
 * Runs one unit (one api2convert job and the items it serves) through its phases. Each phase is
 * recorded before its side effect and written so that running it again after a crash is safe:
 *
 * - creating:    POST /jobs with the unit's stable Idempotency-Key (a replay returns the same job).
 * - uploading:   after a restart or an error, the job's inputs are read first; an upload that
 *                landed is not sent again, a broken one resumes (stable upload uuid).
 * - starting:    PATCH process:true is idempotent; a 409 is checked against the job's status.
 * - converting:  waits through the watcher (callbacks or polling).
 * - downloading: each output's path is claimed and recorded first; a finished output is not
 *                downloaded again.
 *
 * Flows (fewest requests): a URL or cloud source is one POST with its input, its conversion(s) and
 * process:true; a local file is POST process:false → upload → PATCH process:true. Items sharing a
 * source share the job (one input, several conversions).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ContractError, type CloudAccountRef, type Destination, type ItemError, type ItemErrorCode, type ItemState } from '../../preload/contract';
import type { Api2ConvertClient } from '../api/client';
import type { RequestOptions } from '../api/context';
import type { ConversionCreate, InputCreate, Job, JobCreate, OutputFile, OutputTargetSpec } from '../api/types';
import { abortError, backoffDelay } from '../api/backoff';
import { ConflictError } from '../api/errors';
import type { Logger } from '../log';
import type { LocalEngineAccess } from '../provider';
import { attachLocalFile, takeLocalOutput } from './local-files';
import { ItemFailure, classify, jobFailure } from './classify';
import type { Gate } from './gate';
import { claimOutputPath, finishedOnDisk, outputDir, outputExt, outputStem, pathKey, releaseOutputs } from './outputs';
import { checkLocalFile } from './sources';
import type { StepIsolation } from './step-isolation';
import { TransitionError, type QueueStore } from './store';
import { isTerminalItem, type ItemRow, type OutputRecord, type UnitPhase, type UnitRow } from './types';
import type { JobWatcher } from './watcher';

/** What the queue needs from main/destinations (optional: absent → profile items fail clearly). */
export interface DestinationsPort {
  /** A profile's or a command-line account's `output_target` entry, credentials filled in. */
  resolveTarget(
    destination: Exclude<Destination, { kind: 'folder' }>,
    vars: { name: string; ext: string; target: string; batch: string; date: string; folder: string },
  ): Promise<OutputTargetSpec>;
  /** A `cloud` input reading `file` through a profile's or a command-line account. */
  resolveInput(from: { profileId?: string; account?: CloudAccountRef }, file: string): Promise<InputCreate>;
  /** What a row shows for a profile's object (`bucket/key`), or null for an unknown profile. */
  cloudLabel?(profileId: string, file: string): string | null;
}

/**
 * A profile or credentials problem found while building a job: the item fails with it (no
 * retry). A keychain that is unavailable for now stays a retryable error.
 */
async function resolving<T>(what: () => Promise<T>, code: ItemErrorCode, action: string): Promise<T> {
  try {
    return await what();
  } catch (err) {
    if (err instanceof ContractError && err.code !== 'unavailable') throw new ItemFailure({ code, message: err.message, action });
    throw err;
  }
}

export interface Progress {
  bytesUp?: number;
  bytesUpTotal?: number | null;
  bytesDown?: number;
  bytesDownTotal?: number | null;
}

export interface RunnerDeps {
  store: QueueStore;
  client: () => Api2ConvertClient;
  /** The queue's options for every request it makes (retry policy, response hook). */
  request: Omit<RequestOptions, 'signal'>;
  gate: Gate;
  watcher: JobWatcher;
  log: Logger;
  destinations?: DestinationsPort | null;
  callbackTarget: () => { url: string; notifyStatus: boolean } | null;
  /** Targets the API offers (from the cached conversions list), or null when unknown. */
  knownTargets: () => Set<string> | null;
  /** Items whose view changed. */
  touch: (itemIds: string[], batchId?: string) => void;
  /** Live byte counters (kept in memory, persisted at phase ends). */
  progress: Map<string, Progress>;
  limiter: { success(): void; rateLimited(): void };
  /** Gives the unit's concurrency slot back (its job has finished on the API). */
  releaseSlot: (unitId: string) => void;
  /** Bounds parallel downloads (they run outside the slots). */
  downloads: Semaphore;
  /** Bounds parallel uploads (many jobs in flight must not mean as many uploads sharing the line). */
  uploads: Semaphore;
  /** Job documents read in this process (tokens and output URIs never go to the database). */
  jobs: Map<string, Job>;
  /** Units whose job token in `jobs` is fresh from creation (no getJob needed before uploading). */
  fresh: Set<string>;
  chunkSize?: number;
  maxAttempts: number;
  /** Times a unit's step may end the process before its items fail (the crash-loop guard). */
  maxCrashes: number;
  /** Runs a crash suspect's step alone, every other step side by side. */
  isolation: StepIsolation;
  retryBaseMs: number;
  now: () => number;
  /** Bounds on what an API may return (see QueueOptions.limits). */
  limits?: { maxOutputs?: number; maxDownloadBytes?: number };
  /** Whether the API answers now (after a download could not reach the output's host). */
  apiReachable?: () => Promise<boolean>;
  /** The in-process engine's shortcuts: files handed over by path instead of uploaded and downloaded. */
  local?: LocalEngineAccess | null;
}

/** Most outputs one conversion may have before the item fails (a hostile API must not write thousands). */
export const DEFAULT_MAX_OUTPUTS = 1000;

/** Default for RunnerDeps.maxCrashes. */
export const DEFAULT_MAX_CRASHES = 3;

/** What the item's state is while its unit is in a phase (null: the items' own outcomes decide). */
const STATE_FOR_PHASE = {
  pending: 'queued',
  creating: 'creating',
  uploading: 'uploading',
  starting: 'uploading',
  converting: 'converting',
  downloading: null,
  finished: null,
} as const satisfies Record<UnitPhase, ItemState | null>;

export async function runUnit(d: RunnerDeps, unitId: string, signal: AbortSignal): Promise<void> {
  let unavailableStreak = 0;
  for (;;) {
    if (signal.aborted) return;
    try {
      await d.gate.pass(signal);
    } catch {
      return; // aborted or the queue closed
    }
    // Read after waiting: items may have been canceled meanwhile.
    let read = readUnit(d, unitId);
    if (!read) return;
    // A wait for the API (converting) cannot end the process; any other step is watched, and one
    // whose unit was running a step when the process ended runs alone (see StepIsolation).
    const watched = read.unit.phase !== 'converting';
    const suspect = read.unit.running || read.unit.crashes > 0;
    let leave = watched ? d.isolation.tryEnter(suspect) : undefined;
    if (leave === null) {
      try {
        leave = await d.isolation.enter(suspect, signal);
      } catch {
        return; // aborted
      }
      read = undefined;
      try {
        read = readUnit(d, unitId); // again, after that wait
      } finally {
        if (!read) leave(); // held by nothing else: a suspect's hold left behind would stop every step
      }
      if (!read) return;
    }
    const { unit, items, live } = read;
    // The attempt is on disk before the step runs: a step that ends the process leaves it marked.
    let attempt: { attempts: number; crashes: number };
    try {
      attempt = d.store.beginAttempt(unit.id, unit.phase, watched);
    } catch (err) {
      leave?.();
      if (!(err instanceof TransitionError)) throw err;
      d.log.warn(err.message); // another runner moved the unit first
      return;
    }
    if (attempt.crashes >= d.maxCrashes) {
      leave?.();
      const reason = `This item crashed Convoy ${attempt.crashes} times (the process ended while it was ${unit.phase}); it was stopped so the rest of the batch can go on`;
      d.log.warn(`unit ${unit.id}: ${reason}`);
      failItems(d, live, { code: 'crashed', message: reason, action: 'Check the file, then retry the item' });
      d.store.endAttempt(unit.id, { kind: 'gave_up', error: reason });
      continue;
    }
    try {
      try {
        await step(d, unit, items, live, signal);
      } finally {
        leave?.(); // the attempt's end is recorded in this same turn, before another step can start
      }
      unavailableStreak = 0;
      d.store.endAttempt(unit.id, { kind: 'ok' });
    } catch (err) {
      if (err instanceof TransitionError) {
        d.store.endAttempt(unit.id, { kind: 'uncounted' });
        d.log.warn(err.message);
        return;
      }
      const v = classify(err);
      if (v.kind !== 'abort') d.fresh.delete(unit.id);
      // Only the unit's own failures count as attempts; waits for the API, the key or the disk do not.
      if (v.kind !== 'transient' && v.kind !== 'permanent' && v.kind !== 'payment') d.store.endAttempt(unit.id, { kind: 'uncounted' });
      switch (v.kind) {
        case 'abort':
          return;
        case 'offline':
          d.gate.offline(v.reason);
          d.touch(
            live.map((i) => i.id),
            unit.batchId,
          );
          continue;
        case 'unavailable':
          d.gate.unavailable(v.reason);
          unavailableStreak++;
          await sleep(Math.min(v.retryAfterMs ?? backoffDelay(unavailableStreak, { baseDelayMs: 250, maxDelayMs: 15_000 }), 15_000), undefined, {
            signal,
          }).catch(() => {});
          continue;
        case 'rate_limit':
          d.gate.rateLimited(v.retryAfterMs, v.reason);
          d.limiter.rateLimited();
          d.touch(
            live.map((i) => i.id),
            unit.batchId,
          );
          continue;
        case 'auth':
          d.gate.haltAuth(v.reason);
          continue;
        case 'payment':
          d.store.endAttempt(unit.id, { kind: 'gave_up', error: v.error.message });
          failItems(d, live, v.error);
          d.gate.quota(v.error.message);
          continue;
        case 'permanent':
          d.store.endAttempt(unit.id, { kind: 'gave_up', error: v.error.message });
          failItems(d, live, v.error);
          continue;
        case 'disk_full':
          d.gate.haltDisk(v.folder, unit.phase === 'downloading' ? live.reduce((n, i) => n + Math.max(0, (i.bytesDownTotal ?? 0) - i.bytesDown), 0) : 0);
          d.touch(
            live.map((i) => i.id),
            unit.batchId,
          );
          continue;
        case 'transient': {
          const attempts = attempt.attempts;
          d.log.warn(`unit ${unit.id} (${unit.phase}) attempt ${attempts} failed: ${v.reason}`);
          if (attempts >= d.maxAttempts) {
            d.store.endAttempt(unit.id, { kind: 'gave_up', error: v.reason });
            failItems(d, live, { code: 'server', message: `Gave up after ${attempts} attempts: ${v.reason}`, action: 'Retry the item later' });
            continue;
          }
          const delay = backoffDelay(attempts - 1, { baseDelayMs: d.retryBaseMs, maxDelayMs: 60_000 });
          d.store.endAttempt(unit.id, { kind: 'failed', error: v.reason, nextAt: d.now() + Math.round(delay) });
          d.touch(
            live.map((i) => i.id),
            unit.batchId,
          ); // the rows show the last error
          return; // the scheduler runs it again when due
        }
      }
    }
  }
}

/** The unit and its items, or undefined when nothing is left to do (a unit with no live item is finished here). */
function readUnit(d: RunnerDeps, unitId: string): { unit: UnitRow; items: ItemRow[]; live: ItemRow[] } | undefined {
  const unit = d.store.unit(unitId);
  if (!unit || unit.phase === 'finished') return undefined;
  const items = d.store.itemsOfUnit(unitId);
  const live = items.filter((i) => !isTerminalItem(i.state));
  if (live.length === 0) {
    finishUnit(d, unit);
    return undefined;
  }
  return { unit, items, live };
}

async function step(d: RunnerDeps, unit: UnitRow, items: ItemRow[], live: ItemRow[], signal: AbortSignal): Promise<void> {
  switch (unit.phase) {
    case 'pending':
      return prepare(d, unit, live);
    case 'creating':
      return create(d, unit, items, signal);
    case 'uploading':
      return upload(d, unit, live, signal);
    case 'starting':
      return start(d, unit, live, signal);
    case 'converting':
      return convert(d, unit, live, signal);
    case 'downloading':
      d.releaseSlot(unit.id);
      return download(d, unit, live, signal);
    case 'finished':
      throw new Error(`unit ${unit.id} is finished; nothing to run`);
    default: {
      const unknown: never = unit.phase; // a phase added to UnitPhase must be handled here
      throw new Error(`unit ${unit.id} has an unknown phase ${String(unknown)}`);
    }
  }
}

/** A counting semaphore (parallel downloads). */
export class Semaphore {
  private waiting: Array<() => void> = [];
  private used = 0;
  constructor(private readonly size: number) {}

  /** Waits for a slot; `signal` ends the wait (never, without one). */
  async acquire(signal?: AbortSignal): Promise<() => void> {
    if (this.used >= this.size) {
      await new Promise<void>((resolve, reject) => {
        const go = () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        const onAbort = () => {
          this.waiting = this.waiting.filter((w) => w !== go);
          reject(abortError(signal!));
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        this.waiting.push(go);
      });
    } else {
      this.used++;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next)
        next(); // the slot passes straight to the next waiter
      else this.used--;
    };
  }
}

// ---- phases ----------------------------------------------------------------------------------

/** Checks what can be checked locally, then records 'creating' and freezes the conversions. */
async function prepare(d: RunnerDeps, unit: UnitRow, live: ItemRow[]): Promise<void> {
  const first = live[0];
  const files =
    first.source.kind === 'file'
      ? [first.source.path]
      : first.source.kind === 'merge'
        ? first.source.inputs.flatMap((p) => (p.kind === 'file' ? [p.path] : []))
        : [];
  for (const file of files) {
    const check = await checkLocalFile(file);
    if ('problem' in check) throw new ItemFailure({ code: 'input', message: check.problem, action: check.action });
  }
  if (first.source.kind === 'cloud' && !d.destinations) {
    throw new ItemFailure({ code: 'unavailable', message: 'Cloud sources need destination profiles, which are not available in this build' });
  }
  const known = d.knownTargets();
  const going: ItemRow[] = [];
  for (const item of live) {
    if (!item.target) {
      failItems(d, [item], { code: 'validation', message: 'No target format chosen', action: 'Choose a target format' });
    } else if (known && !known.has(item.target.toLowerCase())) {
      failItems(d, [item], {
        code: 'validation',
        message: `Unsupported target format "${item.target}"`,
        action: 'Choose another target format',
      });
    } else if ((item.destination?.kind === 'profile' || item.destination?.kind === 'cloud') && !d.destinations) {
      failItems(d, [item], { code: 'unavailable', message: 'Destination profiles are not available in this build' });
    } else if (item.conflict === 'skip' && item.outDir && predictedExists(d, item)) {
      const p = predictedPath(item)!;
      finishItem(d, item, 'done', [{ path: p, done: true, skipped: true }], skippedNote(p));
    } else {
      going.push(item);
    }
  }
  if (going.length === 0) return;
  // Write-ahead for the creation: the frozen conversions are on disk before the POST is sent.
  await d.store.txDurable(() => {
    going.forEach((item, i) => d.store.updateItem(item.id, { convIndex: i, state: 'creating' }));
    d.store.startCreating(unit.id);
  });
  d.touch(
    going.map((i) => i.id),
    unit.batchId,
  );
}

async function create(d: RunnerDeps, unit: UnitRow, items: ItemRow[], signal: AbortSignal): Promise<void> {
  // The body is rebuilt from the frozen conversion list, so a replay sends the same job.
  const convItems = items.filter((i) => i.convIndex !== null).sort((a, b) => a.convIndex! - b.convIndex!);
  if (convItems.length === 0) throw new Error('unit has no conversions');
  const source = convItems[0].source;
  const conversion: ConversionCreate[] = [];
  for (const item of convItems) conversion.push(await conversionFor(d, item));
  const body: JobCreate = { conversion };
  if (source.kind === 'url') {
    const input: InputCreate = { type: 'remote', source: source.url.trim() };
    if (source.filename) input.filename = source.filename;
    body.input = [input];
    body.process = true;
  } else if (source.kind === 'cloud') {
    body.input = [await resolving(() => d.destinations!.resolveInput(source, source.file), 'input', 'Check the cloud account and its credentials')];
    body.process = true;
  } else {
    // A file is uploaded next; a merge adds its inputs one by one, in order.
    body.process = false;
  }
  if (conversion.length > 1) body.fail_on_conversion_error = false;
  const cb = d.callbackTarget();
  if (cb) {
    body.callback = cb.url;
    body.notify_status = cb.notifyStatus;
  }
  const job = await d.client().createJob(body, { ...d.request, idempotencyKey: unit.idemKey, signal });
  d.jobs.set(unit.id, job);
  d.fresh.add(unit.id);
  const next = source.kind === 'file' || source.kind === 'merge' ? ('uploading' as const) : ('converting' as const);
  // The creation is repeatable (same Idempotency-Key: the API replays the job, and the upload
  // phase looks at the job's inputs before sending), so this record waits for no disk sync.
  d.store.txAfter(() => {
    d.store.recordCreated(unit.id, next, { remoteId: job.id, server: job.server ?? null });
    for (const item of convItems) {
      const convId = job.conversion[item.convIndex!]?.id ?? null;
      d.store.updateItem(item.id, isTerminalItem(item.state) ? { convId } : { convId, state: STATE_FOR_PHASE[next] });
    }
  });
  d.limiter.success();
  d.touch(
    convItems.map((i) => i.id),
    unit.batchId,
  );
}

async function upload(d: RunnerDeps, unit: UnitRow, live: ItemRow[], signal: AbortSignal): Promise<void> {
  const source = live[0].source;
  if (source.kind === 'merge') return uploadMerge(d, unit, live, source, signal);
  if (source.kind !== 'file') throw new Error('upload phase for a non-file unit');
  const check = await checkLocalFile(source.path);
  if ('problem' in check) throw new ItemFailure({ code: 'input', message: check.problem, action: check.action });
  let job = d.jobs.get(unit.id);
  if (!job || !d.fresh.has(unit.id)) {
    // Resumed or retried: what did the server get before?
    job = await d.client().getJob(unit.remoteId!, { ...d.request, signal });
    d.jobs.set(unit.id, job);
  }
  // Also for a fresh job document: a replayed creation returns the job as it is now.
  const status = job.status.code.toLowerCase();
  const uploaded = job.input.some((i) => i.type === 'upload' && i.status !== 'failed');
  if (!['incomplete', 'created'].includes(status)) {
    recordPhase(d, unit, live, 'converting', () => d.store.recordUploaded(unit.id, 'converting'));
    return;
  }
  if (uploaded) {
    recordPhase(d, unit, live, 'starting', () => d.store.recordUploaded(unit.id, 'starting'));
    return;
  }
  const token = job.token;
  const server = job.server ?? unit.server;
  if (!token || !server) throw new Error(`job ${unit.remoteId} has no upload token or server`);
  const ids = live.map((i) => i.id);
  for (const id of ids) d.progress.set(id, { ...d.progress.get(id), bytesUp: 0, bytesUpTotal: check.size });
  const release = await d.uploads.acquire(signal);
  try {
    if (d.local?.isOpen()) await attachLocalFile(d.local, { id: job.id, token }, source.path);
    else
      await d.client().uploadFile({ id: job.id, server, token }, source.path, {
        ...d.request,
        filename: path.basename(source.path),
        uploadUuid: unit.uploadUuid,
        chunkSize: d.chunkSize,
        signal,
        onProgress: (sent, total) => {
          for (const id of ids) d.progress.set(id, { ...d.progress.get(id), bytesUp: sent, bytesUpTotal: total });
          d.touch(ids);
        },
      });
  } finally {
    release();
  }
  if (d.local?.isOpen()) {
    // In-process: start the job right away and record both steps at once. A crash before that
    // record resumes in 'uploading', which reads the job first (input there → start; started → wait).
    await start(d, unit, live, signal, { bytesUp: check.size, bytesUpTotal: check.size });
    return;
  }
  // A crash before this record resumes in 'uploading', which reads the job's inputs first.
  d.store.txAfter(() => {
    for (const id of ids) d.store.updateItem(id, { bytesUp: check.size, bytesUpTotal: check.size });
    d.store.recordUploaded(unit.id, 'starting');
  });
  d.touch(ids, unit.batchId);
}

/**
 * A merge's inputs, in order: each file uploaded, each URL added as a remote input. The job's
 * input list is the record of what landed (a part is added only once the previous one is there),
 * so after a crash or an error the parts already in the job are skipped and the rest follow.
 */
async function uploadMerge(
  d: RunnerDeps,
  unit: UnitRow,
  live: ItemRow[],
  source: Extract<ItemRow['source'], { kind: 'merge' }>,
  signal: AbortSignal,
): Promise<void> {
  const sizes: number[] = [];
  for (const part of source.inputs) {
    if (part.kind !== 'file') {
      sizes.push(0);
      continue;
    }
    const check = await checkLocalFile(part.path);
    if ('problem' in check) throw new ItemFailure({ code: 'input', message: check.problem, action: check.action });
    sizes.push(check.size);
  }
  let job = d.jobs.get(unit.id);
  if (!job || !d.fresh.has(unit.id)) {
    job = await d.client().getJob(unit.remoteId!, { ...d.request, signal });
    d.jobs.set(unit.id, job);
    if (!['incomplete', 'created'].includes(job.status.code.toLowerCase())) {
      recordPhase(d, unit, live, 'converting', () => d.store.recordUploaded(unit.id, 'converting'));
      return;
    }
  }
  // From here on the cached job document no longer lists every input: read it again after any failure.
  d.fresh.delete(unit.id);
  let landed = job.input.length;
  if (job.input.some((i) => (i.status ?? '').toLowerCase() === 'failed')) {
    throw new ItemFailure({ code: 'input', message: 'An input of the merge could not be read by the server', action: 'Check the inputs and retry' });
  }
  if (landed > source.inputs.length) throw new Error(`merge job ${job.id} holds ${landed} inputs, more than the ${source.inputs.length} given`);
  const total = sizes.reduce((a, b) => a + b, 0);
  const ids = live.map((i) => i.id);
  const token = job.token;
  const server = job.server ?? unit.server;
  let sentBefore = sizes.slice(0, landed).reduce((a, b) => a + b, 0);
  for (; landed < source.inputs.length; landed++) {
    const part = source.inputs[landed];
    if (part.kind === 'url') {
      const input: InputCreate = { type: 'remote', source: part.url };
      if (part.filename) input.filename = part.filename;
      await d.client().addInputs(job.id, input, { signal });
    } else {
      if (!token || !server) throw new Error(`job ${unit.remoteId} has no upload token or server`);
      const base = sentBefore;
      const release = await d.uploads.acquire(signal);
      try {
        await d.client().uploadFile({ id: job.id, server, token }, part.path, {
          filename: path.basename(part.path),
          uploadUuid: partUploadUuid(unit.uploadUuid, landed),
          chunkSize: d.chunkSize,
          signal,
          onProgress: (sent) => {
            for (const id of ids) d.progress.set(id, { ...d.progress.get(id), bytesUp: base + sent, bytesUpTotal: total });
            d.touch(ids);
          },
        });
      } finally {
        release();
      }
    }
    sentBefore += sizes[landed];
    for (const id of ids) d.progress.set(id, { ...d.progress.get(id), bytesUp: sentBefore, bytesUpTotal: total });
    d.touch(ids);
  }
  d.store.tx(() => {
    for (const id of ids) d.store.updateItem(id, { bytesUp: total, bytesUpTotal: total });
    d.store.recordUploaded(unit.id, 'starting');
  });
  d.touch(ids, unit.batchId);
}

/** A stable upload UUID per merge part (a restarted chunked upload of that part resumes). */
function partUploadUuid(unitUuid: string, index: number): string {
  const h = crypto.createHash('sha256').update(`${unitUuid}:${index}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

async function start(d: RunnerDeps, unit: UnitRow, live: ItemRow[], signal: AbortSignal, uploaded?: { bytesUp: number; bytesUpTotal: number }): Promise<void> {
  let job: Job;
  try {
    job = await d.client().patchJob(unit.remoteId!, { process: true }, { ...d.request, signal });
  } catch (err) {
    if (!(err instanceof ConflictError)) throw err;
    job = await d.client().getJob(unit.remoteId!, { ...d.request, signal });
    if (job.status.code.toLowerCase() === 'incomplete') throw err;
  }
  d.jobs.set(unit.id, job);
  d.limiter.success();
  // In-process, the upload and the start are recorded at once (uploading → converting).
  const move = uploaded ? () => d.store.recordUploaded(unit.id, 'converting') : () => d.store.recordStarted(unit.id);
  recordPhase(d, unit, live, 'converting', move, uploaded);
}

async function convert(d: RunnerDeps, unit: UnitRow, live: ItemRow[], signal: AbortSignal): Promise<void> {
  // Unknown after a restart (no job read yet): poll normally; the first read tells the watcher.
  const viaCallback = Boolean(d.jobs.get(unit.id)?.callback);
  // The in-process engine announces job ends; one that ended before this process listened is read at once.
  const immediate = Boolean(d.local?.isOpen()) && !d.jobs.has(unit.id);
  const job = await d.watcher.wait(unit.remoteId!, { signal, viaCallback, immediate, onUpdate: (j) => markDelivering(d, unit, j) });
  d.jobs.set(unit.id, job);
  const status = job.status.code.toLowerCase();
  if (status !== 'completed') {
    const inputId = job.input[0]?.id ?? null;
    for (const item of d.store.itemsOfUnit(unit.id).filter((i) => !isTerminalItem(i.state))) {
      const error: ItemError =
        status === 'canceled'
          ? { code: 'canceled', message: 'The job was canceled on the server', action: 'Retry the item' }
          : jobFailure(job.errors, item.convId, inputId);
      failItems(d, [item], error);
    }
    return;
  }
  const downloading: string[] = [];
  d.store.txAfter(() => {
    for (const item of d.store.itemsOfUnit(unit.id)) {
      if (isTerminalItem(item.state)) continue;
      const conv = job.conversion.find((c) => c.id && c.id === item.convId) ?? job.conversion[item.convIndex ?? 0];
      if (item.destination?.kind === 'profile' || item.destination?.kind === 'cloud') {
        const targets = conv?.output_target ?? [];
        const failed = targets.find((t) => (t.status ?? '').toLowerCase() === 'failed');
        if (failed || targets.length === 0) {
          const err = job.errors.find((e) => e.id_source === item.convId);
          failItems(d, [item], {
            code: 'delivery',
            message: err?.message ?? 'The result could not be delivered to the destination',
            action: 'Test the destination profile',
          });
          continue;
        }
        const locations = targets.flatMap((t) => locationsOf(t));
        finishItem(
          d,
          item,
          'done',
          locations.map((location) => ({ location, done: true })),
          null,
        );
        continue;
      }
      const outs = outputsFor(job, item, live.length === 1 && d.store.itemsOfUnit(unit.id).length === 1);
      const maxOutputs = d.limits?.maxOutputs ?? DEFAULT_MAX_OUTPUTS;
      if (outs.length > maxOutputs) {
        failItems(d, [item], {
          code: 'bad_response',
          message: `The API returned ${outs.length} outputs for one conversion (at most ${maxOutputs} are accepted)`,
          action: 'Check the conversion options',
        });
        continue;
      }
      if (outs.length === 0) {
        failItems(d, [item], jobFailure(job.errors, item.convId, job.input[0]?.id ?? null));
        continue;
      }
      const total = outs.reduce((n, o) => n + (o.size ?? 0), 0);
      d.store.updateItem(item.id, { state: 'downloading', bytesDownTotal: total, bytesDown: 0 });
      downloading.push(item.id);
    }
    d.store.recordConverted(unit.id);
  });
  d.touch(downloading, unit.batchId);
}

async function download(d: RunnerDeps, unit: UnitRow, live: ItemRow[], signal: AbortSignal): Promise<void> {
  let job = d.jobs.get(unit.id);
  if (!job?.output.length) {
    job = await d.client().getJob(unit.remoteId!, { ...d.request, signal });
    d.jobs.set(unit.id, job);
  }
  const single = d.store.itemsOfUnit(unit.id).length === 1;
  for (const item of live) {
    if (item.state !== 'downloading') continue;
    try {
      const finish = await downloadItem(d, job, item, single, signal);
      d.store.txAfter(() => {
        finish();
        // The unit's last item: the unit ends in the same transaction.
        if (d.store.itemsOfUnit(unit.id).every((i) => isTerminalItem(i.state))) finishUnit(d, unit);
      });
    } catch (err) {
      const v = classify(err);
      if (v.kind === 'offline' && (await d.apiReachable?.())) {
        // The API answers, so the output's own host is what fails: the item's problem (bounded retries), not "offline".
        throw new Error(`The result's host cannot be reached: ${v.reason}`);
      }
      if (v.kind === 'permanent') {
        const error: ItemError =
          v.error.code === 'not_found' ? { code: 'not_found', message: 'The result is no longer available on the server', action: 'Retry the item' } : v.error;
        failItems(d, [item], error);
        continue;
      }
      throw err;
    }
  }
}

/** Puts the item's results in place; resolves with the item's final record, for the caller's transaction. */
async function downloadItem(d: RunnerDeps, job: Job, item: ItemRow, single: boolean, signal: AbortSignal): Promise<() => void> {
  const outs = outputsFor(job, item, single);
  const dir = outputDir(item);
  if (!dir) throw new Error('no output folder for a folder destination');
  const records: OutputRecord[] = item.outputs.map((r) => ({ ...r }));
  const persist = () => d.store.updateItem(item.id, { outputs: records });
  let received = records.filter((r) => r.done && !r.skipped).reduce((n, r) => n + (outs.find((o) => o.id === r.outputId)?.size ?? 0), 0);
  const stem = outputStem(item);
  for (let k = 0; k < outs.length; k++) {
    const out = outs[k];
    let rec = records.find((r) => r.outputId === out.id);
    if (rec?.done) continue;
    const claimedBefore = Boolean(rec);
    if (!rec) {
      const ext = outputExt(item.target ?? 'out', out.filename);
      const name = outs.length > 1 ? `${stem}-${k + 1}` : stem;
      const claim = await claimOutputPath(d.store, item, dir, name, ext, item.conflict, (c) => {
        records.push({
          outputId: out.id,
          path: c.path,
          done: c.kind === 'skipped',
          skipped: c.kind === 'skipped' || undefined,
          before: c.kind === 'claimed' ? c.before : undefined,
        });
        persist();
      });
      rec = records.find((r) => r.outputId === out.id)!;
      if (claim.kind === 'skipped') continue;
    }
    if (finishedOnDisk(rec, out.size)) {
      // Downloaded and renamed into place before a crash: not downloaded again.
      rec.done = true;
      persist();
      received += out.size ?? 0;
      continue;
    }
    if (claimedBefore) removeStaleParts(rec.path!);
    const base = received;
    const release = await d.downloads.acquire(signal);
    let got: { size: number };
    try {
      if (d.local?.isOpen()) got = await takeLocalOutput(d.local, job, out, rec.path!);
      else
        got = await d.client().downloadOutput(out, rec.path!, {
          retry: d.request.retry,
          signal,
          maxBytes: d.limits?.maxDownloadBytes,
          onProgress: (n) => {
            d.progress.set(item.id, { ...d.progress.get(item.id), bytesDown: base + n });
            d.touch([item.id]);
          },
        });
    } finally {
      release();
    }
    received += got.size;
    rec.done = true;
    // The result is in place (a crash before this record finds it on disk): no disk sync waited for.
    if (k < outs.length - 1) d.store.txAfter(() => d.store.updateItem(item.id, { outputs: records, bytesDown: received }));
  }
  const allSkipped = records.length > 0 && records.every((r) => r.skipped);
  return () => {
    d.store.updateItem(item.id, { bytesDown: received });
    finishItem(d, item, 'done', records, allSkipped ? skippedNote(records[0].path!) : null);
  };
}

// ---- helpers ---------------------------------------------------------------------------------

async function conversionFor(d: RunnerDeps, item: ItemRow): Promise<ConversionCreate> {
  const conv: ConversionCreate = { target: item.target! };
  if (item.options && Object.keys(item.options).length) conv.options = { ...item.options };
  const dest = item.destination;
  if (dest?.kind === 'profile' || dest?.kind === 'cloud') {
    const ext = outputExt(item.target!).slice(1);
    const target = await resolving(
      () =>
        d.destinations!.resolveTarget(dest, {
          name: outputStem(item),
          ext,
          target: item.target!,
          batch: item.batchId,
          date: new Date(d.now()).toISOString().slice(0, 10),
          folder: item.source.kind === 'file' ? (item.source.relDir ?? '').replace(/\\/g, '/') : '',
        }),
      'delivery',
      'Check the destination and its credentials',
    );
    conv.output_target = [target];
  }
  return conv;
}

/** The outputs that belong to an item: those of its conversion (or all, for a one-item job). */
function outputsFor(job: Job, item: ItemRow, single: boolean): OutputFile[] {
  const enabled = job.output.filter((o) => (o.status ?? 'enabled') !== 'disabled');
  if (item.convId) {
    const mine = enabled.filter((o) => o.source?.conversion === item.convId);
    if (mine.length || !single) return mine;
  }
  return single ? enabled : [];
}

function locationsOf(t: { parameters?: Record<string, unknown>; [k: string]: unknown }): string[] {
  const locs = (t as { locations?: unknown }).locations;
  if (Array.isArray(locs) && locs.every((l) => typeof l === 'string') && locs.length) return locs as string[];
  const file = t.parameters?.file;
  const type = typeof t.type === 'string' ? t.type : 'remote';
  return [typeof file === 'string' ? `${type}:${file}` : type];
}

function markDelivering(d: RunnerDeps, unit: UnitRow, job: Job): void {
  const uploading = job.conversion.filter((c) => (c.output_target ?? []).some((t) => (t.status ?? '').toLowerCase() === 'uploading'));
  if (uploading.length === 0) return;
  const changed: string[] = [];
  for (const item of d.store.itemsOfUnit(unit.id)) {
    if (item.state !== 'converting' || !item.destination || item.destination.kind === 'folder') continue;
    if (!uploading.some((c) => c.id === item.convId)) continue;
    d.store.updateItem(item.id, { state: 'delivering' });
    changed.push(item.id);
  }
  if (changed.length) d.touch(changed, unit.batchId);
}

/** Moves the unit on (`move`, a guarded store transition) and its live items to the phase's state. */
function recordPhase(
  d: RunnerDeps,
  unit: UnitRow,
  live: ItemRow[],
  phase: 'starting' | 'converting',
  move: () => void,
  extra?: { bytesUp: number; bytesUpTotal: number },
): void {
  const state = STATE_FOR_PHASE[phase];
  // Records what the API already said (the job's inputs or status): repeatable, no disk sync waited for.
  d.store.txAfter(() => {
    move();
    for (const item of live) if (item.state !== state || extra) d.store.updateItem(item.id, { state, ...extra });
  });
  d.touch(
    live.map((i) => i.id),
    unit.batchId,
  );
}

export function failItems(d: Pick<RunnerDeps, 'store' | 'touch' | 'progress' | 'log'>, items: ItemRow[], error: ItemError): void {
  for (const item of items) {
    const current = d.store.item(item.id);
    if (!current || isTerminalItem(current.state)) continue;
    d.log.info(`item ${item.id} failed: ${error.code}: ${error.message}`);
    releaseOutputs(d.store, current);
    d.store.updateItem(item.id, { state: 'failed', error, outputs: current.outputs.filter((r) => r.done && !r.skipped) });
    d.progress.delete(item.id);
  }
  if (items.length)
    d.touch(
      items.map((i) => i.id),
      items[0].batchId,
    );
}

function finishItem(d: RunnerDeps, item: ItemRow, state: 'done', outputs: OutputRecord[], note: ItemError | null): void {
  d.store.txAfter(() => d.store.updateItem(item.id, { state, outputs, error: note }));
  d.progress.delete(item.id);
  d.touch([item.id], item.batchId);
}

export function finishUnit(d: Pick<RunnerDeps, 'store' | 'client' | 'request' | 'log' | 'jobs' | 'fresh'>, unit: UnitRow): void {
  if (unit.phase === 'finished') return;
  try {
    d.store.txAfter(() => d.store.finishUnit(unit.id, unit.phase as Exclude<UnitRow['phase'], 'finished'>));
  } catch (err) {
    // Finished by someone else meanwhile (a cancel racing the runner): nothing more to do here.
    if (err instanceof TransitionError && d.store.unit(unit.id)?.phase === 'finished') return;
    throw err;
  }
  const job = d.jobs.get(unit.id);
  d.jobs.delete(unit.id);
  d.fresh.delete(unit.id);
  // Every item was canceled while the job was still running: stop it on the server too.
  if (unit.remoteId && (!job || !['completed', 'failed', 'canceled'].includes(job.status.code.toLowerCase()))) {
    const everythingCanceled = d.store.itemsOfUnit(unit.id).every((i) => i.state === 'canceled');
    if (everythingCanceled) {
      d.client()
        .deleteJob(unit.remoteId, d.request)
        .catch((err: unknown) => d.log.info(`cancel of job ${unit.remoteId} on the server failed: ${(err as Error).message}`));
    }
  }
}

function predictedPath(item: ItemRow): string | null {
  const dir = outputDir(item);
  if (!dir || !item.target) return null;
  return path.join(dir, `${outputStem(item)}${outputExt(item.target)}`);
}

function predictedExists(d: RunnerDeps, item: ItemRow): boolean {
  const p = predictedPath(item);
  if (!p) return false;
  if (fs.existsSync(p)) return true;
  const owner = d.store.claimOwner(pathKey(p));
  return Boolean(owner && owner.itemId !== item.id);
}

function skippedNote(p: string): ItemError {
  return { code: 'skipped', message: `Skipped: ${p} already exists`, action: 'Choose “rename” or “overwrite” to convert it anyway' };
}

/** Temporary files of a download that a crash interrupted (the client names them `.<name>.<hex>.part`). */
function removeStaleParts(dest: string): void {
  const dir = path.dirname(dest);
  const prefix = `.${path.basename(dest)}.`;
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) {
    if (n.startsWith(prefix) && n.endsWith('.part')) fs.rmSync(path.join(dir, n), { force: true });
  }
}
