/**
 * Receives a file body — the `file` part of multipart/form-data, or a raw body — and streams it
 * to disk. Never buffers the file; stops at a byte limit.
 */
import busboy from 'busboy';
import { createHash, type Hash } from 'node:crypto';
import fs from 'node:fs';
import type http from 'node:http';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { HttpError } from '../http/respond';
import { filenameFromContentDisposition, sanitizeFilename } from '../util/filename';

export interface ReceivedFile {
  filename: string;
  contentType?: string;
  bytes: number;
  /** Present when `hash` was requested. */
  checksum?: string;
  /** The body ended before `maxBytes` / the expected length (client disconnected or lied). */
  truncated: boolean;
}

export interface ReceiveOptions {
  destPath: string;
  /** Byte offset to write at (chunked uploads); the file is cut there first. */
  start?: number;
  maxBytes: number;
  hash?: boolean;
}

export async function receiveFile(req: http.IncomingMessage, opts: ReceiveOptions): Promise<ReceivedFile> {
  const type = String(req.headers['content-type'] ?? '');
  if (/^multipart\/form-data/i.test(type)) return receiveMultipart(req, opts);
  const filename = sanitizeFilename(
    filenameFromContentDisposition(req.headers['content-disposition']) ??
      (typeof req.headers['x-oc-filename'] === 'string' ? req.headers['x-oc-filename'] : undefined),
  );
  const result = await writeStream(req, opts);
  return { filename, contentType: type.split(';')[0] || undefined, ...result };
}

function receiveMultipart(req: http.IncomingMessage, opts: ReceiveOptions): Promise<ReceivedFile> {
  return new Promise((resolve, reject) => {
    let bb: busboy.Busboy;
    try {
      bb = busboy({
        headers: req.headers,
        // RFC 7578 senders put UTF-8 in a plain filename="…"; latin1 (busboy's default) garbles it.
        defParamCharset: 'utf8',
        limits: { files: 1, fields: 20, parts: 30, fieldSize: 64 * 1024, fileSize: opts.maxBytes + 1 },
      });
    } catch (err) {
      reject(new HttpError(400, `Malformed multipart body: ${(err as Error).message}`));
      return;
    }
    let filePromise: Promise<ReceivedFile> | undefined;
    let settled = false;
    const fail = (err: unknown) => {
      if (settled) return;
      settled = true;
      req.unpipe(bb);
      req.resume();
      reject(err);
    };
    bb.on('file', (field, stream, info) => {
      if (field !== 'file' || filePromise) {
        stream.resume();
        return;
      }
      const filename = sanitizeFilename(info.filename);
      filePromise = writeStream(stream, opts).then((r) => ({
        filename,
        contentType: info.mimeType || undefined,
        ...r,
        truncated: r.truncated || (stream as unknown as { truncated?: boolean }).truncated === true,
      }));
      filePromise.catch(fail);
    });
    bb.on('error', (err) => fail(new HttpError(400, `Malformed multipart body: ${(err as Error).message}`)));
    bb.on('close', () => {
      if (settled) return;
      if (!filePromise) {
        settled = true;
        reject(new HttpError(400, "The multipart body has no file in the field 'file'"));
        return;
      }
      filePromise.then((r) => {
        if (settled) return;
        settled = true;
        resolve(r);
      }, fail);
    });
    req.on('aborted', () => fail(new HttpError(400, 'The upload was interrupted')));
    req.pipe(bb);
  });
}

async function writeStream(source: Readable, opts: ReceiveOptions): Promise<{ bytes: number; checksum?: string; truncated: boolean }> {
  const hash: Hash | undefined = opts.hash ? createHash('sha256') : undefined;
  let bytes = 0;
  let overLimit = false;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      if (overLimit) return cb();
      if (bytes + chunk.length > opts.maxBytes) {
        overLimit = true;
        cb(new HttpError(413, `The file is larger than the limit of ${opts.maxBytes} bytes`));
        return;
      }
      bytes += chunk.length;
      hash?.update(chunk);
      cb(null, chunk);
    },
  });
  const start = opts.start ?? 0;
  if (start > 0) await fs.promises.truncate(opts.destPath, start);
  const out = fs.createWriteStream(opts.destPath, start > 0 ? { flags: 'r+', start } : { flags: 'w' });
  let aborted = false;
  const onAborted = () => {
    aborted = true;
  };
  source.once('aborted', onAborted);
  try {
    await pipeline(source, meter, out);
  } catch (err) {
    if (err instanceof HttpError) throw err;
    // A broken connection: what arrived stays on disk (resumable uploads build on it).
    aborted = true;
  } finally {
    source.off('aborted', onAborted);
  }
  return { bytes, checksum: hash?.digest('hex'), truncated: aborted };
}
