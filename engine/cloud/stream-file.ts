/** Streaming a remote body into a local file, with a size limit and no partial file left behind. */
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Transform, type Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { cloudError } from './errors';

export function tooLarge(maxBytes: number): Error {
  return cloudError('too_large', `the file is larger than the limit of ${maxBytes} bytes`);
}

/** Counts bytes and fails the stream once more than maxBytes passed. */
export function byteCounter(maxBytes = Infinity): Transform & { bytes: number } {
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      counter.bytes += chunk.length;
      if (counter.bytes > maxBytes) return cb(tooLarge(maxBytes));
      cb(null, chunk);
    },
  }) as Transform & { bytes: number };
  counter.bytes = 0;
  return counter;
}

/** Writes `source` to destPath; returns the byte count. Removes destPath on any failure. */
export async function saveStream(source: Readable, destPath: string, opts: { maxBytes?: number; signal?: AbortSignal }): Promise<number> {
  const counter = byteCounter(opts.maxBytes);
  try {
    await pipeline(source, counter, createWriteStream(destPath), { signal: opts.signal });
    return counter.bytes;
  } catch (err) {
    await rm(destPath, { force: true });
    throw err;
  }
}

/** A file sink for libraries that write into a stream they are given (basic-ftp). */
export function fileSink(destPath: string, maxBytes?: number): { sink: Writable; done: Promise<number>; failure(): Error | undefined } {
  const counter = byteCounter(maxBytes);
  let failed: Error | undefined;
  const done = pipeline(counter, createWriteStream(destPath)).then(
    () => counter.bytes,
    (err: Error) => {
      failed = err;
      throw err;
    },
  );
  done.catch(() => undefined);
  // The sink's own failure (e.g. too large) explains a failed transfer better than the library's.
  return { sink: counter, done, failure: () => failed };
}
