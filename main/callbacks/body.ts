import type { IncomingMessage } from 'node:http';

/** Why a request body could not be read; each maps to one 4xx. */
export class BodyError extends Error {
  constructor(
    readonly status: 408 | 413 | 400,
    readonly reason: 'too_large' | 'timeout' | 'aborted',
    message: string,
  ) {
    super(message);
    this.name = 'BodyError';
  }
}

/**
 * Reads a request body into memory, which is fine only because it is capped at `maxBytes`
 * (a callback is one job document). Refuses early on a too-large Content-Length, stops reading
 * the moment the cap is crossed, and gives up when the whole body has not arrived within
 * `timeoutMs` — a client trickling bytes cannot hold the connection open.
 */
export function readBody(req: IncomingMessage, maxBytes: number, timeoutMs: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    return Promise.reject(new BodyError(413, 'too_large', `Body of ${declared} bytes exceeds the ${maxBytes}-byte limit`));
  }
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (err: BodyError | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
      if (err) {
        req.pause();
        reject(err);
      } else resolve(Buffer.concat(chunks, size));
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) return finish(new BodyError(413, 'too_large', `Body exceeds the ${maxBytes}-byte limit`));
      chunks.push(chunk);
    };
    const onEnd = () => finish(null);
    const onError = () => finish(new BodyError(400, 'aborted', 'Request aborted'));
    const onAborted = onError;
    const timer = setTimeout(() => finish(new BodyError(408, 'timeout', `Body not received within ${timeoutMs} ms`)), timeoutMs);
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onAborted);
  });
}
