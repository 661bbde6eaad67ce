/**
 * Downloads an output: streams to a hidden temporary file next to the destination, resumes a broken
 * transfer with a Range request, verifies size (and checksum when the API gives one), syncs to disk
 * and renames into place, so the destination is either absent or complete, never half-written.
 * The download password header is sent only to the output's own origin, never across a redirect
 * to another host; the account key is never sent at all (output URIs need no auth).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { abortError, parseRetryAfter, sleep } from './backoff';
import { apiMessageOf } from './call';
import { createDigest, parseChecksum, type ExpectedChecksum } from './checksum';
import { addSecret, countRetry, redactFor, retryVerdict, type ApiContext, type RetryState } from './context';
import { ApiError, BadResponseError, IntegrityError, errorForStatus, formatMs, isAbortError } from './errors';
import { asTransportError, discard, send } from './transport';
import type { OutputFile } from './types';

export interface DownloadOptions {
  password?: string;
  signal?: AbortSignal;
  onProgress?: (received: number, total: number | null) => void;
  /** Largest output accepted when the API declares no size (default 64 GiB); a declared size is itself the cap. */
  maxBytes?: number;
}

/** Default cap for an output of undeclared size: a hostile API must not fill the disk with one stream. */
export const DEFAULT_MAX_DOWNLOAD_BYTES = 64 * 1024 ** 3;

export const DOWNLOAD_PASSWORD_HEADER = 'X-Api2convert-Download-Password';
const MAX_REDIRECTS = 5;

export async function downloadOutput(
  ctx: ApiContext,
  output: Pick<OutputFile, 'id' | 'uri' | 'size' | 'checksum'>,
  destPath: string,
  opts: DownloadOptions = {},
): Promise<{ size: number }> {
  if (!output.uri) {
    throw new ApiError(`output ${output.id} has no download URI (outputs sent to an output target cannot be downloaded)`, {
      kind: 'validation',
      retryable: false,
    });
  }
  let url: URL;
  try {
    url = new URL(output.uri);
  } catch {
    throw new BadResponseError(`output ${output.id} has an invalid download URI`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new BadResponseError(`output ${output.id}: download URI scheme ${url.protocol} is not allowed (http and https only)`);
  addSecret(ctx, opts.password);
  const dir = path.dirname(destPath);
  await fs.promises.mkdir(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(destPath)}.${crypto.randomBytes(6).toString('hex')}.part`);
  const expected = parseChecksum(output.checksum);
  if (output.checksum && !expected) ctx.log(`download ${url.pathname}: checksum format not recognised; verifying size only`);
  const run: DownloadRun = {
    ctx,
    url,
    label: `GET ${url.pathname}`,
    tmp,
    opts,
    expectedSize: typeof output.size === 'number' && output.size >= 0 ? output.size : undefined,
    expected,
  };
  try {
    const size = await downloadWithRetries(run);
    await syncFile(tmp);
    await fs.promises.rename(tmp, destPath);
    return { size };
  } catch (err) {
    await fs.promises.rm(tmp, { force: true }).catch(() => {});
    throw err;
  }
}

interface DownloadRun {
  ctx: ApiContext;
  url: URL;
  label: string;
  tmp: string;
  opts: DownloadOptions;
  expectedSize?: number;
  expected?: ExpectedChecksum;
}

async function downloadWithRetries(run: DownloadRun): Promise<number> {
  const { ctx, opts } = run;
  const state: RetryState = { failures: 0, rateLimits: 0 };
  for (let attempt = 1; ; attempt++) {
    try {
      return await attemptDownload(run);
    } catch (err) {
      if (isAbortError(err) || opts.signal?.aborted) throw opts.signal?.aborted ? abortError(opts.signal) : err;
      if (err instanceof IntegrityError) {
        // Corrupt data is not resumed: start again from nothing.
        await fs.promises.rm(run.tmp, { force: true });
      }
      const verdict = retryVerdict(err, true, state, ctx);
      if (!verdict.retry) throw err;
      countRetry(err, state);
      ctx.log(`${run.label}: ${(err as ApiError).kind}; retry ${attempt} in ${formatMs(verdict.delayMs)}`);
      await sleep(verdict.delayMs, opts.signal);
    }
  }
}

async function attemptDownload(run: DownloadRun): Promise<number> {
  const { opts } = run;
  const have = await fs.promises.stat(run.tmp).then(
    (s) => s.size,
    () => 0,
  );
  const res = await getFollowingRedirects(run, have);
  let start = 0;
  let total: number | null = null;
  if (res.status === 206 && have > 0) {
    const cr = /bytes\s+(\d+)-(\d+)\/(\d+|\*)/i.exec(header(res.headers, 'content-range') ?? '');
    if (cr && Number(cr[1]) === have) {
      start = have;
      total = cr[3] === '*' ? null : Number(cr[3]);
    } else {
      discard(res.body);
      await fs.promises.rm(run.tmp, { force: true });
      throw new IntegrityError(`${run.label}: the server resumed at the wrong position`);
    }
  } else if (res.status === 200) {
    const len = header(res.headers, 'content-length');
    total = len && /^\d+$/.test(len) ? Number(len) : null;
  } else if (res.status === 416 && have > 0 && run.expectedSize === have) {
    // Everything arrived before the break; only verification is left.
    discard(res.body);
    start = have;
    total = have;
  } else {
    discard(res.body);
    throw new ApiError(`${run.label}: unexpected answer ${res.status}`, { kind: 'http', status: res.status });
  }
  if (total === null && run.expectedSize !== undefined) total = run.expectedSize;
  if (run.expectedSize !== undefined && total !== null && total !== run.expectedSize) {
    discard(res.body);
    throw new IntegrityError(`${run.label}: the server announces ${total} bytes but the output has ${run.expectedSize}`);
  }

  // Bytes already on disk count towards the checksum: hash them first.
  const digest = run.expected ? createDigest(run.expected.algorithm) : undefined;
  if (digest && start > 0) await hashFile(run.tmp, start, digest);
  let received = start;
  let lastReport = 0;
  const report = (force = false) => {
    const now = Date.now();
    if (!opts.onProgress || (!force && now - lastReport < 100)) return;
    lastReport = now;
    try {
      opts.onProgress(received, total);
    } catch {
      /* a progress listener must not break the download */
    }
  };
  // A declared size is the cap; without one, the configured maximum. Stop as soon as it is passed.
  const cap = run.expectedSize ?? total ?? opts.maxBytes ?? DEFAULT_MAX_DOWNLOAD_BYTES;
  if (total !== null && total > (opts.maxBytes ?? DEFAULT_MAX_DOWNLOAD_BYTES)) {
    discard(res.body);
    throw new BadResponseError(`${run.label}: the output is ${total} bytes, over the ${opts.maxBytes ?? DEFAULT_MAX_DOWNLOAD_BYTES}-byte limit`);
  }
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      received += chunk.length;
      if (received > cap) {
        const what = run.expectedSize !== undefined || total !== null ? 'its declared size' : 'the download limit';
        return cb(new BadResponseError(`${run.label}: the output is larger than ${what} (${cap} bytes); refused`));
      }
      digest?.update(chunk);
      report();
      cb(null, chunk);
    },
  });
  if (res.status !== 416) {
    const sink = fs.createWriteStream(run.tmp, { flags: start > 0 ? 'a' : 'w' });
    let sinkError: Error | undefined;
    sink.once('error', (e) => (sinkError = e));
    try {
      await pipeline(res.body, counter, sink, { signal: opts.signal });
    } catch (err) {
      if (opts.signal?.aborted) throw abortError(opts.signal);
      // Writing failed (disk full, permissions): a local problem, never a network one.
      if (sinkError)
        throw Object.assign(sinkError, {
          path: (sinkError as NodeJS.ErrnoException).path ?? run.tmp,
          syscall: (sinkError as NodeJS.ErrnoException).syscall ?? 'write',
        });
      throw asTransportError(err, run.label);
    }
  }
  report(true);

  const want = run.expectedSize ?? total;
  if (want !== null && want !== undefined && received !== want) {
    if (received < want) {
      // A short body is a broken transfer: keep what arrived and resume.
      throw new ApiError(`${run.label}: transfer ended after ${received} of ${want} bytes`, { kind: 'network' });
    }
    throw new IntegrityError(`${run.label}: received ${received} bytes but the output has ${want}`);
  }
  if (digest && run.expected) {
    const got = digest.digest('hex');
    if (got !== run.expected.hex) throw new IntegrityError(`${run.label}: ${run.expected.algorithm} checksum mismatch (the file arrived corrupted)`);
  }
  return received;
}

interface Response {
  status: number;
  headers: IncomingHttpHeaders;
  body: IncomingMessage;
}

/** GET with manual redirects: the password goes only to the output's own origin. */
async function getFollowingRedirects(run: DownloadRun, rangeFrom: number): Promise<Response> {
  const { ctx, opts } = run;
  let url = run.url;
  for (let hop = 0; ; hop++) {
    const headers: Record<string, string> = { Accept: '*/*', 'Accept-Encoding': 'identity' };
    if (rangeFrom > 0) headers.Range = `bytes=${rangeFrom}-`;
    if (opts.password && url.origin === run.url.origin) headers[DOWNLOAD_PASSWORD_HEADER] = opts.password;
    const label = `GET ${url.pathname}`;
    const res = await send({ method: 'GET', url, headers, idleTimeoutMs: ctx.timeoutMs, signal: opts.signal, agents: ctx.agents, label });
    if ([301, 302, 303, 307, 308].includes(res.status)) {
      discard(res.body);
      const location = header(res.headers, 'location');
      if (!location || hop >= MAX_REDIRECTS)
        throw new ApiError(`${run.label}: ${location ? 'too many redirects' : 'redirect without a location'}`, { kind: 'http', status: res.status });
      const next = new URL(location, url);
      if (next.protocol !== 'https:' && next.protocol !== 'http:')
        throw new ApiError(`${run.label}: redirect to an unsupported scheme`, { kind: 'http', status: res.status });
      if (next.origin !== run.url.origin) ctx.log(`${run.label}: redirected to ${next.host}; the download password is not forwarded`);
      url = next;
      continue;
    }
    if (res.status >= 400 && !(res.status === 416 && rangeFrom > 0)) {
      const raw = await readSmall(res.body);
      const { message, code } = apiMessageOf(raw);
      throw errorForStatus({
        method: 'GET',
        path: url.pathname,
        status: res.status,
        apiMessage: message ? redactFor(ctx, message) : undefined,
        code,
        retryAfterMs: parseRetryAfter(res.headers['retry-after']),
        requestId: header(res.headers, 'x-request-id'),
        explanation:
          res.status === 401 || res.status === 403
            ? opts.password
              ? 'the download password was refused'
              : 'the output is protected by a download password'
            : res.status === 404 || res.status === 410
              ? 'output not found (expired or deleted)'
              : undefined,
      });
    }
    return res;
  }
}

async function readSmall(res: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  try {
    for await (const c of res as AsyncIterable<Buffer>) {
      if (n < 64 * 1024) chunks.push(c);
      n += c.length;
    }
  } catch {
    /* the error status is what matters */
  }
  return Buffer.concat(chunks);
}

async function hashFile(file: string, length: number, digest: crypto.Hash): Promise<void> {
  if (length <= 0) return;
  for await (const chunk of fs.createReadStream(file, { start: 0, end: length - 1 }) as AsyncIterable<Buffer>) digest.update(chunk);
}

async function syncFile(file: string): Promise<void> {
  const fh = await fs.promises.open(file, 'r+');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

function header(h: IncomingHttpHeaders, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}
