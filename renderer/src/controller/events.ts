/** Event intake: main's live events into the stores (`items` through the per-frame buffer). */
import type { Events } from '../../../preload/contract';
import type { Ctx } from './context';

export interface EventReactions {
  /** `items` events, buffered and applied once per frame. */
  items(e: Events['items']): void;
  outputDirChanged(): void;
  providerChanged(): void;
  batchDone(): void;
  command(command: Events['appCommand']['command']): void;
  filesOpened(paths: string[]): void;
  /** The event stream came back after a drop: events were missed. */
  reconnected(): void;
}

export function subscribeEvents({ api, app, connection }: Ctx, on: EventReactions): () => void {
  const offs = [
    api.on('items', (e) => on.items(e)),
    api.on('queueStatus', (queueStatus) => app.getState().received({ queueStatus })),
    api.on('callbackStatus', (callbackStatus) => app.getState().received({ callbackStatus })),
    api.on('settings', (settings) => {
      const before = app.getState().settings;
      app.getState().received({ settings });
      if (before?.outputDir !== settings.outputDir) on.outputDirChanged();
      if (before && before.provider !== settings.provider) on.providerChanged();
    }),
    api.on('destinations', (d) => app.getState().received({ profiles: d.profiles })),
    // A batch is an implementation detail: the result shown is the Start's (run.ts).
    api.on('batchDone', () => on.batchDone()),
    api.on('appCommand', ({ command }) => on.command(command)),
    api.on('filesOpened', ({ paths }) => on.filesOpened(paths)),
  ];
  if (connection.onLink) {
    offs.push(
      connection.onLink((up) => {
        const was = app.getState().linkUp;
        app.getState().setLinkUp(up);
        if (up && !was) on.reconnected();
      }),
    );
  }
  return () => offs.forEach((off) => off());
}
