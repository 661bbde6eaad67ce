/**
 * Sending new items to main and showing their rows. The rows come from `queue.add`'s answer, at
 * once: no wait for the `items` event and no reload. That event still arrives (before or after);
 * the queue model merges by id and `updatedAt`, so it neither duplicates nor regresses a row.
 */
import type { AddItem, AddResult, ConversionOptions } from '../../../preload/contract';
import { summarizeOptions } from '../lib/optionsForm';
import { extensionOf, sourceTypeKey, targetsFor } from '../lib/targets';
import type { Ctx } from './context';

const ADD_CHUNK = 5000;

export function createAddItems({ app, call, memory, session, showAnswer }: Ctx) {
  /** The target a new item gets: the last one chosen for its type, if it still fits. */
  function rememberedTarget(sourceExt: string | null, kind: string): { target?: string; options?: ConversionOptions } {
    if (session.addOverride) return { ...session.addOverride };
    if (!app.getState().rememberChoices) return {};
    const target = memory.targets.get(sourceTypeKey(sourceExt, kind));
    if (!target) return {};
    const targets = app.getState().targets;
    if (targets && !targetsFor(targets, sourceExt).some((t) => t.target === target)) return {};
    const options = memory.options.get(target);
    return { target, ...(options ? { options } : {}) };
  }

  /** Sends items to main in chunks, all into one batch; each chunk's rows show as it is answered. */
  async function addItems(items: AddItem[], batchId?: string): Promise<AddResult | null> {
    const destination = app.getState().addDestination ?? undefined;
    let result = null as AddResult | null;
    for (let i = 0; i < items.length; i += ADD_CHUNK) {
      const chunk = items.slice(i, i + ADD_CHUNK);
      const into: string | undefined = batchId ?? result?.batchId;
      const r = await call('queue.add', {
        items: chunk,
        withItems: true,
        ...(destination ? { destination } : {}),
        ...(into ? { batchId: into } : {}),
      });
      if (!r) break;
      showAnswer(r.items);
      result = result
        ? { batchId: result.batchId, itemIds: result.itemIds.concat(r.itemIds), rejected: result.rejected.concat(r.rejected) }
        : { batchId: r.batchId, itemIds: r.itemIds, rejected: r.rejected };
    }
    if (result) {
      if (result.rejected.length) {
        app.getState().showRejected(
          result.rejected.map((r) => ({ input: r.input, reason: r.reason })),
          true,
        );
      }
      markRemembered(items, result);
    }
    return result;
  }

  /** Rows whose target was not chosen for them say where it came from ("remembered for .jpg"). */
  function markRemembered(items: AddItem[], result: AddResult) {
    if (session.addOverride) return;
    const rejected = new Set(result.rejected.map((r) => r.input));
    const accepted = items.filter((i) => !rejected.has(i.source.kind === 'file' ? i.source.path : i.source.kind === 'url' ? i.source.url : ''));
    // Main may expand a folder into many items: then the order no longer maps one to one.
    if (accepted.length !== result.itemIds.length) return;
    app.getState().editRemembered((next) => {
      accepted.forEach((item, i) => {
        if (!item.target) return;
        const ext = extensionOf(
          item.source.kind === 'url' ? item.source.url : item.source.kind === 'file' ? item.source.path : item.source.kind === 'cloud' ? item.source.file : '',
        );
        const opts = item.options && Object.keys(item.options).length ? `, ${summarizeOptions(item.options)}` : '';
        next.set(result.itemIds[i], `${item.target.toUpperCase()}${opts} remembered for ${ext ? `.${ext}` : 'this kind of source'}`);
      });
    });
  }

  return { addItems, rememberedTarget, rememberedOptions: (target: string) => memory.options.get(target) };
}

export type AddItems = ReturnType<typeof createAddItems>;
