/**
 * A multipart/form-data body built as a stream: preamble + a slice of the file + epilogue, with the
 * exact total length known up front, so nothing is buffered and Content-Length is honest.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough, Readable, Transform } from 'node:stream';
import type { StreamBody } from './transport';

/** The name the API gets: base name only, no CR/LF/quotes/control characters. */
export function uploadFilename(filePath: string, requested?: string): string {
  const raw = requested ?? path.basename(filePath);
  const base = raw.replace(/\\/g, '/').split('/').pop() ?? '';
  const clean = base.replace(/[\u0000-\u001f\u007f"]/g, '').trim();
  return clean === '' || clean === '.' || clean === '..' ? 'file' : clean;
}

export interface MultipartFileBody extends StreamBody {
  contentType: string;
}

export interface FilePart {
  filePath: string;
  filename: string;
  /** Byte range of the file to send (inclusive start, exclusive end). */
  start: number;
  end: number;
  /** Called with the number of file bytes sent so far in this body. */
  onBytes?: (sentInBody: number) => void;
}

/** `multipart/form-data` with a single `file` field carrying `filePath[start, end)`. */
export function multipartFileBody(part: FilePart): MultipartFileBody {
  const boundary = `----convoy${crypto.randomBytes(12).toString('hex')}`;
  const preamble = Buffer.from(
    `--${boundary}\r\n` + `Content-Disposition: form-data; ${dispositionParams(part.filename)}\r\n` + `Content-Type: application/octet-stream\r\n\r\n`,
    'utf8',
  );
  const epilogue = Buffer.from(`\r\n--${boundary}--\r\n`, 'utf8');
  const fileBytes = part.end - part.start;
  return {
    contentType: `multipart/form-data; boundary=${boundary}`,
    length: preamble.length + fileBytes + epilogue.length,
    open: () => concatStreams([preamble, () => fileSlice(part.filePath, part.start, part.end, part.onBytes), epilogue]),
  };
}

/**
 * The same body as one buffer, for small files: sent with the headers in a single write, so the
 * server has the whole request before it answers (an early refusal is then never cut off by a
 * connection reset).
 */
export async function multipartFileBuffer(part: Omit<FilePart, 'onBytes'>): Promise<{ contentType: string; buffer: Buffer }> {
  const body = multipartFileBody(part);
  const chunks: Buffer[] = [];
  for await (const c of body.open() as AsyncIterable<Buffer>) chunks.push(c);
  return { contentType: body.contentType, buffer: Buffer.concat(chunks) };
}

/**
 * `name="file"; filename="…"` as browsers send it (raw UTF-8, which PHP-style parsers read), plus
 * the RFC 5987 `filename*` for non-ASCII names (which busboy-style parsers prefer).
 */
export function dispositionParams(filename: string): string {
  const plain = `name="file"; filename="${filename}"`;
  if (/^[\x20-\x7e]*$/.test(filename)) return plain;
  const encoded = encodeURIComponent(filename).replace(/['()*!]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${plain}; filename*=UTF-8''${encoded}`;
}

/** A read stream over `[start, end)` that reports bytes as they pass. */
function fileSlice(filePath: string, start: number, end: number, onBytes?: (n: number) => void): Readable {
  if (end <= start) return Readable.from([]);
  const src = fs.createReadStream(filePath, { start, end: end - 1, highWaterMark: 256 * 1024 });
  if (!onBytes) return src;
  let sent = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      sent += chunk.length;
      onBytes(sent);
      cb(null, chunk);
    },
  });
  src.on('error', (e) => counter.destroy(e));
  return src.pipe(counter);
}

/** Buffers and lazily-opened streams, one after the other, with backpressure and error propagation. */
function concatStreams(parts: Array<Buffer | (() => Readable)>): Readable {
  const out = new PassThrough({ highWaterMark: 256 * 1024 });
  let current: Readable | undefined;
  let i = 0;
  const next = () => {
    if (out.destroyed) return;
    if (i >= parts.length) {
      out.end();
      return;
    }
    const p = parts[i++];
    if (Buffer.isBuffer(p)) {
      out.write(p);
      next();
      return;
    }
    current = p();
    current.once('error', (e) => out.destroy(e));
    current.once('end', next);
    current.pipe(out, { end: false });
  };
  out.once('close', () => current?.destroy());
  process.nextTick(next);
  return out;
}
