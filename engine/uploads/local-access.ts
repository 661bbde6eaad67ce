/**
 * In-process shortcuts for a client running in the same process as the engine (Convoy's default
 * provider): a local file becomes a job's upload input by a file-system copy instead of a
 * multipart upload over loopback, an output is handed over as a path to link instead of a
 * download, and the end of a job is announced instead of waiting for a poll. Same checks, same
 * records and the same answers as the HTTP routes (`POST upload-file`, `GET download-file`); the
 * job token authorises both, and the job's state is on disk before a call returns.
 *
 * A job is also created, started and read in-process (`createJob`, `patchJob`, `getJob`): the same
 * checks as `POST/PATCH/GET /v2/jobs` (account key, zod schemas, Idempotency-Key replays, the
 * busy limit) on a JSON copy of the body, answering a JSON copy of the rendered job. The HTTP
 * front's own work (sockets, request ids, injected latency, 5xx and stalls) is what they skip.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { asJsonObject } from '../http/body';
import { accountFor, createJob, patchJob, type JobCallDeps } from '../http/job-calls';
import { HttpError } from '../http/respond';
import { checksumFile, checksumOf } from '../util/digest';
import type { JobRecord } from '../jobs/model';
import { renderInput } from '../jobs/render';
import type { JobService } from '../jobs/service';
import type { JobStore } from '../store/job-store';
import type { EngineFaults, EngineLocalAccess, EngineStats } from '../types';
import { sanitizeFilename } from '../util/filename';
import { constantTimeEqual } from '../util/secret-box';

/** Files up to this size are copied through memory (one read, hashed on the way); bigger ones by the file system, then hashed as a stream. */
const SMALL_FILE_BYTES = 4 * 1024 ** 2;

export interface LocalAccessDeps {
  service: JobService;
  store: JobStore;
  tmpDir: string;
  maxBytes: number;
  isOpen: () => boolean;
  apiKey: string;
  maxJsonBytes: number;
  faults: () => EngineFaults;
  stats: EngineStats;
  endedWhileConverting: () => boolean;
}

export function createLocalAccess(deps: LocalAccessDeps): EngineLocalAccess {
  const { service, store, tmpDir, maxBytes } = deps;

  const calls: JobCallDeps = { service, apiKey: deps.apiKey, faults: deps.faults };
  /** What the route would have read off the wire: a JSON copy of the body, within the size limit. */
  const jsonObject = (body: unknown): Record<string, unknown> => {
    const text = body === undefined ? '' : JSON.stringify(body);
    if (text.length > deps.maxJsonBytes && Buffer.byteLength(text) > deps.maxJsonBytes) {
      throw new HttpError(413, `The JSON body is too large (the limit is ${deps.maxJsonBytes} bytes)`);
    }
    return asJsonObject(text ? (JSON.parse(text) as unknown) : undefined);
  };
  /** A refusal counted as the server counts its 429s. */
  const counting429 = <T>(call: () => T): T => {
    try {
      return call();
    } catch (err) {
      if (err instanceof HttpError && err.status === 429) deps.stats.rejected429++;
      throw err;
    }
  };
  /** The answer as it would arrive: state committed first (like the server's beforeAnswer), then a JSON copy. */
  const answer = (job: JobRecord): Record<string, unknown> => {
    const doc = JSON.parse(JSON.stringify(service.render(job))) as Record<string, unknown>;
    store.flush();
    return doc;
  };
  const count = (route: string) => {
    const key = `local ${route}`;
    deps.stats.byRoute[key] = (deps.stats.byRoute[key] ?? 0) + 1;
  };

  const jobById = (jobId: string): JobRecord => {
    const job = service.get(jobId);
    if (!job) throw new HttpError(404, 'The specified job does not exist');
    return job;
  };

  const authorize = (jobId: string, token: string): JobRecord => {
    const job = jobById(jobId);
    if (!token || !constantTimeEqual(token, job.token)) throw new HttpError(401, 'Invalid job token');
    return job;
  };

  return {
    createJob(apiKey, body, idempotencyKey) {
      count('POST /v2/jobs');
      const owner = accountFor(apiKey || undefined, deps.apiKey);
      const r = counting429(() => createJob(calls, owner, jsonObject(body), idempotencyKey));
      return { job: answer(r.job), replayed: r.replayed };
    },

    getJob(apiKey, jobId) {
      count('GET /v2/jobs/:id');
      accountFor(apiKey || undefined, deps.apiKey);
      return answer(jobById(jobId));
    },

    patchJob(apiKey, jobId, body) {
      count('PATCH /v2/jobs/:id');
      accountFor(apiKey || undefined, deps.apiKey);
      const job = jobById(jobId);
      return answer(counting429(() => patchJob(calls, job, jsonObject(body))));
    },

    async attachFile(jobId, token, filePath, filename) {
      const job = authorize(jobId, token);
      service.assertOpen(job, 'inputs');
      const stat = await fs.promises.stat(filePath).catch(() => null);
      if (!stat?.isFile()) throw new HttpError(400, 'The file to attach does not exist or is not a regular file');
      if (stat.size > maxBytes) throw new HttpError(413, `The upload is too large (${stat.size} bytes; the limit is ${maxBytes} bytes)`);
      // A copy (a clone where the file system can), so the job keeps the bytes it was given even
      // when the user changes or deletes the source meanwhile — as an upload would.
      const tmp = path.join(tmpDir, `local-${crypto.randomUUID()}`);
      let moved = false;
      try {
        let size: number;
        let checksum: string;
        if (stat.size <= SMALL_FILE_BYTES) {
          // A small file is read once: its bytes are hashed and written, the size is what was read.
          const bytes = await fs.promises.readFile(filePath);
          if (bytes.length > maxBytes) throw new HttpError(413, `The upload is too large (${bytes.length} bytes; the limit is ${maxBytes} bytes)`);
          await fs.promises.writeFile(tmp, bytes, { flag: 'wx' });
          size = bytes.length;
          checksum = checksumOf(bytes);
        } else {
          await fs.promises.copyFile(filePath, tmp, fs.constants.COPYFILE_FICLONE);
          size = (await fs.promises.stat(tmp)).size;
          checksum = (await checksumFile(tmp)).digest;
        }
        const live = service.get(job.id) ?? job;
        const input = service.addUploadedInput(live, { tmpPath: tmp, filename: sanitizeFilename(filename), size, checksum });
        moved = true; // renamed into the job's folder
        store.flush();
        return renderInput(input);
      } finally {
        if (!moved) await fs.promises.rm(tmp, { force: true }).catch(() => {});
      }
    },

    outputFile(jobId, token, outputId) {
      const job = authorize(jobId, token);
      const output = job.outputs.find((o) => o.id === outputId);
      if (!output) throw new HttpError(404, 'The requested output does not exist');
      if (output.status !== 'enabled' || !output.path || Date.parse(output.expiresAt) <= Date.now()) {
        throw new HttpError(404, 'The requested output has expired and was deleted');
      }
      // Protected outputs go through the HTTP route, which checks the password.
      if (job.downloadPasswords?.length) throw new HttpError(401, 'This output is protected by a download password');
      return { path: service.abs(output.path), size: output.size, checksum: output.checksum };
    },

    outputTaken(jobId, token, outputId) {
      // Taken by Convoy (linked or copied into place): like a download served to its last byte.
      const job = authorize(jobId, token);
      service.forgetServedOutput(job, outputId);
      store.flush();
    },

    isOpen: () => deps.isOpen(),

    endedWhileConverting: () => deps.endedWhileConverting(),

    onJobEnd(listener) {
      return service.onFinish(listener);
    },
  };
}
