/** Reading main's state into the stores: app info, status, the whole queue, the provider's targets. */
import type { TargetInfo } from '../lib/targets';
import { errorText, isUnavailable } from './call';
import type { Ctx } from './context';

const LIST_PAGE = 5000;

export function createLoading({ api, app, queue, call, memory }: Ctx) {
  async function refreshInfo() {
    const info = await call('app.info', undefined, { quiet: true });
    if (info) app.getState().received({ info });
  }

  async function refreshStatus() {
    const [queueStatus, callbackStatus] = await Promise.all([
      call('queue.status', undefined, { quiet: true }),
      call('callbacks.status', undefined, { quiet: true }),
    ]);
    app.getState().received({ ...(queueStatus ? { queueStatus } : {}), ...(callbackStatus ? { callbackStatus } : {}) });
  }

  /** Settings, keychain state and profiles, read once at start (events keep them current). */
  async function loadSettings() {
    const [settings, secretsStatus, profiles] = await Promise.all([
      call('settings.get', undefined, { quiet: true }),
      call('secrets.status', undefined, { quiet: true }),
      call('destinations.list', undefined, { quiet: true }),
    ]);
    app.getState().received({ ...(settings ? { settings } : {}), ...(secretsStatus ? { secretsStatus } : {}), ...(profiles ? { profiles } : {}) });
  }

  /** Reads the whole queue in pages (live events keep it current afterwards). */
  async function loadQueue(): Promise<void> {
    try {
      const all = [];
      for (let offset = 0; ; offset += LIST_PAGE) {
        const page = await api.invoke('queue.list', { offset, limit: LIST_PAGE });
        all.push(...page.items);
        if (all.length >= page.total || page.items.length === 0) break;
      }
      queue.getState().replace(all);
    } catch (err) {
      const { code, message } = errorText(err);
      if (isUnavailable(code)) app.getState().markUnavailable('queue.list');
      queue.getState().setLoaded(false, message);
    }
  }

  function targetsCacheKey(): string {
    const info = app.getState().info;
    return `convoy.targets:${info?.provider ?? 'unknown'}:${info?.apiBaseUrl ?? ''}`;
  }

  /** The provider's targets: the cached list at once (if any), then main's answer. */
  async function loadTargets(refresh = false): Promise<void> {
    const key = targetsCacheKey();
    if (!app.getState().targets) {
      const cached = memory.readTargets(key);
      if (cached) app.getState().targetsLoaded(cached.targets, cached.at, false);
    }
    app.getState().targetsLoading();
    try {
      const targets = (await api.invoke('conversions.list', refresh ? { refresh: true } : undefined)) as TargetInfo[];
      const at = Date.now();
      app.getState().targetsLoaded(targets, at);
      memory.writeTargets(key, at, targets);
    } catch (err) {
      const { code, message } = errorText(err);
      if (isUnavailable(code)) app.getState().markUnavailable('conversions.list');
      app.getState().targetsFailed(message);
    }
  }

  return { refreshInfo, refreshStatus, loadSettings, loadQueue, loadTargets };
}

export type Loading = ReturnType<typeof createLoading>;
