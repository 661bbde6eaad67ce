/** Other changes to items already queued: destination, merge into one, cancel, remove. */
import type { Destination } from '../../../preload/contract';
import type { Ctx } from './context';

export function createItems({ app, queue, call, flush, showAnswer, pending }: Ctx) {
  function setDestination(ids: string[], destination: Destination): Promise<boolean> {
    if (!ids.length) return Promise.resolve(false);
    return pending.track(
      call('queue.setDestination', { itemIds: ids, destination, withItems: true }).then((r) => {
        if (!r) return false;
        showAnswer(r.items);
        return true;
      }),
    );
  }

  /** One new row merging these rows' files / URLs in this order (one job, one result). */
  async function merge(ids: string[], target: string, name?: string): Promise<boolean> {
    const r = await call('queue.merge', { itemIds: ids, target, ...(name ? { name } : {}) });
    if (!r) return false;
    queue.getState().clearSelection();
    app.getState().notify('success', `${ids.length} items will be merged into one file; press Start to run it`);
    return true;
  }

  /** The canceled rows say so at once (the answer carries them), not with the next `items` event. */
  async function cancel(ids: string[]) {
    if (!ids.length) return null;
    const r = await call('queue.cancel', { itemIds: ids, withItems: true });
    if (r) showAnswer(r.items);
    return r;
  }

  /** Main removes every given item that exists: the rows go at once, not with the next `items` event. */
  async function remove(ids: string[]) {
    if (!ids.length) return null;
    const r = await call('queue.remove', { itemIds: ids });
    if (r) {
      flush();
      queue.getState().drop(ids);
    }
    return r;
  }

  return { setDestination, merge, cancel, remove };
}
