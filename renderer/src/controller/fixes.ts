/** Fixes offered on a row that replace its item: Edit URL, Replace file (target and options kept). */
import type { ItemView } from '../../../preload/contract';
import type { Ctx } from './context';

export function createFixes({ queue, call, session, flush }: Ctx, addText: (text: string) => Promise<number>, addFileList: (files: File[]) => Promise<void>) {
  /** Adds work like the old item had (target, options), then removes the old item if something was added. */
  async function replaceItem(old: ItemView, add: () => Promise<unknown>): Promise<void> {
    const before = queue.getState().model.counts.total;
    session.addOverride = { ...(old.target ? { target: old.target } : {}), ...(Object.keys(old.options).length ? { options: old.options } : {}) };
    try {
      await add();
    } finally {
      session.addOverride = null;
    }
    flush();
    if (queue.getState().model.counts.total > before) await call('queue.remove', { itemIds: [old.id] });
  }

  async function editUrl(itemId: string, url: string): Promise<boolean> {
    const old = queue.getState().model.byId.get(itemId);
    if (!old) return false;
    let added = 0;
    await replaceItem(old, async () => (added = await addText(url)));
    return added > 0;
  }

  async function replaceFile(itemId: string, files: File[]): Promise<void> {
    const old = queue.getState().model.byId.get(itemId);
    if (!old || !files.length) return;
    await replaceItem(old, () => addFileList(files.slice(0, 1)));
  }

  return { editUrl, replaceFile };
}
