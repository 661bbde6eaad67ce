import { useMemo } from 'react';
import { useApp, useConvoy, useQueueState, useThrottledQueueVersion, useVisibleIds } from '../context';
import { MAX_MERGE_INPUTS } from '../../../preload/contract';
import { categoryOf, commonTargets, menuGroups, targetsFor } from '../lib/targets';
import { isPaused } from '../store/appStore';
import type { QueueFilter } from '../store/queueModel';
import { TargetSelect } from './TargetSelect';
import { Icon } from './Icon';

const FILTERS: Array<{ id: QueueFilter; label: string }> = [
  { id: 'all', label: 'All' },
  { id: 'queued', label: 'Queued' },
  { id: 'active', label: 'Active' },
  { id: 'failed', label: 'Failed' },
  { id: 'done', label: 'Done' },
  { id: 'canceled', label: 'Canceled' },
];

const PLURAL: Record<string, string> = {
  image: 'images',
  document: 'documents',
  audio: 'audio files',
  video: 'videos',
  ebook: 'e-books',
  archive: 'archives',
  other: 'other files',
};
const typeOf = (ext: string | null) => categoryOf(ext) ?? 'other';

/** Focus goes to the result of a Start, so a keyboard or screen reader user hears what happened. */
export function focusRunSummary() {
  setTimeout(() => document.getElementById('run-summary')?.focus(), 0);
}

/** The selection bar: every change to many items goes through here, and says so. */
function SelectionBar({ selected }: { selected: string[] }) {
  const { controller, queue, app } = useConvoy();
  const targets = useApp((s) => s.targets);
  const groups = useMemo(() => {
    const { byId } = queue.getState().model;
    const byType = new Map<string, { ids: string[]; exts: Set<string | null> }>();
    for (const id of selected) {
      const item = byId.get(id);
      if (!item) continue;
      const t = typeOf(item.sourceExt);
      let g = byType.get(t);
      if (!g) byType.set(t, (g = { ids: [], exts: new Set() }));
      g.ids.push(id);
      g.exts.add(item.sourceExt);
    }
    return [...byType.entries()].map(([type, g]) => ({ type, ...g }));
  }, [selected, queue]);
  // Only targets every selected source can take.
  const common = useMemo(() => {
    if (!targets) return [];
    const exts = new Set<string | null>();
    for (const g of groups) for (const e of g.exts) exts.add(e);
    return menuGroups(commonTargets(targets, exts));
  }, [targets, groups]);
  const mixed = groups.length > 1;
  const firstTarget = queue.getState().model.byId.get(selected[0])?.target ?? null;

  return (
    <div className="selection-bar" role="toolbar" aria-label={`${selected.length} selected`}>
      <span className="selection-count">{selected.length.toLocaleString()} selected</span>
      {common.length > 0 ? (
        <TargetSelect
          label="Target for selected"
          value={null}
          targets={targets}
          grouped={common}
          placeholder={mixed ? 'Same target for all…' : 'Target…'}
          onChange={(t) => void controller.setTargetForSelection(selected, t)}
        />
      ) : (
        mixed && <span className="muted">No format fits all of them; choose per type:</span>
      )}
      {mixed &&
        targets &&
        groups.slice(0, 4).map((g) => (
          <span key={g.type} className="type-target">
            <span>
              {g.ids.length.toLocaleString()} {g.ids.length === 1 ? g.type : (PLURAL[g.type] ?? g.type)} →
            </span>
            <TargetSelect
              label={`Target for the ${g.ids.length} selected ${PLURAL[g.type] ?? g.type}`}
              value={null}
              targets={targets}
              grouped={menuGroups(commonTargets(targets, g.exts))}
              placeholder="Target…"
              onChange={(t) => void controller.setTargetForSelection(g.ids, t)}
            />
          </span>
        ))}
      {!mixed && firstTarget && targets && targetsFor(targets, null).some((t) => t.target === firstTarget) && (
        <button type="button" onClick={() => app.getState().openDialog({ kind: 'options', itemIds: selected, target: firstTarget })}>
          Options…
        </button>
      )}
      <button type="button" onClick={() => app.getState().openDialog({ kind: 'destination', itemIds: selected })}>
        Destination…
      </button>
      {selected.length >= 2 && selected.length <= MAX_MERGE_INPUTS && (
        <button
          type="button"
          onClick={() => app.getState().openDialog({ kind: 'merge', itemIds: selected })}
          title="Merge the selected files into one file (e.g. images into one PDF)"
        >
          Merge into one…
        </button>
      )}
      <button type="button" onClick={() => void controller.cancel(selected)} title="Stop the selected items that are converting or waiting">
        Cancel items
      </button>
      <button
        type="button"
        onClick={() => void controller.remove(selected).then(() => queue.getState().clearSelection())}
        title="Remove the selected items from the list"
      >
        Remove
      </button>
      <button type="button" className="link-button" onClick={() => queue.getState().clearSelection()}>
        Clear selection
      </button>
    </div>
  );
}

/** Filters, select by type, and the one Start button (the selection, or everything queued). */
export function Toolbar() {
  const { controller, queue } = useConvoy();
  const selection = useQueueState((s) => s.selection);
  // Counts are updated in place: re-read them whenever the queue changes.
  useThrottledQueueVersion();
  const counts = { ...queue.getState().model.counts };
  const filter = useQueueState((s) => s.filter);
  const targetsState = useApp((s) => s.targetsState);
  const paused = useApp(isPaused);
  // For the whole of a run, not only while a file is active: the button must not come and go between files.
  const running = useApp((s) => !!s.run && !s.run.endedAt);
  const targetsError = useApp((s) => s.targetsError);
  const visible = useVisibleIds();
  const selected = useMemo(() => [...selection], [selection]);
  const allVisibleSelected = useMemo(() => visible.length > 0 && visible.every((id) => selection.has(id)), [visible, selection]);
  const someSelected = selected.length > 0;
  const selectedQueued = useMemo(() => {
    const { byId } = queue.getState().model;
    return selected.filter((id) => byId.get(id)?.state === 'queued').length;
    // Recomputed with the throttled counts too (states change under a selection).
  }, [selected, queue, counts.queued]);

  const types = useMemo(() => {
    const n = new Map<string, number>();
    for (const id of visible) {
      const t = typeOf(queue.getState().model.byId.get(id)?.sourceExt ?? null);
      n.set(t, (n.get(t) ?? 0) + 1);
    }
    return [...n.entries()].sort((a, b) => b[1] - a[1]);
  }, [visible, queue]);

  const selectBy = (v: string) => {
    const { byId } = queue.getState().model;
    const ids =
      v === 'needs'
        ? visible.filter((id) => byId.get(id)?.state === 'queued' && !byId.get(id)?.target)
        : visible.filter((id) => typeOf(byId.get(id)?.sourceExt ?? null) === v);
    queue.getState().selectAll(ids);
  };

  const startWhat = someSelected
    ? `Starts the ${selectedQueued.toLocaleString()} queued item${selectedQueued === 1 ? '' : 's'} of the selection`
    : `Starts all ${counts.queued.toLocaleString()} queued item${counts.queued === 1 ? '' : 's'}`;

  return (
    <>
      <div className="toolbar" role="toolbar" aria-label="Queue actions">
        <input
          type="checkbox"
          aria-label="Select all"
          checked={allVisibleSelected}
          ref={(el) => {
            if (el) el.indeterminate = someSelected && !allVisibleSelected;
          }}
          // Like mail clients: with some rows selected, the box clears the selection.
          onChange={() => (someSelected ? queue.getState().clearSelection() : queue.getState().selectAll(visible))}
          disabled={!visible.length}
        />
        <div
          className="filters"
          role="radiogroup"
          aria-label="Show"
          onKeyDown={(e) => {
            // Radio group keys: arrows move the choice (and focus) along the filters.
            const step = e.key === 'ArrowRight' || e.key === 'ArrowDown' ? 1 : e.key === 'ArrowLeft' || e.key === 'ArrowUp' ? -1 : 0;
            if (!step) return;
            e.preventDefault();
            const shown = FILTERS.filter((f) => f.id !== 'canceled' || counts.canceled > 0 || filter === 'canceled');
            const i = shown.findIndex((f) => f.id === filter);
            const next = shown[(i + step + shown.length) % shown.length];
            queue.getState().setFilter(next.id);
            (e.currentTarget.querySelector(`[data-filter="${next.id}"]`) as HTMLElement | null)?.focus();
          }}
        >
          {FILTERS.map((f) => {
            if (f.id === 'canceled' && !counts.canceled && filter !== 'canceled') return null;
            const n = f.id === 'all' ? counts.total : counts[f.id];
            return (
              <button
                key={f.id}
                type="button"
                role="radio"
                aria-checked={filter === f.id}
                data-filter={f.id}
                tabIndex={filter === f.id ? 0 : -1}
                className={`chip${filter === f.id ? ' active' : ''}`}
                onClick={() => queue.getState().setFilter(f.id)}
              >
                {f.label} <span className="chip-count">{n.toLocaleString()}</span>
              </button>
            );
          })}
        </div>
        {types.length > 0 && (
          <select aria-label="Select by type" className="select-by" value="" onChange={(e) => e.target.value && selectBy(e.target.value)}>
            <option value="">Select…</option>
            {counts.missingTarget > 0 && <option value="needs">Needing a target ({counts.missingTarget.toLocaleString()})</option>}
            {types.map(([t, n]) => (
              <option key={t} value={t}>
                All {PLURAL[t] ?? t} ({n.toLocaleString()})
              </option>
            ))}
          </select>
        )}
        {targetsState === 'error' && (
          <span className="muted targets-error">
            Targets unavailable: {targetsError}{' '}
            <button type="button" className="link-button" onClick={() => void controller.loadTargets(true)}>
              Try again
            </button>
          </span>
        )}
        <div className="toolbar-end">
          <button
            type="button"
            className="icon-button"
            aria-label="Refresh targets"
            title="Refresh the list of target formats"
            onClick={() => void controller.loadTargets(true)}
            disabled={targetsState === 'loading'}
          >
            <Icon name="refresh" />
          </button>
          {(paused || running || counts.active > 0) && (
            <button
              type="button"
              title={paused ? 'Go on with the files that wait' : 'Start no more files; those converting now finish'}
              onClick={() => void controller.pause(!paused)}
            >
              {paused ? 'Resume' : 'Pause'}
            </button>
          )}
          <span id="start-what" className="sr-only">
            {startWhat}
          </span>
          <button
            type="button"
            className="primary"
            aria-describedby="start-what"
            title={startWhat}
            onClick={async () => {
              await controller.start(someSelected ? selected : undefined);
              focusRunSummary();
            }}
            disabled={someSelected ? !selectedQueued : !counts.queued}
          >
            Start
          </button>
        </div>
      </div>
      {someSelected && <SelectionBar selected={selected} />}
    </>
  );
}
