import type { LookupFunction } from 'node:net';
import type { CallbackStatus, Handlers, Settings } from '../../preload/contract';
import type { EventBus } from '../events';
import type { Logger } from '../log';
import type { StoredSettings } from '../settings/store';
import { HintThrottle, type HintWindows } from './hints';
import { callbackUrl, publicUrlProblem, runProbe, type ProbeResult } from './probe';
import { loadPathSecret, loadSigningSecret, loadTunnelToken, probeKey, type SecretReader } from './secrets';
import { writeCallbackState } from './state';
import { startCallbackServer, type CallbackServer, type CallbackServerLimits, type HintResult, type RejectReason } from './server';
import { ngrokTunnel, startTunnel, type Tunnel, type TunnelProvider } from './tunnel';

/** What the manager needs from the queue (main/queue provides it). */
export interface CallbackQueueHooks {
  /** Re-read this job now. */
  hintJob(jobId: string): HintResult;
  /** Whether the job is the queue's, without reading it (an unsigned status-only callback). */
  knowsJob?(jobId: string): HintResult;
  /** A signed job document: taken as the job's state; 'reread' when it disagrees with what the queue expects. */
  takeJob?(doc: unknown): HintResult | 'reread';
  setCallbackTarget(target: { url: string; notifyStatus: boolean } | null): void;
}

export interface CallbackManagerOptions {
  queue: CallbackQueueHooks;
  secrets: SecretReader;
  events: EventBus;
  settings: { get(): Pick<StoredSettings, 'callbackPublicUrl' | 'callbackPort' | 'liveStatus'> };
  log: Logger;
  /** Overrides the settings' public URL (CLI `--public-url`). */
  publicUrl?: string;
  /** Overrides the settings' port (CLI `--callback-port`); 0 = a free port. */
  port?: number;
  /** Overrides the keychain's 'callback-signing-secret'. */
  signingSecret?: string;

  // Tuning and test seams (all optional).
  host?: string;
  tunnel?: TunnelProvider;
  /** How long the probe may take end to end (default 5 s). */
  probeTimeoutMs?: number;
  /** Re-test interval while callbacks work (default 60 s). */
  recheckMs?: number;
  /** Re-test interval while a public URL is set but failing (default 30 s). */
  retryMs?: number;
  tunnelTimeoutMs?: number;
  /** Per-job re-read rate limits for callback hints (see hints.ts). */
  hintWindows?: Partial<HintWindows>;
  limits?: Partial<CallbackServerLimits>;
  lookup?: LookupFunction;
  /** Where to keep the last status for `convoy status` (see state.ts); omitted: not kept. */
  statePath?: string;
}

export interface CallbackStats {
  received: number;
  rejected: number;
  byReason: Partial<Record<RejectReason, number>>;
  probes: number;
  localPort: number | null;
}

export interface CallbackManager {
  /** Starts the server and runs the first self-test; resolves with the resulting status. */
  start(): Promise<CallbackStatus>;
  status(): CallbackStatus;
  /** Runs the self-test now (starting the server or tunnel first when needed). */
  probe(): Promise<CallbackStatus>;
  handlers(): Partial<Handlers>;
  /** The last probe in detail (failure class, duration). */
  lastProbe(): ProbeResult | null;
  stats(): CallbackStats;
  close(): Promise<void>;
}

const POLLING_SUFFIX = 'polling the API for job status';
/** Consecutive callbacks failing the signature check before Convoy warns about the secret (and re-tests). */
const SIGNATURE_STREAK_LIMIT = 3;

/**
 * Decides between callback mode and polling, keeps the queue told (`setCallbackTarget`), and keeps
 * the user told (`callbackStatus` events): a mode is only "callback" after a signed probe sent
 * through the public URL actually arrived at the local server, and it falls back to polling the
 * moment a re-test fails. Polling is always safe; callbacks only make it faster.
 */
export function createCallbackManager(opts: CallbackManagerOptions): CallbackManager {
  const log = opts.log;
  const probeTimeoutMs = opts.probeTimeoutMs ?? 5_000;
  const recheckMs = opts.recheckMs ?? 60_000;
  const retryMs = opts.retryMs ?? 30_000;
  const tunnelTimeoutMs = opts.tunnelTimeoutMs ?? 15_000;
  const tunnelProvider = opts.tunnel ?? ngrokTunnel;

  let pathSecret: string | null = null;
  let signingSecret: string | null = null;
  let server: CallbackServer | null = null;
  let serverPort: number | null = null;
  let serverError: string | null = null;
  let tunnel: Tunnel | null = null;
  let tunnelPort: number | null = null;
  let closed = false;
  let startPromise: Promise<CallbackStatus> | null = null;
  let timer: NodeJS.Timeout | null = null;
  let chain: Promise<unknown> = Promise.resolve();
  let lastProbe: ProbeResult | null = null;
  let probes = 0;
  let target: { url: string; notifyStatus: boolean } | null = null;
  let unsubscribe: (() => void) | null = null;
  let seen = settingsKey(opts.settings.get(), false);

  const counts = { received: 0, rejected: 0, byReason: {} as Partial<Record<RejectReason, number>> };
  let state: Pick<CallbackStatus, 'mode' | 'reason' | 'publicUrl'> = {
    mode: 'polling',
    reason: 'Callback server not started; polling the API for job status',
    publicUrl: null,
  };
  const pending = new Map<string, (how: 'ok' | 'tampered') => void>();

  const throttle = new HintThrottle(
    (id) => opts.queue.hintJob(id),
    opts.hintWindows,
    (id, err) => log.warn(`callback hint for job ${id} failed: ${err instanceof Error ? err.message : String(err)}`),
  );

  const status = (): CallbackStatus => ({
    ...state,
    lastProbe: lastProbe ? { ok: lastProbe.ok, at: lastProbe.at, reason: lastProbe.reason } : null,
    received: counts.received,
    rejected: counts.rejected,
  });

  // Counter changes are frequent: coalesce them into at most ~4 events a second.
  let countTimer: NodeJS.Timeout | null = null;
  const emitNow = () => {
    if (countTimer) clearTimeout(countTimer);
    countTimer = null;
    const current = status();
    opts.events.emit('callbackStatus', current);
    if (opts.statePath && !closed) writeCallbackState(opts.statePath, current, true);
  };
  const emitSoon = () => {
    if (countTimer || closed) return;
    countTimer = setTimeout(emitNow, 250);
    countTimer.unref?.();
  };

  const setState = (next: typeof state) => {
    const changed = next.mode !== state.mode || next.reason !== state.reason || next.publicUrl !== state.publicUrl;
    if (changed && next.mode !== state.mode) log.info(`callbacks: ${next.mode} mode — ${next.reason}`);
    state = next;
    emitNow();
  };

  const setTarget = (next: { url: string; notifyStatus: boolean } | null) => {
    if (next?.url === target?.url && next?.notifyStatus === target?.notifyStatus) return;
    target = next;
    try {
      opts.queue.setCallbackTarget(next);
    } catch (err) {
      log.error(`setCallbackTarget failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  };

  const polling = (reason: string, publicUrl: string | null) => {
    setTarget(null);
    setState({ mode: 'polling', reason, publicUrl });
  };

  /** Serializes reconfiguration and probes so two never interleave. */
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = chain.then(fn, fn);
    chain = run.catch(() => {});
    return run;
  };

  const schedule = (ms: number) => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (closed) return;
    timer = setTimeout(() => void serial(check).catch(() => {}), ms);
    timer.unref?.();
  };

  const desiredPort = () => opts.port ?? opts.settings.get().callbackPort ?? 0;

  /** One log line per reason per minute: enough to diagnose, too few to flood the log. */
  const lastLogged = new Map<RejectReason, number>();
  let signatureStreak = 0;
  const noteRejection = (reason: RejectReason) => {
    const now = Date.now();
    if (now - (lastLogged.get(reason) ?? 0) > 60_000) {
      lastLogged.set(reason, now);
      log.warn(`callback rejected: ${reason.replace(/_/g, ' ')} (${counts.byReason[reason]} so far)`);
    }
    if (reason !== 'signature_missing' && reason !== 'signature_invalid') return;
    signatureStreak++;
    // Anyone who finds the URL can send badly signed requests, so they never switch the mode by
    // themselves (that would let a stranger slow Convoy down and blame the user's secret). They are
    // counted and logged; the self-test, which an outsider cannot fake, decides the mode.
    if (signatureStreak === SIGNATURE_STREAK_LIMIT) {
      log.warn(
        `${signatureStreak} callbacks in a row failed the signature check: forged, or the signing secret differs from the one the API signs with; the mode stays as the self-test decided`,
      );
    }
  };

  const stopServer = async () => {
    const s = server;
    server = null;
    serverPort = null;
    if (s) await s.close();
  };

  const ensureServer = async (): Promise<boolean> => {
    const port = desiredPort();
    if (server && (port === 0 || port === serverPort)) return true;
    await stopServer();
    try {
      server = await startCallbackServer({
        host: opts.host,
        port,
        pathSecret: pathSecret!,
        probeKey: probeKey(pathSecret!),
        signingSecret: () => signingSecret,
        limits: opts.limits,
        log,
        onCallback: (jobId, claimsEnded, body) => {
          // A signed callback is the job's state (no read); an unsigned one only says when to read.
          if (body.signed && opts.queue.takeJob) {
            const taken = opts.queue.takeJob(body.doc);
            if (taken !== 'reread') return taken;
          } else if (!claimsEnded && opts.queue.knowsJob) {
            return opts.queue.knowsJob(jobId); // status only: shown by the next read, not worth one
          }
          return throttle.push(jobId, claimsEnded);
        },
        onProbe: (nonce, authentic) => {
          const resolve = pending.get(nonce);
          if (!resolve) return false;
          pending.delete(nonce);
          resolve(authentic ? 'ok' : 'tampered');
          return true;
        },
        onReceived: () => {
          counts.received++;
          signatureStreak = 0;
          emitSoon();
        },
        onRejected: (reason) => {
          counts.rejected++;
          counts.byReason[reason] = (counts.byReason[reason] ?? 0) + 1;
          noteRejection(reason);
          emitSoon();
        },
      });
      if (closed) {
        await server.close();
        server = null;
        return false;
      }
      serverPort = server.port;
      serverError = null;
      log.info(`callback server listening on ${server.host}:${server.port}`);
      return true;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      serverError =
        code === 'EADDRINUSE'
          ? `Callback port ${port} is already in use; choose another port (or 0 for a free one)`
          : code === 'EACCES'
            ? `Not allowed to listen on callback port ${port}; choose a port above 1024 (or 0)`
            : `Callback server could not start: ${err instanceof Error ? err.message : String(err)}`;
      log.warn(serverError);
      return false;
    }
  };

  /** Starts (or reuses) the built-in tunnel to the local server. */
  const resolveTunnelUrl = async (token: string): Promise<{ url: string | null; reason: string | null }> => {
    if (tunnel && tunnelPort === serverPort) return { url: tunnel.url.replace(/\/+$/, ''), reason: null };
    await closeTunnel();
    try {
      tunnel = await startTunnel(tunnelProvider, serverPort!, token, tunnelTimeoutMs);
      tunnelPort = serverPort;
      if (closed) {
        await closeTunnel();
        return { url: null, reason: 'closed' };
      }
      log.info(`${tunnelProvider.name} tunnel started at ${tunnel.url}`);
      return { url: tunnel.url.replace(/\/+$/, ''), reason: null };
    } catch (err) {
      const reason = `Built-in ${tunnelProvider.name} tunnel could not start: ${err instanceof Error ? err.message : String(err)}`;
      log.warn(reason);
      return { url: null, reason };
    }
  };

  const closeTunnel = async () => {
    const t = tunnel;
    tunnel = null;
    if (t) await t.close().catch(() => {});
  };

  /** One full check: server up, public URL resolved, probe through it, mode set, next check scheduled. */
  const check = async (): Promise<CallbackStatus> => {
    if (closed) return status();
    if (!pathSecret) pathSecret = await loadPathSecret(opts.secrets, (m) => log.warn(m));
    signingSecret = await loadSigningSecret(opts.secrets, opts.signingSecret);
    const pasted = opts.publicUrl ?? opts.settings.get().callbackPublicUrl;
    const token = pasted ? null : await loadTunnelToken(opts.secrets);
    if (pasted || !token) await closeTunnel();
    if (!pasted && !token) {
      // Nothing can reach a server: do not listen at all.
      await stopServer();
      lastProbe = null;
      polling(`No public URL set; ${POLLING_SUFFIX}`, null);
      return status();
    }
    if (!(await ensureServer())) {
      polling(`${serverError}; ${POLLING_SUFFIX}`, pasted ?? null);
      schedule(retryMs);
      return status();
    }
    const resolved = pasted
      ? { url: pasted.replace(/\/+$/, ''), reason: null, viaTunnel: false }
      : token
        ? { ...(await resolveTunnelUrl(token)), viaTunnel: true }
        : { url: null, reason: 'No public URL set', viaTunnel: false };
    if (!resolved.url) {
      if (resolved.viaTunnel) {
        lastProbe = { ok: false, code: 'tunnel', reason: resolved.reason, at: Date.now(), ms: 0 };
        polling(`${resolved.reason}; ${POLLING_SUFFIX}`, null);
        schedule(retryMs);
      } else {
        polling(`No public URL set; ${POLLING_SUFFIX}`, null);
      }
      return status();
    }
    const problem = publicUrlProblem(resolved.url);
    if (problem) {
      lastProbe = { ok: false, code: 'invalid_url', reason: problem, at: Date.now(), ms: 0 };
      polling(`${problem}; ${POLLING_SUFFIX}`, resolved.url);
      return status();
    }
    if (state.publicUrl !== resolved.url || lastProbe === null) {
      setState({ ...state, reason: `Testing ${resolved.url}…`, publicUrl: resolved.url });
    }
    probes++;
    const result = await runProbe({
      publicUrl: resolved.url,
      pathSecret: pathSecret!,
      key: probeKey(pathSecret!),
      localPort: serverPort!,
      timeoutMs: probeTimeoutMs,
      lookup: opts.lookup,
      expect: (nonce) => {
        let cancel = () => {};
        const arrived = new Promise<'ok' | 'tampered'>((resolve) => {
          pending.set(nonce, resolve);
          cancel = () => pending.delete(nonce);
        });
        return { arrived, cancel };
      },
    });
    if (closed) return status();
    lastProbe = result;
    if (result.ok) {
      signatureStreak = 0;
      setTarget({ url: callbackUrl(resolved.url, pathSecret!), notifyStatus: opts.settings.get().liveStatus });
      setState({ mode: 'callback', reason: `Callbacks arrive through ${resolved.url} (self-test passed)`, publicUrl: resolved.url });
      schedule(recheckMs);
    } else {
      log.warn(`callback self-test through ${resolved.url} failed: ${result.reason}`);
      // A built-in tunnel that does not carry the probe is restarted on the next attempt.
      if (resolved.viaTunnel) await closeTunnel();
      polling(`Self-test failed: ${result.reason}; ${POLLING_SUFFIX}`, resolved.url);
      schedule(retryMs);
    }
    return status();
  };

  const onSettings = (view: Settings) => {
    const key = settingsKey(view, view.hasTunnelToken);
    const before = seen;
    seen = key;
    if (closed || !startPromise) return;
    if (key.url !== before.url || key.port !== before.port || key.token !== before.token) {
      void serial(check).catch(() => {});
    } else if (key.live !== before.live && target) {
      setTarget({ url: target.url, notifyStatus: view.liveStatus });
    }
  };

  const manager: CallbackManager = {
    start() {
      if (!startPromise) {
        unsubscribe = opts.events.on('settings', onSettings);
        startPromise = serial(check).catch((err) => {
          log.error(`callbacks failed to start: ${err instanceof Error ? err.message : String(err)}`);
          polling(`Callbacks unavailable (${err instanceof Error ? err.message : String(err)}); ${POLLING_SUFFIX}`, null);
          return status();
        });
      }
      return startPromise;
    },
    status,
    async probe() {
      if (!startPromise) return manager.start();
      await startPromise;
      return serial(check);
    },
    handlers: () => ({
      'callbacks.status': async () => status(),
      'callbacks.probe': async () => manager.probe(),
    }),
    lastProbe: () => lastProbe,
    stats: () => ({
      received: counts.received,
      rejected: counts.rejected,
      byReason: { ...counts.byReason },
      probes,
      localPort: serverPort,
    }),
    async close() {
      if (closed) return;
      closed = true;
      unsubscribe?.();
      if (timer) clearTimeout(timer);
      if (countTimer) clearTimeout(countTimer);
      if (opts.statePath && startPromise) writeCallbackState(opts.statePath, status(), false);
      throttle.close();
      for (const resolve of pending.values()) resolve('ok');
      pending.clear();
      // An in-flight check notices `closed` and releases what it started; no need to wait for it.
      await closeTunnel();
      await stopServer();
    },
  };
  return manager;
}

function settingsKey(s: Pick<StoredSettings, 'callbackPublicUrl' | 'callbackPort' | 'liveStatus'>, token: boolean) {
  return { url: s.callbackPublicUrl, port: s.callbackPort, live: s.liveStatus, token };
}
