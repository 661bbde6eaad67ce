/** Small display helpers. */
import type { ItemState, ItemView } from '../../../preload/contract';

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];

export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '';
  let v = n;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v < 10 ? v.toFixed(1) : Math.round(v)} ${UNITS[u]}`;
}

/**
 * How a result's size compares with its source's: "−72 %", "+40 %", or past double "×3.1" /
 * "×1,568" (a 5-byte text that became a 7.7 KB PDF is not "+156740 %"); '' when about equal.
 */
export function sizeChange(before: number, after: number): string {
  if (!(before > 0) || !(after >= 0)) return '';
  const ratio = after / before;
  if (ratio >= 2) return `×${ratio < 10 ? ratio.toFixed(1) : Math.round(ratio).toLocaleString()}`;
  const percent = Math.round((ratio - 1) * 100);
  return percent < 0 ? `−${-percent} %` : percent > 0 ? `+${percent} %` : '';
}

/** The status a row reads (the issue fixes these seven words). */
export type StatusLabel = 'Queued' | 'Uploading' | 'Converting' | 'Downloading' | 'Done' | 'Failed' | 'Canceled';

export function statusLabel(item: Pick<ItemView, 'state' | 'sourceKind'>): StatusLabel {
  const labels: Record<ItemState, StatusLabel> = {
    queued: 'Queued',
    // Creating the job precedes the upload of a local file; for URLs the provider fetches the source.
    creating: item.sourceKind === 'file' ? 'Uploading' : 'Converting',
    uploading: 'Uploading',
    converting: 'Converting',
    downloading: 'Downloading',
    // Delivering the result to its destination is the last transfer, like a download.
    delivering: 'Downloading',
    done: 'Done',
    failed: 'Failed',
    canceled: 'Canceled',
  };
  return labels[item.state];
}

export const ACTIVE_STATES: ReadonlySet<ItemState> = new Set(['creating', 'uploading', 'converting', 'downloading', 'delivering']);

/** 0..1 progress of a row, or null when unknown (indeterminate). */
export function rowProgress(item: ItemView): { phase: 'up' | 'down'; value: number | null } | null {
  if (item.state === 'uploading' || (item.state === 'creating' && item.sourceKind === 'file')) {
    return { phase: 'up', value: item.bytesUpTotal ? Math.min(1, item.bytesUp / item.bytesUpTotal) : null };
  }
  if (item.state === 'downloading' || item.state === 'delivering') {
    return { phase: 'down', value: item.bytesDownTotal ? Math.min(1, item.bytesDown / item.bytesDownTotal) : null };
  }
  if (item.state === 'converting' || item.state === 'creating') return { phase: 'up', value: null };
  return null;
}

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  return s % 60 ? `${m} min ${s % 60} s` : `${m} min`;
}

/** Base name of a local path or URL (either separator). */
export function baseName(p: string): string {
  return p.split(/[\\/]/).filter(Boolean).pop() ?? p;
}

/** A URL as a row shows it: the file name first, then the host. */
export function urlParts(url: string): { name: string; host: string } {
  try {
    const u = new URL(url);
    const name = decodeURIComponent(u.pathname.split('/').filter(Boolean).pop() ?? '') || u.host;
    return { name, host: u.host };
  } catch {
    return { name: url, host: '' };
  }
}

/** "1:05" / "1:02:05" for elapsed time and time left. */
export function formatClock(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}
