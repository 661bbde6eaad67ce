/**
 * Browser mode: files without a host path are sent to the host first (a few at a time), then
 * added by the path the host gives; rows appear while the rest is still being sent.
 */
import type { AddItem } from '../../../preload/contract';
import type { CollectedFile } from '../lib/collect';
import { extensionOf } from '../lib/targets';
import type { AddItems } from './add-items';
import { errorText } from './call';
import type { Ctx } from './context';

const UPLOAD_PARALLEL = 3;

export function createUploads({ app, connection, session }: Ctx, { addItems, rememberedTarget }: AddItems) {
  /** Files already sent in this session (browser mode gets a new host path per upload). */
  const uploaded = new Set<string>();
  const signature = (f: CollectedFile) => `${f.relDir ?? ''}/${f.file.name}:${f.file.size}:${f.file.lastModified}`;

  /** Answers how many items were added. */
  async function uploadAndAdd(files: CollectedFile[]): Promise<number> {
    const upload = connection.browser?.upload;
    if (!upload) {
      app.getState().notify('error', 'This window cannot read file paths; use Add files instead.');
      return 0;
    }
    const fresh: CollectedFile[] = [];
    let dup = 0;
    for (const f of files) {
      const sig = signature(f);
      if (uploaded.has(sig)) dup++;
      else {
        uploaded.add(sig);
        fresh.push(f);
      }
    }
    if (dup) app.getState().notify('info', `${dup} file${dup === 1 ? ' was' : 's were'} already added`);
    if (!fresh.length) return 0;

    const progress = new Map<CollectedFile, number>();
    const staging = { files: fresh.length, done: 0, bytes: 0, bytesTotal: fresh.reduce((n, f) => n + f.file.size, 0), failed: 0 };
    app.getState().setStaging(staging);
    let batchId: string | undefined;
    let added = 0;
    let pending: AddItem[] = [];
    let flushing: Promise<void> = Promise.resolve();
    const flush = () => {
      const items = pending;
      pending = [];
      if (!items.length) return flushing;
      flushing = flushing.then(async () => {
        const r = await addItems(items, batchId);
        if (r) {
          batchId = r.batchId;
          added += r.itemIds.length;
        }
      });
      return flushing;
    };
    let lastFlush = Date.now();
    let lastPaint = 0;
    const paint = (force = false) => {
      const now = Date.now();
      if (!force && now - lastPaint < 100) return;
      lastPaint = now;
      staging.bytes = [...progress.values()].reduce((a, b) => a + b, 0);
      app.getState().setStaging(staging);
    };

    // Rows keep the order the files were dropped in, though uploads end in any order: an item
    // waits in `ready` until every file before it is sent (or failed).
    const ready: Array<AddItem | null | undefined> = [];
    let released = 0;
    const release = (i: number, item: AddItem | null) => {
      ready[i] = item;
      for (; released < fresh.length && ready[released] !== undefined; released++) {
        const it = ready[released];
        if (it) pending.push(it);
      }
    };

    let next = 0;
    const worker = async () => {
      while (next < fresh.length) {
        const index = next++;
        const f = fresh[index];
        try {
          const { path } = await upload(f.file, f.file.name, f.relDir, (sent) => {
            progress.set(f, sent);
            paint();
          });
          progress.set(f, f.file.size);
          session.knownSizes.set(path.split(/[\\/]/).pop() ?? path, f.file.size);
          staging.done++;
          release(index, {
            source: { kind: 'file', path, ...(f.relDir ? { relDir: f.relDir } : {}) },
            ...rememberedTarget(extensionOf(f.file.name), 'file'),
          });
          // Rows appear while the rest is still being sent.
          if (pending.length >= 200 || Date.now() - lastFlush > 300) {
            lastFlush = Date.now();
            void flush();
          }
        } catch (err) {
          release(index, null);
          staging.failed++;
          uploaded.delete(signature(f));
          app.getState().notify('error', errorText(err).message);
        }
        paint(true);
      }
    };
    await Promise.all(Array.from({ length: Math.min(UPLOAD_PARALLEL, fresh.length) }, worker));
    await flush();
    await flushing;
    app.getState().setStaging(null);
    if (added) app.getState().notify('success', `Added ${added} file${added === 1 ? '' : 's'}`);
    return added;
  }

  return { uploadAndAdd };
}
