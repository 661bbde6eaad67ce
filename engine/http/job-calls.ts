/**
 * The job calls that both fronts answer — the HTTP routes (`POST/GET/PATCH /v2/jobs`) and the
 * in-process access (`engine.local`) — written once: the account check, the body's shape, the
 * Idempotency-Key rules and replays, the busy limit. Each front only reads its request its own way.
 */
import type { JobRecord } from '../jobs/model';
import { jobCreateSchema, jobPatchSchema } from '../jobs/schemas';
import type { JobService } from '../jobs/service';
import type { EngineFaults } from '../types';
import { constantTimeEqual, secretDigest } from '../util/secret-box';
import { parse } from './body';
import { HttpError } from './respond';

export interface JobCallDeps {
  service: JobService;
  apiKey: string;
  faults: () => EngineFaults;
}

/** The account a key opens (its hash), or the route's 401. */
export function accountFor(key: string | undefined, apiKey: string): string {
  if (key === undefined) throw new HttpError(401, 'Missing API key (X-Api2convert-Api-Key)');
  if (!constantTimeEqual(key, apiKey)) throw new HttpError(401, 'Invalid API key');
  return secretDigest(apiKey).toString('hex');
}

/** A 429 with Retry-After while the injected job limit is reached. */
export function refuseWhenBusy(deps: JobCallDeps): void {
  const f = deps.faults();
  if (f.maxConcurrentJobs > 0 && deps.service.activeCount() >= f.maxConcurrentJobs) {
    throw new HttpError(429, `Too many jobs are processing (limit ${f.maxConcurrentJobs}); retry later`, { 'Retry-After': String(f.retryAfterSeconds) });
  }
}

/** `POST /v2/jobs`: a new job, or the one this Idempotency-Key already made (`replayed`). */
export function createJob(deps: JobCallDeps, owner: string, raw: Record<string, unknown>, idempotencyKey?: string): { job: JobRecord; replayed: boolean } {
  if (idempotencyKey !== undefined && !/^[ -~]{1,255}$/.test(idempotencyKey)) {
    throw new HttpError(400, 'Idempotency-Key must be 1-255 printable ASCII characters');
  }
  if (idempotencyKey) {
    const replay = deps.service.idempotentReplay(owner, idempotencyKey, raw);
    if (replay) return { job: replay, replayed: true };
  }
  const spec = parse(jobCreateSchema, raw);
  if (deps.service.wouldStart(spec)) refuseWhenBusy(deps);
  return { job: deps.service.create(owner, spec, idempotencyKey ? { key: idempotencyKey, rawBody: raw } : undefined), replayed: false };
}

/** `PATCH /v2/jobs/{id}` (e.g. `{ process: true }`). */
export function patchJob(deps: JobCallDeps, job: JobRecord, raw: Record<string, unknown>): JobRecord {
  const spec = parse(jobPatchSchema, raw);
  if (deps.service.patchWouldStart(job, spec)) refuseWhenBusy(deps);
  return deps.service.patch(job, spec);
}
