/**
 * Where a converter may be installed, per platform: PATH with Windows' PATHEXT, then the folders
 * installers use (a Finder-launched macOS app has no Homebrew in PATH; LibreOffice is rarely on
 * PATH on Windows). Pure over an injected environment, so every platform is tested on any.
 */
import fs from 'node:fs';
import path from 'node:path';

export type ToolName = 'ffmpeg' | 'ffprobe' | 'soffice';

export interface LookupEnv {
  platform: NodeJS.Platform;
  env: Record<string, string | undefined>;
  /** True when `file` exists and may be run. */
  isExecutable(file: string): boolean;
  /** Entries of a folder (for versioned install folders such as /opt/libreoffice7.6); [] when unreadable. */
  list(dir: string): string[];
}

export const hostLookup: LookupEnv = {
  platform: process.platform,
  env: process.env,
  isExecutable(file) {
    try {
      if (!fs.statSync(file).isFile()) return false;
      if (process.platform !== 'win32') fs.accessSync(file, fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  },
  list(dir) {
    try {
      return fs.readdirSync(dir);
    } catch {
      return [];
    }
  },
};

/** The file names a command may have: on Windows each PATHEXT extension (`ffmpeg.exe`, …). */
export function executableNames(name: string, lookup: Pick<LookupEnv, 'platform' | 'env'>): string[] {
  if (lookup.platform !== 'win32' || path.win32.extname(name)) return [name];
  const exts = (lookup.env.PATHEXT ?? '.COM;.EXE;.BAT;.CMD').split(';').filter(Boolean);
  return exts.map((ext) => name + ext.toLowerCase());
}

function join(platform: NodeJS.Platform, ...parts: string[]): string {
  return platform === 'win32' ? path.win32.join(...parts) : path.posix.join(...parts);
}

/** Install folders to try after PATH, most likely first. */
export function wellKnownDirs(tool: ToolName, lookup: LookupEnv): string[] {
  const { platform, env } = lookup;
  const j = (...p: string[]) => join(platform, ...p);
  const home = env.HOME ?? env.USERPROFILE ?? '';
  if (platform === 'win32') {
    const programFiles = [env.ProgramFiles, env['ProgramFiles(x86)'], env.ProgramW6432].filter((d): d is string => Boolean(d));
    if (tool === 'soffice') return programFiles.map((d) => j(d, 'LibreOffice', 'program'));
    return [
      ...programFiles.map((d) => j(d, 'ffmpeg', 'bin')),
      'C:\\ffmpeg\\bin',
      ...(env.LOCALAPPDATA ? [j(env.LOCALAPPDATA, 'Microsoft', 'WinGet', 'Links')] : []),
      ...(home ? [j(home, 'scoop', 'shims')] : []),
      j(env.ChocolateyInstall ?? 'C:\\ProgramData\\chocolatey', 'bin'),
    ];
  }
  if (platform === 'darwin') {
    if (tool === 'soffice') {
      return ['/Applications/LibreOffice.app/Contents/MacOS', ...(home ? [j(home, 'Applications', 'LibreOffice.app', 'Contents', 'MacOS')] : [])];
    }
    return ['/opt/homebrew/bin', '/usr/local/bin', '/opt/local/bin'];
  }
  const common = ['/usr/bin', '/usr/local/bin', '/snap/bin', '/var/lib/flatpak/exports/bin'];
  if (tool !== 'soffice') return common;
  const versioned = lookup
    .list('/opt')
    .filter((e) => /^libreoffice/i.test(e))
    .sort()
    .reverse()
    .map((e) => j('/opt', e, 'program'));
  return [...common, '/usr/lib/libreoffice/program', ...versioned];
}

/** Other names a tool goes by (LibreOffice's launcher is `libreoffice` on some Linux packages). */
function aliases(tool: ToolName): string[] {
  return tool === 'soffice' ? ['soffice', 'libreoffice'] : [tool];
}

/**
 * Finds a tool: a configured path first (a file, or a folder holding it), then PATH, then the
 * install folders. Returns the full path, or undefined.
 */
export function findTool(tool: ToolName, lookup: LookupEnv = hostLookup, configured?: string): string | undefined {
  const names = aliases(tool).flatMap((n) => executableNames(n, lookup));
  const inDir = (dir: string) => names.map((n) => join(lookup.platform, dir, n)).find((f) => lookup.isExecutable(f));
  if (configured) {
    if (lookup.isExecutable(configured)) {
      // Configured ffmpeg → its ffprobe sits beside it.
      if (tool === 'ffprobe') return inDir(path.dirname(configured)) ?? undefined;
      return configured;
    }
    const found = inDir(configured);
    if (found) return found;
  }
  const delimiter = lookup.platform === 'win32' ? ';' : ':';
  const pathDirs = (lookup.env.PATH ?? lookup.env.Path ?? '').split(delimiter).filter(Boolean);
  for (const dir of [...pathDirs, ...wellKnownDirs(tool, lookup)]) {
    const found = inDir(dir);
    if (found) return found;
  }
  return undefined;
}
