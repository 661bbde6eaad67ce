import { useEffect, useState } from 'react';
import { useApp, useConvoy, useThrottledQueueVersion } from '../context';
import { formatClock } from '../lib/format';
import { isPaused, type RunState } from '../store/appStore';

function useTick(active: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [active]);
  return now;
}

export interface RunCounts {
  total: number;
  converted: number;
  failed: number;
  canceled: number;
  active: number;
  waiting: number;
}

/** Counts of one Start, from the queue model: the one source every number on screen comes from. */
export function countRun(run: RunState, byId: Map<string, { state: string }>): RunCounts {
  const c: RunCounts = { total: run.ids.length, converted: 0, failed: 0, canceled: 0, active: 0, waiting: 0 };
  for (const id of run.ids) {
    const s = byId.get(id)?.state;
    if (s === 'done') c.converted++;
    else if (s === 'failed') c.failed++;
    else if (s === 'canceled' || s === undefined) c.canceled++;
    else if (s === 'queued') c.waiting++;
    else c.active++;
  }
  return c;
}

/** A bar split by outcome: green converted, red failed, grey canceled; never all green with failures. */
function SplitBar({ c, label }: { c: RunCounts; label: string }) {
  const pct = (n: number) => (c.total ? (n / c.total) * 100 : 0);
  const finished = c.converted + c.failed + c.canceled;
  return (
    <div
      className="bar overall split"
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={Math.round(pct(finished))}
      aria-valuetext={`${finished} of ${c.total} finished: ${c.converted} converted, ${c.failed} failed, ${c.canceled} canceled`}
    >
      <div className="seg seg-done" style={{ width: `${pct(c.converted)}%` }} />
      <div className="seg seg-failed" style={{ width: `${pct(c.failed)}%` }} />
      <div className="seg seg-canceled" style={{ width: `${pct(c.canceled)}%` }} />
    </div>
  );
}

/** The result of the current or last Start: one summary, counted from one place. */
export function Summary() {
  const { queue, controller, app } = useConvoy();
  useThrottledQueueVersion();
  const run = useApp((s) => s.run);
  const paused = useApp(isPaused);
  const now = useTick(!!run && !run.endedAt);
  const { counts } = queue.getState().model;
  if (!counts.total) return null;

  // Before the first Start the chips say it all; the queue keeps the room.
  if (!run) return null;

  const c = countRun(run, queue.getState().model.byId);
  const finished = c.converted + c.failed + c.canceled;
  const elapsed = (run.endedAt ?? now) - run.startedAt;
  const perSec = elapsed > 2000 ? finished / (elapsed / 1000) : 0;
  const left = perSec > 0 ? (c.total - finished) / perSec : null;
  const ended = !!run.endedAt;
  const parts = (
    <>
      <span className="count-done">
        <strong>{c.converted.toLocaleString()}</strong> converted
      </span>
      <span className={c.failed ? 'count-failed' : 'muted'}>
        <strong>{c.failed.toLocaleString()}</strong> failed
      </span>
      <span className="muted">
        <strong>{c.canceled.toLocaleString()}</strong> canceled
      </span>
      <span className="muted">
        <strong>{run.skipped.toLocaleString()}</strong> skipped
      </span>
    </>
  );

  return (
    <div className={`summary run${ended ? ' ended' : ''}`} id="run-summary" tabIndex={-1} role="group" aria-label={ended ? 'Result' : 'Progress'}>
      <div className="summary-counts">
        <span className="summary-title">
          {ended ? (
            <strong>Finished</strong>
          ) : (
            <>
              <strong>{paused ? 'Paused' : 'Converting'}</strong> · {finished.toLocaleString()} of {c.total.toLocaleString()} finished
            </>
          )}
        </span>
        {parts}
        <span className="muted summary-time">
          {formatClock(elapsed)}
          {/* Paused, a rate and a time left would only mislead. */}
          {!ended && !paused && perSec > 0 && ` · ${perSec >= 1 ? `${perSec.toFixed(1)} files/s` : `${(perSec * 60).toFixed(1)} files/min`}`}
          {!ended && !paused && left !== null && ` · about ${formatClock(left * 1000)} left`}
        </span>
        {ended && (
          <span className="summary-actions">
            {c.failed > 0 && (
              <button type="button" onClick={() => void controller.retryFailed()}>
                Retry failed
              </button>
            )}
            {c.converted > 0 && (
              <button type="button" onClick={() => void controller.openOutputFolder()}>
                Open output folder
              </button>
            )}
            <button type="button" className="link-button" onClick={() => app.getState().clearRun()}>
              Hide result
            </button>
          </span>
        )}
      </div>
      {/* Announced once, when the Start ends (the counts above change many times a second). */}
      <span className="sr-only" role="status">
        {ended ? `Finished: ${c.converted} converted, ${c.failed} failed, ${c.canceled} canceled, ${run.skipped} skipped` : ''}
      </span>
      <SplitBar c={c} label={ended ? 'Result' : 'Overall progress'} />
    </div>
  );
}
