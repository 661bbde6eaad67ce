import { useEffect, useState, type ReactNode } from 'react';
import { useApp, useConvoy } from '../context';
import { formatDuration } from '../lib/format';
import { Icon } from './Icon';

function useNow(active: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [active]);
  return now;
}

/** A banner the user can close; it comes back when its cause (its key) changes. */
function Banner({ id, kind, role, children, testId }: { id: string; kind: 'warn' | 'error'; role: 'alert' | 'status'; children: ReactNode; testId?: string }) {
  const { app } = useConvoy();
  const dismissed = useApp((s) => s.dismissedBanners.has(id));
  if (dismissed) return null;
  return (
    <div className={`banner banner-${kind}`} role={role} data-testid={testId}>
      <span className="banner-text">{children}</span>
      <button
        type="button"
        className="icon-button"
        aria-label="Dismiss"
        title="Hide this message (it comes back if the situation changes)"
        onClick={() => app.getState().dismissBanner(id)}
      >
        <Icon name="close" />
      </button>
    </div>
  );
}

/** Offline, rate limited, lost link, secrets: only when something needs attention. */
export function Banners() {
  const qs = useApp((s) => s.queueStatus);
  const linkUp = useApp((s) => s.linkUp);
  const secrets = useApp((s) => s.secretsStatus);
  const now = useNow(!!qs?.retryAt);
  const retryIn = qs?.retryAt ? Math.max(0, qs.retryAt - now) : null;

  return (
    <div className="banners">
      {!linkUp && (
        <div className="banner banner-error" role="alert">
          <span className="banner-text">
            <strong>Lost the connection to Convoy.</strong> Reconnecting… The queue keeps running; nothing is lost.
          </span>
        </div>
      )}
      {qs?.connection === 'offline' && (
        <Banner id={`offline:${qs.reason ?? ''}`} kind="warn" role="alert" testId="offline-banner">
          <strong>Offline.</strong> {qs.waitingItems.toLocaleString()} item{qs.waitingItems === 1 ? '' : 's'} waiting; they will resume by themselves when the
          API is reachable again
          {retryIn !== null ? ` (next try in ${formatDuration(retryIn)})` : ''}.{qs.reason ? ` ${qs.reason}` : ''}
        </Banner>
      )}
      {qs?.connection === 'rate_limited' && (
        <Banner id={`rate:${qs.reason ?? ''}`} kind="warn" role="alert">
          <strong>Paused by the API's rate limit.</strong> {qs.waitingItems.toLocaleString()} item{qs.waitingItems === 1 ? '' : 's'} waiting
          {retryIn !== null ? `; resuming in ${formatDuration(retryIn)}` : '; resuming by itself'}.{qs.reason ? ` ${qs.reason}` : ''}
        </Banner>
      )}
      {qs?.halt === 'disk' && (
        <div className="banner banner-error" role="alert" data-testid="disk-full-banner">
          <strong>Disk full.</strong> {qs.reason} The queue continues by itself when space returns.
        </div>
      )}
      {secrets?.warning && (
        <Banner id={`secrets:${secrets.warning}`} kind="warn" role="status">
          <strong>Secrets are not saved to a keychain.</strong> {secrets.warning}
        </Banner>
      )}
    </div>
  );
}

/** Status at the bottom: provider and connection, how job updates arrive, how many run at once. */
export function Footer() {
  const qs = useApp((s) => s.queueStatus);
  const cb = useApp((s) => s.callbackStatus);
  const info = useApp((s) => s.info);
  const openDialog = useApp((s) => s.openDialog);
  const instant = cb?.mode === 'callback';
  const why = cb
    ? instant
      ? 'The API tells Convoy the moment a job changes (callbacks).'
      : `Convoy asks the API for news every few seconds, because the API cannot reach this computer (${cb.reason}). Set a public URL under Settings › Advanced for instant updates.`
    : '';
  return (
    <footer className="status-bar" role="status" aria-label="Connection">
      <span className={`pill ${qs?.connection === 'online' || !qs ? 'ok' : 'warn'}`}>
        {info ? (info.provider === 'local' ? 'Local engine' : 'api2convert') : 'Connecting…'}
        {qs ? ` · ${qs.connection === 'online' ? 'online' : qs.connection === 'offline' ? 'offline' : 'rate limited'}` : ''}
      </span>
      {cb && (
        <span className="pill" title={why} aria-describedby="status-why">
          Status updates: {instant ? 'instant' : 'every few seconds'}
          <span id="status-why" className="sr-only">
            {why}
          </span>
        </span>
      )}
      {qs && qs.credits !== null && (
        <span className={`pill ${qs.credits < 10 ? 'warn' : ''}`} data-testid="credits">
          {qs.credits.toLocaleString()} credits left
        </span>
      )}
      {qs && qs.credits === null && qs.creditsUnlimited && (
        <span className="pill" data-testid="credits">
          Credits: unlimited
        </span>
      )}
      {qs?.paused && (
        <span className="pill warn" data-testid="paused" title="No new file starts until Resume (or the next Start); the files under way finish.">
          Paused
        </span>
      )}
      {qs && (
        <span className="pill">
          up to {qs.concurrency} files at a time
          <button type="button" className="link-button" onClick={() => openDialog({ kind: 'settings' })}>
            change
          </button>
        </span>
      )}
    </footer>
  );
}
