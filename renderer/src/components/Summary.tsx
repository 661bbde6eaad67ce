import { useConvoy, useThrottledQueueVersion } from '../context';
import { formatBytes } from '../lib/format';
import { overallProgress } from '../store/queueModel';

/** Overall progress and counts at the top. */
export function Summary() {
  const { queue } = useConvoy();
  useThrottledQueueVersion();
  const { counts, bytes } = queue.getState().model;
  const progress = overallProgress(queue.getState().model);
  if (!counts.total) return null;
  const finished = counts.done + counts.failed + counts.canceled;
  const moved = bytes.up + bytes.down;
  return (
    <div className="summary" aria-label="Overall progress">
      {/* Not a live region: it changes many times a second; batch ends are announced by notices. */}
      <div className="summary-counts">
        <span>
          <strong>{finished.toLocaleString()}</strong> of {counts.total.toLocaleString()} finished
        </span>
        <span className="count-queued">{counts.queued.toLocaleString()} queued</span>
        <span className="count-active">{counts.active.toLocaleString()} active</span>
        <span className="count-done">{counts.done.toLocaleString()} done</span>
        {counts.failed > 0 && <span className="count-failed">{counts.failed.toLocaleString()} failed</span>}
        {counts.canceled > 0 && <span className="count-canceled">{counts.canceled.toLocaleString()} canceled</span>}
        {counts.missingTarget > 0 && <span className="count-missing">{counts.missingTarget.toLocaleString()} without target</span>}
        {moved > 0 && <span className="muted">{formatBytes(moved)} transferred</span>}
      </div>
      <div
        className="bar overall"
        role="progressbar"
        aria-label="Overall progress"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.round(progress * 100)}
      >
        <div className="bar-fill" style={{ width: `${progress * 100}%` }} />
      </div>
    </div>
  );
}
