import { useEffect, useState } from 'react';
import { useApp } from '../context';
import { formatDuration } from '../lib/format';

function useNow(active: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [active]);
  return now;
}

/** Connection and mode: offline, rate limited, callbacks or polling, credits, lost link. */
export function Banners() {
  const qs = useApp((s) => s.queueStatus);
  const cb = useApp((s) => s.callbackStatus);
  const info = useApp((s) => s.info);
  const linkUp = useApp((s) => s.linkUp);
  const secrets = useApp((s) => s.secretsStatus);
  const openDialog = useApp((s) => s.openDialog);
  const now = useNow(!!qs?.retryAt);
  const retryIn = qs?.retryAt ? Math.max(0, qs.retryAt - now) : null;

  return (
    <div className="banners">
      {!linkUp && (
        <div className="banner banner-error" role="alert">
          <strong>Lost the connection to Convoy.</strong> Reconnecting… The queue keeps running; nothing is lost.
        </div>
      )}
      {qs?.connection === 'offline' && (
        <div className="banner banner-warn" role="alert" data-testid="offline-banner">
          <strong>Offline.</strong> {qs.waitingItems.toLocaleString()} item{qs.waitingItems === 1 ? '' : 's'} waiting; they will resume by
          themselves when the API is reachable again
          {retryIn !== null ? ` (next try in ${formatDuration(retryIn)})` : ''}.{qs.reason ? ` ${qs.reason}` : ''}
        </div>
      )}
      {qs?.connection === 'rate_limited' && (
        <div className="banner banner-warn" role="alert">
          <strong>Paused by the API's rate limit.</strong> {qs.waitingItems.toLocaleString()} item{qs.waitingItems === 1 ? '' : 's'} waiting
          {retryIn !== null ? `; resuming in ${formatDuration(retryIn)}` : '; resuming by itself'}.{qs.reason ? ` ${qs.reason}` : ''}
        </div>
      )}
      {qs?.halt === 'disk' && (
        <div className="banner banner-error" role="alert" data-testid="disk-full-banner">
          <strong>Disk full.</strong> {qs.reason} The queue continues by itself when space returns.
        </div>
      )}
      {secrets?.warning && (
        <div className="banner banner-warn" role="status">
          <strong>Secrets are not saved to a keychain.</strong> {secrets.warning}
        </div>
      )}
      <div className="status-line" role="status" aria-label="Connection">
        <span className={`pill ${qs?.connection === 'online' || !qs ? 'ok' : 'warn'}`}>
          {info ? (info.provider === 'local' ? 'Local engine' : 'api2convert') : 'Connecting…'}
          {qs ? ` · ${qs.connection === 'online' ? 'online' : qs.connection === 'offline' ? 'offline' : 'rate limited'}` : ''}
        </span>
        {cb && (
          <span className="pill" title={cb.reason}>
            {cb.mode === 'callback' ? `Callbacks${cb.publicUrl ? ` via ${new URL(cb.publicUrl).host}` : ''}` : 'Polling'}
            <span className="muted"> — {cb.reason}</span>
          </span>
        )}
        {info?.provider === 'api2convert' && qs && qs.credits !== null && (
          <span className={`pill ${qs.credits < 10 ? 'warn' : ''}`}>{qs.credits.toLocaleString()} credits left</span>
        )}
        {qs && (
          <span className="pill muted">
            {qs.concurrency} at a time
            <button type="button" className="link-button" onClick={() => openDialog({ kind: 'settings' })}>
              change
            </button>
          </span>
        )}
      </div>
    </div>
  );
}
