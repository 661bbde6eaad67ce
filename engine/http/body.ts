import type http from 'node:http';
import type { z } from 'zod';
import { describeZodError } from '../jobs/schemas';
import { HttpError } from './respond';

/**
 * Reads and parses a JSON body, refusing more than `limit` bytes (also when Content-Length lies
 * low or high). An empty body yields `undefined`.
 */
export async function readJson(req: http.IncomingMessage, limit: number): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > limit) {
    throw new HttpError(413, `The JSON body is too large (${declared} bytes; the limit is ${limit} bytes)`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new HttpError(413, `The JSON body is too large (the limit is ${limit} bytes)`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks)
    .toString('utf8')
    .replace(/^\uFEFF/, '');
  if (text.trim() === '') return undefined;
  const type = String(req.headers['content-type'] ?? '');
  if (type && !/json/i.test(type) && !/text\/plain/i.test(type)) {
    throw new HttpError(415, `Expected a JSON body (Content-Type: application/json), got ${type.split(';')[0]}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new HttpError(400, `Malformed JSON body: ${(err as Error).message}`);
  }
}

export async function requireJsonObject(req: http.IncomingMessage, limit: number): Promise<Record<string, unknown>> {
  return asJsonObject(await readJson(req, limit));
}

/** A parsed JSON body that must be an object (`undefined`: there was none). */
export function asJsonObject(body: unknown): Record<string, unknown> {
  if (body === undefined) throw new HttpError(400, 'The JSON body is empty');
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new HttpError(400, 'The JSON body must be an object');
  return body as Record<string, unknown>;
}

/** A body checked against its schema, or a 400 that names what is wrong (under `root`). */
export function parse<S extends z.ZodTypeAny>(schema: S, body: unknown, root = ''): z.output<S> {
  const result = schema.safeParse(body);
  if (!result.success) throw new HttpError(400, describeZodError(result.error, root));
  return result.data;
}
