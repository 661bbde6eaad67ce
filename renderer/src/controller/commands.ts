/** Commands from the desktop menu and its shortcuts. */
import type { AppCommand } from '../../../preload/contract';
import { isPaused } from '../store/appStore';
import type { Ctx } from './context';

export function createCommands(
  { app }: Ctx,
  pickNative: (folders: boolean) => Promise<boolean>,
  start: () => Promise<void>,
  pause: (paused: boolean) => Promise<void>,
) {
  async function runCommand(command: AppCommand): Promise<void> {
    switch (command) {
      case 'addFiles':
      case 'addFolder':
        await pickNative(command === 'addFolder');
        return;
      case 'addUrls':
        document.getElementById('url-box')?.focus();
        return;
      case 'start':
        await start();
        return;
      case 'pauseResume':
        await pause(!isPaused(app.getState()));
        return;
      case 'settings':
        app.getState().openDialog({ kind: 'settings' });
        return;
      case 'destinations':
        app.getState().openDialog({ kind: 'destinations' });
        return;
      default: {
        const unknown: never = command;
        void unknown;
      }
    }
  }
  return { runCommand };
}
