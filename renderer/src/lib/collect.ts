/**
 * Turns what arrives by drop, paste or picker into files (with the folder structure kept as a
 * relative folder) and URL-list texts. Directory entries must be taken synchronously inside the
 * event (the DataTransfer is emptied afterwards); walking them happens asynchronously.
 */
import { looksLikeUrlList, type UrlListFormat } from './urlList';

export interface CollectedFile {
  file: File;
  /** Folder path relative to what was dropped ("Photos/2024"), kept on output. */
  relDir?: string;
  /** Host path when the shell can tell it (Electron). */
  path?: string;
}

export interface CollectedText {
  text: string;
  format: UrlListFormat;
  /** Where it came from ("urls.csv"), for messages. */
  source?: string;
}

export interface Collected {
  files: CollectedFile[];
  texts: CollectedText[];
  /** Hidden/system files and unreadable entries that were left out, with the reason. */
  skipped: Array<{ name: string; reason: string }>;
}

const SYSTEM_FILES = new Set(['.ds_store', 'thumbs.db', 'desktop.ini', '.localized']);
const LIST_EXTS = new Set(['txt', 'csv', 'uri', 'uris', 'list']);
/** URL-list files larger than this are converted as documents, not read as lists. */
const MAX_LIST_BYTES = 8 * 1024 * 1024;

function skipReason(name: string): string | null {
  if (SYSTEM_FILES.has(name.toLowerCase())) return 'System file';
  if (name.startsWith('.')) return 'Hidden file';
  return null;
}

function joinPath(root: string, rel: string): string {
  const sep = root.includes('\\') && !root.includes('/') ? '\\' : '/';
  return `${root.replace(/[\\/]+$/, '')}${sep}${rel.split('/').join(sep)}`;
}

interface Root {
  entry: FileSystemEntry | null;
  file: File | null;
  path?: string;
}

/** Synchronous part: what the event carries, captured before it ends. */
export function captureDataTransfer(dt: DataTransfer, pathForFile?: (f: File) => string): { roots: Root[]; texts: CollectedText[] } {
  const roots: Root[] = [];
  const items = dt.items ? Array.from(dt.items) : [];
  const fileItems = items.filter((i) => i.kind === 'file');
  if (fileItems.length) {
    for (const item of fileItems) {
      const entry = typeof item.webkitGetAsEntry === 'function' ? item.webkitGetAsEntry() : null;
      const file = item.getAsFile();
      roots.push({ entry, file, path: file && pathForFile ? pathForFile(file) || undefined : undefined });
    }
  } else if (dt.files?.length) {
    for (const file of Array.from(dt.files)) roots.push({ entry: null, file, path: pathForFile?.(file) || undefined });
  }
  const texts: CollectedText[] = [];
  // Dragged files often come with their own file:// URIs as text: the files are what counts then.
  if (!roots.length) {
    const uriList = dt.getData('text/uri-list');
    const plain = dt.getData('text/plain') || dt.getData('text');
    if (uriList.trim()) texts.push({ text: uriList, format: 'uri-list' });
    else if (plain.trim()) texts.push({ text: plain, format: 'text' });
  }
  return { roots, texts };
}

function readAllEntries(reader: FileSystemDirectoryReader): Promise<FileSystemEntry[]> {
  // readEntries answers in chunks (100 in Chromium) until it answers an empty array.
  return new Promise((resolve, reject) => {
    const all: FileSystemEntry[] = [];
    const next = () =>
      reader.readEntries((chunk) => {
        if (!chunk.length) return resolve(all);
        all.push(...chunk);
        next();
      }, reject);
    next();
  });
}

function entryFile(entry: FileSystemFileEntry): Promise<File> {
  return new Promise((resolve, reject) => entry.file(resolve, reject));
}

async function walk(
  entry: FileSystemEntry,
  relDir: string,
  rootPath: string | undefined,
  relFromRoot: string,
  out: Collected,
  pathForFile?: (f: File) => string,
): Promise<void> {
  const reason = skipReason(entry.name);
  if (reason) {
    out.skipped.push({ name: relDir ? `${relDir}/${entry.name}` : entry.name, reason });
    return;
  }
  if (entry.isFile) {
    try {
      const file = await entryFile(entry as FileSystemFileEntry);
      const path = (pathForFile?.(file) || undefined) ?? (rootPath && relFromRoot ? joinPath(rootPath, relFromRoot) : undefined);
      out.files.push({ file, relDir: relDir || undefined, path });
    } catch {
      out.skipped.push({ name: entry.name, reason: 'Could not be read' });
    }
    return;
  }
  if (entry.isDirectory) {
    const dir = relDir ? `${relDir}/${entry.name}` : entry.name;
    let children: FileSystemEntry[] = [];
    try {
      children = await readAllEntries((entry as FileSystemDirectoryEntry).createReader());
    } catch {
      out.skipped.push({ name: dir, reason: 'Folder could not be read' });
      return;
    }
    children.sort((a, b) => a.name.localeCompare(b.name));
    for (const child of children) {
      await walk(child, dir, rootPath, relFromRoot ? `${relFromRoot}/${child.name}` : child.name, out, pathForFile);
    }
  }
}

/** Reads `.txt`/`.csv` files that are URL lists as texts; everything else stays a file. */
async function splitUrlListFiles(files: CollectedFile[], out: Collected): Promise<void> {
  for (const f of files) {
    const ext = f.file.name.split('.').pop()?.toLowerCase() ?? '';
    if (!f.relDir && LIST_EXTS.has(ext) && f.file.size <= MAX_LIST_BYTES) {
      const text = await f.file.text().catch(() => '');
      if (looksLikeUrlList(text)) {
        out.texts.push({ text, format: ext === 'csv' ? 'csv' : 'text', source: f.file.name });
        continue;
      }
    }
    out.files.push(f);
  }
}

/** Asynchronous part: walks dropped folders and sorts out URL-list files. */
export async function resolveCaptured(captured: { roots: Root[]; texts: CollectedText[] }, pathForFile?: (f: File) => string): Promise<Collected> {
  const out: Collected = { files: [], texts: [...captured.texts], skipped: [] };
  const topFiles: CollectedFile[] = [];
  for (const root of captured.roots) {
    if (root.entry?.isDirectory && root.path && root.file) {
      // Electron knows the folder's path: main expands it (structure kept) without a walk here.
      out.files.push({ file: root.file, path: root.path });
    } else if (root.entry?.isDirectory) {
      // The folder itself is the first level of the kept structure.
      await walk(root.entry, '', root.path, '', out, pathForFile);
    } else if (root.file) {
      const reason = skipReason(root.file.name);
      if (reason) out.skipped.push({ name: root.file.name, reason });
      else topFiles.push({ file: root.file, path: root.path });
    }
  }
  await splitUrlListFiles(topFiles, out);
  return out;
}

/** Files from an `<input type=file>` (with `webkitdirectory`, their relative folders are kept). */
export async function collectFileList(list: FileList | File[], pathForFile?: (f: File) => string): Promise<Collected> {
  const out: Collected = { files: [], texts: [], skipped: [] };
  const top: CollectedFile[] = [];
  for (const file of Array.from(list)) {
    const rel = (file as File & { webkitRelativePath?: string }).webkitRelativePath ?? '';
    const parts = rel.split('/').filter(Boolean);
    const relDir = parts.length > 1 ? parts.slice(0, -1).join('/') : undefined;
    const reason = parts.map(skipReason).find(Boolean) ?? skipReason(file.name);
    if (reason) {
      out.skipped.push({ name: rel || file.name, reason });
      continue;
    }
    const entry = { file, relDir, path: pathForFile?.(file) || undefined };
    if (relDir) out.files.push(entry);
    else top.push(entry);
  }
  await splitUrlListFiles(top, out);
  return out;
}
