/**
 * One engine per data dir: two would run the same jobs twice. The lock file holds the owner's
 * pid; a lock left by a dead process (kill -9) is taken over.
 */
import fs from 'node:fs';
import path from 'node:path';

const openInThisProcess = new Set<string>();

export function acquireDataDirLock(dataDir: string): () => void {
  const dir = path.resolve(dataDir);
  if (openInThisProcess.has(dir)) throw new Error(`The data dir ${dir} is already used by an engine in this process`);
  const file = path.join(dir, 'engine.lock');
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = fs.openSync(file, 'wx');
      fs.writeSync(fd, String(process.pid));
      fs.closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 2) throw err;
      const pid = Number(fs.readFileSync(file, 'utf8').trim());
      if (pid && pid !== process.pid && isAlive(pid)) {
        throw new Error(`The data dir ${dir} is already used by another engine (process ${pid})`);
      }
      fs.rmSync(file, { force: true });
    }
  }
  openInThisProcess.add(dir);
  return () => {
    openInThisProcess.delete(dir);
    try {
      if (Number(fs.readFileSync(file, 'utf8').trim()) === process.pid) fs.rmSync(file, { force: true });
    } catch {
      /* already gone */
    }
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
