/**
 * `POST {job.server}/upload-file/{job id}`: one file per request (multipart field `file`), or a
 * chunk of a resumable upload — the same `X-Oc-Upload-Uuid` on every chunk plus
 * `Content-Range: bytes start-end/total`. `GET` on the same URL (with the uuid) says how many
 * bytes have arrived, as does a POST with `Content-Range: bytes * /total` and no body.
 * Authorised by the job token, never the account key.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { checksumFile } from '../util/digest';
import type { JobRecord } from '../jobs/model';
import { renderInput } from '../jobs/render';
import type { JobService } from '../jobs/service';
import { HttpError, sendJson } from '../http/respond';
import type { Db } from '../store/db';
import { constantTimeEqual } from '../util/secret-box';
import { sanitizeFilename } from '../util/filename';
import { receiveFile } from './receive';

interface Session {
  job_id: string;
  uuid: string;
  filename: string;
  total: number;
  path: string;
  input_id: string | null;
  created_ms: number;
}

const SESSION_TTL_MS = 24 * 3600_000;
/** How long a new chunk waits for the one it replaces to let go (it writes what it has, then closes its file). */
const SUPERSEDE_WAIT_MS = 10_000;
/** Multipart framing around the file adds a little; allow it on top of the byte limit. */
const MULTIPART_SLACK = 64 * 1024;

export class UploadHandler {
  private stmts;
  /** The chunk being received for each upload (`job id:uuid`), and when it has let go. */
  private busy = new Map<string, { req: http.IncomingMessage; settled: Promise<void> }>();

  constructor(
    private service: JobService,
    db: Db,
    private tmpDir: string,
    private maxBytes: number,
  ) {
    fs.mkdirSync(tmpDir, { recursive: true });
    this.stmts = {
      get: db.prepare<[string, string], Session>('SELECT * FROM uploads WHERE job_id = ? AND uuid = ?'),
      insert: db.prepare('INSERT INTO uploads (job_id, uuid, filename, total, path, input_id, created_ms) VALUES (?, ?, ?, ?, ?, NULL, ?)'),
      done: db.prepare('UPDATE uploads SET input_id = ? WHERE job_id = ? AND uuid = ?'),
      old: db.prepare<[number], Session>('SELECT * FROM uploads WHERE created_ms < ?'),
      del: db.prepare('DELETE FROM uploads WHERE job_id = ? AND uuid = ?'),
      forJob: db.prepare<[string], Session>('SELECT * FROM uploads WHERE job_id = ?'),
      rename: db.prepare('UPDATE uploads SET filename = ? WHERE job_id = ? AND uuid = ?'),
    };
  }

  /** The job addressed by the URL, authorised by its token. */
  authorize(req: http.IncomingMessage, jobId: string): JobRecord {
    const token = header(req, 'x-api2convert-token') ?? header(req, 'x-oc-token');
    const job = this.service.get(jobId);
    if (!token) {
      const hasKey = header(req, 'x-api2convert-api-key') ?? header(req, 'x-oc-api-key');
      throw new HttpError(
        401,
        hasKey ? 'Uploads are authorised by the job token (X-Api2convert-Token), not the account key' : 'Missing job token (X-Api2convert-Token)',
      );
    }
    if (!job) throw new HttpError(404, 'The specified job does not exist');
    if (!constantTimeEqual(token, job.token)) throw new HttpError(401, 'Invalid job token');
    return job;
  }

  async post(req: http.IncomingMessage, res: http.ServerResponse, jobId: string): Promise<void> {
    const job = this.authorize(req, jobId);
    const range = header(req, 'content-range');
    if (range) return this.chunk(req, res, job, range);
    this.service.assertOpen(job, 'inputs');
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (Number.isFinite(declared) && declared > this.maxBytes + MULTIPART_SLACK) {
      throw new HttpError(413, `The upload is too large (${declared} bytes; the limit is ${this.maxBytes} bytes)`);
    }
    const tmp = path.join(this.tmpDir, `upload-${crypto.randomUUID()}`);
    let kept = false;
    try {
      const got = await receiveFile(req, { destPath: tmp, maxBytes: this.maxBytes, hash: true });
      if (got.truncated) throw new HttpError(400, 'The upload was interrupted before the whole body arrived');
      const live = this.service.get(job.id) ?? job;
      const input = this.service.addUploadedInput(live, {
        tmpPath: tmp,
        filename: got.filename,
        size: got.bytes,
        checksum: got.checksum!,
        contentType: got.contentType,
      });
      kept = true; // moved into the job's inputs
      sendJson(res, 201, renderInput(input));
    } finally {
      if (!kept) await fs.promises.rm(tmp, { force: true }).catch(() => {});
    }
  }

  /** `GET {server}/upload-file/{id}` with `X-Oc-Upload-Uuid`: how much of that upload arrived. */
  async status(req: http.IncomingMessage, res: http.ServerResponse, jobId: string): Promise<void> {
    const job = this.authorize(req, jobId);
    const uuid = this.uuidOf(req);
    const session = this.stmts.get.get(job.id, uuid);
    if (!session) throw new HttpError(404, 'No upload with this X-Oc-Upload-Uuid has started for this job');
    await this.sendStatus(res, job, session, 200);
  }

  /** Drops abandoned resumable uploads (older than a day) and those of removed jobs. */
  sweep(): void {
    for (const s of this.stmts.old.all(Date.now() - SESSION_TTL_MS)) this.dropSession(s);
  }

  forgetJob(jobId: string): void {
    for (const s of this.stmts.forJob.all(jobId)) this.dropSession(s);
  }

  private dropSession(s: Session): void {
    fs.rmSync(s.path, { force: true });
    this.stmts.del.run(s.job_id, s.uuid);
  }

  private uuidOf(req: http.IncomingMessage): string {
    const uuid = header(req, 'x-oc-upload-uuid') ?? header(req, 'x-api2convert-upload-uuid');
    if (!uuid) throw new HttpError(400, 'A resumable upload needs an X-Oc-Upload-Uuid header');
    if (!/^[A-Za-z0-9._-]{1,128}$/.test(uuid)) {
      throw new HttpError(400, 'X-Oc-Upload-Uuid must be 1-128 characters of letters, digits, dot, dash or underscore');
    }
    return uuid;
  }

  private async chunk(req: http.IncomingMessage, res: http.ServerResponse, job: JobRecord, range: string): Promise<void> {
    const uuid = this.uuidOf(req);
    const parsed = parseContentRange(range);
    if (!parsed) {
      throw new HttpError(400, `Invalid Content-Range '${range.slice(0, 80)}' (expected 'bytes start-end/total' or 'bytes */total')`);
    }
    if (parsed.total > this.maxBytes) {
      throw new HttpError(413, `The upload is too large (${parsed.total} bytes; the limit is ${this.maxBytes} bytes)`);
    }
    let session = this.stmts.get.get(job.id, uuid);
    if (session && session.total !== parsed.total) {
      throw new HttpError(400, `This upload was started with a total of ${session.total} bytes, not ${parsed.total}`);
    }
    if (session?.input_id) {
      // Retried final chunk after the answer was lost: the same input, not a second one.
      req.resume();
      return this.sendStatus(res, job, session, 201);
    }
    if (parsed.start === undefined) {
      req.resume();
      if (!session) return sendJson(res, 200, { uuid, received: 0, total: parsed.total, complete: false });
      return this.sendStatus(res, job, session, 200);
    }
    this.service.assertOpen(job, 'inputs');
    const release = await this.claim(`${job.id}:${uuid}`, req);
    try {
      // Read again: the chunk this one replaced may have moved the upload on, or finished it.
      session = this.stmts.get.get(job.id, uuid);
      if (session?.input_id) {
        req.resume();
        return this.sendStatus(res, this.service.get(job.id) ?? job, session, 201);
      }
      if (!session) {
        if (parsed.start !== 0) {
          // No Range header: nothing is held yet (a Range of 0-0 would claim one byte).
          throw new HttpError(416, 'This upload has not started; the first chunk must start at byte 0');
        }
        const file = path.join(this.tmpDir, `chunked-${crypto.randomUUID()}`);
        await fs.promises.writeFile(file, '');
        this.stmts.insert.run(job.id, uuid, 'file', parsed.total, file, Date.now());
        session = this.stmts.get.get(job.id, uuid)!;
      }
      const received = await sizeOf(session.path);
      if (parsed.start > received) {
        throw new HttpError(
          416,
          `Chunk starts at byte ${parsed.start} but only ${received} bytes have arrived; continue from byte ${received}`,
          rangeHeader(received),
        );
      }
      const expected = parsed.end! - parsed.start + 1;
      const got = await receiveFile(req, { destPath: session.path, start: parsed.start, maxBytes: expected });
      if (got.filename !== 'file' && got.filename !== session.filename) {
        session.filename = sanitizeFilename(got.filename);
        this.stmts.rename.run(session.filename, job.id, uuid);
      }
      const now = await sizeOf(session.path);
      if (got.truncated || got.bytes !== expected) {
        throw new HttpError(
          400,
          `The chunk had ${got.bytes} bytes but Content-Range announced ${expected}; ${now} bytes have arrived, continue from byte ${now}`,
          rangeHeader(now),
        );
      }
      if (now < session.total) return this.sendStatus(res, job, session, 200);
      const live = this.service.get(job.id) ?? job;
      this.service.assertOpen(live, 'inputs');
      const input = this.service.addUploadedInput(live, {
        tmpPath: session.path,
        filename: session.filename,
        size: now,
        checksum: (await checksumFile(session.path)).digest,
        contentType: got.contentType,
      });
      this.stmts.done.run(input.id, job.id, uuid);
      sendJson(res, 201, renderInput(input));
    } finally {
      release();
    }
  }

  /**
   * Makes `req` the one chunk being received for this upload. A chunk still under way is given up
   * for it: a client sends the next only when it has given up on the last, whose connection may be
   * half-open and never end by itself (a laptop changing networks), which would otherwise keep the
   * upload from resuming until the server timed it out. What that chunk wrote stays; this one
   * continues from there.
   */
  private async claim(key: string, req: http.IncomingMessage): Promise<() => void> {
    const prior = this.busy.get(key);
    if (prior) {
      prior.req.destroy();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([prior.settled, new Promise((resolve) => (timer = setTimeout(resolve, SUPERSEDE_WAIT_MS)))]);
      clearTimeout(timer);
      // Still held: it did not let go in time, or another new chunk took it first.
      if (this.busy.has(key)) throw new HttpError(409, 'Another chunk of this upload is being received');
    }
    let settle!: () => void;
    const entry = { req, settled: new Promise<void>((resolve) => (settle = resolve)) };
    this.busy.set(key, entry);
    return () => {
      if (this.busy.get(key) === entry) this.busy.delete(key);
      settle();
    };
  }

  private async sendStatus(res: http.ServerResponse, job: JobRecord, session: Session, status: number): Promise<void> {
    if (session.input_id) {
      const input = job.inputs.find((i) => i.id === session.input_id);
      if (input) return sendJson(res, status, renderInput(input));
    }
    const received = await sizeOf(session.path);
    sendJson(res, status, { uuid: session.uuid, filename: session.filename, received, total: session.total, complete: false }, rangeHeader(received));
  }
}

function header(req: http.IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function rangeHeader(received: number): Record<string, string> {
  return received > 0 ? { Range: `bytes=0-${received - 1}` } : {};
}

async function sizeOf(file: string): Promise<number> {
  try {
    return (await fs.promises.stat(file)).size;
  } catch {
    return 0;
  }
}

export function parseContentRange(value: string): { start?: number; end?: number; total: number } | undefined {
  const m = /^\s*bytes\s+(?:(\d+)-(\d+)|\*)\/(\d+)\s*$/i.exec(value);
  if (!m) return undefined;
  const total = Number(m[3]);
  if (!Number.isSafeInteger(total) || total <= 0) return undefined;
  if (m[1] === undefined) return { total };
  const start = Number(m[1]);
  const end = Number(m[2]);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end < start || end >= total) return undefined;
  return { start, end, total };
}
