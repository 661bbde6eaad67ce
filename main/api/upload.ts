/**
 * File uploads to `POST {job.server}/upload-file/{job.id}`, authenticated with the job's token
 * (never the account key), streamed from disk with byte progress.
 *
 * Small files go in one multipart request. Larger ones use the chunked, resumable upload: every
 * chunk carries the same `X-Oc-Upload-Uuid` and a `Content-Range: bytes a-b/total`; when a chunk
 * breaks off, the client asks the server how much it holds (a Content-Range with `*` for the
 * range and the total, no body) and continues from there. A stable uuid lets a restarted process
 * resume the same way.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { abortError, sleep } from './backoff';
import { apiMessageOf, errorFromBody } from './call';
import { countRetry, noteResponse, redactFor, retryVerdict, type ApiContext, type RetryState } from './context';
import { ApiError, formatMs, isAbortError } from './errors';
import { multipartFileBody, multipartFileBuffer, uploadFilename } from './multipart';
import { safeUrl } from './redact';
import { discard, readBody, send, type StreamBody } from './transport';
import { InputFileSchema, type InputFile } from './types';

export interface UploadJob {
  id: string;
  server: string;
  token: string;
}

export interface UploadOptions {
  filename?: string;
  signal?: AbortSignal;
  onProgress?: (sentBytes: number, totalBytes: number) => void;
  /** Files larger than this use the chunked, resumable upload. Default 64 MiB. */
  chunkSize?: number;
  /** Stable per item, so a restarted upload resumes where it broke off. */
  uploadUuid?: string;
}

export const DEFAULT_CHUNK_SIZE = 64 * 1024 * 1024;
const MIN_CHUNK_SIZE = 64 * 1024;
/** Bodies up to this size are sent as one buffer; larger ones stream with `Expect: 100-continue`. */
const SMALL_BODY = 256 * 1024;

export interface UploadHooks {
  /** After an ambiguous failure: did the upload land anyway? (reads the job's inputs) */
  findUploaded(filename: string, size: number, signal?: AbortSignal): Promise<InputFile | undefined>;
}

export async function uploadFile(ctx: ApiContext, job: UploadJob, filePath: string, opts: UploadOptions, hooks: UploadHooks): Promise<InputFile> {
  if (!job.token)
    throw new ApiError('upload: the job has no token (uploads are authorised by the job token, not the account key)', { kind: 'validation', retryable: false });
  if (!job.server) throw new ApiError(`upload to job ${job.id}: the job names no upload server`, { kind: 'validation', retryable: false });
  const size = await fileSize(filePath);
  const filename = uploadFilename(filePath, opts.filename);
  const url = new URL(`${job.server.replace(/\/+$/, '')}/upload-file/${encodeURIComponent(job.id)}`);
  const up: UploadRun = { ctx, job, url, path: `/upload-file/${job.id}`, filePath, filename, size, opts, progress: throttle(opts.onProgress, size) };
  const chunkSize = Math.max(MIN_CHUNK_SIZE, opts.chunkSize ?? DEFAULT_CHUNK_SIZE);
  const input = size > chunkSize ? await chunkedUpload(up, chunkSize) : await singleUpload(up, hooks);
  up.progress(size, true);
  return input;
}

interface UploadRun {
  ctx: ApiContext;
  job: UploadJob;
  url: URL;
  path: string;
  filePath: string;
  filename: string;
  size: number;
  opts: UploadOptions;
  progress: (sent: number, force?: boolean) => void;
  /** Cleared when the server rejects `Expect: 100-continue` (417). */
  expectContinue?: boolean;
}

async function fileSize(filePath: string): Promise<number> {
  let st: fs.Stats;
  try {
    st = await fs.promises.stat(filePath);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw Object.assign(new Error(`upload: cannot read ${filePath} (${code === 'ENOENT' ? 'file not found' : code})`), { code });
  }
  if (!st.isFile()) throw Object.assign(new Error(`upload: ${filePath} is not a regular file`), { code: 'EISDIR' });
  return st.size;
}

/** One multipart request. A broken connection is resolved by asking the job whether the file arrived. */
async function singleUpload(up: UploadRun, hooks: UploadHooks): Promise<InputFile> {
  const { ctx, opts } = up;
  const state: RetryState = { failures: 0, rateLimits: 0 };
  for (let attempt = 1; ; attempt++) {
    try {
      const res = await post(up, { start: 0, end: up.size }, {});
      return parseInput(res.data, up);
    } catch (err) {
      if (isAbortError(err) || opts.signal?.aborted) throw opts.signal?.aborted ? abortError(opts.signal) : err;
      // Repeating blindly could add the file twice; after an ambiguous failure check first.
      let safe = false;
      if (err instanceof ApiError && (err.kind === 'server' || err.kind === 'network' || err.kind === 'timeout')) {
        const landed = await hooks.findUploaded(up.filename, up.size, opts.signal).catch(() => null);
        if (landed) {
          ctx.log(`upload ${up.path}: connection failed but the file arrived (input ${landed.id})`);
          return landed;
        }
        safe = landed === undefined; // null = could not check: do not repeat
      }
      const verdict = retryVerdict(err, safe, state, ctx);
      if (!verdict.retry) throw err;
      countRetry(err, state);
      ctx.log(`upload ${up.path}: ${(err as ApiError).kind}; retry ${attempt} in ${formatMs(verdict.delayMs)}`);
      await sleep(verdict.delayMs, opts.signal);
    }
  }
}

async function chunkedUpload(up: UploadRun, chunkSize: number): Promise<InputFile> {
  const { ctx, opts } = up;
  const uuid = opts.uploadUuid ?? crypto.randomUUID();
  const state: RetryState = { failures: 0, rateLimits: 0 };
  let offset = 0;
  // Caller-provided uuid: this may be a restart, so ask the server what it already holds.
  if (opts.uploadUuid) {
    const held = await probe(up, uuid);
    if (held.input) return held.input;
    offset = held.offset ?? 0;
  }
  let lastProgressAt = Date.now();
  for (;;) {
    // Everything is there but no input was made (the end was lost): send the last chunk again.
    if (offset >= up.size) offset = Math.max(0, up.size - chunkSize);
    const end = Math.min(up.size, offset + chunkSize);
    try {
      const res = await post(up, { start: offset, end }, { 'X-Oc-Upload-Uuid': uuid, 'Content-Range': `bytes ${offset}-${end - 1}/${up.size}` });
      const input = asInput(res.data);
      if (input && (end >= up.size || reportedOffset(res.headers, res.data) === undefined)) return input;
      offset = clampOffset(reportedOffset(res.headers, res.data) ?? end, up.size);
      state.failures = 0; // progress was made: the retry budget is per stuck chunk
      lastProgressAt = Date.now();
      up.progress(offset);
    } catch (err) {
      if (isAbortError(err) || opts.signal?.aborted) throw opts.signal?.aborted ? abortError(opts.signal) : err;
      // A range the server did not expect: it says where it is.
      if (err instanceof RangeMismatch) {
        if (err.offset === offset)
          throw new ApiError(`upload ${up.path}: the server keeps rejecting the chunk at byte ${offset}`, {
            kind: 'http',
            status: 416,
            method: 'POST',
            path: up.path,
          });
        ctx.log(`upload ${up.path}: the server holds ${err.offset} bytes, continuing from there`);
        offset = err.offset;
        up.progress(offset, true);
        continue;
      }
      // Chunks are addressed by range under one uuid, so sending one again cannot duplicate the file.
      const verdict = retryVerdict(err, true, state, ctx);
      if (!verdict.retry) throw err;
      countRetry(err, state);
      ctx.log(
        `upload ${up.path}: chunk at byte ${offset} failed (${(err as ApiError).kind}); resuming in ${formatMs(verdict.delayMs)} (no progress for ${formatMs(Date.now() - lastProgressAt)})`,
      );
      await sleep(verdict.delayMs, opts.signal);
      const held = await probe(up, uuid);
      if (held.input) return held.input;
      if (held.offset !== undefined) offset = held.offset;
      up.progress(offset, true);
    }
  }
}

class RangeMismatch extends Error {
  constructor(readonly offset: number) {
    super(`range mismatch, the server holds ${offset} bytes`);
  }
}

/**
 * Asks how much of this upload the server holds (a Content-Range with `*` for the range, no body):
 * an offset, or the finished input when the upload already completed. Empty when it cannot say.
 */
async function probe(up: UploadRun, uuid: string): Promise<{ offset?: number; input?: InputFile }> {
  try {
    const res = await post(up, null, { 'X-Oc-Upload-Uuid': uuid, 'Content-Range': `bytes */${up.size}` });
    const n = reportedOffset(res.headers, res.data);
    if (n !== undefined) return { offset: clampOffset(n, up.size) };
    const input = asInput(res.data);
    return input ? { input } : {};
  } catch (err) {
    if (err instanceof RangeMismatch) return { offset: clampOffset(err.offset, up.size) };
    if (isAbortError(err) || up.opts.signal?.aborted) throw err;
    return {};
  }
}

function clampOffset(n: number, size: number): number {
  return Math.max(0, Math.min(size, Math.floor(n)));
}

/** One POST of `file[start, end)` as multipart; resolves with the parsed 2xx body. */
async function post(
  up: UploadRun,
  range: { start: number; end: number } | null,
  extra: Record<string, string>,
): Promise<{ headers: IncomingHttpHeaders; data: unknown }> {
  const { ctx } = up;
  const label = `POST ${up.path}`;
  const headers: Record<string, string> = {
    Accept: 'application/json',
    // The job token authorises uploads; the account key is never sent to the upload server.
    'X-Api2convert-Token': up.job.token,
    ...extra,
  };
  let body: Buffer | StreamBody | undefined;
  const small = range !== null && range.end - range.start <= SMALL_BODY;
  if (range && small) {
    const built = await multipartFileBuffer({ filePath: up.filePath, filename: up.filename, start: range.start, end: range.end });
    headers['Content-Type'] = built.contentType;
    body = built.buffer;
  } else if (range) {
    const stream = multipartFileBody({
      filePath: up.filePath,
      filename: up.filename,
      start: range.start,
      end: range.end,
      onBytes: (n) => up.progress(range.start + n),
    });
    headers['Content-Type'] = stream.contentType;
    body = stream;
  }
  const expectContinue = body !== undefined && !small && up.expectContinue !== false;
  const res = await send({
    method: 'POST',
    url: up.url,
    headers,
    body,
    idleTimeoutMs: ctx.timeoutMs,
    signal: up.opts.signal,
    agents: ctx.agents,
    label,
    expectContinue,
  });
  noteResponse(ctx, 'POST', up.path, res.status);
  if (res.status === 417 && expectContinue) {
    // A server that does not do `Expect: 100-continue`: send plainly from now on.
    discard(res.body);
    up.expectContinue = false;
    return post(up, range, extra);
  }
  const raw = await readBody(res.body, label);
  if (extra['Content-Range']) {
    const data = tryJson(raw);
    const held = reportedOffset(res.headers, data);
    // 308 "resume incomplete": a progress report, not a failure.
    if (res.status === 308) return { headers: res.headers, data: { offset: held ?? 0 } };
    // 416/409/400 naming where the server is: continue from there.
    if ((res.status === 416 || res.status === 409 || res.status === 400) && held !== undefined) throw new RangeMismatch(held);
    // 409 without a position: the previous (broken) chunk is still being received; try again shortly.
    if (res.status === 409) {
      const { message } = apiMessageOf(raw);
      throw new ApiError(`POST ${up.path}: chunk not accepted yet${message ? ` — ${redactFor(ctx, message)}` : ''}`, {
        kind: 'server',
        status: 409,
        method: 'POST',
        path: up.path,
        retryable: true,
      });
    }
  }
  if (res.status >= 300) {
    const explanation = res.status === 401 || res.status === 403 ? 'the job token was refused' : undefined;
    throw errorFromBody(ctx, { method: 'POST', path: up.path }, res.status, res.headers, raw, explanation);
  }
  return { headers: res.headers, data: tryJson(raw) };
}

function tryJson(raw: Buffer): unknown {
  if (raw.length === 0) return null;
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    return null;
  }
}

/** The server's count of bytes held: `Range: bytes=0-N`, an offset header, or a JSON field. */
export function reportedOffset(headers: IncomingHttpHeaders, data: unknown): number | undefined {
  const range = headerOf(headers, 'range');
  if (range) {
    const m = /bytes\s*=\s*0-(\d+)/i.exec(range);
    if (m) return Number(m[1]) + 1;
  }
  for (const h of ['x-oc-upload-offset', 'x-api2convert-upload-offset', 'upload-offset']) {
    const v = headerOf(headers, h);
    if (v && /^\d+$/.test(v.trim())) return Number(v.trim());
  }
  if (data && typeof data === 'object' && !Array.isArray(data)) {
    const d = data as Record<string, unknown>;
    for (const k of ['offset', 'received', 'uploaded', 'bytes_received', 'received_bytes', 'next_offset']) {
      const v = d[k];
      if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return v;
    }
  }
  return undefined;
}

function headerOf(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function asInput(data: unknown): InputFile | undefined {
  const candidate = Array.isArray(data)
    ? data[0]
    : data && typeof data === 'object' && 'input' in data && !('id' in data)
      ? (data as { input: unknown }).input
      : data;
  const first = Array.isArray(candidate) ? candidate[0] : candidate;
  const parsed = InputFileSchema.safeParse(first);
  return parsed.success ? parsed.data : undefined;
}

function parseInput(data: unknown, up: UploadRun): InputFile {
  const input = asInput(data);
  if (!input)
    throw new ApiError(`POST ${up.path}: the upload was accepted but the answer is not an input object (${safeUrl(up.url)})`, {
      kind: 'http',
      method: 'POST',
      path: up.path,
    });
  return input;
}

/** Progress at most every 100 ms (and always when forced), never more than the total. */
function throttle(fn: UploadOptions['onProgress'], total: number): (sent: number, force?: boolean) => void {
  if (!fn) return () => {};
  let last = 0;
  let lastValue = -1;
  return (sent, force) => {
    const now = Date.now();
    const value = Math.min(sent, total);
    if (value === lastValue || (!force && now - last < 100 && value < total)) return;
    last = now;
    lastValue = value;
    try {
      fn(value, total);
    } catch {
      /* a progress listener must not break the upload */
    }
  };
}
