/**
 * File transfers with the engine running in this process, through its in-process shortcuts
 * (main/provider.ts `LocalEngineAccess`) instead of HTTP: the source is handed over by path (the
 * engine copies it in), and a result is hard-linked (copied across file systems) next to its
 * destination and renamed into place — the same temp-then-rename as a download, so a crash
 * never leaves a half-written result under the final name. Failures become the same typed
 * errors the HTTP routes' answers would.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { IntegrityError, errorForStatus } from '../api/errors';
import type { Job, OutputFile } from '../api/types';
import { redact } from '../log';
import type { LocalEngineAccess } from '../provider';

/** An engine error (carrying the route's HTTP status) as the client's typed error. */
function asApiError(err: unknown, method: string, where: string): unknown {
  const status = (err as { status?: unknown } | null)?.status;
  if (typeof status !== 'number') return err;
  return errorForStatus({ method, path: where, status, apiMessage: redact((err as Error).message) });
}

/** Like uploading `filePath` to the job (token-authorised); resolves once the engine has recorded the input. */
export async function attachLocalFile(local: LocalEngineAccess, job: { id: string; token: string }, filePath: string): Promise<void> {
  try {
    await local.attachFile(job.id, job.token, filePath, path.basename(filePath));
  } catch (err) {
    throw asApiError(err, 'POST', `/upload-file/${job.id}`);
  }
}

const LINK_UNSUPPORTED = new Set(['EXDEV', 'EPERM', 'EMLINK', 'ENOTSUP', 'EOPNOTSUPP', 'EACCES']);

/** Like downloading `output` to `destPath`: linked (or copied) to a temp name beside it, checked, renamed into place. */
export async function takeLocalOutput(local: LocalEngineAccess, job: Job, output: OutputFile, destPath: string): Promise<{ size: number }> {
  const where = `/download-file/${job.id}/${output.id}`;
  if (!job.token) throw errorForStatus({ method: 'GET', path: where, status: 401, apiMessage: 'the job document has no token' });
  let src: { path: string; size: number };
  try {
    src = local.outputFile(job.id, job.token, output.id);
  } catch (err) {
    throw asApiError(err, 'GET', where);
  }
  const tmp = path.join(path.dirname(destPath), `.${path.basename(destPath)}.${crypto.randomBytes(6).toString('hex')}.part`);
  try {
    try {
      await fs.promises.link(src.path, tmp);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? '';
      if (code === 'ENOENT') throw errorForStatus({ method: 'GET', path: where, status: 404, apiMessage: 'The requested output is no longer available' });
      if (!LINK_UNSUPPORTED.has(code)) throw err;
      await fs.promises.copyFile(src.path, tmp);
    }
    const size = (await fs.promises.stat(tmp)).size;
    const want = output.size ?? src.size;
    if (size !== want) throw new IntegrityError(`GET ${where}: the result has ${size} bytes but the output has ${want}`);
    await fs.promises.rename(tmp, destPath);
    try {
      local.outputTaken(job.id, job.token, output.id);
    } catch {
      /* the engine's copy is swept with the job later */
    }
    return { size };
  } catch (err) {
    await fs.promises.rm(tmp, { force: true }).catch(() => {});
    throw err;
  }
}
