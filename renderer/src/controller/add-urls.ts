/** Adding the URLs found in a pasted or dropped text (or a list file); unusable lines are listed. */
import type { AddItem } from '../../../preload/contract';
import { extensionOf } from '../lib/targets';
import { parseUrlList, type UrlListFormat } from '../lib/urlList';
import type { AddItems } from './add-items';
import type { Ctx } from './context';

export function createAddUrls({ app, queue }: Ctx, { addItems, rememberedTarget }: AddItems) {
  function existingUrls(): string[] {
    const out: string[] = [];
    for (const item of queue.getState().model.byId.values()) if (item.sourceKind === 'url') out.push(item.label);
    return out;
  }

  /** Answers how many were added. `append` keeps the lines already listed (several lists in one drop). */
  async function addText(text: string, format: UrlListFormat = 'text', source?: string, append = false): Promise<number> {
    const parsed = parseUrlList(text, { format, existing: existingUrls() });
    const prefix = source ? `${source}: ` : '';
    app.getState().showRejected(
      parsed.rejected.map((r) => ({ ...r, input: `${prefix}${r.input}` })),
      append,
    );
    const parts: string[] = [];
    if (parsed.duplicates) parts.push(`${parsed.duplicates} duplicate${parsed.duplicates === 1 ? '' : 's'} merged`);
    if (parsed.rejected.length) parts.push(`${parsed.rejected.length} line${parsed.rejected.length === 1 ? '' : 's'} skipped (see below)`);
    if (!parsed.urls.length) {
      app.getState().notify(parsed.rejected.length ? 'error' : 'info', `No new URLs found${parts.length ? `: ${parts.join(', ')}` : ''}`);
      return 0;
    }
    const items: AddItem[] = parsed.urls.map((url) => ({ source: { kind: 'url', url }, ...rememberedTarget(extensionOf(url), 'url') }));
    const result = await addItems(items);
    if (!result) return 0;
    const n = result.itemIds.length;
    app.getState().notify('success', `Added ${n} URL${n === 1 ? '' : 's'}${parts.length ? ` · ${parts.join(', ')}` : ''}`);
    return n;
  }

  return { addText };
}
