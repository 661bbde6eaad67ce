import { memo, useEffect, useState } from 'react';
import { isScrolling, onScrollSettled } from '../lib/scrolling';
import { menuGroups, targetLabel, targetsFor, type TargetInfo } from '../lib/targets';

type Grouped = ReturnType<typeof menuGroups>;
// Rows of the same source type share one grouped list (10,000 rows, a handful of types).
const cache = new WeakMap<readonly TargetInfo[], Map<string, Grouped>>();

export function groupedTargetsFor(targets: readonly TargetInfo[], sourceExt: string | null): Grouped {
  let perExt = cache.get(targets);
  if (!perExt) cache.set(targets, (perExt = new Map()));
  const key = sourceExt ?? '';
  let grouped = perExt.get(key);
  if (!grouped) perExt.set(key, (grouped = menuGroups(targetsFor(targets, sourceExt))));
  return grouped;
}

/** A native select (role combobox) of the targets that fit, grouped: Convert to … · Compress · Thumbnail · Resize · Metadata · Archive · Hash. */
export const TargetSelect = memo(function TargetSelect({
  label,
  value,
  targets,
  sourceExt,
  grouped,
  onChange,
  disabled,
  id,
  className,
  placeholder = 'Choose…',
  lazy = false,
}: {
  label: string;
  value: string | null;
  targets: readonly TargetInfo[] | null;
  sourceExt?: string | null;
  /** Precomputed groups (e.g. targets common to a selection). */
  grouped?: Grouped;
  /** A promise returned here (the change sent to main) keeps the choice shown until it settles. */
  onChange: (target: string) => unknown;
  disabled?: boolean;
  id?: string;
  className?: string;
  placeholder?: string;
  /** In a row: mounted mid-scroll, list only the current choice until scrolling settles. */
  lazy?: boolean;
}) {
  const [full, setFull] = useState(() => !lazy || !isScrolling());
  useEffect(() => {
    if (full) return;
    if (!isScrolling()) return setFull(true);
    return onScrollSettled(() => setFull(true));
  }, [full]);
  // The choice just made, shown until main has answered (then `value` says it, or it was refused).
  const [pending, setPending] = useState<string | null>(null);
  useEffect(() => setPending(null), [value]);
  const groups = !full ? [] : (grouped ?? (targets ? groupedTargetsFor(targets, sourceExt ?? null) : []));
  const known = groups.some((g) => g.targets.some((t) => t.target === value));
  return (
    <select
      id={id}
      className={className ?? 'target-select'}
      aria-label={label}
      value={pending ?? value ?? ''}
      disabled={disabled}
      onChange={(e) => {
        const chosen = e.target.value;
        if (!chosen) return;
        const sent = onChange(chosen);
        if (sent instanceof Promise) {
          setPending(chosen);
          const settle = () => setPending(null);
          sent.then(settle, settle);
        }
      }}
      onFocus={full ? undefined : () => setFull(true)}
      onPointerEnter={full ? undefined : () => setFull(true)}
    >
      <option value="" disabled>
        {targets ? placeholder : 'Loading…'}
      </option>
      {value && !known && <option value={value}>{((t) => (t ? targetLabel(t) : value.toUpperCase()))(targets?.find((t) => t.target === value))}</option>}
      {groups.map((g) => (
        <optgroup key={g.category} label={g.category}>
          {g.targets.map((t) => (
            <option key={t.target} value={t.target}>
              {targetLabel(t)}
            </option>
          ))}
        </optgroup>
      ))}
    </select>
  );
});
