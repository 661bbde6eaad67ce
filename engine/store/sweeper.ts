/**
 * Periodic clean-up: expired outputs lose their files, finished jobs are forgotten after the
 * job TTL, abandoned resumable uploads and idempotency keys after a day.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { CallbackOutbox } from '../callbacks/outbox';
import type { JobService } from '../jobs/service';
import type { UploadHandler } from '../uploads/upload-routes';
import type { JobStore } from './job-store';

export interface SweeperDeps {
  service: JobService;
  store: JobStore;
  uploads: UploadHandler;
  outbox: CallbackOutbox;
  jobTtlMs: number;
  outputTtlMs: number;
  log: (msg: string) => void;
}

const STALE_TMP_MS = 24 * 3600_000;

export class Sweeper {
  private timer: NodeJS.Timeout | undefined;

  constructor(private deps: SweeperDeps) {}

  start(): void {
    const every = Math.min(60_000, Math.max(1000, this.deps.outputTtlMs));
    this.sweepFinishedInputs();
    this.sweep();
    this.timer = setInterval(() => this.sweep(), every);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  sweep(): void {
    try {
      const now = new Date().toISOString();
      for (const id of this.deps.store.withExpiredOutputs(now)) {
        const job = this.deps.store.get(id);
        if (!job) continue;
        for (const out of job.outputs) {
          if (out.path && out.expiresAt <= now) {
            fs.rmSync(path.dirname(this.deps.service.abs(out.path)), { recursive: true, force: true });
            delete out.path;
            out.status = 'disabled';
          }
        }
        this.deps.store.save(job);
      }
      const cutoff = new Date(Date.now() - this.deps.jobTtlMs).toISOString();
      for (const id of this.deps.store.finishedBefore(cutoff)) {
        fs.rmSync(this.deps.service.jobDir(id), { recursive: true, force: true });
        this.deps.uploads.forgetJob(id);
        this.deps.outbox.forgetJob(id);
        this.deps.store.delete(id);
      }
      this.deps.uploads.sweep();
      this.deps.service.expireIdempotencyKeys();
      this.sweepTmp();
    } catch (err) {
      this.deps.log(`sweep failed: ${(err as Error).message}`);
    }
  }

  /**
   * At start: what jobs that ended left in their folders (inputs deleted at the end, results of a
   * conversion cut short, outputs taken: a crash can come between) goes, in any layout.
   */
  private sweepFinishedInputs(): void {
    try {
      for (const id of this.deps.store.finishedBefore(new Date().toISOString())) {
        if (!fs.existsSync(this.deps.service.jobDir(id))) continue; // nothing left: no need to read the job
        const job = this.deps.store.get(id);
        if (job) this.deps.service.removeStrays(job);
      }
    } catch (err) {
      this.deps.log(`input sweep failed: ${(err as Error).message}`);
    }
  }

  private sweepTmp(): void {
    const dir = path.join(this.deps.service.deps.dataDir, 'tmp');
    let names: string[];
    try {
      names = fs.readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      if (!name.startsWith('upload-')) continue; // chunked-* files belong to upload sessions
      const file = path.join(dir, name);
      try {
        if (Date.now() - fs.statSync(file).mtimeMs > STALE_TMP_MS) fs.rmSync(file, { force: true });
      } catch {
        /* raced with its owner */
      }
    }
  }
}
