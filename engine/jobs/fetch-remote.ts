/**
 * Downloads a remote input (http/https) to disk: streamed, size-capped, time-limited. The file
 * name is the client's suggestion, else Content-Disposition, else the URL's last path segment.
 */
import fs from 'node:fs';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { checksumHash } from '../util/digest';
import { filenameFromContentDisposition, filenameFromUrl, sanitizeFilename } from '../util/filename';
import { BlockedAddressError, TooManyRedirectsError, guardedGet, type GuardedResponse } from './guarded-get';

export class InputFetchError extends Error {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
  }
}

export interface FetchedFile {
  filename: string;
  size: number;
  checksum: string;
  contentType?: string;
}

export interface RemoteFetchOptions {
  maxBytes: number;
  timeoutMs: number;
  connectTimeoutMs: number;
  signal?: AbortSignal;
  suggestedFilename?: string;
  /** Fetch from loopback, link-local and private addresses too (default: no). */
  allowPrivate?: boolean;
  /** Redirects followed at most (default 5). */
  maxRedirects?: number;
}

export async function fetchRemote(source: string, destPath: string, opts: RemoteFetchOptions): Promise<FetchedFile> {
  let url: URL;
  try {
    url = new URL(source);
  } catch {
    throw new InputFetchError('The source is not a valid URL', 400);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InputFetchError(`Unsupported URL scheme ${url.protocol} (only http and https)`, 400);
  }
  const total = AbortSignal.timeout(opts.timeoutMs);
  const connect = new AbortController();
  const connectTimer = setTimeout(() => connect.abort(new Error('connect timeout')), opts.connectTimeoutMs);
  const signals = [total, connect.signal, ...(opts.signal ? [opts.signal] : [])];
  const signal = AbortSignal.any(signals);
  const where = `${url.protocol}//${url.host}`;
  let res: GuardedResponse;
  try {
    res = await guardedGet(url, {
      signal,
      allowPrivate: opts.allowPrivate ?? false,
      maxRedirects: opts.maxRedirects ?? 5,
      headers: { 'User-Agent': 'convoy-engine' },
    });
  } catch (err) {
    if (opts.signal?.aborted) throw opts.signal.reason;
    if (err instanceof BlockedAddressError) throw new InputFetchError(`The file could not be downloaded from ${where}: ${err.message}`, 403);
    if (err instanceof TooManyRedirectsError) throw new InputFetchError(`The file could not be downloaded from ${where}: ${err.message}`, 502);
    if (total.aborted || connect.signal.aborted) {
      throw new InputFetchError(`The download from ${where} timed out`, 408);
    }
    const e = err as { code?: string; message?: string };
    throw new InputFetchError(`The file could not be downloaded from ${where}: ${e.code ?? e.message}`, 503);
  } finally {
    clearTimeout(connectTimer);
  }
  const header = (name: string) => {
    const v = res.headers[name];
    return (Array.isArray(v) ? v[0] : v) ?? null;
  };
  if (res.status < 200 || res.status >= 300) {
    res.body.resume();
    throw new InputFetchError(`The file could not be downloaded: ${where} answered HTTP ${res.status}`, res.status >= 400 ? res.status : 502);
  }
  const declared = Number(header('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > opts.maxBytes) {
    res.body.destroy();
    throw new InputFetchError(`The remote file is too large (${declared} bytes; the limit is ${opts.maxBytes} bytes)`, 413);
  }
  const filename = sanitizeFilename(opts.suggestedFilename || filenameFromContentDisposition(header('content-disposition')) || filenameFromUrl(res.url));
  const hash = checksumHash();
  let size = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      size += chunk.length;
      if (size > opts.maxBytes) {
        cb(new InputFetchError(`The remote file is too large (over the limit of ${opts.maxBytes} bytes)`, 413));
        return;
      }
      hash.update(chunk);
      cb(null, chunk);
    },
  });
  try {
    await pipeline(res.body, meter, fs.createWriteStream(destPath), { signal });
  } catch (err) {
    await fs.promises.rm(destPath, { force: true });
    if (err instanceof InputFetchError) throw err;
    if (opts.signal?.aborted) throw opts.signal.reason;
    if (total.aborted) throw new InputFetchError(`The download from ${where} timed out`, 408);
    throw new InputFetchError(`The download from ${where} broke off: ${(err as Error).message}`, 502);
  }
  return {
    filename,
    size,
    checksum: hash.digest('hex'),
    contentType: header('content-type')?.split(';')[0] || undefined,
  };
}
