import { memo, useRef } from 'react';
import type { ItemView } from '../../../preload/contract';
import { useApp, useConvoy, useQueueState } from '../context';
import { baseName, formatBytes, isImageTarget, rowProgress, statusLabel } from '../lib/format';
import { summarizeOptions } from '../lib/optionsForm';
import { categoryOf } from '../lib/targets';
import { TargetSelect } from './TargetSelect';
import { InlineIcon } from './CloudDialog';
import { Icon } from './Icon';

export const ROW_HEIGHT = 64;

function destinationText(item: ItemView, profileName: (id: string) => string | null): string {
  const d = item.destination;
  if (!d) return 'Default folder';
  if (d.kind === 'folder') return d.path ? baseName(d.path) : 'Default folder';
  if (d.kind === 'cloud') return 'Cloud (set on the command line)';
  return profileName(d.profileId) ?? 'Missing profile';
}

/** What the error's fix is, when the row offers one. */
function fixFor(item: ItemView): { label: string; kind: 'target' | 'settings' | 'retry' | 'destination' } | null {
  const e = item.error;
  if (!e) return null;
  switch (e.code) {
    case 'validation':
    case 'conversion':
      return { label: e.action ?? 'Choose another target', kind: 'target' };
    case 'auth':
    case 'payment':
      return { label: e.action ?? 'Open settings', kind: 'settings' };
    case 'output':
    case 'delivery':
      return { label: e.action ?? 'Change destination', kind: 'destination' };
    default:
      return { label: e.action ?? 'Retry', kind: 'retry' };
  }
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
  const selectRef = useRef<HTMLDivElement>(null);
  if (!item) return null;

  const status = statusLabel(item);
  const finished = item.state === 'done' || item.state === 'failed' || item.state === 'canceled';
  const editable = item.state === 'queued' || item.state === 'failed' || item.state === 'canceled';
  const localResult = item.state === 'done' && item.outputs.length > 0 && item.destination?.kind !== 'profile';
  const thumb = localResult && isImageTarget(item.target) ? connection.resultUrl?.(item.id, item.outputs[0]) : null;
  const fix = item.state === 'failed' ? fixFor(item) : null;
  const ext = (item.sourceExt ?? '').slice(0, 4).toUpperCase();
  const name = item.sourceKind === 'url' || item.sourceKind === 'cloud' ? item.label : baseName(item.label);

  const sizes =
    item.state === 'uploading' && item.bytesUpTotal
      ? `${formatBytes(item.bytesUp)} of ${formatBytes(item.bytesUpTotal)}`
      : (item.state === 'downloading' || item.state === 'delivering') && item.bytesDownTotal
        ? `${formatBytes(item.bytesDown)} of ${formatBytes(item.bytesDownTotal)}`
        : item.state === 'done' && item.bytesDownTotal
          ? formatBytes(item.bytesDownTotal)
          : '';

  const onRowClick = (e: React.MouseEvent) => {
    if ((e.target as HTMLElement).closest('button, select, input, a')) return;
    if (e.shiftKey) queue.getState().selectRange(id, visibleIds());
    else queue.getState().toggle(id, e.ctrlKey || e.metaKey);
  };

  const targetIds = () => {
    const sel = queue.getState().selection;
    return sel.has(id) && sel.size > 1 ? [...sel] : [id];
  };

  const runFix = () => {
    if (!fix) return;
    if (fix.kind === 'target') selectRef.current?.querySelector('select')?.focus();
    else if (fix.kind === 'settings') app.getState().openDialog({ kind: 'settings' });
    else if (fix.kind === 'destination') app.getState().openDialog({ kind: 'destination', itemIds: [id] });
    else void controller.retry([id]);
  };

  return (
    <div
      role="listitem"
      aria-label={name}
      aria-setsize={count}
      aria-posinset={index + 1}
      className={`row state-${item.state}${selected ? ' selected' : ''}`}
      data-id={id}
      style={{ transform: `translateY(${top}px)` }}
      onClick={onRowClick}
    >
      <input
        type="checkbox"
        className="row-check"
        aria-label={`Select ${name}`}
        checked={selected}
        onChange={() => queue.getState().toggle(id, true)}
      />
      <div className={`thumb cat-${categoryOf(item.sourceExt) ?? 'other'}`} aria-hidden="true">
        {thumb ? <img src={thumb} alt="" loading="lazy" decoding="async" width={40} height={40} /> : <span>{ext || (item.sourceKind === 'url' ? 'URL' : '?')}</span>}
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
        <div className="row-sub">
          {fix && item.error ? (
            <>
              <span className="row-error" role="note" title={item.error.message}>
                {item.error.message}
              </span>
              <button type="button" className="link-button fix" onClick={runFix}>
                {fix.label}
              </button>
            </>
          ) : (
            <>
              <span className="row-dest" title="Destination">
                → {destinationText(item, (pid) => profiles.find((p) => p.id === pid)?.name ?? null)}
              </span>
              {item.options && Object.keys(item.options).length > 0 && <span className="row-opts">{summarizeOptions(item.options)}</span>}
              {sizes && <span className="row-size">{sizes}</span>}
            </>
          )}
        </div>
      </div>
      <div className="row-target" ref={selectRef}>
        <TargetSelect
          label="Target format"
          value={item.target}
          targets={targets}
          sourceExt={item.sourceExt}
          disabled={!editable}
          onChange={(t) => void controller.setTarget(targetIds(), t)}
        />
        <button
          type="button"
          className="icon-button"
          aria-label="Options"
          title="Conversion options"
          disabled={!editable || !item.target}
          onClick={() => item.target && app.getState().openDialog({ kind: 'options', itemIds: targetIds(), target: item.target })}
        >
          <Icon name="gear" />
        </button>
      </div>
      <div className="row-status">
        <span className={`status status-${status.toLowerCase()}`} data-testid="row-status">
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
        {(item.state === 'failed' || item.state === 'canceled') && (
          <button type="button" className="icon-button" aria-label="Retry" title="Retry" onClick={() => void controller.retry([id])}>
            <Icon name="retry" />
          </button>
        )}
        {!finished && (
          <button type="button" className="icon-button" aria-label="Cancel" title="Cancel" onClick={() => void controller.cancel([id])}>
            <Icon name="stop" />
          </button>
        )}
        {editable && (
          <button
            type="button"
            className="icon-button"
            aria-label="Destination"
            title="Where the result goes"
            onClick={() => app.getState().openDialog({ kind: 'destination', itemIds: targetIds() })}
          >
            <Icon name="destination" />
          </button>
        )}
        <button type="button" className="icon-button" aria-label="Remove" title="Remove from the list" onClick={() => void controller.remove([id])}>
          <Icon name="remove" />
        </button>
      </div>
    </div>
  );
});
