/**
 * Electron shell (thin): single-instance lock, one hardened window, the contract over IPC.
 * Everything else lives in the core, which never imports electron.
 */
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { app, BrowserWindow, dialog, ipcMain, nativeTheme, safeStorage, session, shell } from 'electron';
import { createCore, type Core } from './core';
import { forwardEvents, registerIpc } from './electron/ipc';
import { ELECTRON_CSP, isAppUrl, isSafeExternalUrl, windowOptions } from './electron/security';

const here = path.dirname(fileURLToPath(import.meta.url));
const preloadPath = path.join(here, '..', 'preload', 'index.cjs');
const pageUrl = pathToFileURL(path.join(here, '..', 'renderer', 'index.html')).toString();

let core: Core | null = null;
let win: BrowserWindow | null = null;

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    if (win) {
      if (win.isMinimized()) win.restore();
      win.focus();
    }
  });

  // No page may open new windows or navigate away from the app.
  app.on('web-contents-created', (_e, contents) => {
    contents.setWindowOpenHandler(({ url }) => {
      if (isSafeExternalUrl(url)) void shell.openExternal(url);
      return { action: 'deny' };
    });
    contents.on('will-navigate', (event, url) => {
      if (!isAppUrl(url, pageUrl)) event.preventDefault();
    });
    contents.on('will-attach-webview', (event) => event.preventDefault());
  });

  app.whenReady().then(async () => {
    session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
      callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [ELECTRON_CSP] } });
    });
    session.defaultSession.setPermissionRequestHandler((_wc, permission, done) => done(permission === 'notifications'));

    core = await createCore({
      shell: 'electron',
      safeStorage,
      desktop: {
        openPath: async (file) => (await shell.openPath(file)) === '',
        reveal: (file) => {
          shell.showItemInFolder(file);
          return true;
        },
        pickFiles: async (folders) => {
          const r = await dialog.showOpenDialog({
            properties: folders ? ['openDirectory', 'multiSelections'] : ['openFile', 'multiSelections'],
          });
          return r.canceled ? [] : r.filePaths;
        },
        pickFolder: async () => {
          const r = await dialog.showOpenDialog({ properties: ['openDirectory', 'createDirectory'] });
          return r.canceled ? null : (r.filePaths[0] ?? null);
        },
      },
    });
    registerIpc(ipcMain, core.handlers, () => pageUrl, (m) => core?.log.warn(m));

    win = new BrowserWindow(windowOptions({ preloadPath, dark: nativeTheme.shouldUseDarkColors }));
    const stopForwarding = forwardEvents(core.events, win.webContents);
    win.once('ready-to-show', () => win?.show());
    win.on('closed', () => {
      stopForwarding();
      win = null;
    });
    await win.loadURL(pageUrl);
  });

  app.on('window-all-closed', () => app.quit());
  app.on('before-quit', () => {
    void core?.close();
  });
}
