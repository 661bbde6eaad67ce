/** Other changes to items already queued: destination, merge into one, cancel, remove. */
import type { Destination } from '../../../preload/contract';
import type { Ctx } from './context';

export function createItems({ app, queue, call }: Ctx) {
  async function setDestination(ids: string[], destination: Destination): Promise<boolean> {
    if (!ids.length) return false;
    return !!(await call('queue.setDestination', { itemIds: ids, destination }));
  }

  /** One new row merging these rows' files / URLs in this order (one job, one result). */
  async function merge(ids: string[], target: string, name?: string): Promise<boolean> {
    const r = await call('queue.merge', { itemIds: ids, target, ...(name ? { name } : {}) });
    if (!r) return false;
    queue.getState().clearSelection();
    app.getState().notify('success', `${ids.length} items will be merged into one file; press Start to run it`);
    return true;
  }

  const bulk = (method: 'queue.cancel' | 'queue.remove') => async (ids: string[]) => {
    if (!ids.length) return null;
    return call(method, { itemIds: ids });
  };

  return { setDestination, merge, cancel: bulk('queue.cancel'), remove: bulk('queue.remove') };
}
