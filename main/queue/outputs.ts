/**
 * Output naming and claiming. A result is named after its source with the target's extension,
 * placed under the output folder (keeping a dropped folder's structure), and its path is claimed
 * before anything is written: in the database (so two items never pick one path, even across
 * processes) and, for `rename`/`skip`, as an empty placeholder created exclusively on disk (so a
 * file that appears meanwhile is never overwritten).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ConflictPolicy } from '../../preload/contract';
import { sourceFileName } from './sources';
import type { QueueStore } from './store';
import type { ItemRow, OutputRecord } from './types';
import { isTerminalItem } from './types';

const RESERVED = /^(con|prn|aux|nul|com[1-9]|lpt[1-9])(\..*)?$/i;

/** A file or folder name that is valid on every OS Convoy runs on. */
export function safeName(name: string, fallback = 'output'): string {
  let out = name
    .replace(/[\x00-\x1f<>:"/\\|?*]/g, '_')
    .replace(/[. ]+$/, '')
    .trim();
  if (RESERVED.test(out)) out = `_${out}`;
  while (Buffer.byteLength(out) > 200) out = out.slice(0, -1);
  return out || fallback;
}

/** `relDir` as safe path segments (no `..`, no absolute part). */
export function safeRelDir(relDir: string | undefined): string {
  if (!relDir) return '';
  return relDir
    .split(/[\\/]+/)
    .filter((s) => s && s !== '.' && s !== '..')
    .map((s) => safeName(s, '_'))
    .join(path.sep);
}

/** The stem results are named after: the source's name without its extension. */
export function outputStem(item: Pick<ItemRow, 'source'>): string {
  const name = sourceFileName(item.source);
  const ext = path.extname(name);
  return safeName(ext && ext.length < name.length ? name.slice(0, -ext.length) : name);
}

/** `.png` for target png; the API's own output file extension wins when it has one. */
export function outputExt(target: string, outputFilename?: string): string {
  const fromApi = outputFilename ? path.extname(outputFilename).toLowerCase() : '';
  if (fromApi && /^\.[a-z0-9]{1,10}$/.test(fromApi)) return fromApi;
  return `.${safeName(target.toLowerCase(), 'out')}`;
}

/** The folder an item's results go to (null for profile destinations). */
export function outputDir(item: Pick<ItemRow, 'outDir' | 'source'>): string | null {
  if (!item.outDir) return null;
  const rel = item.source.kind === 'file' ? safeRelDir(item.source.relDir) : '';
  return rel ? path.join(item.outDir, rel) : item.outDir;
}

/** Claims are compared case-insensitively where the file system usually is. */
export function pathKey(p: string): string {
  const abs = path.resolve(p);
  return process.platform === 'darwin' || process.platform === 'win32' ? abs.toLowerCase() : abs;
}

export type ClaimResult = { kind: 'claimed'; path: string; before: OutputRecord['before'] } | { kind: 'skipped'; path: string };

const exists = (p: string) => fs.existsSync(p);

function statId(p: string): OutputRecord['before'] {
  try {
    const s = fs.statSync(p);
    return { ino: s.ino, mtimeMs: s.mtimeMs, size: s.size };
  } catch {
    return null;
  }
}

/**
 * Picks and claims the path for one output under `policy`. The claim is recorded (claims table
 * and the item's outputs, through `record`) in one transaction, on disk before the placeholder is
 * created (or the result written), so after a crash the path is known to be this item's.
 */
export async function claimOutputPath(
  store: QueueStore,
  item: Pick<ItemRow, 'id' | 'batchId'>,
  dir: string,
  stem: string,
  ext: string,
  policy: ConflictPolicy,
  record: (claim: ClaimResult) => void,
): Promise<ClaimResult> {
  fs.mkdirSync(dir, { recursive: true });
  for (let n = 0; n < 10_000; n++) {
    const name = n === 0 ? `${stem}${ext}` : `${stem} (${n})${ext}`;
    const p = path.join(dir, name);
    const key = pathKey(p);
    const owner = store.claimOwner(key);
    if (owner?.itemId === item.id) {
      const result: ClaimResult = { kind: 'claimed', path: p, before: null };
      await store.txDurable(() => record(result));
      return result;
    }
    if (policy === 'overwrite') {
      if (owner && claimIsLive(store, owner, item.batchId)) continue; // another item of ours writes it
      const result: ClaimResult = { kind: 'claimed', path: p, before: statId(p) };
      await store.txDurable(() => {
        if (owner) store.takeOverClaim(key, p, item.id, item.batchId);
        else store.insertClaim(key, p, item.id, item.batchId);
        record(result);
      });
      return result;
    }
    if (owner || exists(p)) {
      if (policy === 'skip') {
        const result: ClaimResult = { kind: 'skipped', path: p };
        store.txAfter(() => record(result)); // nothing is written for a skip
        return result;
      }
      continue;
    }
    const result: ClaimResult = { kind: 'claimed', path: p, before: null };
    const inserted = await store.txDurable(() => {
      if (!store.insertClaim(key, p, item.id, item.batchId)) return false;
      record(result);
      return true;
    });
    if (!inserted) continue;
    if (createPlaceholder(p)) return result;
    // Someone else created the file between our check and now: give the name up, try the next.
    store.txAfter(() => {
      store.releaseClaim(key, item.id);
    });
    if (policy === 'skip') {
      const skipped: ClaimResult = { kind: 'skipped', path: p };
      store.txAfter(() => record(skipped));
      return skipped;
    }
  }
  throw new Error(`No free output name for ${stem}${ext} in ${dir}`);
}

/** The claimed path is still held by an item that will (or did, in the same batch) write it. */
function claimIsLive(store: QueueStore, owner: { itemId: string; batchId: string }, batchId: string): boolean {
  if (owner.batchId === batchId) return true;
  const other = store.item(owner.itemId);
  return Boolean(other && !isTerminalItem(other.state));
}

/** Exclusive create of an empty file; false when the name exists. */
export function createPlaceholder(p: string): boolean {
  try {
    fs.closeSync(fs.openSync(p, 'wx'));
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

/**
 * True when a claimed path already holds this output from before a crash: for rename/skip claims
 * the path was ours alone, so the expected size means the download had finished; for overwrite
 * claims the file must also differ from the one that was there before.
 */
export function finishedOnDisk(rec: OutputRecord, expectedSize: number | undefined): boolean {
  if (!rec.path || expectedSize === undefined || expectedSize === 0) return false;
  let s: fs.Stats;
  try {
    s = fs.statSync(rec.path);
  } catch {
    return false;
  }
  if (!s.isFile() || s.size !== expectedSize) return false;
  if (rec.before && rec.before.ino === s.ino && rec.before.mtimeMs === s.mtimeMs) return false;
  return true;
}

/**
 * Why results can never be written under `dir`, or null: a path component that is a file, or the
 * nearest existing folder not writable. Nothing is created (the folder is made when a result lands).
 */
export function outputFolderProblem(dir: string): string | null {
  const abs = path.resolve(dir);
  let probe = abs;
  for (;;) {
    let st: fs.Stats | null = null;
    try {
      st = fs.statSync(probe);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOTDIR') return `The output folder ${abs} cannot be created: a part of its path is a file`;
      if (code !== 'ENOENT') return `The output folder ${abs} cannot be used (${code})`;
    }
    if (st) {
      if (!st.isDirectory())
        return probe === abs ? `The output folder ${abs} is a file, not a folder` : `The output folder ${abs} cannot be created: ${probe} is a file`;
      try {
        fs.accessSync(probe, fs.constants.W_OK | fs.constants.X_OK);
      } catch {
        return `The output folder ${probe} is not writable`;
      }
      return null;
    }
    const parent = path.dirname(probe);
    if (parent === probe) return null;
    probe = parent;
  }
}

/** Drops an item's claims and removes placeholders it never filled. */
export function releaseOutputs(store: QueueStore, item: Pick<ItemRow, 'id' | 'outputs'>): void {
  for (const rec of item.outputs) {
    if (rec.done || !rec.path) continue;
    try {
      const s = fs.statSync(rec.path);
      if (s.isFile() && s.size === 0 && !rec.before) fs.unlinkSync(rec.path);
    } catch {
      /* already gone */
    }
  }
  store.releaseClaims(item.id);
}
