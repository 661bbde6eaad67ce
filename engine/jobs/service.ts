/**
 * The job state machine: creation, changes through the API, starting, failing and completing.
 * Work itself (fetching inputs, converting, uploading to targets) is done by `runner.ts`.
 *
 *   incomplete ──(process, inputs and conversions)──▶ downloading ─▶ queued ─▶ processing
 *        │                                                                      │
 *        └────────── DELETE ─▶ canceled                      completed | failed ◀┘
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { CallbackOutbox } from '../callbacks/outbox';
import { ConversionError, type TargetSpec } from '../convert/types';
import { HttpError } from '../http/respond';
import type { Db } from '../store/db';
import type { JobStore } from '../store/job-store';
import { nowIso, stableStringify } from '../util/async';
import { checksumOf } from '../util/digest';
import { sanitizeFilename } from '../util/filename';
import { type SecretBox, sha256Hex } from '../util/secret-box';
import type { ConversionRecord, InputRecord, JobRecord, JobStatusCode, OutputTargetRecord, UserMessage } from './model';
import { isTerminal, statusInfo } from './model';
import type { ConvertModule } from './modules';
import { renderJob, type RenderContext } from './render';
import { cloudSources, type ConversionSpec, type InputSpec, type JobCreateSpec, type JobPatchSpec } from './schemas';

const IDEMPOTENCY_WINDOW_MS = 24 * 3600_000;
const activeStatuses: ReadonlySet<JobStatusCode> = new Set(['downloading', 'queued', 'processing']);

export interface ServiceDeps {
  db: Db;
  store: JobStore;
  box: SecretBox;
  outbox: CallbackOutbox;
  convert: ConvertModule;
  targets: TargetSpec[];
  ctx: RenderContext;
  dataDir: string;
  maxInputBytes: number;
  outputTtlMs: number;
  stats: { jobsCreated: number; idempotentReplays: number };
  /** Delete an output's file once it was served to its last byte (the in-process engine: Convoy keeps the result). */
  deleteServedOutputs?: boolean;
}

/** What the runner must do after a state change; set by the runner at wiring time. */
export interface RunnerHooks {
  fetchInput(job: JobRecord, input: InputRecord): void;
  enqueue(job: JobRecord): void;
  abort(job: JobRecord): void;
}

export class JobService {
  private active = new Set<string>();
  private finishListeners = new Set<(jobId: string) => void>();
  hooks!: RunnerHooks;
  private idem;

  constructor(readonly deps: ServiceDeps) {
    this.idem = {
      get: deps.db.prepare<[string], { job_id: string; body_hash: string; created_ms: number }>(
        'SELECT job_id, body_hash, created_ms FROM idempotency WHERE scope = ?',
      ),
      put: deps.db.prepare('INSERT OR REPLACE INTO idempotency (scope, job_id, body_hash, created_ms) VALUES (?, ?, ?, ?)'),
      expire: deps.db.prepare('DELETE FROM idempotency WHERE created_ms < ?'),
    };
  }

  // ── reading ─────────────────────────────────────────────────────────────────────────────

  get(id: string): JobRecord | undefined {
    return this.deps.store.get(id);
  }

  render(job: JobRecord): Record<string, unknown> {
    return renderJob(this.deps.ctx, job);
  }

  activeCount(): number {
    return this.active.size;
  }

  jobDir(jobId: string): string {
    return path.join(this.deps.dataDir, 'files', jobId);
  }

  abs(rel: string): string {
    return path.join(this.deps.dataDir, rel);
  }

  // ── creation ────────────────────────────────────────────────────────────────────────────

  /**
   * Looks up an `Idempotency-Key`: the job it created (same body), a 422 (other body) or
   * undefined (new key).
   */
  idempotentReplay(owner: string, key: string, rawBody: unknown): JobRecord | undefined {
    const row = this.idem.get.get(`${owner}:${sha256Hex(key)}`);
    if (!row || Date.now() - row.created_ms > IDEMPOTENCY_WINDOW_MS) return undefined;
    if (row.body_hash !== sha256Hex(stableStringify(rawBody))) {
      throw new HttpError(422, 'This Idempotency-Key was already used with a different request body; use a new key for a different job');
    }
    const job = this.get(row.job_id);
    if (job) this.deps.stats.idempotentReplays++;
    return job;
  }

  /** Whether a creation with this body would start a job right away (for the 429 fault). */
  wouldStart(spec: JobCreateSpec): boolean {
    return spec.process && (spec.input?.length ?? 0) > 0 && (spec.conversion?.length ?? 0) > 0;
  }

  create(owner: string, spec: JobCreateSpec, idempotency?: { key: string; rawBody: unknown }): JobRecord {
    const now = nowIso();
    const job: JobRecord = {
      id: crypto.randomUUID(),
      token: crypto.randomBytes(16).toString('hex'),
      owner,
      status: 'incomplete',
      statusInfo: statusInfo.incomplete,
      process: spec.process,
      failOnInputError: spec.fail_on_input_error,
      failOnConversionError: spec.fail_on_conversion_error,
      notifyStatus: spec.notify_status,
      callback: spec.callback || undefined,
      downloadPasswords: spec.download_passwords ? hashPasswords(spec.download_passwords) : undefined,
      conversions: [],
      inputs: [],
      outputs: [],
      errors: [],
      warnings: [],
      done: [],
      history: [],
      createdAt: now,
      modifiedAt: now,
    };
    // Validate everything before anything is written.
    const conversions = (spec.conversion ?? []).map((c, i) => this.buildConversion(c, `conversion[${i}]`));
    const prepared = (spec.input ?? []).map((inp, i) => this.prepareInput(inp, `input[${i}]`));
    job.conversions = conversions;
    job.inputs = prepared.map((p) => this.materializeInput(job, p));
    job.history.push({ id: crypto.randomUUID(), status: 'incomplete', info: job.statusInfo, created_at: now });
    const tx = this.deps.db.transaction(() => {
      this.deps.store.insertNow(job);
      if (idempotency) {
        this.idem.put.run(`${owner}:${sha256Hex(idempotency.key)}`, job.id, sha256Hex(stableStringify(idempotency.rawBody)), Date.now());
      }
    });
    tx();
    this.deps.stats.jobsCreated++;
    for (const input of job.inputs) if (input.status === 'downloading') this.hooks.fetchInput(job, input);
    this.advance(job);
    return job;
  }

  // ── changes ─────────────────────────────────────────────────────────────────────────────

  /** Whether this PATCH would start the job now (for the 429 fault). */
  patchWouldStart(job: JobRecord, spec: JobPatchSpec): boolean {
    return spec.process === true && job.status === 'incomplete' && job.inputs.length > 0 && job.conversions.length > 0;
  }

  patch(job: JobRecord, spec: JobPatchSpec): JobRecord {
    const changesWork =
      spec.process !== undefined ||
      spec.fail_on_input_error !== undefined ||
      spec.fail_on_conversion_error !== undefined ||
      spec.notify_status !== undefined ||
      spec.callback !== undefined;
    if (isTerminal(job) && changesWork) {
      throw new HttpError(409, `The job is ${job.status} and can no longer change (only download_passwords can)`);
    }
    if (!isTerminal(job) && job.status !== 'incomplete') {
      // A running job accepts a repeated `process: true` (a retried PATCH) and password changes.
      if (spec.process === false) throw new HttpError(409, `The job is already ${job.status}; it cannot be paused`);
      if (spec.fail_on_input_error !== undefined || spec.fail_on_conversion_error !== undefined) {
        throw new HttpError(409, `The job is already ${job.status}; its failure rules can no longer change`);
      }
    }
    if (spec.process === true && job.status === 'incomplete') {
      if (job.inputs.length === 0) throw new HttpError(422, 'The job cannot start: it has no input');
      if (job.conversions.length === 0) throw new HttpError(422, 'The job cannot start: it has no conversion');
    }
    if (spec.process !== undefined) job.process = spec.process;
    if (spec.fail_on_input_error !== undefined) job.failOnInputError = spec.fail_on_input_error;
    if (spec.fail_on_conversion_error !== undefined) job.failOnConversionError = spec.fail_on_conversion_error;
    if (spec.notify_status !== undefined) job.notifyStatus = spec.notify_status;
    if (spec.callback !== undefined) job.callback = spec.callback || undefined;
    if (spec.download_passwords !== undefined) job.downloadPasswords = hashPasswords(spec.download_passwords);
    this.touch(job);
    this.advance(job);
    return job;
  }

  cancel(job: JobRecord): void {
    if (isTerminal(job)) throw new HttpError(409, `The job is already ${job.status}`);
    for (const input of job.inputs) {
      if (input.status === 'downloading') {
        input.status = 'canceled';
        input.modifiedAt = nowIso();
      }
    }
    for (const conv of job.conversions) {
      for (const t of conv.outputTargets) if (t.status === 'waiting' || t.status === 'uploading') t.status = 'failed';
    }
    this.hooks.abort(job);
    this.finish(job, 'canceled', statusInfo.canceled);
  }

  assertOpen(job: JobRecord, what: string): void {
    if (job.status !== 'incomplete') {
      throw new HttpError(409, `The job is ${job.status}; ${what} can only change while it is incomplete`);
    }
  }

  addInputs(job: JobRecord, specs: InputSpec[]): InputRecord[] {
    this.assertOpen(job, 'inputs');
    const single = specs.length === 1;
    const prepared = specs.map((s, i) => this.prepareInput(s, single ? '' : `[${i}]`));
    const added = prepared.map((p) => this.materializeInput(job, p));
    job.inputs.push(...added);
    this.touch(job);
    for (const input of added) if (input.status === 'downloading') this.hooks.fetchInput(job, input);
    this.advance(job);
    return added;
  }

  /** An uploaded file (already on disk, under tmp) becomes a ready input. */
  addUploadedInput(job: JobRecord, file: { tmpPath: string; filename: string; size: number; checksum: string; contentType?: string }): InputRecord {
    this.assertOpen(job, 'inputs');
    const id = crypto.randomUUID();
    // `files/<job>/<id>-<name>`: one folder per job, no folder per input (each folder made and
    // removed is a costly sync call on the main thread). The first file of a job makes its folder.
    const rel = path.join('files', job.id, `${id}-${file.filename}`);
    if (job.inputs.length === 0 && job.outputs.length === 0) this.makeJobDir(job.id);
    try {
      fs.renameSync(file.tmpPath, this.abs(rel));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      fs.mkdirSync(path.dirname(this.abs(rel)), { recursive: true });
      fs.renameSync(file.tmpPath, this.abs(rel));
    }
    const now = nowIso();
    const input: InputRecord = {
      id,
      type: 'upload',
      status: 'ready',
      source: file.filename,
      filename: file.filename,
      size: file.size,
      checksum: file.checksum,
      contentType: file.contentType,
      path: rel,
      createdAt: now,
      modifiedAt: now,
    };
    job.inputs.push(input);
    this.touch(job);
    this.advance(job);
    return input;
  }

  deleteInput(job: JobRecord, inputId: string): void {
    const idx = job.inputs.findIndex((i) => i.id === inputId);
    if (idx < 0) throw new HttpError(404, 'The specified input does not exist');
    this.assertOpen(job, 'inputs');
    const [input] = job.inputs.splice(idx, 1);
    job.errors = job.errors.filter((e) => e.id_source !== inputId);
    if (input.status === 'downloading') input.status = 'canceled';
    const own = this.inputEntry(job, input);
    if (own) fs.rmSync(own, { recursive: true, force: true });
    this.touch(job);
  }

  patchInput(
    job: JobRecord,
    inputId: string,
    patch: { credentials?: Record<string, unknown>; parameters?: Record<string, unknown>; options?: Record<string, unknown> },
  ): InputRecord {
    const input = job.inputs.find((i) => i.id === inputId);
    if (!input) throw new HttpError(404, 'The specified input does not exist');
    this.assertOpen(job, 'inputs');
    if (patch.parameters) input.parameters = { ...input.parameters, ...patch.parameters };
    if (patch.options) input.options = { ...input.options, ...patch.options };
    if (patch.credentials) {
      const current = this.deps.box.open(input.sealedCredentials) ?? {};
      input.sealedCredentials = this.deps.box.seal({ ...current, ...patch.credentials });
    }
    input.modifiedAt = nowIso();
    this.touch(job);
    return input;
  }

  addConversion(job: JobRecord, spec: ConversionSpec): ConversionRecord {
    this.assertOpen(job, 'conversions');
    const conv = this.buildConversion(spec, '');
    job.conversions.push(conv);
    this.touch(job);
    this.advance(job);
    return conv;
  }

  patchConversion(job: JobRecord, convId: string, patch: { options?: Record<string, unknown>; metadata?: Record<string, unknown> }): ConversionRecord {
    const conv = job.conversions.find((c) => c.id === convId);
    if (!conv) throw new HttpError(404, 'The specified conversion does not exist');
    this.assertOpen(job, 'conversions');
    if (patch.options) conv.options = this.normalizeOptions(conv.target, { ...conv.options, ...patch.options }, 'options');
    if (patch.metadata) conv.metadata = { ...conv.metadata, ...patch.metadata };
    this.touch(job);
    return conv;
  }

  deleteConversion(job: JobRecord, convId: string): void {
    const idx = job.conversions.findIndex((c) => c.id === convId);
    if (idx < 0) throw new HttpError(404, 'The specified conversion does not exist');
    this.assertOpen(job, 'conversions');
    job.conversions.splice(idx, 1);
    this.touch(job);
  }

  deleteOutput(job: JobRecord, outputId: string): void {
    const idx = job.outputs.findIndex((o) => o.id === outputId);
    if (idx < 0) throw new HttpError(404, 'The specified output does not exist');
    const [out] = job.outputs.splice(idx, 1);
    if (out.path) fs.rmSync(path.dirname(this.abs(out.path)), { recursive: true, force: true });
    this.touch(job);
  }

  checkDownloadPassword(job: JobRecord, given: string | undefined): boolean {
    if (!job.downloadPasswords || job.downloadPasswords.length === 0) return true;
    if (given === undefined) return false;
    return job.downloadPasswords.some((p) => crypto.timingSafeEqual(Buffer.from(p.hash, 'hex'), Buffer.from(sha256Hex(p.salt + given), 'hex')));
  }

  // ── transitions (also used by the runner) ───────────────────────────────────────────────

  /** Moves a job forward when it can: start it, or leave `downloading` once inputs are settled. */
  advance(job: JobRecord): void {
    if (job.status === 'incomplete') {
      if (!job.process || job.inputs.length === 0 || job.conversions.length === 0) return;
      if (job.inputs.some((i) => i.status === 'downloading')) {
        this.setStatus(job, 'downloading', statusInfo.downloading);
        return;
      }
      this.afterInputsSettled(job);
      return;
    }
    if (job.status === 'downloading' && !job.inputs.some((i) => i.status === 'downloading')) {
      this.afterInputsSettled(job);
    }
  }

  /** An input failed: record it, and fail a started job at once when its rules say so. */
  inputFailed(job: JobRecord, input: InputRecord, code: number, message: string, details?: { kind: string }): void {
    input.status = 'failed';
    input.modifiedAt = nowIso();
    this.addError(job, { source: 'input', id_source: input.id, code, message, details: { type: input.type, ...details } });
    if (isTerminal(job)) return;
    if (job.status !== 'incomplete' && job.failOnInputError) {
      this.hooks.abort(job);
      this.fail(job, `An input could not be fetched: ${message}`);
      return;
    }
    this.touch(job);
    this.advance(job);
  }

  setStatus(job: JobRecord, code: JobStatusCode, info: string): void {
    const changed = job.status !== code;
    job.status = code;
    job.statusInfo = info;
    if (activeStatuses.has(code)) this.active.add(job.id);
    else this.active.delete(job.id);
    if (changed) job.history.push({ id: crypto.randomUUID(), status: code, info, created_at: nowIso() });
    this.touch(job);
    if (changed && job.callback && (job.notifyStatus || code === 'completed' || code === 'failed')) {
      // The callback row is committed with this status change: one commit, and never one without the other.
      const { callback } = job;
      const body = JSON.stringify(this.render(job));
      this.deps.store.alongside(() => this.deps.outbox.enqueue(job.id, callback, body));
    }
  }

  fail(job: JobRecord, info: string): void {
    this.finish(job, 'failed', info);
  }

  complete(job: JobRecord): void {
    this.finish(job, 'completed', statusInfo.completed);
  }

  finish(job: JobRecord, code: 'completed' | 'failed' | 'canceled', info: string): void {
    if (isTerminal(job)) return;
    job.finishedAt = nowIso();
    // Credentials are only needed while work remains.
    for (const input of job.inputs) delete input.sealedCredentials;
    for (const conv of job.conversions) for (const t of conv.outputTargets) delete t.sealedCredentials;
    this.setStatus(job, code, info);
    // The inputs did their work: their files go now (off the hot path), not at the job's expiry.
    const legacy = path.join(this.jobDir(job.id), 'inputs');
    const own = new Set<string>();
    for (const input of job.inputs) {
      const entry = this.inputEntry(job, input);
      if (entry) own.add(entry.startsWith(legacy + path.sep) ? legacy : entry);
    }
    for (const entry of own) void fs.promises.rm(entry, { recursive: true, force: true }).catch(() => {});
    // After the state change is saved (the store flushes before any answer); never inside it.
    if (this.finishListeners.size) {
      const listeners = [...this.finishListeners];
      setImmediate(() => {
        for (const l of listeners) {
          try {
            l(job.id);
          } catch {
            /* a listener's failure is its own */
          }
        }
      });
    }
  }

  /** The output was delivered completely and the engine keeps nothing it served (deleteServedOutputs). */
  forgetServedOutput(job: JobRecord, outputId: string): void {
    const out = job.outputs.find((o) => o.id === outputId);
    if (!this.deps.deleteServedOutputs || !out?.path) return;
    const file = this.abs(out.path);
    delete out.path;
    out.status = 'disabled';
    this.touch(job);
    // A finished job whose last output went keeps nothing: its whole folder goes, else the output's own.
    const last = isTerminal(job) && !job.outputs.some((o) => o.path);
    void removeFolder(path.dirname(file), [file])
      .then(() => (last ? removeFolder(this.jobDir(job.id), []) : undefined))
      .catch(() => {});
  }

  /**
   * The file or folder in the job's folder that is this input's alone: an uploaded input is a
   * file (`<id>-<name>`), a fetched one has a folder named by its id (also while downloading).
   */
  inputEntry(job: JobRecord, input: InputRecord): string | undefined {
    if (!input.path) return input.status === 'downloading' ? path.join(this.jobDir(job.id), input.id) : undefined;
    const file = this.abs(input.path);
    const own = path.dirname(file);
    return path.basename(own) === input.id ? own : file;
  }

  /**
   * Crash clean-up (at start, before any work resumes): removes from the job's folder whatever no
   * record points to — scratch folders of conversions cut short, results not yet recorded, inputs
   * of a finished job — in this layout and the older ones (`inputs/`, `work/`, `outputs/<id>/`).
   * A finished job with no output left loses its whole folder.
   */
  removeStrays(job: JobRecord): void {
    const keep = new Set<string>();
    for (const out of job.outputs) if (out.path) keep.add(path.dirname(this.abs(out.path)));
    if (!isTerminal(job)) {
      for (const input of job.inputs) {
        const entry = this.inputEntry(job, input);
        if (entry) keep.add(entry);
      }
    }
    const dir = this.jobDir(job.id);
    if (keep.size === 0 && isTerminal(job)) fs.rmSync(dir, { recursive: true, force: true });
    else pruneExcept(dir, keep);
  }

  /** The job's folder, made once, by its first file. */
  private makeJobDir(jobId: string): void {
    try {
      fs.mkdirSync(this.jobDir(jobId));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') fs.mkdirSync(this.jobDir(jobId), { recursive: true });
      else if (code !== 'EEXIST') throw err;
    }
  }

  /** Tells `listener` the id of every job that ends from now on (in-process clients). */
  onFinish(listener: (jobId: string) => void): () => void {
    this.finishListeners.add(listener);
    return () => this.finishListeners.delete(listener);
  }

  addError(job: JobRecord, err: UserMessage): void {
    job.errors.push(err);
  }

  touch(job: JobRecord): void {
    job.modifiedAt = nowIso();
    this.deps.store.save(job);
  }

  /** Saves the job before returning (not on the next turn): the next call may end the process. */
  saveNow(job: JobRecord): void {
    this.touch(job);
    this.deps.store.flush();
  }

  /** Re-registers active jobs after a restart (the runner re-queues their work). */
  noteActive(job: JobRecord): void {
    if (activeStatuses.has(job.status)) this.active.add(job.id);
  }

  expireIdempotencyKeys(): void {
    this.idem.expire.run(Date.now() - IDEMPOTENCY_WINDOW_MS);
  }

  // ── internals ───────────────────────────────────────────────────────────────────────────

  private afterInputsSettled(job: JobRecord): void {
    const failed = job.inputs.filter((i) => i.status === 'failed');
    const ready = job.inputs.filter((i) => i.status === 'ready');
    if (failed.length > 0 && job.failOnInputError) {
      this.fail(job, `${failed.length} input(s) could not be fetched`);
      return;
    }
    if (ready.length === 0) {
      this.fail(job, 'None of the inputs could be fetched');
      return;
    }
    this.setStatus(job, 'queued', statusInfo.queued);
    this.hooks.enqueue(job);
  }

  private buildConversion(spec: ConversionSpec, where: string): ConversionRecord {
    const prefix = where ? `${where}.` : '';
    const target = spec.target.trim().toLowerCase();
    const candidates = this.deps.targets.filter((t) => t.target === target);
    if (candidates.length === 0) {
      const lacking = this.deps.convert.missingTool?.(target);
      if (lacking) throw new HttpError(400, `${prefix}target: '${target}' needs ${lacking}, which this engine's machine does not have`);
      throw new HttpError(400, `${prefix}target: unknown target '${spec.target}' (GET /v2/conversions lists the targets this engine converts to)`);
    }
    let chosen = candidates[0];
    if (spec.category) {
      const byCategory = candidates.find((t) => t.category === spec.category);
      if (!byCategory) {
        throw new HttpError(
          400,
          `${prefix}category: target '${target}' is not in category '${spec.category}' (it is in ${candidates.map((c) => `'${c.category}'`).join(', ')})`,
        );
      }
      chosen = byCategory;
    }
    const options = this.normalizeOptions(target, spec.options ?? {}, `${prefix}options`);
    const outputTargets: OutputTargetRecord[] = (spec.output_target ?? []).map((t, i) => {
      if (t.type === 'youtube' || t.type === 'gdrive') {
        throw new HttpError(
          400,
          `${prefix}output_target[${i}].type: '${t.type}' is not supported by the local engine (use amazons3, azure, ftp or googlecloud)`,
        );
      }
      return {
        type: t.type,
        status: 'waiting',
        parameters: t.parameters ?? {},
        sealedCredentials: this.deps.box.seal(t.credentials ?? {}),
      };
    });
    return {
      id: crypto.randomUUID(),
      target,
      category: chosen.category,
      options,
      metadata: spec.metadata ?? {},
      outputTargets,
    };
  }

  private normalizeOptions(target: string, options: unknown, where: string): Record<string, string | number | boolean> {
    try {
      return this.deps.convert.normalizeOptions(target, options);
    } catch (err) {
      if (err instanceof ConversionError || (err as Error)?.name === 'ConversionError') {
        throw new HttpError(400, `${where}: ${(err as Error).message}`);
      }
      throw err;
    }
  }

  private prepareInput(spec: InputSpec, where: string): PreparedInput {
    const at = (field: string) => (where ? `${where}.${field}` : field);
    switch (spec.type) {
      case 'remote': {
        let url: URL | undefined;
        try {
          url = new URL(spec.source);
        } catch {
          /* reported below */
        }
        if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
          throw new HttpError(400, `${at('source')}: must be an http or https URL`);
        }
        return { spec };
      }
      case 'base64': {
        const data = decodeBase64(spec.source);
        if (!data) throw new HttpError(400, `${at('source')}: is not valid base64 data`);
        if (data.length > this.deps.maxInputBytes) {
          throw new HttpError(413, `${at('source')}: the decoded file is too large (limit ${this.deps.maxInputBytes} bytes)`);
        }
        return { spec, data };
      }
      case 'cloud':
        if (!(cloudSources as readonly string[]).includes(spec.source)) {
          throw new HttpError(400, `${at('source')}: cloud source must be one of ${cloudSources.join(', ')}`);
        }
        return { spec };
      case 'upload':
        throw new HttpError(400, `${at('type')}: upload inputs are created by uploading the file to {job.server}/upload-file/{job.id}`);
      default:
        throw new HttpError(400, `${at('type')}: input type '${spec.type}' is not supported by the local engine`);
    }
  }

  private materializeInput(job: JobRecord, prepared: PreparedInput): InputRecord {
    const { spec } = prepared;
    const now = nowIso();
    const input: InputRecord = {
      id: crypto.randomUUID(),
      type: spec.type as InputRecord['type'],
      status: 'downloading',
      source: spec.type === 'base64' ? 'base64' : spec.source,
      suggestedFilename: spec.filename ? sanitizeFilename(spec.filename) : undefined,
      engine: spec.engine,
      options: spec.options,
      parameters: spec.parameters,
      createdAt: now,
      modifiedAt: now,
    };
    if (spec.type === 'cloud') input.sealedCredentials = this.deps.box.seal(spec.credentials ?? {});
    if (prepared.data) {
      const filename = input.suggestedFilename ?? 'file';
      const rel = path.join('files', job.id, input.id, filename);
      fs.mkdirSync(path.dirname(this.abs(rel)), { recursive: true });
      fs.writeFileSync(this.abs(rel), prepared.data);
      Object.assign(input, {
        status: 'ready',
        filename,
        size: prepared.data.length,
        checksum: checksumOf(prepared.data),
        path: rel,
      });
    }
    return input;
  }
}

interface PreparedInput {
  spec: InputSpec;
  data?: Buffer;
}

function decodeBase64(source: string): Buffer | undefined {
  const body = source.replace(/^data:[^,]*;base64,/i, '').replace(/\s+/g, '');
  if (body.length === 0) return undefined;
  const normalized = body.replace(/-/g, '+').replace(/_/g, '/');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(normalized) || normalized.length % 4 === 1) return undefined;
  return Buffer.from(normalized, 'base64');
}

function hashPasswords(passwords: string[]): { salt: string; hash: string }[] {
  return passwords.map((p) => {
    const salt = crypto.randomBytes(8).toString('hex');
    return { salt, hash: sha256Hex(salt + p) };
  });
}

/** Removes from `dir` every entry that is not in `keep` and holds nothing in `keep`. */
function pruneExcept(dir: string, keep: Set<string>): void {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return; // no folder: nothing to remove
  }
  for (const name of names) {
    const full = path.join(dir, name);
    if (keep.has(full)) continue;
    if ([...keep].some((k) => k.startsWith(full + path.sep))) pruneExcept(full, keep);
    else fs.rmSync(full, { recursive: true, force: true });
  }
}

/**
 * Removes a folder known to hold just `files` with one call each (no recursive walk); falls back
 * to a recursive removal when it holds more.
 */
async function removeFolder(dir: string, files: string[]): Promise<void> {
  for (const file of files) await fs.promises.unlink(file).catch(() => {});
  try {
    await fs.promises.rmdir(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST') await fs.promises.rm(dir, { recursive: true, force: true });
  }
}
