/**
 * In-process shortcuts for a client running in the same process as the engine (Convoy's default
 * provider): a local file becomes a job's upload input by a file-system copy instead of a
 * multipart upload over loopback, an output is handed over as a path to link instead of a
 * download, and the end of a job is announced instead of waiting for a poll. Same checks, same
 * records and the same answers as the HTTP routes (`POST upload-file`, `GET download-file`); the
 * job token authorises both, and the job's state is on disk before a call returns.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { HttpError } from '../http/respond';
import { hashFile } from '../jobs/fetch-remote';
import type { JobRecord } from '../jobs/model';
import { renderInput } from '../jobs/render';
import type { JobService } from '../jobs/service';
import type { JobStore } from '../store/job-store';
import type { EngineLocalAccess } from '../types';
import { sanitizeFilename } from '../util/filename';
import { constantTimeEqual } from '../util/secret-box';

export function createLocalAccess(deps: { service: JobService; store: JobStore; tmpDir: string; maxBytes: number; isOpen: () => boolean }): EngineLocalAccess {
  const { service, store, tmpDir, maxBytes } = deps;

  const authorize = (jobId: string, token: string): JobRecord => {
    const job = service.get(jobId);
    if (!job) throw new HttpError(404, 'The specified job does not exist');
    if (!token || !constantTimeEqual(token, job.token)) throw new HttpError(401, 'Invalid job token');
    return job;
  };

  return {
    async attachFile(jobId, token, filePath, filename) {
      const job = authorize(jobId, token);
      service.assertOpen(job, 'inputs');
      const stat = await fs.promises.stat(filePath).catch(() => null);
      if (!stat?.isFile()) throw new HttpError(400, 'The file to attach does not exist or is not a regular file');
      if (stat.size > maxBytes) throw new HttpError(413, `The upload is too large (${stat.size} bytes; the limit is ${maxBytes} bytes)`);
      // A copy (a clone where the file system can), so the job keeps the bytes it was given even
      // when the user changes or deletes the source meanwhile — as an upload would.
      const tmp = path.join(tmpDir, `local-${crypto.randomUUID()}`);
      try {
        await fs.promises.copyFile(filePath, tmp, fs.constants.COPYFILE_FICLONE);
        const size = (await fs.promises.stat(tmp)).size;
        const checksum = await hashFile(tmp);
        const live = service.get(job.id) ?? job;
        const input = service.addUploadedInput(live, { tmpPath: tmp, filename: sanitizeFilename(filename), size, checksum });
        store.flush();
        return renderInput(input);
      } finally {
        await fs.promises.rm(tmp, { force: true }).catch(() => {});
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

    onJobEnd(listener) {
      return service.onFinish(listener);
    },
  };
}
