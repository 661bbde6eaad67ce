/** Items as main's `items` events carry them, for the renderer tests. */
import type { ItemView } from '../../preload/contract';

/** An item as main shows it: a queued URL `<id>.jpg` unless `patch` says otherwise. */
export function itemView(id: string, patch: Partial<ItemView> = {}): ItemView {
  return {
    id,
    batchId: 'b1',
    label: `${id}.jpg`,
    sourceKind: 'url',
    sourceExt: 'jpg',
    target: null,
    options: {},
    destination: null,
    state: 'queued',
    waiting: null,
    bytesUp: 0,
    bytesUpTotal: null,
    bytesDown: 0,
    bytesDownTotal: null,
    error: null,
    outputs: [],
    updatedAt: 1,
    ...patch,
  };
}
