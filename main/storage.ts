/**
 * How much disk the data folder takes (queue database, logs, uploads staged by browser mode, the
 * in-process engine's working files), shown in `convoy status` and Settings.
 */
import fs from 'node:fs';
import path from 'node:path';

/** Total size of the files under `dir` (symlinks not followed); 0 when it does not exist. */
export async function folderSize(dir: string): Promise<number> {
  let total = 0;
  const stack = [dir];
  while (stack.length) {
    const current = stack.pop()!;
    let entries: fs.Dirent[];
    try {
      entries = await fs.promises.readdir(current, { withFileTypes: true });
    } catch {
      continue; // gone or unreadable: nothing to count
    }
    for (const e of entries) {
      const p = path.join(current, e.name);
      if (e.isDirectory()) stack.push(p);
      else if (e.isFile())
        total += await fs.promises.lstat(p).then(
          (s) => s.size,
          () => 0,
        );
    }
  }
  return total;
}

/** 1.2 GB-style size for people. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}
