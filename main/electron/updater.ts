/**
 * "Check for Updates…": electron-updater against the `publish` feed in electron-builder's config.
 * Only an installed (packaged) app updates itself; in development the menu item says so. The
 * updater is loaded lazily, so start-up never pays for it.
 */
export interface UpdaterUi {
  /** Shows a message modal to the window; resolves with the index of the button chosen. */
  ask(opts: { type: 'info' | 'error'; message: string; detail?: string; buttons: string[] }): Promise<number>;
  log(message: string): void;
}

interface AutoUpdaterLike {
  autoDownload: boolean;
  autoInstallOnAppQuit: boolean;
  checkForUpdates(): Promise<{ updateInfo: { version: string } } | null>;
  downloadUpdate(): Promise<unknown>;
  quitAndInstall(): void;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
}

export interface Updater {
  /** `interactive`: the user asked (menu), so every outcome is shown; else only a ready update. */
  check(interactive: boolean): Promise<void>;
}

export function createUpdater(opts: { packaged: boolean; currentVersion: string; ui: UpdaterUi; load?: () => Promise<AutoUpdaterLike> }): Updater {
  const load = opts.load ?? (async () => (await import('electron-updater')).autoUpdater as unknown as AutoUpdaterLike);
  let updater: AutoUpdaterLike | null = null;
  let busy = false;

  async function get(): Promise<AutoUpdaterLike> {
    if (updater) return updater;
    const u = await load();
    u.autoDownload = false;
    u.autoInstallOnAppQuit = true;
    u.on('error', (err) => opts.ui.log(`updater: ${err instanceof Error ? err.message : String(err)}`));
    updater = u;
    return u;
  }

  return {
    async check(interactive) {
      if (!opts.packaged) {
        if (interactive) {
          await opts.ui.ask({
            type: 'info',
            message: 'Updates are installed by the packaged app',
            detail: `This is a development run of Convoy ${opts.currentVersion}; update it with git and npm.`,
            buttons: ['OK'],
          });
        }
        return;
      }
      if (busy) return;
      busy = true;
      try {
        const u = await get();
        const result = await u.checkForUpdates();
        const next = result?.updateInfo.version;
        if (!next || next === opts.currentVersion) {
          if (interactive) await opts.ui.ask({ type: 'info', message: 'Convoy is up to date', detail: `Version ${opts.currentVersion}`, buttons: ['OK'] });
          return;
        }
        const download = await opts.ui.ask({
          type: 'info',
          message: `Convoy ${next} is available`,
          detail: `You have ${opts.currentVersion}. Download it now? It is installed when you quit Convoy.`,
          buttons: ['Download', 'Later'],
        });
        if (download !== 0) return;
        await u.downloadUpdate();
        const restart = await opts.ui.ask({
          type: 'info',
          message: `Convoy ${next} is ready`,
          detail: 'Restart now to use it? Unfinished work continues after the restart.',
          buttons: ['Restart Now', 'Later'],
        });
        if (restart === 0) u.quitAndInstall();
      } catch (err) {
        opts.ui.log(`updater: check failed: ${err instanceof Error ? err.message : String(err)}`);
        if (interactive) {
          await opts.ui.ask({
            type: 'error',
            message: 'Could not check for updates',
            detail: err instanceof Error ? err.message : String(err),
            buttons: ['OK'],
          });
        }
      } finally {
        busy = false;
      }
    },
  };
}
