/**
 * The application menu: Convoy's own commands with their shortcuts, the standard Edit menu (so
 * ⌘C/⌘V/⌘A work in text fields on macOS, where shortcuts come from the menu), and no Reload or
 * DevTools in a packaged app. A pure template builder, tested in Node.
 */
import type { MenuItemConstructorOptions } from 'electron';
import type { AppCommand } from '../../preload/contract';

export interface MenuActions {
  /** A command the window carries out (add files, start…). */
  command(command: AppCommand): void;
  checkForUpdates(): void;
  openLogFolder(): void;
  openDataFolder(): void;
  openHelp(): void;
  about(): void;
}

export function menuTemplate(opts: { platform: NodeJS.Platform; packaged: boolean; appName: string }, actions: MenuActions): MenuItemConstructorOptions[] {
  const mac = opts.platform === 'darwin';
  const cmd = (command: AppCommand) => () => actions.command(command);
  const updates: MenuItemConstructorOptions = { label: 'Check for Updates…', click: () => actions.checkForUpdates() };
  const settings: MenuItemConstructorOptions = {
    label: mac ? 'Settings…' : 'Settings',
    accelerator: 'CmdOrCtrl+,',
    click: cmd('settings'),
  };

  const appMenu: MenuItemConstructorOptions[] = mac
    ? [
        {
          label: opts.appName,
          submenu: [
            { label: `About ${opts.appName}`, click: () => actions.about() },
            updates,
            { type: 'separator' },
            settings,
            { type: 'separator' },
            { role: 'services' },
            { type: 'separator' },
            { role: 'hide' },
            { role: 'hideOthers' },
            { role: 'unhide' },
            { type: 'separator' },
            { role: 'quit' },
          ],
        },
      ]
    : [];

  const file: MenuItemConstructorOptions = {
    label: '&File',
    submenu: [
      { label: 'Add Files…', accelerator: 'CmdOrCtrl+O', click: cmd('addFiles') },
      { label: 'Add Folder…', accelerator: 'CmdOrCtrl+Shift+O', click: cmd('addFolder') },
      { label: 'Add URLs…', accelerator: 'CmdOrCtrl+L', click: cmd('addUrls') },
      { type: 'separator' },
      { label: 'Start', accelerator: 'CmdOrCtrl+Enter', click: cmd('start') },
      { label: 'Pause or Resume', accelerator: 'CmdOrCtrl+Shift+Enter', click: cmd('pauseResume') },
      { type: 'separator' },
      { label: 'Destinations…', accelerator: 'CmdOrCtrl+Shift+D', click: cmd('destinations') },
      ...(mac ? [] : [settings, { type: 'separator' } as const]),
      mac ? { role: 'close' } : { role: 'quit', label: 'E&xit' },
    ],
  };

  const edit: MenuItemConstructorOptions = {
    label: '&Edit',
    submenu: [
      { role: 'undo' },
      { role: 'redo' },
      { type: 'separator' },
      { role: 'cut' },
      { role: 'copy' },
      { role: 'paste' },
      { role: 'pasteAndMatchStyle' },
      { role: 'delete' },
      { type: 'separator' },
      // Text in a field; in the queue list, the list itself selects every row on Ctrl/⌘+A.
      { role: 'selectAll' },
    ],
  };

  const view: MenuItemConstructorOptions = {
    label: '&View',
    submenu: [
      ...(opts.packaged ? [] : ([{ role: 'reload' }, { role: 'toggleDevTools' }, { type: 'separator' }] as MenuItemConstructorOptions[])),
      { role: 'resetZoom' },
      { role: 'zoomIn' },
      { role: 'zoomOut' },
      { type: 'separator' },
      { role: 'togglefullscreen' },
    ],
  };

  const windowMenu: MenuItemConstructorOptions = {
    label: '&Window',
    submenu: mac ? [{ role: 'minimize' }, { role: 'zoom' }, { type: 'separator' }, { role: 'front' }] : [{ role: 'minimize' }, { role: 'close' }],
  };

  const help: MenuItemConstructorOptions = {
    role: 'help',
    label: '&Help',
    submenu: [
      { label: 'Convoy Help', click: () => actions.openHelp() },
      { label: 'Open Log Folder', click: () => actions.openLogFolder() },
      { label: 'Open Data Folder', click: () => actions.openDataFolder() },
      ...(mac ? [] : ([{ type: 'separator' }, updates, { label: `About ${opts.appName}`, click: () => actions.about() }] as MenuItemConstructorOptions[])),
    ],
  };

  return [...appMenu, file, edit, view, windowMenu, help];
}
