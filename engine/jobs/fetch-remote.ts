/**
 * Downloads a remote input (http/https) to disk: streamed, size-capped, time-limited. The file
 * name is the client's suggestion, else Content-Disposition, else the URL's last path segment.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { filenameFromContentDisposition, filenameFromUrl, sanitizeFilename } from '../util/filename';

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
  let res: Response;
  try {
    res = await fetch(url, { signal, redirect: 'follow', headers: { 'User-Agent': 'convoy-engine' } });
  } catch (err) {
    if (opts.signal?.aborted) throw opts.signal.reason;
    if (total.aborted || connect.signal.aborted) {
      throw new InputFetchError(`The download from ${where} timed out`, 408);
    }
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new InputFetchError(
      `The file could not be downloaded from ${where}: ${cause?.code ?? cause?.message ?? (err as Error).message}`,
      503,
    );
  } finally {
    clearTimeout(connectTimer);
  }
  if (!res.ok || !res.body) {
    await res.body?.cancel().catch(() => {});
    throw new InputFetchError(`The file could not be downloaded: ${where} answered HTTP ${res.status}`, res.status >= 400 ? res.status : 502);
  }
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > opts.maxBytes) {
    await res.body.cancel().catch(() => {});
    throw new InputFetchError(`The remote file is too large (${declared} bytes; the limit is ${opts.maxBytes} bytes)`, 413);
  }
  const filename = sanitizeFilename(
    opts.suggestedFilename ||
      filenameFromContentDisposition(res.headers.get('content-disposition')) ||
      filenameFromUrl(new URL(res.url || url.href)),
  );
  const hash = createHash('sha256');
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
    await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), meter, fs.createWriteStream(destPath), { signal });
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
    contentType: res.headers.get('content-type')?.split(';')[0] || undefined,
  };
}

/** sha256 of a file on disk, streamed. */
export async function hashFile(filePath: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(fs.createReadStream(filePath), hash);
  return hash.digest('hex');
}
