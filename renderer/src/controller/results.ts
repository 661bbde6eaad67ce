/** Finished results: open, show in the folder, drag out; and the system notification when a run ends. */
import type { ItemView } from '../../../preload/contract';
import type { Ctx } from './context';

export function createResults({ app, queue, call, connection, session }: Ctx) {
  async function open(itemId: string): Promise<void> {
    const r = await call('files.open', { itemId });
    if (!r || r.opened) return;
    if (r.url) window.open(connection.authUrl ? connection.authUrl(r.url) : r.url, '_blank', 'noopener');
    else app.getState().notify('error', 'The result cannot be opened from here');
  }

  async function reveal(itemId: string): Promise<void> {
    const r = await call('files.reveal', { itemId });
    if (!r || r.revealed) return;
    const where = queue.getState().model.byId.get(itemId)?.outputs[0];
    app.getState().notify('info', where ? `Saved at ${where}` : 'Showing the folder is only possible in the desktop app');
  }

  /** Desktop: hands a finished result to the OS drag (main calls webContents.startDrag). */
  async function startDrag(itemId: string): Promise<void> {
    await call('files.startDrag', { itemId }, { quiet: true });
  }

  /** The source's size: main's (files by path) or the one known from a browser upload. */
  function sourceSize(item: ItemView): number | null {
    return item.bytesUpTotal ?? (item.sourceKind === 'file' ? (session.knownSizes.get(item.label) ?? null) : null);
  }

  function notifyRunEnd(text: string) {
    const s = app.getState().settings;
    if (s && !s.notifyOnBatchEnd) return;
    // The desktop app notifies from main (one system notification per run, main/index.ts).
    if (connection.mode === 'electron') return;
    try {
      // A browser shows it where permitted. Only when the window is in the background: in front,
      // the result summary already says it.
      if (typeof Notification !== 'undefined' && Notification.permission === 'granted' && (document.hidden || !document.hasFocus())) {
        new Notification('Convoy: conversions finished', { body: text });
      }
    } catch {
      /* notifications unsupported here */
    }
  }

  return { open, reveal, startDrag, sourceSize, notifyRunEnd };
}
