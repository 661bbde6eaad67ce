/** Settings and secrets: each change goes to main, and main's answer is what the window shows. */
import type { Settings, SettingsPatch } from '../../../preload/contract';
import type { Ctx } from './context';

export function createSettings({ app, api, call, memory }: Ctx, loadTargets: (refresh?: boolean) => Promise<void>) {
  const received = (settings: Settings) => {
    app.getState().received({ settings });
    return settings;
  };

  async function updateSettings(patch: SettingsPatch) {
    const s = await call('settings.update', patch, { rethrow: true, quiet: true });
    if (s) app.getState().received({ settings: s });
    // New converter paths change what the local engine offers.
    if (s && ('ffmpegPath' in patch || 'sofficePath' in patch)) void loadTargets(true);
    return s;
  }

  /** Remembering targets and options per file type is this browser's setting. */
  function setRememberChoices(on: boolean) {
    app.getState().setRememberChoices(on);
    memory.setRememberChoices(on);
  }

  return {
    updateSettings,
    setRememberChoices,
    setApiKey: (apiKey: string) => api.invoke('settings.setApiKey', { apiKey }).then(received),
    clearApiKey: () => api.invoke('settings.clearApiKey').then(received),
    setTunnelToken: (token: string | null) => api.invoke('settings.setTunnelToken', { token }).then(received),
    setSigningSecret: (secret: string | null) => api.invoke('settings.setCallbackSigningSecret', { secret }).then(received),
    probeCallbacks: () =>
      api.invoke('callbacks.probe').then((callbackStatus) => {
        app.getState().received({ callbackStatus });
        return callbackStatus;
      }),
  };
}
