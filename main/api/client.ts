/**
 * The api2convert v2 client: account requests carry `X-Api2convert-Api-Key`, uploads carry only
 * the job's `X-Api2convert-Token`, responses are validated with zod at the edge, failures become
 * typed errors, and retries never create a job twice.
 */
import type { ZodType, ZodTypeDef } from 'zod';
import { z } from 'zod';
import type { PollOptions, RetryOptions } from './backoff';
import { callJson, type CallSpec } from './call';
import { addSecret, contextFor, defaultRetry, type ApiContext, type LocalExchange, type RequestOptions, type ResponseHook } from './context';
import { downloadOutput, type DownloadOptions } from './download';
import { ApiError, ConflictError, NotFoundError } from './errors';
import { waitForJob } from './poll';
import { isSecretName, redactText } from './redact';
import { createAgents } from './transport';
import {
  ConversionInfoSchema,
  ConversionSchema,
  InputFileSchema,
  JobSchema,
  type Conversion,
  type ConversionCreate,
  type ConversionInfo,
  type InputCreate,
  type InputFile,
  type Job,
  type JobCreate,
  type OutputFile,
} from './types';
import { uploadFile, type UploadOptions } from './upload';

export interface ClientOptions {
  /** Including /v2, e.g. 'http://127.0.0.1:5123/v2' or 'https://api.api2convert.com/v2'. */
  baseUrl: string;
  apiKey: string;
  /** Per request (not streamed bodies, where it limits inactivity), default 30 s. */
  timeoutMs?: number;
  retry?: RetryOptions;
  /** Sees every answer of the API (see ResponseHook). */
  onResponse?: ResponseHook;
  /** Largest JSON answer accepted (a job document), default 16 MiB: a bigger one fails its item. */
  maxJsonBytes?: number;
  /** Receives redacted lines only. */
  log?: (message: string) => void;
  /** Calls the in-process engine answers itself instead of over HTTP (see LocalExchange). */
  local?: LocalExchange;
}

export const API_KEY_HEADER = 'X-Api2convert-Api-Key';
export const TOKEN_HEADER = 'X-Api2convert-Token';
export const IDEMPOTENCY_HEADER = 'Idempotency-Key';
/** api2convert pages list endpoints by 50. */
const PAGE_SIZE = 50;

export class Api2ConvertClient {
  private readonly base: URL;
  private readonly apiKey: string;
  private readonly ctx: ApiContext;

  constructor(opts: ClientOptions) {
    let base: URL;
    try {
      base = new URL(opts.baseUrl.replace(/\/+$/, ''));
    } catch {
      throw new TypeError(`Api2ConvertClient: invalid baseUrl ${JSON.stringify(redactText(String(opts.baseUrl)))}`);
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new TypeError(`Api2ConvertClient: baseUrl must be http(s), got ${base.protocol}`);
    if (base.username || base.password) throw new TypeError('Api2ConvertClient: baseUrl must not carry credentials');
    if (!opts.apiKey) throw new TypeError('Api2ConvertClient: an API key is required');
    this.base = base;
    this.apiKey = opts.apiKey;
    const secrets = new Set<string>([opts.apiKey]);
    const userLog = opts.log;
    this.ctx = {
      agents: createAgents(),
      timeoutMs: opts.timeoutMs && opts.timeoutMs > 0 ? opts.timeoutMs : 30_000,
      maxJsonBytes: opts.maxJsonBytes,
      retry: defaultRetry(opts.retry),
      secrets,
      random: Math.random,
      onResponse: opts.onResponse,
      local: opts.local,
      log: (line) => {
        if (!userLog) return;
        try {
          userLog(redactText(line, secrets));
        } catch {
          /* logging never breaks a request */
        }
      },
    };
  }

  /**
   * This client with other defaults for every request (retry policy, response hook), sharing its
   * key, connections and known secrets: one client per key, however many policies use it.
   */
  withOptions(o: Omit<RequestOptions, 'signal'>): Api2ConvertClient {
    // Everything but the request context comes from this client (its methods, as they are now).
    const view = Object.create(this) as Api2ConvertClient;
    Object.defineProperty(view, 'ctx', { value: contextFor(this.ctx, o) });
    return view;
  }

  /** Base URL including /v2 (as given, without a trailing slash). */
  get baseUrl(): string {
    return this.base.toString().replace(/\/+$/, '');
  }

  // ---- Jobs ----

  /**
   * `POST /jobs`. With an `idempotencyKey` a 5xx or broken connection is retried (the server
   * replays the first creation); without one it is not, so a job is never created twice.
   */
  async createJob(body: JobCreate, opts: RequestOptions & { idempotencyKey?: string } = {}): Promise<Job> {
    const headers: Record<string, string> = {};
    if (opts.idempotencyKey) headers[IDEMPOTENCY_HEADER] = opts.idempotencyKey;
    this.learnSecrets(body);
    const job = await this.request(
      'POST',
      '/jobs',
      { json: body, headers, safeToRepeat: Boolean(opts.idempotencyKey), signal: opts.signal, req: opts },
      JobSchema,
    );
    return this.remember(job);
  }

  async getJob(id: string, opts: RequestOptions = {}): Promise<Job> {
    return this.remember(await this.request('GET', `/jobs/${seg(id)}`, { safeToRepeat: true, signal: opts.signal, req: opts }, JobSchema));
  }

  /** One page (50) of the account's jobs, optionally filtered by status code. */
  async listJobs(opts: RequestOptions & { page?: number; status?: string } = {}): Promise<Job[]> {
    const query: Record<string, string> = {};
    if (opts.page) query.page = String(opts.page);
    if (opts.status) query.status = opts.status;
    const jobs = await this.request('GET', '/jobs', { query, safeToRepeat: true, allowEmpty: true, signal: opts.signal, req: opts }, z.array(JobSchema));
    return (jobs ?? []).map((j) => this.remember(j));
  }

  /**
   * `PATCH /jobs/{id}` (start processing, set the callback). Setting the same fields again has the
   * same effect, so a broken connection is retried; a 409 on a retry means the first attempt
   * already started the job, which is then read and returned.
   */
  async patchJob(id: string, body: { process?: boolean; callback?: string; notify_status?: boolean }, opts: RequestOptions = {}): Promise<Job> {
    try {
      return this.remember(await this.request('PATCH', `/jobs/${seg(id)}`, { json: body, safeToRepeat: true, signal: opts.signal, req: opts }, JobSchema));
    } catch (err) {
      if (err instanceof ConflictError && err.attempts > 1 && body.process) {
        const job = await this.getJob(id, opts);
        if (job.process !== false && !['incomplete', 'canceled', 'failed'].includes(job.status.code)) return job;
      }
      throw err;
    }
  }

  /** `DELETE /jobs/{id}` (cancel). A 404 after a retry means the first attempt succeeded. */
  async deleteJob(id: string, opts: RequestOptions = {}): Promise<void> {
    try {
      await this.request('DELETE', `/jobs/${seg(id)}`, { safeToRepeat: true, allowEmpty: true, signal: opts.signal, req: opts }, z.unknown());
    } catch (err) {
      if (err instanceof NotFoundError && err.attempts > 1) return;
      throw err;
    }
  }

  async addConversion(jobId: string, conversion: ConversionCreate, opts: RequestOptions = {}): Promise<Conversion> {
    this.learnSecrets(conversion);
    const res = await this.request(
      'POST',
      `/jobs/${seg(jobId)}/conversions`,
      { json: conversion, safeToRepeat: false, signal: opts.signal, req: opts },
      z.union([ConversionSchema, z.array(ConversionSchema).min(1)]),
    );
    return Array.isArray(res) ? res[0] : res;
  }

  async addInputs(jobId: string, inputs: InputCreate | InputCreate[], opts: RequestOptions = {}): Promise<InputFile[]> {
    this.learnSecrets(inputs);
    const res = await this.request(
      'POST',
      `/jobs/${seg(jobId)}/input`,
      { json: inputs, safeToRepeat: false, signal: opts.signal, req: opts },
      z.union([InputFileSchema, z.array(InputFileSchema)]),
    );
    return Array.isArray(res) ? res : [res];
  }

  // ---- Files ----

  /** Streams a local file to the job's upload server (token auth; chunked and resumable above `chunkSize`). */
  async uploadFile(
    job: { id: string; server: string; token: string },
    filePath: string,
    opts: UploadOptions & Omit<RequestOptions, 'signal'> = {},
  ): Promise<InputFile> {
    addSecret(this.ctx, job.token);
    return uploadFile(contextFor(this.ctx, opts), job, filePath, opts, {
      // An upload input of this size, by name, or the only one (the server may have cleaned the name).
      findUploaded: async (filename, size, signal) => {
        const current = await this.getJob(job.id, { signal });
        const sameSize = current.input.filter((i) => i.type === 'upload' && i.size === size);
        return sameSize.find((i) => i.filename === filename || i.source === filename) ?? (sameSize.length === 1 ? sameSize[0] : undefined);
      },
    });
  }

  /** Streams an output to a temp file next to `destPath`, verifies size/checksum, renames into place. */
  downloadOutput(output: OutputFile, destPath: string, opts: DownloadOptions & Pick<RequestOptions, 'retry'> = {}): Promise<{ size: number }> {
    // Not the API's own host (a storage server): the response hook is not told.
    return downloadOutput(contextFor({ ...this.ctx, onResponse: undefined }, { retry: opts.retry }), output, destPath, opts);
  }

  // ---- Waiting ----

  /** Polls until the job is completed, failed or canceled (official rhythm by default). */
  waitForJob(
    id: string,
    opts: { signal?: AbortSignal; poll?: PollOptions; onUpdate?: (job: Job) => void; wake?: (listener: () => void) => () => void } = {},
  ): Promise<Job> {
    return waitForJob((jobId, signal) => this.getJob(jobId, { signal }), id, opts);
  }

  // ---- Information ----

  /** All conversions the API offers (every page), optionally filtered. */
  async listConversions(filter: { category?: string; target?: string } = {}, opts: RequestOptions = {}): Promise<ConversionInfo[]> {
    const all: ConversionInfo[] = [];
    for (let page = 1; page <= 200; page++) {
      const query: Record<string, string> = {};
      if (filter.category) query.category = filter.category;
      if (filter.target) query.target = filter.target;
      if (page > 1) query.page = String(page);
      const { data, headers } = await this.requestWithHeaders(
        'GET',
        '/conversions',
        { query, safeToRepeat: true, allowEmpty: true, signal: opts.signal, req: opts },
        z.array(ConversionInfoSchema),
      );
      const items = data ?? [];
      all.push(...items);
      const count = Number(headers['x-count']);
      if (items.length < PAGE_SIZE || (Number.isFinite(count) && all.length >= count)) break;
    }
    return all;
  }

  /** `GET /contracts`: the cheap authenticated call used to check a key (401 → AuthError). */
  async getContracts(opts: RequestOptions = {}): Promise<unknown[]> {
    const res = await this.request(
      'GET',
      '/contracts',
      { safeToRepeat: true, allowEmpty: true, signal: opts.signal, req: opts },
      z.union([z.array(z.unknown()), z.record(z.unknown())]),
    );
    if (res === null) return [];
    return Array.isArray(res) ? res : [res];
  }

  /** Closes idle keep-alive connections. The client stays usable (new connections are opened). */
  close(): void {
    this.ctx.agents.http.destroy();
    this.ctx.agents.https.destroy();
  }

  // ---- Internals ----

  private async request<T>(method: CallSpec['method'], path: string, o: RequestOpts, schema: ZodType<T, ZodTypeDef, unknown>): Promise<T> {
    return (await this.requestWithHeaders(method, path, o, schema)).data;
  }

  private async requestWithHeaders<T>(method: CallSpec['method'], path: string, o: RequestOpts, schema: ZodType<T, ZodTypeDef, unknown>) {
    const url = new URL(this.base.toString().replace(/\/+$/, '') + path);
    for (const [k, v] of Object.entries(o.query ?? {})) url.searchParams.set(k, v);
    const res = await callJson(contextFor(this.ctx, o.req), {
      method,
      url,
      path,
      headers: { [API_KEY_HEADER]: this.apiKey, ...o.headers },
      json: o.json,
      safeToRepeat: o.safeToRepeat,
      signal: o.signal,
    });
    if (res.data === null) {
      if (o.allowEmpty) return { data: null as T, headers: res.headers };
      throw new ApiError(`${method} ${path}: the API answered ${res.status} with no body`, { kind: 'http', status: res.status, method, path });
    }
    const parsed = schema.safeParse(res.data);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid';
      throw new ApiError(`${method} ${path}: unexpected response from the API (${where})`, {
        kind: 'http',
        status: res.status,
        method,
        path,
        retryable: false,
      });
    }
    return { data: parsed.data, headers: res.headers };
  }

  /**
   * A job document that came from elsewhere than a response (a signed callback): parsed like a
   * read, its token kept out of messages; null when it is not a job document.
   */
  acceptJob(doc: unknown): Job | null {
    const r = JobSchema.safeParse(doc);
    return r.success ? this.remember(r.data) : null;
  }

  /** Job tokens and passwords are secrets too: keep them out of every message from now on. */
  private remember(job: Job): Job {
    addSecret(this.ctx, job.token);
    for (const p of job.download_passwords ?? []) addSecret(this.ctx, p);
    return job;
  }

  /** Registers credential values found in a request body (cloud inputs, output targets, passwords). */
  private learnSecrets(value: unknown, depth = 0, secretName = false): void {
    if (depth > 10 || value === null || value === undefined) return;
    if (typeof value === 'string') {
      if (secretName) addSecret(this.ctx, value);
      return;
    }
    if (typeof value !== 'object') return;
    if (Array.isArray(value)) {
      // e.g. download_passwords: every element is as secret as the list's name says.
      for (const v of value) this.learnSecrets(v, depth + 1, secretName);
      return;
    }
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) this.learnSecrets(v, depth + 1, isSecretName(k));
  }
}

interface RequestOpts {
  /** The caller's per-request options (retry policy, response hook). */
  req?: RequestOptions;
  json?: unknown;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  safeToRepeat: boolean;
  allowEmpty?: boolean;
  signal?: AbortSignal;
}

/** A path segment: ids are opaque, so encode them. */
function seg(id: string): string {
  if (!id) throw new ApiError('a job id is required', { kind: 'validation', retryable: false });
  return encodeURIComponent(id);
}
