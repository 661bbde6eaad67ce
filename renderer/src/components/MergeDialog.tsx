import { useMemo, useRef, useState } from 'react';
import { useApp, useConvoy } from '../context';
import { targetLabel } from '../lib/targets';
import { Modal } from './Modal';
import { FormActions } from './FormParts';

/** What a merge can make: the merge operation (one PDF) and the archive targets, when offered. */
function mergeTargets(targets: ReadonlyArray<{ target: string; category: string }> | null): Array<{ value: string; label: string }> {
  const out: Array<{ value: string; label: string }> = [];
  if (!targets || targets.some((t) => t.target === 'merge')) out.push({ value: 'merge', label: 'One PDF' });
  for (const t of targets ?? []) if (t.category === 'archive') out.push({ value: t.target, label: `${targetLabel(t)} archive` });
  return out;
}

/** Moves the entry at `from` to `to` (a new array). */
export function moveEntry<T>(list: readonly T[], from: number, to: number): T[] {
  const next = [...list];
  const [it] = next.splice(from, 1);
  next.splice(Math.max(0, Math.min(next.length, to)), 0, it);
  return next;
}

/**
 * "Merge into one…": the selected rows in the order they will be merged, changeable by drag and
 * drop, by Alt+↑ / Alt+↓ on a focused entry, or with its Move up / Move down buttons.
 */
export function MergeDialog({ itemIds }: { itemIds: string[] }) {
  const { controller, queue, app } = useConvoy();
  const targets = useApp((s) => s.targets);
  const close = () => app.getState().openDialog(null);
  const labels = useMemo(() => {
    const { byId } = queue.getState().model;
    return new Map(itemIds.map((id) => [id, byId.get(id)?.label ?? id]));
  }, [itemIds, queue]);
  // Starts in the order the rows are listed (not the order they were selected in).
  const [order, setOrder] = useState(() => {
    const { order: listed } = queue.getState().model;
    const chosen = new Set(itemIds);
    const inList = listed.filter((id) => chosen.has(id));
    return inList.length === itemIds.length ? inList : itemIds;
  });
  const [said, setSaid] = useState('');
  const [name, setName] = useState('merged');
  const choices = mergeTargets(targets);
  const [target, setTarget] = useState(choices[0]?.value ?? 'merge');
  const [busy, setBusy] = useState(false);
  const dragged = useRef<number | null>(null);
  const listRef = useRef<HTMLOListElement>(null);
  const nameOf = (id: string) => (labels.get(id) ?? id).split(/[\\/]/).pop()!;

  const move = (from: number, to: number, focus = true) => {
    if (to < 0 || to >= order.length || from === to) return;
    const next = moveEntry(order, from, to);
    setOrder(next);
    setSaid(`${nameOf(order[from])} moved to position ${to + 1} of ${order.length}`);
    if (focus) setTimeout(() => listRef.current?.querySelectorAll<HTMLElement>('li')[to]?.focus(), 0);
  };

  return (
    <Modal title="Merge into one file" onClose={close}>
      <p className="hint">They are merged in this order. Drag an entry, or focus it and press Alt+↑ / Alt+↓, to change it.</p>
      <ol className="merge-order" aria-label="Merge order" ref={listRef}>
        {order.map((id, i) => (
          <li
            key={id}
            tabIndex={0}
            draggable
            data-autofocus={i === 0 ? true : undefined}
            aria-label={`${i + 1}. ${nameOf(id)}`}
            onKeyDown={(e) => {
              if (!e.altKey || (e.key !== 'ArrowUp' && e.key !== 'ArrowDown')) return;
              e.preventDefault();
              move(i, e.key === 'ArrowUp' ? i - 1 : i + 1);
            }}
            onDragStart={(e) => {
              dragged.current = i;
              e.dataTransfer.effectAllowed = 'move';
              // Not text: the window's drop handler takes text and files as new inputs.
              e.dataTransfer.setData('application/x-convoy-merge-entry', id);
            }}
            onDragOver={(e) => {
              if (dragged.current === null) return;
              e.preventDefault();
              e.dataTransfer.dropEffect = 'move';
            }}
            onDrop={(e) => {
              e.preventDefault();
              e.stopPropagation();
              if (dragged.current !== null) move(dragged.current, i, false);
              dragged.current = null;
            }}
            onDragEnd={() => (dragged.current = null)}
          >
            <span className="merge-pos" aria-hidden="true">
              {i + 1}.
            </span>
            <span className="merge-name">{nameOf(id)}</span>
            <button type="button" className="link-button" aria-label={`Move ${nameOf(id)} up`} disabled={i === 0} onClick={() => move(i, i - 1)}>
              ↑
            </button>
            <button
              type="button"
              className="link-button"
              aria-label={`Move ${nameOf(id)} down`}
              disabled={i === order.length - 1}
              onClick={() => move(i, i + 1)}
            >
              ↓
            </button>
          </li>
        ))}
      </ol>
      <p className="sr-only" role="status" aria-live="polite">
        {said}
      </p>
      <div className="field">
        <label htmlFor="merge-target">Merge into</label>
        <select id="merge-target" value={target} onChange={(e) => setTarget(e.target.value)}>
          {choices.map((c) => (
            <option key={c.value} value={c.value}>
              {c.label}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="merge-name">File name</label>
        <input id="merge-name" type="text" value={name} maxLength={255} onChange={(e) => setName(e.target.value)} />
      </div>
      <FormActions
        primary={`Merge ${order.length} files`}
        primaryDisabled={busy || !name.trim()}
        onPrimary={async () => {
          setBusy(true);
          const ok = await controller.merge(order, target, name.trim());
          setBusy(false);
          if (ok) close();
        }}
        onCancel={close}
        sticky
      />
    </Modal>
  );
}
