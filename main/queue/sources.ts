/**
 * What the queue knows about a source before any request: its label, extension, the base name its
 * outputs get, and whether it is acceptable at all.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { SourceInput } from '../../preload/contract';
import { cloudLabel } from '../destinations/cloud-account';
import { redact } from '../log';

/** Why an input is not accepted into the queue, or null when it is. */
export function rejectReason(source: SourceInput): string | null {
  if (source.kind === 'url') return urlProblem(source.url);
  if (source.kind === 'file') {
    if (source.path.includes('\0')) return 'The path contains a NUL character';
    return null;
  }
  if (source.kind === 'merge') {
    for (const part of source.inputs) {
      const why = rejectReason(part);
      if (why) return `Merge input ${part.kind === 'file' ? part.path : displayUrl(part.url)}: ${why}`;
    }
    return null;
  }
  if (Boolean(source.profileId) === Boolean(source.account)) return 'A cloud source names either a saved profile or an account, not both or neither';
  if (source.file.includes('\0')) return 'The object name contains a NUL character';
  return null;
}

export function urlProblem(raw: string): string | null {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return 'Not a valid URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    const scheme = url.protocol.replace(':', '');
    const cloud = ['s3', 'gs', 'wasb', 'wasbs', 'az'].includes(scheme.toLowerCase());
    return `Not an http(s) URL (${scheme})${cloud ? '; read cloud storage with "Add from cloud…" or convoy convert --input-cloud <provider> --input-param …' : ''}`;
  }
  if (!url.hostname) return 'The URL has no host';
  // A user:password in the URL would have to be stored to resume; credentials never go to disk.
  if (url.username || url.password) return 'URLs with a user name or password are not accepted; use a destination profile or a pre-signed URL';
  return null;
}

/** Lower-case extension without the dot, or null. */
export function extOf(name: string): string | null {
  const ext = path.extname(name).slice(1).toLowerCase();
  return ext && /^[a-z0-9]{1,10}$/.test(ext) ? ext : null;
}

/** The file name a source has (or is expected to have). */
export function sourceFileName(source: SourceInput): string {
  switch (source.kind) {
    case 'file':
      return path.basename(source.path);
    case 'cloud':
      return path.posix.basename(source.file.replace(/\\/g, '/')) || 'file';
    case 'merge':
      return path.basename(source.name ?? 'merged');
    case 'url': {
      // A suggested name is only a name: like the API, Convoy keeps its last path segment.
      if (source.filename) return path.posix.basename(source.filename.replace(/\\/g, '/')) || 'download';
      try {
        const u = new URL(source.url);
        const last = decodeURIComponent(u.pathname.split('/').filter(Boolean).pop() ?? '');
        return last || u.hostname;
      } catch {
        return 'download';
      }
    }
  }
}

/** A URL as it may be shown or logged: a user name or password in it is masked, so are secret-looking parameters. */
export function displayUrl(raw: string): string {
  let text = raw.trim();
  try {
    const u = new URL(text);
    if (u.username || u.password) {
      u.username = '***';
      u.password = '';
      text = u.toString();
    }
  } catch {
    text = text.replace(/\/\/[^/@\s]*@/, '//***@');
  }
  return redact(text);
}

/** What the user sees for an item: the file's base name, or the URL with any secret part masked. */
export function labelOf(source: SourceInput): string {
  switch (source.kind) {
    case 'file':
      return path.basename(source.path);
    case 'url':
      return displayUrl(source.url);
    case 'cloud':
      return source.account ? cloudLabel(source.account.type, source.account.parameters, source.file) : source.file;
    case 'merge':
      return `${source.name ?? 'merged'} (${source.inputs.length}: ${source.inputs.map((p) => labelOf(p)).join(', ')})`.slice(0, 1000);
  }
}

export function sourceExtOf(source: SourceInput): string | null {
  if (source.kind === 'merge') return null;
  return extOf(sourceFileName(source));
}

/** A key that is equal for two items with the same source (they can share one job). */
export function sourceKey(source: SourceInput): string {
  switch (source.kind) {
    case 'file':
      return `file:${path.resolve(source.path)}`;
    case 'url':
      return `url:${source.url}`;
    case 'cloud':
      return `cloud:${source.profileId ?? JSON.stringify(source.account)}:${source.file}`;
    case 'merge':
      return `merge:${source.name ?? ''}:${source.inputs.map((p) => sourceKey(p)).join('\n')}`;
  }
}

/** A readable, non-empty regular file, or a clear reason why not. Never reads the file's content. */
export async function checkLocalFile(file: string): Promise<{ size: number } | { problem: string; action: string }> {
  let stat: fs.Stats;
  try {
    stat = await fs.promises.stat(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { problem: `File not found: ${file}`, action: 'Check that the file still exists' };
    if (code === 'EACCES' || code === 'EPERM') return { problem: `Cannot read file (permission denied): ${file}`, action: 'Check the file permissions' };
    return { problem: `Cannot read file (${code ?? 'error'}): ${file}`, action: 'Check the file' };
  }
  if (stat.isDirectory()) return { problem: `This is a folder, not a file: ${file}`, action: 'Add the folder’s files instead' };
  if (!stat.isFile()) return { problem: `Not a regular file: ${file}`, action: 'Choose a regular file' };
  try {
    const fh = await fs.promises.open(file, 'r');
    await fh.close();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') return { problem: `Cannot read file (permission denied): ${file}`, action: 'Check the file permissions' };
    return { problem: `Cannot read file (${code ?? 'error'}): ${file}`, action: 'Check the file' };
  }
  if (stat.size === 0) return { problem: `The file is empty: ${file}`, action: 'Choose a file with content' };
  return { size: stat.size };
}

/**
 * Expands folders into their files (sorted, hidden files skipped), keeping each file's folder
 * relative to the dropped folder's parent so the structure is rebuilt under the output folder.
 * Without `recursive`, only a folder's own files are taken.
 */
export async function expandPaths(
  paths: string[],
  recursive: boolean,
  /** 'folder' (the CLI): a folder's files keep their place relative to that folder, not to its parent. */
  relativeTo: 'parent' | 'folder' = 'parent',
): Promise<Array<{ path: string; relDir?: string }>> {
  const out: Array<{ path: string; relDir?: string }> = [];
  for (const p of paths) {
    const abs = path.resolve(p);
    const stat = await fs.promises.stat(abs).catch(() => null);
    if (!stat?.isDirectory()) {
      out.push({ path: abs });
      continue;
    }
    const root = relativeTo === 'folder' ? abs : path.dirname(abs);
    const walk = async (dir: string): Promise<void> => {
      const entries = await fs.promises.readdir(dir, { withFileTypes: true }).catch(() => []);
      entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (const e of entries) {
        if (e.name.startsWith('.')) continue;
        const full = path.join(dir, e.name);
        if (e.isDirectory()) {
          if (recursive) await walk(full);
        } else if (e.isFile()) {
          out.push({ path: full, relDir: path.relative(root, dir) });
        }
      }
    };
    await walk(abs);
  }
  return out;
}
