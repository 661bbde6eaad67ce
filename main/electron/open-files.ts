/**
 * Files opened with Convoy: on the command line (`convoy-app a.png b.pdf`), by a second launch
 * (its argv arrives in `second-instance`) and by macOS's `open-file`. Only existing files and
 * folders count; Electron's and Chromium's own arguments, and the app path in development, do not.
 */
import fs from 'node:fs';
import path from 'node:path';

/**
 * Paths named in an argv, resolved against `cwd`; flags, the app's own folder (development runs
 * are `electron .`) and what isn't a file or folder are dropped. argv[0] is the executable.
 */
export function pathsFromArgv(argv: string[], cwd: string, opts: { appPath: string }): string[] {
  const appPath = path.resolve(opts.appPath);
  const out: string[] = [];
  for (const arg of argv.slice(1)) {
    if (!arg || arg.startsWith('-')) continue;
    const candidate = path.resolve(cwd, arg);
    if (candidate === appPath) continue;
    try {
      fs.statSync(candidate);
      if (!out.includes(candidate)) out.push(candidate);
    } catch {
      /* not a path */
    }
  }
  return out;
}

/** Holds paths that arrive before the window can take them (macOS sends open-file before ready). */
export class PendingOpens {
  private paths: string[] = [];
  private deliver: ((paths: string[]) => void) | null = null;

  add(paths: string[]): void {
    if (paths.length === 0) return;
    if (this.deliver) this.deliver(paths);
    else for (const p of paths) if (!this.paths.includes(p)) this.paths.push(p);
  }

  /** What waited, handed over once (the window asks for it when it is ready). */
  take(): string[] {
    const waiting = this.paths;
    this.paths = [];
    return waiting;
  }

  /** From now on, paths go straight to `deliver`; what waited goes first. */
  ready(deliver: (paths: string[]) => void): void {
    this.deliver = deliver;
    const waiting = this.paths;
    this.paths = [];
    if (waiting.length) deliver(waiting);
  }

  /** The window went away: hold paths again until the next one is ready. */
  pause(): void {
    this.deliver = null;
  }
}
