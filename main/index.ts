/**
 * Electron shell (thin): single instance, one hardened window that opens at once while the core
 * starts, the contract over IPC, the app's own `convoy://` scheme, the menu, the taskbar, native
 * notifications, files opened with Convoy, and a quit that waits for the queue to close. All
 * decisions live in small pure modules under main/electron/ (tested in Node); the core never
 * imports electron.
 */
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import {
  app,
  BrowserWindow,
  dialog,
  ipcMain,
  Menu,
  nativeImage,
  nativeTheme,
  Notification,
  protocol,
  safeStorage,
  screen,
  session,
  shell,
  type MessageBoxOptions,
} from 'electron';
import { ContractError, methodNames, type AppCommand, type Handlers } from '../preload/contract';
import { createCore, type Core } from './core';
import { forwardEvents, registerIpc } from './electron/ipc';
import { pathsFromArgv, PendingOpens } from './electron/open-files';
import { answerAppRequest, APP_PAGE_URL, APP_SCHEME, APP_SCHEME_PRIVILEGES } from './electron/protocol';
import { menuTemplate } from './electron/menu';
import { ELECTRON_CSP, isAppUrl, isSafeExternalUrl, windowOptions } from './electron/security';
import { describeStartupError } from './electron/startup-error';
import { RunTracker } from './electron/taskbar';
import { createUpdater } from './electron/updater';
import { fitToDisplays, loadWindowState, saveWindowState } from './electron/window-state';
import { createLogger } from './log';
import { resolveDataDir } from './paths';
import { version } from './version';

const here = path.dirname(fileURLToPath(import.meta.url));
const preloadPath = path.join(here, '..', 'preload', 'index.cjs');
const rendererDir = path.join(here, '..', 'renderer');
const dragIconPath = path.join(here, '..', 'icons', 'drag.png');
const windowIconPath = path.join(here, '..', 'icons', 'icon.png');
const dataDir = resolveDataDir(null, process.env);
const shellLog = createLogger(dataDir);
const logFile = path.join(dataDir, 'logs', 'convoy.log');

// Must happen before `ready`: the page's origin is convoy://app, a secure standard scheme.
protocol.registerSchemesAsPrivileged([APP_SCHEME_PRIVILEGES]);

let core: Core | null = null;
let coreFailure: string | null = null;
let coreWaiters: Array<() => void> = [];
let win: BrowserWindow | null = null;
let stopForwarding: (() => void) | null = null;
const opened = new PendingOpens();
const run = new RunTracker();
let runEndTimer: NodeJS.Timeout | undefined;
/** The user agreed to quit mid-batch (or nothing was running). */
let quitConfirmed = false;
/** The core has closed; the next quit goes through. */
let coreClosed = false;
let quitting = false;

const updater = createUpdater({
  packaged: app.isPackaged,
  currentVersion: version,
  ui: { ask: (o) => ask({ ...o, noLink: true }), log: (m) => shellLog.info(m) },
});

/** A message box modal to the window when there is one (a sheet on macOS). */
async function ask(opts: MessageBoxOptions): Promise<number> {
  const r = win && !win.isDestroyed() ? await dialog.showMessageBox(win, opts) : await dialog.showMessageBox(opts);
  return r.response;
}

/** Handlers that wait for the core: the window is up (and says "Starting…") before the core is. */
const waitingHandlers = Object.fromEntries(
  methodNames.map((method) => [
    method,
    async (args: unknown) => {
      const ready = await coreReady();
      return (ready.handlers[method] as (a: unknown) => Promise<unknown>)(args);
    },
  ]),
) as unknown as Handlers;

function coreReady(): Promise<Core> {
  if (core) return Promise.resolve(core);
  if (coreFailure) return Promise.reject(new ContractError('unavailable', `Convoy could not start: ${coreFailure}`));
  return new Promise((resolve, reject) => {
    coreWaiters.push(() => (core ? resolve(core) : reject(new ContractError('unavailable', `Convoy could not start: ${coreFailure ?? 'unknown reason'}`))));
  });
}

function settleWaiters() {
  const waiters = coreWaiters;
  coreWaiters = [];
  waiters.forEach((w) => w());
}

function sendCommand(command: AppCommand) {
  if (win && !win.isDestroyed()) core?.events.emit('appCommand', { command });
}

if (!app.requestSingleInstanceLock()) {
  // Another Convoy has the lock: it gets our files (second-instance) and comes to the front.
  app.quit();
} else {
  opened.add(pathsFromArgv(process.argv, process.cwd(), { appPath: app.getAppPath() }));

  app.on('second-instance', (_e, argv, cwd) => {
    opened.add(pathsFromArgv(argv, cwd, { appPath: app.getAppPath() }));
    if (win) {
      if (win.isMinimized()) win.restore();
      win.focus();
    } else if (app.isReady()) {
      createWindow();
    }
  });

  // macOS: files dropped on the Dock icon or opened with Convoy from Finder (may come before ready).
  app.on('open-file', (event, file) => {
    event.preventDefault();
    opened.add([file]);
    if (app.isReady() && !win) createWindow();
  });

  // No page may open new windows or navigate away from the app.
  app.on('web-contents-created', (_e, contents) => {
    contents.setWindowOpenHandler(({ url }) => {
      if (isSafeExternalUrl(url)) void shell.openExternal(url);
      return { action: 'deny' };
    });
    contents.on('will-navigate', (event, url) => {
      if (!isAppUrl(url, APP_PAGE_URL)) event.preventDefault();
    });
    contents.on('will-attach-webview', (event) => event.preventDefault());
  });

  // void: startCore() shows its own failures in a dialog and never rejects; the rest is synchronous.
  void app.whenReady().then(async () => {
    protocol.handle(APP_SCHEME, (request) => answerAppRequest(request, rendererDir, (id, of) => core?.thumbnailPath(id, of) ?? Promise.resolve(null)));
    session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
      callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [ELECTRON_CSP] } });
    });
    session.defaultSession.setPermissionRequestHandler((_wc, permission, done) => done(permission === 'notifications'));
    registerIpc(
      ipcMain,
      waitingHandlers,
      () => APP_PAGE_URL,
      (m) => shellLog.warn(m),
    );
    Menu.setApplicationMenu(
      Menu.buildFromTemplate(
        menuTemplate(
          { platform: process.platform, packaged: app.isPackaged, appName: app.getName() },
          {
            command: sendCommand,
            checkForUpdates: () => void updater.check(true),
            openLogFolder: () => void shell.openPath(path.dirname(logFile)),
            openDataFolder: () => void shell.openPath(dataDir),
            openHelp: () => void shell.openExternal('https://www.api2convert.com/docs'),
            about: () =>
              void ask({
                type: 'info',
                message: `Convoy ${version}`,
                detail: `Electron ${process.versions.electron}\nData folder: ${dataDir}`,
                buttons: ['OK'],
              }),
          },
        ),
      ),
    );
    createWindow();
    await startCore();
    if (app.isPackaged) setTimeout(() => void updater.check(false), 30_000).unref();
  });

  // macOS keeps the app (and its queue) running without windows; the Dock icon brings one back.
  app.on('activate', () => {
    if (app.isReady() && BrowserWindow.getAllWindows().length === 0) createWindow();
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });

  app.on('before-quit', (event) => {
    if (coreClosed || !core) return;
    event.preventDefault();
    if (quitting) return;
    void (async () => {
      if (!quitConfirmed && !(await confirmQuit())) return;
      quitConfirmed = true;
      quitting = true;
      // Bounded: a hung close must not keep the app from quitting (the queue is crash-safe anyway).
      await Promise.race([core?.close().catch((err: unknown) => shellLog.error(`close failed: ${String(err)}`)), delay(10_000)]);
      coreClosed = true;
      app.quit();
    })();
  });
}

/** Starts the core; on failure explains why in a dialog and offers to try again or quit. */
async function startCore(): Promise<void> {
  for (;;) {
    try {
      core = await createCore({ shell: 'electron', dataDir, safeStorage, desktop: desktopBridge() });
      coreFailure = null;
      settleWaiters();
      attachCore(core);
      return;
    } catch (err) {
      const problem = describeStartupError(err, { dataDir, logFile });
      coreFailure = problem.message;
      shellLog.error(`start-up failed: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
      settleWaiters();
      const buttons = problem.canRetry ? ['Try Again', 'Quit'] : ['Quit'];
      const choice = await ask({
        type: 'error',
        title: problem.title,
        message: problem.title,
        detail: `${problem.message}\n\n${problem.detail}`,
        buttons,
        defaultId: 0,
        cancelId: buttons.length - 1,
        noLink: true,
      });
      if (!problem.canRetry || choice !== 0) {
        coreClosed = true;
        app.quit();
        return;
      }
      coreFailure = null;
    }
  }
}

function desktopBridge() {
  return {
    openPath: async (file: string) => (await shell.openPath(file)) === '',
    reveal: (file: string) => {
      shell.showItemInFolder(file);
      return true;
    },
    pickFiles: async (folders: boolean) => {
      const properties: Array<'openDirectory' | 'openFile' | 'multiSelections'> = folders
        ? ['openDirectory', 'multiSelections']
        : ['openFile', 'multiSelections'];
      const r = win ? await dialog.showOpenDialog(win, { properties }) : await dialog.showOpenDialog({ properties });
      return r.canceled ? [] : r.filePaths;
    },
    pickFolder: async () => {
      const properties: Array<'openDirectory' | 'createDirectory'> = ['openDirectory', 'createDirectory'];
      const r = win ? await dialog.showOpenDialog(win, { properties }) : await dialog.showOpenDialog({ properties });
      return r.canceled ? null : (r.filePaths[0] ?? null);
    },
    startDrag: (file: string) => {
      if (!win || win.isDestroyed()) return false;
      win.webContents.startDrag({ file, icon: nativeImage.createFromPath(dragIconPath) });
      return true;
    },
    takeOpenedFiles: () => {
      const deliver = (paths: string[]) => core?.events.emit('filesOpened', { paths });
      const waiting = opened.take();
      opened.ready(deliver);
      return waiting;
    },
  };
}

/** Wires the ready core to the window, the taskbar and notifications. */
function attachCore(ready: Core) {
  if (win) stopForwarding = forwardEvents(ready.events, win.webContents);
  const refresh = () => {
    const unfinished = ready.queue.unfinishedCount();
    const state = run.state(ready.queue.status(), unfinished);
    if (win && !win.isDestroyed()) win.setProgressBar(state.progress, { mode: state.mode });
    app.setBadgeCount(state.badge);
    // The run has ended when nothing is in flight for a moment (the last item events may trail).
    clearTimeout(runEndTimer);
    if (unfinished === 0) {
      runEndTimer = setTimeout(() => {
        const ended = run.takeEnded(ready.queue.unfinishedCount());
        if (ended) notifyRunEnded(ready, ended);
      }, 800);
    }
  };
  ready.events.on('items', ({ items, removed }) => {
    run.noteItems(items, removed);
    refresh();
  });
  ready.events.on('queueStatus', refresh);
}

/** One system notification per run (what a Start began), when the window is not in front. */
function notifyRunEnded(ready: Core, counts: { done: number; failed: number; canceled: number }) {
  if (!ready.settings.get().notifyOnBatchEnd || !Notification.isSupported()) return;
  if (counts.done + counts.failed === 0) return; // only cancellations: nothing to tell
  if (win && !win.isDestroyed() && win.isFocused()) return; // the window's result summary says it
  const parts = [`${counts.done} converted`, counts.failed ? `${counts.failed} failed` : '', counts.canceled ? `${counts.canceled} canceled` : ''];
  const note = new Notification({
    title: counts.failed ? 'Convoy: finished with errors' : 'Convoy: conversions finished',
    body: parts.filter(Boolean).join(' · '),
  });
  note.on('click', () => {
    if (!win) createWindow();
    win?.show();
    win?.focus();
  });
  note.show();
}

function createWindow() {
  const state = fitToDisplays(
    loadWindowState(dataDir),
    screen.getAllDisplays().map((d) => d.workArea),
  );
  const w = new BrowserWindow({
    ...windowOptions({ preloadPath, dark: nativeTheme.shouldUseDarkColors }),
    // macOS takes the app bundle's icon; Windows and Linux show this one in the title bar and taskbar.
    ...(process.platform === 'darwin' ? {} : { icon: windowIconPath }),
    width: state.width,
    height: state.height,
    ...(state.x !== undefined && state.y !== undefined ? { x: state.x, y: state.y } : {}),
  });
  win = w;
  if (state.maximized) w.maximize();
  w.once('ready-to-show', () => w.show());

  let saveTimer: NodeJS.Timeout | undefined;
  const saveBounds = () => {
    if (w.isDestroyed() || w.isMinimized()) return;
    const b = w.getNormalBounds();
    saveWindowState(dataDir, { x: b.x, y: b.y, width: b.width, height: b.height, maximized: w.isMaximized() });
  };
  const saveSoon = () => {
    clearTimeout(saveTimer);
    saveTimer = setTimeout(saveBounds, 500);
  };
  w.on('resize', saveSoon);
  w.on('move', saveSoon);

  // Windows/Linux: closing the window quits, so ask first when work is in flight.
  w.on('close', (event) => {
    clearTimeout(saveTimer);
    saveBounds();
    if (process.platform === 'darwin' || quitConfirmed || !core) return;
    if (core.queue.unfinishedCount() === 0) return;
    event.preventDefault();
    void confirmQuit().then((ok) => {
      if (!ok) return;
      quitConfirmed = true;
      app.quit();
    });
  });

  // A crashed renderer is reloaded (the queue lives in main, nothing is lost); a crash loop asks.
  const crashes: number[] = [];
  w.webContents.on('render-process-gone', (_e, details) => {
    shellLog.warn(`renderer gone: ${details.reason} (exit code ${details.exitCode})`);
    if (details.reason === 'clean-exit' || w.isDestroyed()) return;
    const now = Date.now();
    while (crashes.length && now - crashes[0] > 60_000) crashes.shift();
    crashes.push(now);
    if (crashes.length <= 3) {
      w.webContents.reload();
      return;
    }
    void ask({
      type: 'error',
      message: 'The Convoy window keeps crashing',
      detail: `Your queue is safe and keeps running. Reload the window, or quit and start Convoy again.\n\nThe log: ${logFile}`,
      buttons: ['Reload', 'Quit'],
      defaultId: 0,
      cancelId: 1,
    }).then((choice) => (choice === 0 ? w.webContents.reload() : app.quit()));
  });

  w.on('closed', () => {
    stopForwarding?.();
    stopForwarding = null;
    opened.pause();
    if (win === w) win = null;
  });
  if (core) stopForwarding = forwardEvents(core.events, w.webContents);
  void w.loadURL(APP_PAGE_URL);
}

/** Asks before quitting while items are in flight; true when quitting is fine. */
async function confirmQuit(): Promise<boolean> {
  const n = core?.queue.unfinishedCount() ?? 0;
  if (n === 0) return true;
  const choice = await ask({
    type: 'question',
    message: `Quit while ${n} ${n === 1 ? 'item is' : 'items are'} converting?`,
    detail: 'They stop now and continue the next time you start Convoy. Nothing is lost or converted twice.',
    buttons: ['Quit', 'Cancel'],
    defaultId: 1,
    cancelId: 1,
  });
  return choice === 0;
}
