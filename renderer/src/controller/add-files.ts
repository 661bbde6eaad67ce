/** Adding files and folders: dropped, pasted, picked or opened with Convoy; lists among them become URLs. */
import type { AddItem } from '../../../preload/contract';
import { captureDataTransfer, collectFileList, resolveCaptured, type Collected, type CollectedFile } from '../lib/collect';
import { extensionOf } from '../lib/targets';
import type { UrlListFormat } from '../lib/urlList';
import type { AddItems } from './add-items';
import type { Ctx } from './context';

export function createAddFiles(
  { app, connection, call }: Ctx,
  { addItems, rememberedTarget }: AddItems,
  addText: (text: string, format?: UrlListFormat, source?: string, append?: boolean) => Promise<number>,
  uploadAndAdd: (files: CollectedFile[]) => Promise<number>,
) {
  /** Files: by host path when the shell gives one, else their bytes are sent to the host first. */
  async function addFiles(files: CollectedFile[]): Promise<number> {
    if (!files.length) return 0;
    const byPath = files.filter((f) => f.path);
    const toUpload = files.filter((f) => !f.path);
    let added = 0;
    if (byPath.length) {
      const seen = new Set<string>();
      const items: AddItem[] = [];
      for (const f of byPath) {
        if (seen.has(f.path!)) continue;
        seen.add(f.path!);
        items.push({
          source: { kind: 'file', path: f.path!, ...(f.relDir ? { relDir: f.relDir } : {}) },
          ...rememberedTarget(extensionOf(f.file.name), 'file'),
        });
      }
      const r = await addItems(items);
      added += r?.itemIds.length ?? 0;
    }
    if (toUpload.length) added += await uploadAndAdd(toUpload);
    return added;
  }

  async function addCollected(c: Collected): Promise<void> {
    if (c.skipped.length) {
      app.getState().notify(
        'info',
        `Left out ${c.skipped.length} hidden or unreadable file${c.skipped.length === 1 ? '' : 's'} (${c.skipped
          .slice(0, 3)
          .map((s) => s.name)
          .join(', ')}${c.skipped.length > 3 ? '…' : ''})`,
      );
    }
    // Several lists in one drop: their unreadable lines are listed together.
    for (const [i, t] of c.texts.entries()) await addText(t.text, t.format, t.source, i > 0);
    await addFiles(c.files);
    if (!c.texts.length && !c.files.length && !c.skipped.length) app.getState().notify('info', 'Nothing to add: drop files, folders or URLs');
  }

  /** Drop or paste: capture synchronously (the event empties its data afterwards), then add. */
  function addDataTransfer(dt: DataTransfer): Promise<void> {
    const captured = captureDataTransfer(dt, connection.pathForFile);
    return resolveCaptured(captured, connection.pathForFile).then(addCollected);
  }

  async function addFileList(list: FileList | File[]): Promise<void> {
    await addCollected(await collectFileList(list, connection.pathForFile));
  }

  /** Files and folders by host path (opened with Convoy, or picked natively). */
  async function addPaths(paths: string[]): Promise<number> {
    if (!paths.length) return 0;
    const items: AddItem[] = paths.map((path) => ({ source: { kind: 'file', path }, ...rememberedTarget(extensionOf(path), 'file') }));
    const r = await addItems(items);
    return r?.itemIds.length ?? 0;
  }

  /** Native picker (Electron); false when this shell has none (browser mode uses an input). */
  async function pickNative(folders: boolean): Promise<boolean> {
    if (connection.mode !== 'electron') return false;
    const r = await call('files.pick', folders ? { folders: true } : undefined);
    if (!r || r.unsupported) return false;
    await addPaths(r.paths);
    return true;
  }

  return { addFiles, addCollected, addDataTransfer, addFileList, addPaths, pickNative };
}
