/**
 * Does the work of started jobs: fetches inputs (remote, cloud), converts every ready input with
 * every conversion, and stores the results as outputs or uploads them to output targets. Bounded
 * everywhere: downloads at once, jobs in `processing` at once, conversions at once.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { CloudError } from '../cloud/types';
import type { CloudDescriptor, CloudEndpoints, CloudSource } from '../cloud/types';
import { ConversionError } from '../convert/types';
import type { EngineFaults } from '../types';
import { Semaphore, eachLimited, nowIso, sleep } from '../util/async';
import { checksumFile } from '../util/digest';
import { extensionOf, sanitizeFilename } from '../util/filename';
import { ErrorCodes } from './errors';
import { InputFetchError, fetchRemote } from './fetch-remote';
import type { ConversionRecord, InputRecord, JobRecord, OutputRecord } from './model';
import { isTerminal, statusInfo } from './model';
import type { CloudModule, ConvertModule } from './modules';
import { SCREENSHOT_ENGINES, captureWebsite } from './screenshot';
import type { JobService, RunnerHooks } from './service';

export interface RunnerOptions {
  convert: ConvertModule;
  loadCloud: () => Promise<CloudModule>;
  cloudEndpoints?: CloudEndpoints;
  maxConcurrentConversions: number;
  maxActiveJobs: number;
  maxConcurrentDownloads: number;
  maxInputBytes: number;
  remoteTimeoutMs: number;
  remoteConnectTimeoutMs: number;
  /** Remote inputs may come from loopback/private addresses (see EngineOptions.allowPrivateFetch). */
  allowPrivateFetch?: boolean;
  outputTtlMs: number;
  faults: () => EngineFaults;
  log: (msg: string) => void;
  /** Names the process a conversion crash ended (EngineOptions.hostName). */
  hostName: string;
}

class Shutdown extends Error {}

/** Times a job's conversion may end the engine's process before the job fails (the crash-loop guard). */
export const MAX_CONVERSION_CRASHES = 3;

export class JobRunner implements RunnerHooks {
  private downloads: Semaphore;
  private conversions: Semaphore;
  private queue: string[] = [];
  private running = new Set<string>();
  private controllers = new Map<string, AbortController>();
  private closing = false;
  private work = new Set<Promise<unknown>>();
  /** Jobs that were converting when the process ended: each runs alone, so a crash names its job. */
  private suspects = new Set<string>();
  /** Conversions running now, by job: the job stays marked `converting` until its last one ends. */
  private converting = new Map<string, number>();

  constructor(
    private service: JobService,
    private opts: RunnerOptions,
  ) {
    this.downloads = new Semaphore(opts.maxConcurrentDownloads);
    this.conversions = new Semaphore(opts.maxConcurrentConversions);
  }

  // ── hooks called by the service ─────────────────────────────────────────────────────────

  fetchInput(job: JobRecord, input: InputRecord): void {
    this.track(this.fetchOne(job.id, input.id));
  }

  enqueue(job: JobRecord): void {
    if (!this.queue.includes(job.id) && !this.running.has(job.id)) this.queue.push(job.id);
    this.pump();
  }

  abort(job: JobRecord): void {
    this.queue = this.queue.filter((id) => id !== job.id);
    this.controllers.get(job.id)?.abort(new Error('canceled'));
  }

  /**
   * After a restart: fetch what was being fetched, queue what was started. Returns whether the
   * process ended while a conversion ran (a job was still marked `converting`).
   */
  resume(jobs: JobRecord[]): boolean {
    let endedWhileConverting = false;
    for (const job of jobs) {
      // Conversions and fetches cut short by the crash left their scratch folders and files behind.
      this.service.removeStrays(job);
      this.service.noteActive(job);
      for (const input of job.inputs) {
        if (input.status === 'downloading') this.fetchInput(job, input);
      }
      if (job.status === 'queued' || job.status === 'processing') {
        if (job.converting) {
          endedWhileConverting = true;
          job.converting = false;
          job.crashes = (job.crashes ?? 0) + 1;
          if (job.crashes >= MAX_CONVERSION_CRASHES) {
            const message = `A conversion of this job crashed ${this.opts.hostName} ${job.crashes} times (the process ended while converting); the job was stopped so other jobs can go on`;
            this.opts.log(`job ${job.id}: ${message}`);
            this.service.addError(job, { source: 'job', id_source: job.id, code: ErrorCodes.generic, message, details: {} });
            this.service.fail(job, message);
            continue;
          }
          this.service.touch(job);
        }
        if (job.crashes) this.suspects.add(job.id);
        this.enqueue(job);
      } else {
        this.service.advance(job);
      }
    }
    return endedWhileConverting;
  }

  async close(): Promise<void> {
    this.closing = true;
    this.queue = [];
    for (const c of this.controllers.values()) c.abort(new Shutdown('engine closing'));
    await Promise.allSettled([...this.work]);
  }

  // ── inputs ──────────────────────────────────────────────────────────────────────────────

  private controllerFor(jobId: string): AbortController {
    let c = this.controllers.get(jobId);
    if (!c || c.signal.aborted) {
      c = new AbortController();
      this.controllers.set(jobId, c);
    }
    return c;
  }

  private async fetchOne(jobId: string, inputId: string): Promise<void> {
    const release = await this.downloads.acquire();
    try {
      const job = this.service.get(jobId);
      const input = job?.inputs.find((i) => i.id === inputId);
      if (!job || !input || input.status !== 'downloading' || isTerminal(job) || this.closing) return;
      const signal = this.controllerFor(jobId).signal;
      // The input's own folder, named by its id (see JobService.inputEntry).
      const dir = path.join(this.service.jobDir(jobId), inputId);
      await fs.promises.mkdir(dir, { recursive: true });
      const tmp = path.join(dir, '.partial');
      try {
        let fetched: { filename: string; size: number; checksum: string; contentType?: string };
        if (input.type === 'remote' && (SCREENSHOT_ENGINES as readonly string[]).includes(input.engine ?? '')) {
          // A PDF when asked for one, or when every conversion of the job makes a PDF.
          const pdf = input.engine === 'screenshot_pdf' || (job.conversions.length > 0 && job.conversions.every((c) => c.target === 'pdf'));
          fetched = await captureWebsite(input.source, tmp, {
            options: input.options,
            pdf,
            connectTimeoutMs: this.opts.remoteConnectTimeoutMs,
            timeoutMs: Math.min(this.opts.remoteTimeoutMs, 120_000),
            signal,
            suggestedFilename: input.suggestedFilename,
            workDir: dir,
            allowPrivate: this.opts.allowPrivateFetch ?? true,
          });
        } else if (input.type === 'remote') {
          fetched = await fetchRemote(input.source, tmp, {
            maxBytes: this.opts.maxInputBytes,
            timeoutMs: this.opts.remoteTimeoutMs,
            connectTimeoutMs: this.opts.remoteConnectTimeoutMs,
            allowPrivate: this.opts.allowPrivateFetch ?? true,
            signal,
            suggestedFilename: input.suggestedFilename,
          });
        } else if (input.type === 'cloud') {
          fetched = await this.fetchCloud(input, tmp, signal);
        } else {
          throw new InputFetchError(`An input of type ${input.type} has no data (it was lost in a restart)`, ErrorCodes.generic);
        }
        if (this.closing) throw new Shutdown();
        const rel = path.relative(this.service.deps.dataDir, path.join(dir, fetched.filename));
        await fs.promises.rename(tmp, this.service.abs(rel));
        const live = this.service.get(jobId);
        const liveInput = live?.inputs.find((i) => i.id === inputId);
        if (!live || !liveInput || liveInput.status !== 'downloading') return;
        Object.assign(liveInput, {
          status: 'ready',
          filename: fetched.filename,
          size: fetched.size,
          checksum: fetched.checksum,
          contentType: fetched.contentType,
          path: rel,
          modifiedAt: nowIso(),
        });
        this.service.touch(live);
        this.service.advance(live);
      } catch (err) {
        await fs.promises.rm(dir, { recursive: true, force: true }).catch(() => {});
        if (this.closing || err instanceof Shutdown) return;
        const live = this.service.get(jobId);
        const liveInput = live?.inputs.find((i) => i.id === inputId);
        if (!live || !liveInput || liveInput.status !== 'downloading' || isTerminal(live)) return;
        const { code, message, kind } = describeInputError(err);
        if (code === ErrorCodes.generic && !(err instanceof CloudError) && !(err instanceof InputFetchError)) {
          this.opts.log(`input ${inputId}: unexpected error: ${(err as Error)?.message}`);
        }
        this.service.inputFailed(live, liveInput, code, message, kind ? { kind } : undefined);
      }
    } finally {
      release();
    }
  }

  private async fetchCloud(input: InputRecord, dest: string, signal: AbortSignal): Promise<{ filename: string; size: number; checksum: string }> {
    const credentials = this.service.deps.box.open(input.sealedCredentials);
    if (!credentials) throw new CloudError('The credentials of this input are no longer available', 'invalid');
    const cloud = await this.cloudModule();
    const descriptor: CloudDescriptor = {
      provider: input.source as CloudSource,
      parameters: input.parameters ?? {},
      credentials,
    };
    const got = await cloud.fetchCloudInput(descriptor, dest, {
      endpoints: this.opts.cloudEndpoints,
      signal,
      maxBytes: this.opts.maxInputBytes,
    });
    const { digest, size } = await checksumFile(dest, signal);
    return { filename: input.suggestedFilename ?? sanitizeName(got.filename), size, checksum: digest };
  }

  private async cloudModule(): Promise<CloudModule> {
    try {
      return await this.opts.loadCloud();
    } catch {
      throw new CloudError('Cloud storage is not available in this engine build', 'error');
    }
  }

  // ── processing ──────────────────────────────────────────────────────────────────────────

  private pump(): void {
    while (!this.closing && this.running.size < this.opts.maxActiveJobs && this.queue.length > 0) {
      // A suspect runs with nothing beside it, so another crash is its own.
      if ([...this.running].some((r) => this.suspects.has(r))) return;
      const id = this.queue[0];
      if (this.suspects.has(id) && this.running.size > 0) return;
      this.queue.shift();
      const job = this.service.get(id);
      if (!job || isTerminal(job)) {
        this.suspects.delete(id);
        continue;
      }
      this.running.add(id);
      this.track(
        this.process(job).finally(() => {
          this.running.delete(id);
          this.suspects.delete(id);
          this.pump();
        }),
      );
    }
  }

  private async process(job: JobRecord): Promise<void> {
    const signal = this.controllerFor(job.id).signal;
    try {
      if (job.status !== 'processing') this.service.setStatus(job, 'processing', statusInfo.processing);
      const ready = job.inputs.filter((i) => i.status === 'ready');
      let succeeded = 0;
      let failedPairs = 0;
      for (const conv of job.conversions) {
        let convFailed = false;
        // Once set, no further input of this conversion is started (the job fails or ended).
        let stop = false;
        // A conversion over all inputs (archive, merge, compare) is one unit of work.
        const all = this.opts.convert.inputMode?.(conv.target, conv.options) === 'all';
        const groups = all ? [ready] : ready.map((i) => [i]);
        // The inputs of one conversion convert side by side, as many as there are conversion slots
        // (a 100-file job uses every core); conversions stay one after another.
        await eachLimited(groups, this.opts.maxConcurrentConversions, async (group) => {
          if (stop) return;
          const pair = all ? `all:${conv.id}` : `${group[0].id}:${conv.id}`;
          if (job.done.includes(pair)) {
            succeeded++;
            return;
          }
          const ok = await this.convertPair(job, conv, group, signal);
          if (isTerminal(job)) {
            stop = true;
          } else if (ok) {
            succeeded++;
          } else {
            failedPairs++;
            convFailed = true;
            if (job.failOnConversionError || conv.outputTargets.length > 0) stop = true;
          }
        });
        if (isTerminal(job)) return;
        if (convFailed && (job.failOnConversionError || conv.outputTargets.length > 0)) {
          this.finishTargets(conv, false);
          this.service.fail(job, 'A conversion failed; see errors');
          return;
        }
        this.finishTargets(conv, !convFailed);
      }
      if (succeeded === 0 && failedPairs > 0) this.service.fail(job, 'All conversions failed; see errors');
      else this.service.complete(job);
    } catch (err) {
      if (this.closing || err instanceof Shutdown || isTerminal(job)) return;
      this.opts.log(`job ${job.id}: unexpected error: ${(err as Error)?.stack ?? err}`);
      this.service.addError(job, {
        source: 'job',
        id_source: job.id,
        code: ErrorCodes.generic,
        message: 'The engine could not process this job',
        details: {},
      });
      this.service.fail(job, 'The engine could not process this job');
    } finally {
      if (isTerminal(job)) this.controllers.delete(job.id);
    }
  }

  /** Targets that took every upload are completed; ones never reached fail with the job. */
  private finishTargets(conv: ConversionRecord, ok: boolean): void {
    for (const t of conv.outputTargets) {
      if (t.status === 'uploading') t.status = 'completed';
      else if (t.status === 'waiting') t.status = ok ? 'completed' : 'failed';
    }
  }

  /**
   * Converts one input (or, for an all-inputs conversion, the whole group) with one conversion;
   * false when it failed (error recorded).
   */
  private async convertPair(job: JobRecord, conv: ConversionRecord, group: InputRecord[], signal: AbortSignal): Promise<boolean> {
    const input = group[0];
    const pair = group.length > 1 || this.opts.convert.inputMode?.(conv.target, conv.options) === 'all' ? `all:${conv.id}` : `${input.id}:${conv.id}`;
    const workId = crypto.randomUUID();
    // In the job's folder, named like an output folder: a lone result stays where it was made.
    const workDir = path.join(this.service.jobDir(job.id), workId);
    await fs.promises.mkdir(workDir, { recursive: true });
    let workMoved = false;
    try {
      const delay = this.opts.faults().conversionDelayMs;
      if (delay > 0) await sleep(delay, signal);
      const release = await this.conversions.acquire();
      let files;
      let counted = false;
      try {
        if (signal.aborted) throw signal.reason;
        // On disk before the converter runs: if it ends the process, the next start knows which job did.
        const converting = (this.converting.get(job.id) ?? 0) + 1;
        this.converting.set(job.id, converting);
        counted = true;
        if (converting === 1) {
          job.converting = true;
          this.service.saveNow(job);
        }
        files = await this.opts.convert.convert({
          inputPath: this.service.abs(input.path!),
          inputFilename: input.filename ?? 'file',
          target: conv.target,
          options: conv.options,
          outDir: workDir,
          signal,
          inputs: group.map((i) => ({ path: this.service.abs(i.path!), filename: i.filename ?? 'file' })),
        });
      } finally {
        release();
        const left = (this.converting.get(job.id) ?? 0) - (counted ? 1 : 0);
        if (left > 0) this.converting.set(job.id, left);
        else this.converting.delete(job.id);
        if (left <= 0 && job.converting) {
          job.converting = false;
          this.service.touch(job);
        }
      }
      if (signal.aborted) throw signal.reason;
      if (files.length === 0) throw new ConversionError('The conversion produced no file');
      if (conv.outputTargets.length > 0) {
        const uploaded = await this.uploadToTargets(job, conv, input, files, signal);
        if (!uploaded) return false;
      } else {
        for (const file of files) {
          // A lone result takes the work folder itself as its output folder (no folder made, moved or removed).
          const whole = files.length === 1 && !workMoved ? await this.claimWorkDir(job, workDir, workId, file) : undefined;
          if (whole) workMoved = true;
          placeOutput(job, await this.storeOutput(job, conv, group, file, whole));
        }
      }
      job.done.push(pair);
      this.service.touch(job);
      return true;
    } catch (err) {
      if (signal.aborted || this.closing) throw err instanceof Shutdown ? err : (signal.reason ?? err);
      const isConversionError = err instanceof ConversionError || (err as Error)?.name === 'ConversionError';
      if (!isConversionError) this.opts.log(`conversion ${conv.id}: unexpected error: ${(err as Error)?.stack ?? err}`);
      this.service.addError(job, {
        source: 'conversion',
        id_source: conv.id,
        code: isConversionError ? ((err as ConversionError).code ?? ErrorCodes.conversionFailed) : ErrorCodes.generic,
        message: isConversionError ? (err as Error).message : `Converting ${input.filename} to ${conv.target} failed unexpectedly`,
        details: { input: group.length > 1 ? group.map((i) => i.id) : input.id, target: conv.target },
      });
      this.service.touch(job);
      return false;
    } finally {
      if (!workMoved) await fs.promises.rm(workDir, { recursive: true, force: true }).catch(() => {});
    }
  }

  /**
   * Keeps the work folder as the output folder `<workId>` when it holds nothing but `file`; returns
   * the output id and file path, or undefined (the file is then moved on its own).
   */
  private async claimWorkDir(
    job: JobRecord,
    workDir: string,
    workId: string,
    file: { path: string; filename: string },
  ): Promise<{ id: string; rel: string } | undefined> {
    if (path.dirname(file.path) !== workDir) return undefined;
    const entries = await fs.promises.readdir(workDir).catch(() => []);
    if (entries.length !== 1 || entries[0] !== path.basename(file.path)) return undefined;
    const filename = sanitizeName(file.filename);
    const rel = path.join('files', job.id, workId, filename);
    if (filename !== entries[0]) await fs.promises.rename(file.path, this.service.abs(rel));
    return { id: workId, rel };
  }

  private async storeOutput(
    job: JobRecord,
    conv: ConversionRecord,
    inputs: InputRecord[],
    file: { path: string; filename: string; contentType: string },
    /** Already in place (claimWorkDir). */
    placed?: { id: string; rel: string },
  ): Promise<OutputRecord> {
    const id = placed?.id ?? crypto.randomUUID();
    const filename = sanitizeName(file.filename);
    const rel = placed?.rel ?? path.join('files', job.id, id, filename);
    if (!placed) {
      await fs.promises.mkdir(path.dirname(this.service.abs(rel)), { recursive: true });
      await fs.promises.rename(file.path, this.service.abs(rel));
    }
    const { digest, size } = await checksumFile(this.service.abs(rel));
    const now = new Date();
    return {
      id,
      conversionId: conv.id,
      inputIds: inputs.map((i) => i.id),
      filename,
      size,
      contentType: file.contentType,
      checksum: digest,
      path: rel,
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + this.opts.outputTtlMs).toISOString(),
      downloads: 0,
      status: 'enabled',
    };
  }

  private async uploadToTargets(
    job: JobRecord,
    conv: ConversionRecord,
    input: InputRecord,
    files: { path: string; filename: string; contentType: string }[],
    signal: AbortSignal,
  ): Promise<boolean> {
    const cloud = await this.cloudModule().catch((err: Error) => err);
    for (const [ti, target] of conv.outputTargets.entries()) {
      target.status = 'uploading';
      this.service.touch(job);
      for (const [fi, file] of files.entries()) {
        try {
          if (cloud instanceof Error) throw cloud;
          const credentials = this.service.deps.box.open(target.sealedCredentials);
          if (!credentials) throw new CloudError('The credentials of this output target are no longer available', 'invalid');
          const parameters = { ...target.parameters };
          if (files.length > 1 && typeof parameters.file === 'string') parameters.file = numbered(parameters.file, fi);
          const { location } = await cloud.uploadToTarget({ provider: target.type, parameters, credentials }, file.path, {
            endpoints: this.opts.cloudEndpoints,
            signal,
            contentType: file.contentType,
          });
          target.locations = [...(target.locations ?? []), location];
        } catch (err) {
          if (signal.aborted || this.closing) throw signal.reason ?? err;
          target.status = 'failed';
          const message =
            err instanceof CloudError || (err as Error)?.name === 'CloudError' ? (err as Error).message : 'The upload to the output target failed';
          this.service.addError(job, {
            source: 'conversion',
            id_source: conv.id,
            code: ErrorCodes.targetUploadFailed,
            message: `Output target ${ti} (${target.type}): ${message}`,
            details: { input: input.id, output_target: ti, type: target.type, kind: (err as CloudError)?.kind ?? 'error' },
          });
          this.service.touch(job);
          return false;
        }
      }
    }
    return true;
  }

  private track(p: Promise<unknown>): void {
    const tracked = p.catch((err) => this.opts.log(`unexpected: ${(err as Error)?.stack ?? err}`));
    this.work.add(tracked);
    void tracked.finally(() => this.work.delete(tracked));
  }
}

function describeInputError(err: unknown): { code: number; message: string; kind?: string } {
  if (err instanceof InputFetchError) return { code: err.code, message: err.message };
  if (err instanceof CloudError || (err as Error)?.name === 'CloudError') {
    return { code: ErrorCodes.generic, message: (err as Error).message, kind: (err as CloudError).kind ?? 'error' };
  }
  return { code: ErrorCodes.generic, message: 'The input could not be fetched' };
}

const sanitizeName = (name: string): string => sanitizeFilename(name);

/**
 * Adds an output in the order of conversions, then inputs, whatever order the side-by-side
 * conversions finished in (a job's outputs list as its inputs do).
 */
function placeOutput(job: JobRecord, output: OutputRecord): void {
  const rank = (o: OutputRecord): number =>
    job.conversions.findIndex((c) => c.id === o.conversionId) * (job.inputs.length + 1) + job.inputs.findIndex((i) => i.id === o.inputIds[0]);
  const mine = rank(output);
  let at = job.outputs.length;
  while (at > 0 && rank(job.outputs[at - 1]) > mine) at--;
  job.outputs.splice(at, 0, output);
}

/** `dir/name.png` → `dir/name-2.png` for the second file of a multi-file result. */
function numbered(file: string, index: number): string {
  if (index === 0) return file;
  const ext = extensionOf(file);
  return ext ? `${file.slice(0, -(ext.length + 1))}-${index + 1}.${ext}` : `${file}-${index + 1}`;
}
