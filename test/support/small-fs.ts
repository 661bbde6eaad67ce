/**
 * A size-limited folder for disk-full tests: a tmpfs of the given size mounted on a fresh temporary
 * folder (needs root, as in CI here). Returns null where mounting is not allowed; the caller skips
 * with that reason. `fill` writes a filler file to leave only `leaveBytes` free.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface SmallFs {
  dir: string;
  free(): number;
  /** Writes `name` so that about `leaveBytes` stay free. */
  fill(name: string, leaveBytes: number): string;
  unmount(): void;
}

export function mountSmallFs(sizeMb: number): SmallFs | { unavailable: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'convoy-smallfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m,mode=0777`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    return { unavailable: `cannot mount a tmpfs here (${String((err as Error).message).split('\n')[0]}); a size-limited folder needs root` };
  }
  const free = () => {
    const s = fs.statfsSync(dir);
    return s.bavail * s.bsize;
  };
  return {
    dir,
    free,
    fill(name, leaveBytes) {
      const file = path.join(dir, name);
      fs.writeFileSync(file, Buffer.alloc(Math.max(0, free() - leaveBytes)));
      return file;
    },
    unmount() {
      try {
        execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
      } catch {
        /* already gone */
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
