import { useMemo } from 'react';
import { useApp, useConvoy, useQueueState, useThrottledQueueVersion, useVisibleIds } from '../context';
import { commonTargets, groupByCategory } from '../lib/targets';
import type { QueueFilter } from '../store/queueModel';
import { TargetSelect } from './TargetSelect';
import { Icon } from './Icon';

const FILTERS: Array<{ id: QueueFilter; label: string }> = [
  { id: 'all', label: 'All' },
  { id: 'queued', label: 'Queued' },
  { id: 'active', label: 'Active' },
  { id: 'failed', label: 'Failed' },
  { id: 'done', label: 'Done' },
];

/** Selection actions, filters and the Start button. */
export function Toolbar() {
  const { controller, queue, app } = useConvoy();
  const selection = useQueueState((s) => s.selection);
  // Counts are updated in place: re-read them whenever the queue changes.
  useThrottledQueueVersion();
  const counts = { ...queue.getState().model.counts };
  const filter = useQueueState((s) => s.filter);
  const targets = useApp((s) => s.targets);
  const targetsState = useApp((s) => s.targetsState);
  const targetsError = useApp((s) => s.targetsError);
  const visible = useVisibleIds();
  const selected = useMemo(() => [...selection], [selection]);
  const allVisibleSelected = useMemo(() => visible.length > 0 && visible.every((id) => selection.has(id)), [visible, selection]);
  const someSelected = selected.length > 0;

  // Only targets every selected source can take.
  const grouped = useMemo(() => {
    if (!targets || !someSelected) return [];
    const { byId } = queue.getState().model;
    const exts = new Set(selected.map((id) => byId.get(id)?.sourceExt ?? null));
    return groupByCategory(commonTargets(targets, exts));
  }, [targets, selected, someSelected, queue]);

  return (
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
          const i = FILTERS.findIndex((f) => f.id === filter);
          const next = FILTERS[(i + step + FILTERS.length) % FILTERS.length];
          queue.getState().setFilter(next.id);
          (e.currentTarget.querySelector(`[data-filter="${next.id}"]`) as HTMLElement | null)?.focus();
        }}
      >
        {FILTERS.map((f) => {
          const n = f.id === 'all' ? counts.total : f.id === 'done' ? counts.done + counts.canceled : counts[f.id];
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

      {someSelected ? (
        <div className="selection-actions" aria-label={`${selected.length} selected`}>
          <span className="selection-count">{selected.length.toLocaleString()} selected</span>
          <TargetSelect
            label="Target for selected"
            value={null}
            targets={targets}
            grouped={grouped}
            onChange={(t) => void controller.setTarget(selected, t)}
          />
          <button type="button" onClick={() => app.getState().openDialog({ kind: 'destination', itemIds: selected })}>
            Destination…
          </button>
          <button type="button" onClick={() => void controller.start(selected)}>
            Convert selected
          </button>
          <button type="button" onClick={() => void controller.retry(selected)}>
            Retry
          </button>
          <button type="button" onClick={() => void controller.cancel(selected)}>
            Cancel
          </button>
          <button type="button" onClick={() => void controller.remove(selected).then(() => queue.getState().clearSelection())}>
            Remove
          </button>
        </div>
      ) : (
        <div className="selection-hint">
          {targetsState === 'error' ? (
            <span className="muted">
              Targets unavailable: {targetsError}{' '}
              <button type="button" className="link-button" onClick={() => void controller.loadTargets(true)}>
                Try again
              </button>
            </span>
          ) : (
            <span className="muted">Select rows to set one target or destination for many.</span>
          )}
        </div>
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
        <button type="button" className="primary" onClick={() => void controller.start()} disabled={!counts.queued}>
          Start
        </button>
      </div>
    </div>
  );
}
