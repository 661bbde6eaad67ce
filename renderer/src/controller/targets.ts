/**
 * Targets and options of queued items. Options follow the target: given ones are used as they are
 * (the options form validated them); otherwise each item keeps only the options the new target
 * defines with a valid value, and the row says what was dropped. A change to a selection is said
 * out loud, with Undo.
 */
import type { ConversionOptions, ItemView } from '../../../preload/contract';
import { fitOptions, optionProblem, summarizeOptions } from '../lib/optionsForm';
import { sourceTypeKey } from '../lib/targets';
import type { Ctx } from './context';

interface Before {
  id: string;
  target: string | null;
  options: ConversionOptions;
}

export function createTargets({ app, queue, call, memory, flush, showAnswer, pending }: Ctx) {
  function setTarget(ids: string[], target: string, options?: ConversionOptions): Promise<boolean> {
    return pending.track(changeTarget(ids, target, options));
  }

  /** One `queue.setTarget`, its rows shown at once. */
  async function send(itemIds: string[], target: string | null, options: ConversionOptions | undefined): Promise<boolean> {
    const r = await call('queue.setTarget', { itemIds, target, ...(options ? { options } : {}), withItems: true });
    if (!r) return false;
    showAnswer(r.items);
    return true;
  }

  async function changeTarget(ids: string[], target: string, options?: ConversionOptions): Promise<boolean> {
    if (!ids.length) return false;
    flush();
    const { byId } = queue.getState().model;
    const schema = app.getState().targets?.find((t) => t.target === target)?.options ?? null;
    const remembered = app.getState().rememberChoices ? memory.options.get(target) : null;
    const groups = new Map<string, { options: ConversionOptions | undefined; ids: string[] }>();
    const dropped = new Map<string, string[]>();
    for (const id of ids) {
      let opts: ConversionOptions | undefined = options;
      if (!opts) {
        const item = byId.get(id);
        const base = remembered ?? item?.options ?? {};
        const fit = fitOptions(base, schema, target);
        if (fit.dropped.length && !remembered) dropped.set(id, fit.dropped);
        // Always sent: main keeps an item's old options when none are given.
        opts = fit.kept;
      }
      const key = opts ? JSON.stringify(opts) : '';
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { options: opts, ids: [] }));
      g.ids.push(id);
    }
    for (const g of groups.values()) {
      if (!(await send(g.ids, target, g.options))) return false;
    }
    app.getState().editNotes((m) => {
      for (const id of ids) {
        const d = dropped.get(id);
        const item = byId.get(id);
        if (d) {
          const why = optionProblem(d[0], item?.options[d[0]], schema?.[d[0]], target);
          m.set(id, { kind: 'info', text: `Options not used by ${target.toUpperCase()} were dropped: ${d.join(', ')}${why ? ` (${why})` : ''}` });
        } else m.delete(id);
      }
    });
    // Options that came from memory are said on the row; a target chosen here is no longer "remembered".
    if (app.getState().remembered.size || (remembered && !options)) {
      app.getState().editRemembered((next) => {
        for (const id of ids) {
          if (remembered && !options) next.set(id, `${summarizeOptions(remembered)} remembered for ${target.toUpperCase()}`);
          else next.delete(id);
        }
      });
    }
    if (app.getState().rememberChoices) {
      const kinds = new Set<string>();
      for (const id of ids) {
        const item = byId.get(id);
        if (item) kinds.add(sourceTypeKey(item.sourceExt, item.sourceKind));
      }
      for (const k of kinds) memory.targets.remember(k, target);
      if (options) memory.options.remember(target, options);
    }
    return true;
  }

  /** A change to a selection: said out loud, with Undo (back to each item's target and options). */
  async function setTargetForSelection(ids: string[], target: string): Promise<boolean> {
    const { byId } = queue.getState().model;
    const before = ids
      .map((id) => byId.get(id))
      .filter((i): i is ItemView => !!i)
      .map((i) => ({ id: i.id, target: i.target, options: i.options }));
    if (!(await setTarget(ids, target))) return false;
    const n = ids.length;
    app.getState().notify('success', `Applied to ${n.toLocaleString()} item${n === 1 ? '' : 's'} (${target.toUpperCase()})`, {
      label: 'Undo',
      run: () => void undoTargets(before),
    });
    return true;
  }

  async function undoTargets(before: Before[]) {
    const groups = new Map<string, { target: string | null; options: ConversionOptions; ids: string[] }>();
    for (const b of before) {
      const key = `${b.target}\n${JSON.stringify(b.options)}`;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { target: b.target, options: b.options, ids: [] }));
      g.ids.push(b.id);
    }
    await pending.track(
      (async () => {
        for (const g of groups.values()) await send(g.ids, g.target, g.options);
      })(),
    );
    app.getState().editNotes((m) => before.forEach((b) => m.delete(b.id)));
    app.getState().notify('info', `Undone: ${before.length.toLocaleString()} item${before.length === 1 ? '' : 's'} back as they were`);
  }

  return { setTarget, setTargetForSelection };
}
