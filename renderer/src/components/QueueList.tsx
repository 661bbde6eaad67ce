import { useVirtualizer } from '@tanstack/react-virtual';
import { useCallback, useEffect, useRef } from 'react';
import { useApp, useConvoy, useQueueState, useVisibleIds } from '../context';
import { noteScroll } from '../lib/scrolling';
import { ROW_HEIGHT, ROW_HEIGHT_EXPANDED, Row } from './Row';

/** The queue: a virtualized list, so 10,000 rows cost as much as the thirty on screen. */
export function QueueList() {
  const { queue, visible, controller } = useConvoy();
  const ids = useVisibleIds();
  const loaded = useQueueState((s) => s.loaded);
  const loadError = useQueueState((s) => s.loadError);
  const total = useQueueState((s) => s.model.counts.total);
  const filter = useQueueState((s) => s.filter);
  const queueUnavailable = useApp((s) => s.unavailable.has('queue.list'));
  const expanded = useApp((s) => s.expanded);
  const scrollRef = useRef<HTMLDivElement>(null);
  // Heights are known, not measured: a row is taller only while it shows its whole error.
  const idsRef = useRef(ids);
  idsRef.current = ids;
  const estimateRow = useCallback((index: number) => (expanded.size && expanded.has(idsRef.current[index]) ? ROW_HEIGHT_EXPANDED : ROW_HEIGHT), [expanded]);
  // Stable callbacks: a new getItemKey makes the virtualizer re-measure all 10,000 rows per render.
  const getItemKey = useCallback((index: number) => ids[index], [ids]);
  const virtualizer = useVirtualizer({
    count: ids.length,
    getScrollElement: useCallback(() => scrollRef.current, []),
    estimateSize: estimateRow,
    overscan: 6,
    getItemKey,
  });
  useEffect(() => virtualizer.measure(), [expanded, virtualizer]);

  /**
   * Moves focus to the checkbox of the row `step` rows away (scrolled into view first: rows off
   * screen are not rendered); with `extend` (Shift), the selection becomes the rows from the anchor to it.
   */
  const focusRow = (from: string, step: number, extend: boolean) => {
    const next = ids[ids.indexOf(from) + step];
    if (!next) return;
    if (extend) queue.getState().selectRange(next, ids, { from });
    else queue.getState().setAnchor(next);
    virtualizer.scrollToIndex(ids.indexOf(next));
    const focus = () =>
      [...(scrollRef.current?.querySelectorAll<HTMLElement>('[role="listitem"]') ?? [])]
        .find((row) => row.dataset.id === next)
        ?.querySelector<HTMLElement>('.row-check')
        ?.focus();
    focus();
    requestAnimationFrame(focus);
  };

  // Keys of a desktop list: Ctrl/⌘+A, Escape, ↑/↓ between rows (Shift+↑/↓ selects as it goes), Delete removes the selection.
  const onKeyDown = (e: React.KeyboardEvent) => {
    const target = e.target as HTMLElement;
    if (target.matches('input[type=text], textarea, select')) return;
    const rowId = target.closest<HTMLElement>('[role="listitem"]')?.dataset.id;
    if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'a') {
      e.preventDefault();
      queue.getState().selectAll(visible());
    } else if (e.key === 'Escape') queue.getState().clearSelection();
    else if ((e.key === 'ArrowDown' || e.key === 'ArrowUp') && rowId && !e.altKey) {
      e.preventDefault();
      focusRow(rowId, e.key === 'ArrowDown' ? 1 : -1, e.shiftKey);
    } else if (e.key === 'Delete' || (e.key === 'Backspace' && e.metaKey)) {
      const selected = [...queue.getState().selection];
      if (!selected.length) return;
      e.preventDefault();
      void controller.remove(selected).then(() => queue.getState().clearSelection());
    }
  };

  if (!total) {
    return (
      <div className="queue-empty" role="status">
        {queueUnavailable || (!loaded && loadError) ? (
          <p>The queue is not available yet{loadError ? ` (${loadError})` : ''}. Added work will show up here once it is.</p>
        ) : loaded ? (
          <p>Nothing queued yet. Drop files, folders or URLs above, paste with Ctrl+V, or use Add files.</p>
        ) : (
          <p>Loading the queue…</p>
        )}
      </div>
    );
  }

  return (
    <div className="queue-scroll" ref={scrollRef} data-testid="queue-scroll" onKeyDown={onKeyDown} onScroll={noteScroll}>
      {ids.length === 0 && <p className="queue-empty-filter">No {filter} items.</p>}
      <div role="list" aria-label="Queue" className="queue-list" style={{ height: virtualizer.getTotalSize() }}>
        {virtualizer.getVirtualItems().map((v) => (
          <Row key={v.key as string} id={ids[v.index]} index={v.index} count={ids.length} top={v.start} visibleIds={visible} />
        ))}
      </div>
    </div>
  );
}
