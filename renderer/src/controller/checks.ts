/** Checks an item against the provider's `/v2/conversions` before it is sent. */
import type { ItemView } from '../../../preload/contract';
import { optionProblem } from '../lib/optionsForm';
import { targetsFor, type TargetInfo } from '../lib/targets';

export interface ItemProblem {
  text: string;
  /** What fixes it: another target, or other options. */
  fix: 'options' | 'target';
}

/** Why the API would refuse this item's request, or null (also null while the targets are unknown). */
export function problemOf(targets: TargetInfo[] | null, item: ItemView): ItemProblem | null {
  if (!targets || !item.target) return null;
  const t = targets.find((x) => x.target === item.target);
  if (!t) return { text: `${item.target.toUpperCase()} is not offered by this provider`, fix: 'target' };
  if (!targetsFor(targets, item.sourceExt).some((x) => x.target === item.target)) {
    return { text: `${item.sourceExt ? `.${item.sourceExt}` : 'This source'} cannot be converted to ${item.target.toUpperCase()}`, fix: 'target' };
  }
  for (const [k, v] of Object.entries(item.options ?? {})) {
    const p = optionProblem(k, v, t.options[k], item.target);
    if (p) return { text: p, fix: 'options' };
  }
  return null;
}
