/**
 * Receives a file body — the `file` part of multipart/form-data, or a raw body — and streams it
 * to disk. Never buffers the file; stops at a byte limit.
 */
import type { Hash } from 'node:crypto';
import fs from 'node:fs';
import type http from 'node:http';
import type { Readable } from 'node:stream';
import { HttpError } from '../http/respond';
import { checksumHash } from '../util/digest';
import { filenameFromContentDisposition, sanitizeFilename } from '../util/filename';
import { boundaryOf, MultipartError, MultipartParser } from './multipart';

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

/** Multipart parts past this many are skipped unread; a part's header block is at most this big. */
const MULTIPART_LIMITS = { parts: 30, headerBytes: 16 * 1024 };

/**
 * The first file part in the field `file` goes to the file; every other part is skipped unread.
 * Answers once the whole body has arrived (the final boundary is required).
 */
function receiveMultipart(req: http.IncomingMessage, opts: ReceiveOptions): Promise<ReceivedFile> {
  return new Promise((resolve, reject) => {
    let file: { filename: string; contentType?: string; sink: FileSink } | undefined;
    let settled = false;
    const settle = (err: Error | undefined) => {
      if (settled) return;
      settled = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onClose);
      // What arrived is on disk before the answer (a resumable upload continues from there).
      const closed = file?.sink.close() ?? Promise.resolve();
      void closed.then(() => {
        if (err) return reject(err);
        if (!file) return reject(new HttpError(400, "The multipart body has no file in the field 'file'"));
        const { sink, filename, contentType } = file;
        resolve({ filename, contentType, bytes: sink.bytes, checksum: sink.checksum(), truncated: sink.failed !== undefined });
      });
    };
    const malformed = (err: unknown) => (err instanceof MultipartError ? new HttpError(400, `Malformed multipart body: ${err.message}`) : (err as Error));
    let parser: MultipartParser;
    try {
      parser = new MultipartParser(
        boundaryOf(String(req.headers['content-type'])),
        {
          part(info) {
            if (file || !info.isFile || info.name !== 'file') return false;
            const sink = new FileSink(opts, req, () => settle(undefined));
            file = { filename: sanitizeFilename(info.filename), contentType: info.contentType || undefined, sink };
            return true;
          },
          data(chunk) {
            file!.sink.push(chunk);
          },
          partEnd() {},
        },
        MULTIPART_LIMITS,
      );
    } catch (err) {
      req.resume();
      reject(malformed(err));
      return;
    }
    const onData = (chunk: Buffer) => {
      try {
        parser.push(chunk);
      } catch (err) {
        settle(malformed(err));
      }
    };
    const onEnd = () => {
      try {
        parser.end();
        settle(undefined);
      } catch (err) {
        settle(malformed(err));
      }
    };
    const onClose = () => settle(new HttpError(400, 'The upload was interrupted'));
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('close', onClose);
    req.on('error', () => {});
  });
}

interface Written {
  bytes: number;
  checksum?: string;
  /** The body ended early, or the file could not be written. */
  truncated: boolean;
}

/**
 * Streams `source` into the file: one 'data' handler, no stream pipeline. Rejects with 413 when the
 * body passes the limit (what arrived before stays on disk, as from a broken connection: resumable
 * uploads build on it).
 */
function writeStream(source: Readable, opts: ReceiveOptions): Promise<Written> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (err: HttpError | undefined) => {
      if (settled) return;
      settled = true;
      source.off('data', onData);
      source.off('end', onEnd);
      source.off('close', onClose);
      // Errors after this point (a reset socket) must not go unhandled.
      void sink.close().then(() => {
        if (err) reject(err);
        else resolve({ bytes: sink.bytes, checksum: sink.checksum(), truncated: ended ? sink.failed !== undefined : true });
      });
    };
    let ended = false;
    const onData = (chunk: Buffer) => {
      try {
        sink.push(chunk);
      } catch (err) {
        settle(err as HttpError);
      }
    };
    const onEnd = () => {
      ended = true;
      settle(undefined);
    };
    // Closed (or errored) before its end: a broken connection.
    const onClose = () => settle(undefined);
    const sink = new FileSink(opts, source, () => settle(undefined));
    source.on('data', onData);
    source.once('end', onEnd);
    source.once('close', onClose);
    source.on('error', () => {});
  });
}

/** Bytes written at once: fewer, larger writes (each one is a trip to the thread pool). */
const WRITE_BATCH = 256 * 1024;
/** Bytes allowed to wait in memory for the disk before the source is paused. */
const QUEUE_LIMIT = 1024 * 1024;

interface Pausable {
  pause(): unknown;
  resume(): unknown;
}

/**
 * One file being written as its chunks arrive: the byte limit is checked before a chunk is
 * taken (so a resumable upload's file never gets bytes past its range), the hash updated, and
 * the chunks written at their position in batches of WRITE_BATCH bytes (one `writev`), the rest
 * when the body ends. Past QUEUE_LIMIT waiting bytes the source is paused until the disk catches
 * up, so memory stays bounded whatever the file's size.
 */
class FileSink {
  bytes = 0;
  /** The file could not be opened or written (disk full, …): nothing more is written. */
  failed: Error | undefined;
  private readonly hash: Hash | undefined;
  private fd = -1;
  private pos: number;
  private queue: Buffer[] = [];
  private queued = 0;
  /** An open, a cut or a write is under way. */
  private busy = true;
  private paused = false;
  /** close() was called: write everything that is left, then close the file. */
  private closed: (() => void) | undefined;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly opts: ReceiveOptions,
    private readonly source: Pausable,
    private readonly onFail: (err: Error) => void,
  ) {
    this.hash = opts.hash ? checksumHash() : undefined;
    const start = opts.start ?? 0;
    this.pos = start;
    fs.open(opts.destPath, start > 0 ? 'r+' : 'w', (err, fd) => {
      if (err) return this.fail(err);
      this.fd = fd;
      // A chunked upload's file is cut where this chunk starts (a resent range replaces the tail).
      if (start > 0) fs.ftruncate(fd, start, (e) => (e ? this.fail(e) : this.flush()));
      else this.flush();
    });
  }

  /** Takes one chunk; throws 413, taking none of it, when it would pass the byte limit. */
  push(chunk: Buffer): void {
    if (this.bytes + chunk.length > this.opts.maxBytes) {
      throw new HttpError(413, `The file is larger than the limit of ${this.opts.maxBytes} bytes`);
    }
    this.bytes += chunk.length;
    this.hash?.update(chunk);
    if (this.failed || this.closing) return;
    this.queue.push(chunk);
    this.queued += chunk.length;
    if (!this.busy) {
      if (this.queued >= WRITE_BATCH) this.flush();
    } else if (this.queued >= QUEUE_LIMIT && !this.paused) {
      this.paused = true;
      this.source.pause();
    }
  }

  checksum(): string | undefined {
    return this.hash?.digest('hex');
  }

  /** Writes what is left, then closes the file. Never rejects. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.closed = resolve;
      if (!this.busy) this.flush();
    });
    return this.closing;
  }

  private flush(): void {
    if (this.failed) {
      this.queue = [];
      this.queued = 0;
    }
    if (this.queue.length === 0 || (!this.closed && this.queued < WRITE_BATCH)) {
      this.busy = false;
      if (this.paused) {
        this.paused = false;
        this.source.resume();
      }
      if (this.closed && this.queue.length === 0) {
        const done = this.closed;
        if (this.fd < 0) done();
        else fs.close(this.fd, () => done());
        this.fd = -1;
      }
      return;
    }
    const bufs = this.queue;
    const length = this.queued;
    this.queue = [];
    this.queued = 0;
    this.busy = true;
    const done = (err: Error | null, written: number) => {
      if (err) return this.fail(err);
      this.pos += written;
      if (written < length) this.requeue(bufs, written);
      this.flush();
    };
    if (bufs.length === 1) fs.write(this.fd, bufs[0], 0, length, this.pos, done);
    else fs.writev(this.fd, bufs, this.pos, done);
  }

  /** A short write: what was not written goes back to the front of the queue. */
  private requeue(bufs: Buffer[], written: number): void {
    const rest: Buffer[] = [];
    for (const b of bufs) {
      if (written >= b.length) written -= b.length;
      else {
        rest.push(written > 0 ? b.subarray(written) : b);
        written = 0;
      }
    }
    this.queue = [...rest, ...this.queue];
    this.queued = this.queue.reduce((n, b) => n + b.length, 0);
  }

  private fail(err: Error): void {
    this.failed = err;
    this.flush();
    this.onFail(err);
  }
}
