/**
 * One running queue per data folder: two processes working the same units would download the
 * same outputs twice. The lock is a file holding the owner's pid; a lock left by a process that
 * no longer exists (kill -9, crash) is taken over.
 */
import fs from 'node:fs';
import path from 'node:path';

export class QueueLockedError extends Error {
  constructor(
    readonly pid: number,
    dataDir: string,
  ) {
    super(`Another Convoy process (pid ${pid}) is already running the queue in ${dataDir}`);
    this.name = 'QueueLockedError';
  }
}

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface QueueLock {
  release(): void;
}

export function acquireQueueLock(dataDir: string): QueueLock {
  const file = path.join(dataDir, 'queue.lock');
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const fd = fs.openSync(file, 'wx', 0o600);
      fs.writeSync(fd, String(process.pid));
      fs.closeSync(fd);
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          try {
            if (fs.readFileSync(file, 'utf8').trim() === String(process.pid)) fs.unlinkSync(file);
          } catch {
            /* already gone */
          }
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let owner = NaN;
      try {
        owner = Number(fs.readFileSync(file, 'utf8').trim());
      } catch {
        continue; // removed meanwhile: try again
      }
      if (alive(owner) && owner !== process.pid) throw new QueueLockedError(owner, dataDir);
      // Stale (its process is gone) or ours from an earlier queue in this process: replace it.
      try {
        fs.unlinkSync(file);
      } catch {
        /* someone else took it over first; the next attempt sees theirs */
      }
    }
  }
  throw new Error(`Could not take the queue lock in ${dataDir}`);
}
