// A stand-in for the `electron` module, for running the BUILT main bundle (dist/main/index.js)
// under plain Node, with the REAL preload bundle (dist/preload/index.cjs) loaded into a sandbox the
// way Electron's contextBridge would expose it. It records what the app does (windows, dialogs,
// menus, taskbar, notifications, quits) and is driven by the test over the child-process channel.
// Electron's behaviour it imitates is the documented one; see the comments where it matters.
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';

const send = (msg) => process.send?.(msg);
const record = (kind, data) => send({ type: 'record', kind, data: JSON.parse(JSON.stringify(data ?? null)) });

/** Scripted answers for dialogs; when none is scripted, the dialog's cancelId (or the last button). */
const dialogAnswers = [];
const openDialogAnswers = [];

// ---------------------------------------------------------------------------------------- ipcMain
const handlers = new Map();
export const ipcMain = {
  handle(channel, fn) {
    if (handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
    handlers.set(channel, fn);
  },
  removeHandler(channel) {
    handlers.delete(channel);
  },
};

// ------------------------------------------------------------------------------------------- app
class App extends EventEmitter {
  isPackaged = process.env.STUB_PACKAGED === '1';
  #ready = false;
  #readyPromise = null;
  badge = 0;
  requestSingleInstanceLock() {
    return process.env.STUB_SECOND_INSTANCE !== '1';
  }
  whenReady() {
    this.#readyPromise ??= new Promise((resolve) =>
      setTimeout(() => {
        // macOS sends open-file before ready when Convoy is launched by opening a file.
        if (process.env.STUB_OPEN_FILE) this.emit('open-file', preventable(), process.env.STUB_OPEN_FILE);
        this.#ready = true;
        this.emit('ready');
        resolve();
      }, 10),
    );
    return this.#readyPromise;
  }
  isReady() {
    return this.#ready;
  }
  getName() {
    return 'Convoy';
  }
  getVersion() {
    return '0.0.0-stub';
  }
  /** The folder holding the app's package.json (development: the project; packaged: resources/app.asar). */
  getAppPath() {
    return process.env.STUB_APP_PATH ?? process.cwd();
  }
  getPath(name) {
    return path.join(process.env.CONVOY_HOME ?? '/tmp', `electron-${name}`);
  }
  setBadgeCount(n) {
    this.badge = n;
    record('badge', n);
    return true;
  }
  /** Electron: before-quit (preventable), then every window's close (preventable), will-quit, quit. */
  quit() {
    record('app.quit', null);
    const ev = preventable();
    this.emit('before-quit', ev);
    if (ev.defaultPrevented) return;
    for (const w of [...windows]) {
      w.close();
      if (!w.isDestroyed()) return;
    }
    const wq = preventable();
    this.emit('will-quit', wq);
    if (wq.defaultPrevented) return;
    this.emit('quit');
    this.exit(0);
  }
  exit(code = 0) {
    record('app.exit', code);
    setTimeout(() => process.exit(code), 50);
  }
}
function preventable() {
  return {
    defaultPrevented: false,
    preventDefault() {
      this.defaultPrevented = true;
    },
  };
}
export const app = new App();

// ---------------------------------------------------------------------------------------- windows
const windows = [];
let nextId = 1;

class WebContents extends EventEmitter {
  #win;
  listeners = new Map(); // renderer side: channel → Set(listener)
  constructor(win) {
    super();
    this.#win = win;
    this.id = win.id;
  }
  isDestroyed() {
    return this.#win.isDestroyed();
  }
  send(channel, payload) {
    if (this.isDestroyed()) throw new Error('Object has been destroyed');
    const copy = structuredClone(payload);
    for (const l of this.listeners.get(channel) ?? []) l({ sender: null }, copy);
  }
  reload() {
    record('webContents.reload', { id: this.id });
    this.#win.loadPage();
  }
  startDrag(item) {
    if (!item?.file || !item?.icon) throw new Error('startDrag needs a file and a non-empty icon');
    record('webContents.startDrag', { file: item.file, icon: item.icon.path, iconExists: !item.icon.isEmpty() });
  }
  setWindowOpenHandler(fn) {
    this.windowOpenHandler = fn;
  }
  getURL() {
    return this.#win.url;
  }
}

export class BrowserWindow extends EventEmitter {
  static getAllWindows() {
    return windows.filter((w) => !w.isDestroyed());
  }
  #destroyed = false;
  #maximized = false;
  #focused = process.env.STUB_FOCUSED !== '0';
  constructor(options = {}) {
    super();
    this.id = nextId++;
    this.options = options;
    this.bounds = { x: options.x ?? 100, y: options.y ?? 100, width: options.width ?? 800, height: options.height ?? 600 };
    this.webContents = new WebContents(this);
    windows.push(this);
    record('window.created', { id: this.id, bounds: this.bounds, webPreferences: options.webPreferences, show: options.show });
    app.emit('web-contents-created', {}, this.webContents);
  }
  async loadURL(url) {
    this.url = url;
    record('window.loadURL', { id: this.id, url });
    await this.loadPage();
  }
  /** "Loads" the page: runs the real preload bundle in a sandbox, then fires the load events. */
  async loadPage() {
    const preloadPath = this.options.webPreferences?.preload;
    this.exposed = runPreload(preloadPath, this);
    globalThis.__stubExposed = this.exposed;
    setTimeout(() => {
      if (this.#destroyed) return;
      this.emit('ready-to-show');
      this.webContents.emit('did-finish-load');
    }, 5);
  }
  show() {
    this.shown = true;
    record('window.show', { id: this.id });
  }
  isDestroyed() {
    return this.#destroyed;
  }
  isMinimized() {
    return false;
  }
  restore() {}
  focus() {
    this.#focused = true;
    record('window.focus', { id: this.id });
  }
  isFocused() {
    return this.#focused;
  }
  blur() {
    this.#focused = false;
  }
  maximize() {
    this.#maximized = true;
  }
  isMaximized() {
    return this.#maximized;
  }
  getNormalBounds() {
    return { ...this.bounds };
  }
  setBounds(b) {
    this.bounds = { ...this.bounds, ...b };
    this.emit('resize');
    this.emit('move');
  }
  setProgressBar(progress, options) {
    record('window.progress', { progress, mode: options?.mode ?? 'normal' });
  }
  /** Electron: 'close' (preventable), then destroyed and 'closed'; the last one gone → window-all-closed. */
  close() {
    if (this.#destroyed) return;
    const ev = preventable();
    this.emit('close', ev);
    if (ev.defaultPrevented) {
      record('window.closePrevented', { id: this.id });
      return;
    }
    this.destroy();
  }
  destroy() {
    if (this.#destroyed) return;
    this.#destroyed = true;
    record('window.closed', { id: this.id });
    this.emit('closed');
    if (BrowserWindow.getAllWindows().length === 0) app.emit('window-all-closed');
  }
}

/**
 * The preload's world: `require('electron')` gives contextBridge / ipcRenderer / webUtils. What it
 * exposes goes through a copy of contextBridge's rules: values are cloned, and an error thrown (or
 * a promise rejected) crosses as a plain Error with its message only — its code is lost.
 */
function runPreload(file, win) {
  const exposed = {};
  const ipcRenderer = {
    async invoke(channel, ...args) {
      const fn = handlers.get(channel);
      if (!fn) throw new Error(`No handler registered for '${channel}'`);
      const event = { sender: win.webContents, senderFrame: { url: win.url } };
      return structuredClone(await fn(event, ...args.map((a) => structuredClone(a))));
    },
    on(channel, listener) {
      let set = win.webContents.listeners.get(channel);
      if (!set) win.webContents.listeners.set(channel, (set = new Set()));
      set.add(listener);
      return ipcRenderer;
    },
    removeListener(channel, listener) {
      win.webContents.listeners.get(channel)?.delete(listener);
      return ipcRenderer;
    },
  };
  const electron = {
    contextBridge: {
      exposeInMainWorld(name, api) {
        exposed[name] = bridgeCopy(api);
      },
    },
    ipcRenderer,
    webUtils: { getPathForFile: (f) => f?.path ?? '' },
  };
  const source = fs.readFileSync(file, 'utf8');
  const module = { exports: {} };
  const req = (id) => {
    if (id === 'electron') return electron;
    throw new Error(`the sandboxed preload may only require electron, not ${id}`);
  };
  vm.runInNewContext(
    `(function (require, module, exports) {${source}\n})`,
    {
      console,
      Promise,
      Error,
      TypeError,
      Object,
      Array,
      JSON,
      Map,
      Set,
      Symbol,
      WeakMap,
      Math,
      Number,
      String,
      RegExp,
      Date,
      Uint8Array,
      structuredClone,
      setTimeout,
      clearTimeout,
      URL,
      TextEncoder,
      TextDecoder,
    },
    { filename: file },
  )(req, module, module.exports);
  return exposed;
}

function bridgeCopy(value) {
  if (typeof value === 'function') {
    return (...args) => {
      let out;
      try {
        out = value(...args);
      } catch (err) {
        throw new Error(err?.message ?? String(err));
      }
      if (out && typeof out.then === 'function') {
        return out.then(
          (v) => structuredClone(v),
          (err) => {
            throw new Error(err?.message ?? String(err));
          },
        );
      }
      return typeof out === 'function' ? bridgeCopy(out) : structuredClone(out);
    };
  }
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, bridgeCopy(v)]));
  return value;
}

// -------------------------------------------------------------------------------------- dialog
export const dialog = {
  async showMessageBox(winOrOpts, maybeOpts) {
    const modal = winOrOpts instanceof BrowserWindow;
    const opts = modal ? maybeOpts : winOrOpts;
    record('dialog', { modal, type: opts.type, title: opts.title, message: opts.message, detail: opts.detail, buttons: opts.buttons });
    // STUB_DIALOGS=wait: the dialog stays open until the test answers it (like a user would).
    while (process.env.STUB_DIALOGS === 'wait' && dialogAnswers.length === 0) await new Promise((r) => setTimeout(r, 20));
    const scripted = dialogAnswers.length ? dialogAnswers.shift() : null;
    const response = scripted ?? opts.cancelId ?? (opts.buttons?.length ?? 1) - 1;
    return { response, checkboxChecked: false };
  },
  async showOpenDialog(winOrOpts, maybeOpts) {
    const modal = winOrOpts instanceof BrowserWindow;
    const opts = modal ? maybeOpts : winOrOpts;
    record('openDialog', { modal, properties: opts.properties });
    return openDialogAnswers.shift() ?? { canceled: true, filePaths: [] };
  },
};

// ------------------------------------------------------------------------------- menu & others
let appMenu = null;
export const Menu = {
  buildFromTemplate(template) {
    return { template };
  },
  setApplicationMenu(menu) {
    appMenu = menu;
    record('menu', strip(menu?.template ?? null));
  },
};
function strip(items) {
  return items?.map((i) => ({ label: i.label, role: i.role, accelerator: i.accelerator, submenu: i.submenu ? strip(i.submenu) : undefined }));
}
function findMenuItem(items, label) {
  for (const i of items ?? []) {
    if (i.label === label) return i;
    const inner = findMenuItem(i.submenu, label);
    if (inner) return inner;
  }
  return null;
}

export class Notification extends EventEmitter {
  static isSupported() {
    return true;
  }
  constructor(opts) {
    super();
    this.opts = opts;
  }
  show() {
    record('notification', this.opts);
  }
}

const schemeHandlers = new Map();
export const protocol = {
  registerSchemesAsPrivileged(schemes) {
    if (app.isReady()) throw new Error('registerSchemesAsPrivileged must be called before ready');
    record('protocol.privileged', schemes);
  },
  handle(scheme, fn) {
    if (!app.isReady()) throw new Error('protocol.handle must be called after ready');
    schemeHandlers.set(scheme, fn);
  },
};

export const session = {
  defaultSession: {
    webRequest: { onHeadersReceived() {} },
    setPermissionRequestHandler(fn) {
      this.permissionHandler = fn;
    },
  },
};

export const shell = {
  async openPath(p) {
    record('shell.openPath', p);
    return '';
  },
  showItemInFolder(p) {
    record('shell.showItemInFolder', p);
  },
  async openExternal(u) {
    record('shell.openExternal', u);
  },
};

export const nativeTheme = { shouldUseDarkColors: false };
export const safeStorage = {
  isEncryptionAvailable: () => false,
  getSelectedStorageBackend: () => 'basic_text',
  encryptString: () => {
    throw new Error('no safeStorage in the stub');
  },
  decryptString: () => {
    throw new Error('no safeStorage in the stub');
  },
};
export const screen = {
  getAllDisplays: () => [{ workArea: { x: 0, y: 0, width: 1920, height: 1080 } }],
};
export const nativeImage = {
  createFromPath: (p) => ({ path: p, isEmpty: () => !fs.existsSync(p) }),
};
export const webUtils = { getPathForFile: () => '' };
export const contextBridge = {};
export const ipcRenderer = {};

export default { app, BrowserWindow, dialog, ipcMain, Menu, nativeImage, nativeTheme, Notification, protocol, safeStorage, screen, session, shell };

// ---------------------------------------------------------------------------- the test's commands
process.on('message', async (msg) => {
  const reply = (data) => send({ type: 'reply', id: msg.id, data });
  const win = () => BrowserWindow.getAllWindows()[0];
  try {
    switch (msg.cmd) {
      case 'invoke': {
        const api = win()?.exposed?.convoy;
        if (!api) return reply({ noWindow: true });
        return reply(await api.invoke(msg.method, msg.args));
      }
      case 'subscribe': {
        const api = win()?.exposed?.convoy;
        api.on(msg.event, (payload) => send({ type: 'event', event: msg.event, payload }));
        return reply(true);
      }
      case 'dialog-answers':
        dialogAnswers.push(...msg.answers);
        return reply(true);
      case 'open-dialog-answers':
        openDialogAnswers.push(...msg.answers);
        return reply(true);
      case 'app-emit': {
        const ev = preventable();
        if (msg.event === 'open-file') app.emit('open-file', ev, msg.args[0]);
        else if (msg.event === 'second-instance') app.emit('second-instance', ev, msg.args[0], msg.args[1]);
        else app.emit(msg.event, ev, ...(msg.args ?? []));
        return reply(true);
      }
      case 'quit':
        app.quit();
        return reply(true);
      case 'close-window':
        win()?.close();
        return reply(true);
      case 'blur':
        win()?.blur();
        return reply(true);
      case 'set-bounds':
        win()?.setBounds(msg.bounds);
        return reply(true);
      case 'crash-renderer':
        win()?.webContents.emit('render-process-gone', {}, { reason: msg.reason ?? 'crashed', exitCode: 1 });
        return reply(true);
      case 'menu-click': {
        const item = findMenuItem(appMenu?.template, msg.label);
        if (!item?.click) return reply({ missing: true });
        item.click();
        return reply(true);
      }
      case 'fetch': {
        const fn = schemeHandlers.get(new URL(msg.url).protocol.replace(':', ''));
        if (!fn) return reply({ status: 0 });
        const res = await fn(new Request(msg.url, { method: msg.method ?? 'GET' }));
        const body = res.body ? Buffer.from(await res.arrayBuffer()) : Buffer.alloc(0);
        return reply({
          status: res.status,
          headers: Object.fromEntries(res.headers),
          text: body.toString('utf8', 0, Math.min(body.length, 4096)),
          size: body.length,
        });
      }
      case 'state':
        return reply({
          windows: windows.map((w) => ({ id: w.id, destroyed: w.isDestroyed(), shown: Boolean(w.shown), url: w.url, bounds: w.bounds })),
          handlers: [...handlers.keys()],
          badge: app.badge,
        });
      default:
        return reply({ unknownCommand: msg.cmd });
    }
  } catch (err) {
    send({ type: 'reply', id: msg.id, error: String(err?.stack ?? err) });
  }
});
