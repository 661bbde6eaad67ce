/**
 * Electron's transport for the contract: one `ipcMain.handle` per method, each call's sender
 * frame checked against the app's own page, each argument validated by `dispatch`. Written against
 * small structural types so it is exercised in plain Node tests.
 */
import { eventChannel, eventNames, methodChannel, methodNames, type Handlers } from '../../preload/contract';
import type { EventBus } from '../events';
import { dispatch, errorShape, toContractError } from '../service';
import { isAppUrl } from './security';

export interface IpcMainLike {
  handle(channel: string, listener: (event: { senderFrame: { url: string } | null }, ...args: unknown[]) => unknown): void;
}
export interface WebContentsLike {
  send(channel: string, payload: unknown): void;
  isDestroyed(): boolean;
}

/** Registers every method; answers `{ ok, value }` or `{ ok: false, error }` (errors never carry stacks). */
export function registerIpc(ipc: IpcMainLike, handlers: Handlers, appUrl: () => string, log: (m: string) => void): void {
  for (const method of methodNames) {
    ipc.handle(methodChannel(method), async (event, arg) => {
      const frameUrl = event.senderFrame?.url ?? '';
      if (!isAppUrl(frameUrl, appUrl())) {
        log(`ipc: refused ${method} from ${frameUrl || 'an unknown frame'}`);
        return { ok: false, error: { code: 'unauthorized', message: 'Not allowed from this page' } };
      }
      try {
        return { ok: true, value: await dispatch(handlers, method, arg, log) };
      } catch (err) {
        return { ok: false, error: errorShape(toContractError(err, method, log)) };
      }
    });
  }
}

/** Forwards every contract event to the window while it lives. */
export function forwardEvents(events: EventBus, target: WebContentsLike): () => void {
  const offs = eventNames.map((name) =>
    events.on(name, (payload) => {
      if (!target.isDestroyed()) target.send(eventChannel(name), payload);
    }),
  );
  return () => offs.forEach((off) => off());
}
