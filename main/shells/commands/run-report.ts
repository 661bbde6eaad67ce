/**
 * What `convoy convert` and `convoy resume` share: waiting for batches to end while showing
 * progress (bars on a terminal, one line per finished item otherwise, nothing but the final JSON
 * with --json), the summary, and the exit code.
 */
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { ItemErrorCode, ItemView } from '../../../preload/contract';
import type { Core } from '../../core';
import { ExitCode, type CliIO } from '../cli-types';

export interface RunOptions {
  json: boolean;
  /**
   * Give up (exit `network`, items stay resumable) after this long without progress while the
   * connection has been lost; a gate that flips offline/online without anything moving does not
   * restart the clock. 0 = never.
   */
  offlineTimeoutMs: number;
}

export type StopReason = 'auth' | 'quota' | 'offline' | 'disk' | 'interrupted';

export interface RunOutcome {
  stopped: { reason: StopReason; message: string } | null;
  items: ItemView[];
  durationMs: number;
}

const TERMINAL = new Set(['done', 'failed', 'canceled']);

function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} kB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(2)} GB`;
}

function fmtSecs(ms: number): string {
  return ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** One line for a finished item. */
export function itemLine(v: ItemView): string {
  if (v.state === 'done') {
    if (v.error?.code === 'skipped') return `– ${v.label}: ${v.error.message}`;
    return `✓ ${v.label} → ${v.outputs.join(', ') || '(no local result)'}`;
  }
  if (v.state === 'failed') return `✗ ${v.label}: ${v.error?.message ?? 'failed'}${v.error?.action ? ` (${v.error.action})` : ''}`;
  return `∅ ${v.label}: canceled`;
}

/** All items of the batches, in order. */
export function batchItems(core: Core, batchIds: string[]): ItemView[] {
  const out: ItemView[] = [];
  for (const batchId of batchIds) {
    for (let offset = 0; ; offset += 5000) {
      const page = core.queue.list({ batchId, offset, limit: 5000 });
      out.push(...page.items);
      if (page.items.length < 5000) break;
    }
  }
  return out;
}

/**
 * Waits until every started item of `batchIds` ended, or the run must stop (key refused, quota,
 * offline too long, Ctrl-C). Work that did not end stays in the queue for `convoy resume`.
 */
export async function runToEnd(core: Core, batchIds: string[], io: CliIO, opts: RunOptions): Promise<RunOutcome> {
  const started = Date.now();
  const tty = Boolean(io.stdout.isTTY) && !opts.json;
  const views = new Map<string, ItemView>();
  const reported = new Set<string>();
  const batchSet = new Set(batchIds);
  for (const v of batchItems(core, batchIds)) {
    views.set(v.id, v);
    if (TERMINAL.has(v.state)) reported.add(v.id); // ended before this run: listed in the summary only
  }
  let statusLine = '';
  const write = (line: string) => {
    if (opts.json) return;
    if (tty && statusLine) io.stdout.write('\r\x1b[2K');
    io.stdout.write(`${line}\n`);
    if (tty && statusLine) io.stdout.write(statusLine);
  };
  // Progress = an item changed state or moved bytes; only progress restarts the offline clock.
  let offlineSince: number | null = null;
  const off = core.events.on('items', (e) => {
    for (const v of e.items) {
      if (!batchSet.has(v.batchId)) continue;
      const was = views.get(v.id);
      if (!was || was.state !== v.state || was.bytesUp !== v.bytesUp || was.bytesDown !== v.bytesDown) offlineSince = null;
      views.set(v.id, v);
      if (TERMINAL.has(v.state) && !reported.has(v.id)) {
        reported.add(v.id);
        write(itemLine(v));
      }
    }
  });
  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let lastConnection = 'online';
  let lastOfflineReason = '';
  let stopped: RunOutcome['stopped'] = null;
  try {
    for (;;) {
      if (core.queue.unfinishedCount(batchIds) === 0) break;
      const conn = core.queue.connection();
      if (interrupted) {
        stopped = { reason: 'interrupted', message: 'Interrupted; run "convoy resume" to continue' };
        break;
      }
      if (conn.halt?.kind === 'auth') {
        stopped = { reason: 'auth', message: conn.halt.reason };
        break;
      }
      if (conn.halt?.kind === 'quota') {
        stopped = { reason: 'quota', message: conn.halt.reason };
        break;
      }
      if (conn.halt?.kind === 'disk') {
        stopped = { reason: 'disk', message: conn.halt.reason };
        break;
      }
      if (conn.connection === 'offline') offlineSince ??= Date.now();
      if (offlineSince !== null && opts.offlineTimeoutMs > 0 && Date.now() - offlineSince > opts.offlineTimeoutMs) {
        stopped = {
          reason: 'offline',
          message: `No progress for more than ${fmtSecs(opts.offlineTimeoutMs)} while ${apiName(core)} was unreachable: ${conn.reason ?? lastOfflineReason}`,
        };
        break;
      }
      if (conn.connection === 'offline' && conn.reason) lastOfflineReason = conn.reason;
      if (conn.connection !== lastConnection) {
        lastConnection = conn.connection;
        if (!tty)
          write(conn.connection === 'online' ? 'Connection: back online' : `Connection: ${apiName(core)} ${conn.connection} — ${conn.reason ?? ''}; waiting`);
      }
      if (tty) {
        statusLine = progressLine([...views.values()], conn, Date.now() - started, io.stdout.columns ?? 100);
        io.stdout.write(`\r\x1b[2K${statusLine}`);
      }
      await delay(tty ? 200 : 100);
    }
  } finally {
    off();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (tty && statusLine) io.stdout.write('\r\x1b[2K');
    statusLine = '';
  }
  core.queue.flushEvents();
  const items = batchItems(core, batchIds);
  // Lines for items whose last event was coalesced away by the end of the run.
  for (const v of items) {
    if (TERMINAL.has(v.state) && !reported.has(v.id)) {
      reported.add(v.id);
      write(itemLine(v));
    }
  }
  return { stopped, items, durationMs: Date.now() - started };
}

/** The API a run talks to, for messages (never its key). */
export function apiName(core: Core): string {
  return core.provider.kind === 'local' ? 'the local engine' : core.provider.baseUrl;
}

/** The one-line status a terminal shows during a run, at most `columns - 1` characters. */
export function progressLine(items: ItemView[], conn: ReturnType<Core['queue']['connection']>, elapsed: number, columns: number): string {
  const total = items.length;
  let done = 0;
  let failed = 0;
  let active = 0;
  let up = 0;
  let down = 0;
  let current: ItemView | undefined;
  for (const v of items) {
    if (v.state === 'done') done++;
    else if (v.state === 'failed' || v.state === 'canceled') failed++;
    else if (v.state !== 'queued') {
      active++;
      current = v;
    }
    up += v.bytesUp;
    down += v.bytesDown;
  }
  const width = Math.max(10, Math.min(30, columns - 70));
  const filled = total ? Math.round(((done + failed) / total) * width) : 0;
  const bar = `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}]`;
  let line = `${bar} ${done + failed}/${total} · ✓ ${done} · ✗ ${failed} · ${active} active · ↑ ${fmtBytes(up)} ↓ ${fmtBytes(down)} · ${fmtSecs(elapsed)}`;
  if (conn.connection !== 'online') {
    const wait = conn.retryAt ? ` (next try in ${Math.max(0, Math.ceil((conn.retryAt - Date.now()) / 1000))} s)` : '';
    line += ` · ${conn.connection === 'offline' ? 'offline' : 'rate limited'}${wait}`;
  }
  // One item under way (a single long video, say): what it is doing, by name, last (cut first).
  if (active === 1 && current) line += ` · ${current.state} ${current.label}`;
  return line.length > columns - 1 ? line.slice(0, columns - 1) : line;
}

export interface Rejected {
  input: string;
  reason: string;
}

/** 0 only when every item succeeded; otherwise the most telling failure class. */
export function exitCodeFor(outcome: RunOutcome, rejected: Rejected[]): number {
  if (outcome.stopped) {
    switch (outcome.stopped.reason) {
      case 'auth':
        return ExitCode.auth;
      case 'quota':
        return ExitCode.quota;
      case 'offline':
        return ExitCode.network;
      case 'disk':
        // The results could not be written: the conversion did not complete (resumable once space is freed).
        return ExitCode.conversion;
      case 'interrupted':
        return ExitCode.interrupted;
    }
  }
  const failed = outcome.items.filter((v) => v.state === 'failed' || v.state === 'canceled');
  const unfinished = outcome.items.filter((v) => !TERMINAL.has(v.state));
  if (failed.length === 0 && rejected.length === 0 && unfinished.length === 0) return ExitCode.ok;
  // As the official CLI: the most severe class among the failures (a higher code is more specific).
  let code: number = ExitCode.failed;
  if (rejected.length) code = ExitCode.validation;
  for (const v of failed) code = Math.max(code, exitCodeForItemError(v.state === 'canceled' ? 'canceled' : v.error?.code));
  return code;
}

/** The exit code an item's failure stands for. */
export function exitCodeForItemError(code: ItemErrorCode | undefined): number {
  switch (code) {
    case 'auth':
      return ExitCode.auth;
    case 'payment':
      return ExitCode.quota;
    case 'validation':
    case 'not_found':
    case 'input':
      return ExitCode.validation;
    case 'conversion':
      return ExitCode.conversion;
    default:
      return ExitCode.failed;
  }
}

/** The human summary after a run. */
export function summaryText(outcome: RunOutcome, rejected: Rejected[], outDir: string | null): string {
  const items = outcome.items;
  const done = items.filter((v) => v.state === 'done' && v.error?.code !== 'skipped').length;
  const skipped = items.filter((v) => v.state === 'done' && v.error?.code === 'skipped').length;
  const failed = items.filter((v) => v.state === 'failed').length;
  const canceled = items.filter((v) => v.state === 'canceled').length;
  const unfinished = items.filter((v) => !TERMINAL.has(v.state)).length;
  const parts = [`${done} converted`];
  if (skipped) parts.push(`${skipped} skipped`);
  parts.push(`${failed + rejected.length} failed`);
  if (canceled) parts.push(`${canceled} canceled`);
  if (unfinished) parts.push(`${unfinished} unfinished`);
  const lines = [`Summary: ${parts.join(', ')} in ${fmtSecs(outcome.durationMs)}.`];
  const failures = [...rejected.map((r) => `  ✗ ${r.input}: ${r.reason}`), ...items.filter((v) => v.state === 'failed').map((v) => `  ${itemLine(v)}`)];
  if (failures.length) lines.push('Failed:', ...failures.slice(0, 50));
  if (failures.length > 50) lines.push(`  … and ${failures.length - 50} more ("convoy status" lists them)`);
  if (outDir && done) lines.push(`Results in ${path.resolve(outDir)}`);
  if (outcome.stopped) lines.push(`Stopped: ${outcome.stopped.message}`);
  if (unfinished) lines.push('Run "convoy resume" to continue the unfinished items.');
  return `${lines.join('\n')}\n`;
}

/** The --json document: everything the summary says, nothing secret. */
export function jsonReport(outcome: RunOutcome, rejected: Rejected[], batchIds: string[], exitCode: number): string {
  const items = outcome.items.map((v) => ({
    id: v.id,
    batchId: v.batchId,
    source: v.label,
    target: v.target,
    state: v.state,
    skipped: v.error?.code === 'skipped' || undefined,
    outputs: v.outputs,
    error: v.state === 'failed' ? v.error : null,
  }));
  const count = (s: string) => outcome.items.filter((v) => v.state === s).length;
  const doc = {
    ok: exitCode === ExitCode.ok,
    exitCode,
    batchIds,
    summary: {
      total: outcome.items.length + rejected.length,
      done: count('done'),
      failed: count('failed') + rejected.length,
      canceled: count('canceled'),
      unfinished: outcome.items.filter((v) => !TERMINAL.has(v.state)).length,
      rejected: rejected.length,
    },
    durationMs: outcome.durationMs,
    stopped: outcome.stopped,
    items,
    rejected,
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}
