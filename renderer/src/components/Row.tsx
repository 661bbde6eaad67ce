import { memo, useRef, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { ItemView } from '../../../preload/contract';
import { useApp, useConvoy, useQueueState } from '../context';
import { causeOf, fixesFor, type Fix } from '../lib/fixes';
import { baseName, formatBytes, sizeChange, rowProgress, statusLabel, urlParts } from '../lib/format';
import { summarizeOptions } from '../lib/optionsForm';
import { categoryOf, extensionOf, hasPreview } from '../lib/targets';
import { TargetSelect } from './TargetSelect';
import { InlineIcon } from './CloudDialog';
import { Icon } from './Icon';

export const ROW_HEIGHT = 44;
/** A row showing its whole error text and every fix. */
export const ROW_HEIGHT_EXPANDED = 112;

/** Where this item's result goes, as it really is (its folder was fixed when it was added). */
function destinationText(item: ItemView, outputFolder: string | null, profileName: (id: string) => string | null): string {
  const d = item.destination;
  if (d?.kind === 'profile') return profileName(d.profileId) ?? 'Missing profile';
  if (d?.kind === 'cloud') return 'Cloud (set on the command line)';
  const dir = item.outDir ?? d?.path ?? null;
  if (!dir || dir === outputFolder) return 'Output folder';
  return dir;
}

/** "1.2 MB → 340 KB (−72 %)" (or "5 B → 7.7 KB (×1,568)") once done; the source size before. */
function sizeText(item: ItemView, sourceBytes: number | null): string {
  if (item.state === 'uploading' && item.bytesUpTotal) return `${formatBytes(item.bytesUp)} of ${formatBytes(item.bytesUpTotal)}`;
  if ((item.state === 'downloading' || item.state === 'delivering') && item.bytesDownTotal) {
    return `${formatBytes(item.bytesDown)} of ${formatBytes(item.bytesDownTotal)}`;
  }
  if (item.state === 'done' && item.bytesDownTotal) {
    if (!sourceBytes) return formatBytes(item.bytesDownTotal);
    const change = sizeChange(sourceBytes, item.bytesDownTotal);
    return `${formatBytes(sourceBytes)} → ${formatBytes(item.bytesDownTotal)}${change && ` (${change})`}`;
  }
  return sourceBytes ? formatBytes(sourceBytes) : '';
}

function Progress({ item }: { item: ItemView }) {
  const p = rowProgress(item);
  if (!p) return null;
  const label = p.phase === 'up' ? (item.state === 'converting' ? 'Conversion progress' : 'Upload progress') : 'Download progress';
  const pct = p.value === null ? null : Math.round(p.value * 100);
  return (
    <div
      className={`bar ${p.phase}${pct === null ? ' indeterminate' : ''}`}
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={pct ?? undefined}
    >
      <div className="bar-fill" style={pct === null ? undefined : { width: `${pct}%` }} />
    </div>
  );
}

/** Changes when the file behind a thumbnail may have (a replaced source, a result written again), so the window loads it anew. */
function thumbVersion(item: ItemView, of: 'source' | 'result'): string {
  const basis = of === 'result' ? `${item.outputs[0] ?? ''}\0${item.updatedAt}` : item.label;
  let h = 0;
  for (let i = 0; i < basis.length; i++) h = (h * 31 + basis.charCodeAt(i)) | 0;
  return (h >>> 0).toString(36);
}

export const Row = memo(function Row({
  id,
  index,
  count,
  top,
  visibleIds,
}: {
  id: string;
  index: number;
  count: number;
  top: number;
  visibleIds: () => string[];
}) {
  const { controller, queue, app, connection } = useConvoy();
  const item = useQueueState((s) => s.model.byId.get(id));
  const selected = useQueueState((s) => s.selection.has(id));
  const targets = useApp((s) => s.targets);
  const profiles = useApp((s) => s.profiles);
  // One subscription for the row's app-level bits (10,000 rows scroll by: keep mounting cheap).
  const [storedNote, remembered, expanded, outputFolder] = useApp(
    useShallow((s) => [s.notes.get(id), s.remembered.get(id), s.expanded.has(id), s.outputFolder?.path ?? null] as const),
  );
  const selectRef = useRef<HTMLDivElement>(null);
  const replaceInput = useRef<HTMLInputElement>(null);
  // A thumbnail main could not make (not an image after all, unreadable): the type badge instead.
  const [brokenThumb, setBrokenThumb] = useState<string | null>(null);
  if (!item) return null;

  const needsTarget = item.state === 'queued' && !item.target;
  // Notes are about what is still to be sent; once the item runs, its progress and result speak.
  const note = item.state === 'queued' ? storedNote : undefined;
  const status = needsTarget ? 'Needs a target' : statusLabel(item);
  const finished = item.state === 'done' || item.state === 'failed' || item.state === 'canceled';
  const editable = item.state === 'queued' || item.state === 'failed' || item.state === 'canceled';
  const localResult = item.state === 'done' && item.outputs.length > 0 && item.destination?.kind !== 'profile';
  // The result once there is a local one to show; else the source when it is a local file to show.
  const thumbOf =
    localResult && hasPreview(extensionOf(item.outputs[0])) ? 'result' : item.sourceKind === 'file' && hasPreview(item.sourceExt) ? 'source' : null;
  const thumbSrc = thumbOf && connection.thumbUrl ? `${connection.thumbUrl(item.id, thumbOf)}?v=${thumbVersion(item, thumbOf)}` : null;
  const thumb = thumbSrc !== brokenThumb ? thumbSrc : null;
  const fixes = fixesFor(item);
  const ext = (item.sourceExt ?? '').slice(0, 4).toUpperCase();
  const url = item.sourceKind === 'url' ? urlParts(item.label) : null;
  const name = url ? url.name : item.sourceKind === 'cloud' ? item.label : baseName(item.label);
  const sizes = sizeText(item, controller.sourceSize(item));
  const canRetry = item.state === 'canceled' || fixes.some((f) => f.kind === 'retry');

  const onRowClick = (e: React.MouseEvent) => {
    if ((e.target as HTMLElement).closest('button, select, input, a')) return;
    if (e.shiftKey) queue.getState().selectRange(id, visibleIds(), { additive: e.ctrlKey || e.metaKey });
    else queue.getState().toggle(id, e.ctrlKey || e.metaKey);
  };

  const toggleExpanded = () => app.getState().toggleExpanded(id);

  const run = (fix: Fix['kind']) => {
    switch (fix) {
      case 'target':
        selectRef.current?.querySelector('select')?.focus();
        break;
      case 'options':
        if (item.target) app.getState().openDialog({ kind: 'options', itemIds: [id], target: item.target });
        break;
      case 'settings':
        app.getState().openDialog({ kind: 'settings' });
        break;
      case 'outputFolder':
        app.getState().openDialog({ kind: 'outputFolder' });
        break;
      case 'destination':
        app.getState().openDialog({ kind: 'destination', itemIds: [id] });
        break;
      case 'editUrl':
        app.getState().openDialog({ kind: 'editUrl', itemId: id });
        break;
      case 'replace':
        replaceInput.current?.click();
        break;
      case 'remove':
        void controller.remove([id]);
        break;
      case 'retry':
        void controller.retry([id]);
        break;
    }
  };

  const fixButtons = fixes
    .filter((f) => f.kind !== 'retry')
    .map((f) => (
      <button key={f.kind} type="button" className="link-button fix" onClick={() => run(f.kind)}>
        {f.label}
      </button>
    ));

  let sub: React.ReactNode;
  if (item.state === 'failed' && item.error) {
    sub = (
      <>
        <button
          type="button"
          className="link-button row-error"
          aria-expanded={expanded}
          title={expanded ? 'Hide the details' : 'Show the whole message'}
          onClick={toggleExpanded}
        >
          {causeOf(item)} {!expanded && <span className="row-error-text">{item.error.message}</span>}
        </button>
        {!expanded && fixButtons}
      </>
    );
  } else if (note) {
    sub = (
      <>
        <span className={note.kind === 'problem' ? 'row-problem' : 'row-note'} role="note" title={note.text}>
          {note.text}
        </span>
        {note.fix === 'options' && item.target && (
          <button type="button" className="link-button fix" onClick={() => run('options')}>
            Options
          </button>
        )}
        {note.fix === 'target' && (
          <button type="button" className="link-button fix" onClick={() => run('target')}>
            Choose another target
          </button>
        )}
      </>
    );
  } else {
    const out = item.state === 'done' && item.outputs[0];
    sub = (
      <>
        {url && <span className="row-host">{url.host}</span>}
        <span className="row-dest" title={out ? `Saved as ${out}` : `Result goes to ${item.outDir ?? 'the output folder'}`}>
          →{' '}
          <span className="row-path">
            <span dir="ltr">{out || destinationText(item, outputFolder, (pid) => profiles.find((p) => p.id === pid)?.name ?? null)}</span>
          </span>
        </span>
        {sizes && <span className="row-size">{sizes}</span>}
        {remembered ? (
          <span className="row-remembered" title="Chosen for you from your last choice for this type. Turn this off in Settings.">
            {remembered}
          </span>
        ) : (
          item.options && Object.keys(item.options).length > 0 && <span className="row-opts">{summarizeOptions(item.options)}</span>
        )}
      </>
    );
  }

  const draggableResult = connection.mode === 'electron' && item.state === 'done' && item.outputs.length > 0 && item.destination?.kind !== 'profile';
  return (
    <div
      role="listitem"
      aria-label={item.label}
      aria-setsize={count}
      aria-posinset={index + 1}
      className={`row state-${item.state}${selected ? ' selected' : ''}${expanded ? ' expanded' : ''}`}
      data-id={id}
      style={{ transform: `translateY(${top}px)` }}
      onClick={onRowClick}
      // Desktop: a finished local result can be dragged out to a folder or another app.
      draggable={draggableResult || undefined}
      onDragStart={
        draggableResult
          ? (e) => {
              e.preventDefault();
              void controller.startDrag(item.id);
            }
          : undefined
      }
    >
      <input
        type="checkbox"
        className="row-check"
        aria-label={`Select ${name}`}
        checked={selected}
        onChange={(e) =>
          // A checkbox adds to the selection; with Shift, every row from the last one ticked.
          (e.nativeEvent as MouseEvent).shiftKey ? queue.getState().selectRange(id, visibleIds(), { additive: true }) : queue.getState().toggle(id, true)
        }
      />
      <div className={`thumb cat-${categoryOf(item.sourceExt) ?? 'other'}`} aria-hidden="true">
        {thumb ? (
          <img src={thumb} alt="" loading="lazy" decoding="async" width={32} height={32} onError={() => setBrokenThumb(thumb)} />
        ) : (
          <span>{ext || (item.sourceKind === 'url' ? 'URL' : '?')}</span>
        )}
      </div>
      <div className="row-main">
        <div className="row-name" title={item.label}>
          {item.sourceKind === 'cloud' && (
            <span className="cloud-mark" title="From cloud storage">
              <InlineIcon name="cloud" />
            </span>
          )}
          {name}
        </div>
        <div className="row-sub">{sub}</div>
        {expanded && item.error && (
          <div className="row-details">
            <p className="row-error-full">{item.error.message}</p>
            <div className="row-fixes">{fixButtons}</div>
          </div>
        )}
      </div>
      <div className="row-target" ref={selectRef}>
        <TargetSelect
          label="Target format"
          value={item.target}
          targets={targets}
          sourceExt={item.sourceExt}
          disabled={!editable}
          placeholder="Choose…"
          lazy
          onChange={(t) => controller.setTarget([id], t)}
        />
        <button
          type="button"
          className="icon-button"
          aria-label="Options"
          title="Conversion options"
          disabled={!editable || !item.target}
          onClick={() => item.target && app.getState().openDialog({ kind: 'options', itemIds: [id], target: item.target })}
        >
          <Icon name="gear" />
        </button>
      </div>
      <div className="row-status">
        <span className={`status status-${needsTarget ? 'needs' : status.toLowerCase()}`} data-testid="row-status">
          {status}
        </span>
        {item.waiting && <span className="waiting">{item.waiting === 'offline' ? 'waiting for connection' : 'paused: rate limit'}</span>}
        <Progress item={item} />
      </div>
      <div className="row-actions">
        {localResult && (
          <>
            <button type="button" className="icon-button" aria-label="Open" title="Open the result" onClick={() => void controller.open(id)}>
              <Icon name="open" />
            </button>
            <button type="button" className="icon-button" aria-label="Show in folder" title="Show in folder" onClick={() => void controller.reveal(id)}>
              <Icon name="folder" />
            </button>
          </>
        )}
        {canRetry && (
          <button type="button" className="text-button" title="Try this item again" onClick={() => void controller.retry([id])}>
            Retry
          </button>
        )}
        {!finished && item.state !== 'queued' && (
          <button type="button" className="text-button" title="Stop converting this item" onClick={() => void controller.cancel([id])}>
            Cancel
          </button>
        )}
        {editable && (
          <button
            type="button"
            className="icon-button"
            aria-label="Destination"
            title="Where this result goes"
            onClick={() => app.getState().openDialog({ kind: 'destination', itemIds: [id] })}
          >
            <Icon name="destination" />
          </button>
        )}
        <button
          type="button"
          className="icon-button"
          aria-label="Remove from list"
          title="Remove from the list (the source file stays)"
          onClick={() => void controller.remove([id])}
        >
          <Icon name="remove" />
        </button>
      </div>
      {item.sourceKind === 'file' && item.state === 'failed' && (
        <input
          ref={replaceInput}
          type="file"
          hidden
          tabIndex={-1}
          aria-hidden="true"
          onChange={(e) => {
            const files = e.target.files ? Array.from(e.target.files) : [];
            e.target.value = '';
            void controller.replaceFile(id, files);
          }}
        />
      )}
    </div>
  );
});
