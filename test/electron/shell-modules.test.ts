/**
 * The Electron shell's decisions as pure modules: start-up messages, the menu, files from argv,
 * the taskbar, the window's bounds, the convoy:// scheme and the updater's dialogs.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DatabaseTooNewError } from '../../main/db';
import { menuTemplate, type MenuActions } from '../../main/electron/menu';
import { pathsFromArgv, PendingOpens } from '../../main/electron/open-files';
import { answerAppRequest, resolveAppRequest, thumbUrl } from '../../main/electron/protocol';
import { ELECTRON_CSP } from '../../main/electron/security';
import { describeStartupError } from '../../main/electron/startup-error';
import { RunTracker } from '../../main/electron/taskbar';
import { createUpdater } from '../../main/electron/updater';
import { DEFAULT_WINDOW_STATE, fitToDisplays, loadWindowState, saveWindowState } from '../../main/electron/window-state';
import { QueueLockedError } from '../../main/queue/lock';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'convoy-shell-'));
const ctx = { dataDir: '/data/convoy', logFile: '/data/convoy/logs/convoy.log' };

describe('start-up errors in plain words', () => {
  it('another Convoy holds the data folder: retryable, names the process and the lock file', () => {
    const p = describeStartupError(new QueueLockedError(4242, '/data/convoy'), ctx);
    expect(p.title).toBe('Convoy is already running');
    expect(p.canRetry).toBe(true);
    expect(p.message).toContain('4242');
    expect(p.detail).toContain('/data/convoy/queue.lock');
  });
  it('a newer database: not retryable, both versions named', () => {
    const p = describeStartupError(new DatabaseTooNewError('queue', 9, 4, '/data/convoy/convoy.db'), ctx);
    expect(p.canRetry).toBe(false);
    expect(p.message).toMatch(/schema 9; this version knows 4/);
  });
  it.each([
    ['EACCES', 'cannot write its data folder', true],
    ['EROFS', 'cannot write its data folder', true],
    ['ENOSPC', 'disk is full', true],
    ['SQLITE_BUSY', 'in use', true],
    ['SQLITE_CORRUPT', 'damaged', false],
  ])('%s → "%s"', (code, words, retry) => {
    const err = Object.assign(new Error('boom'), { code });
    const p = describeStartupError(err, ctx);
    expect(p.title.toLowerCase()).toContain(words);
    expect(p.canRetry).toBe(retry);
    expect(p.detail).toContain(ctx.logFile);
  });
  it('anything else: its message, the log, and Try Again', () => {
    const p = describeStartupError(new Error('keychain probe timed out'), ctx);
    expect(p).toMatchObject({ title: 'Convoy could not start', message: 'keychain probe timed out', canRetry: true });
  });
});

describe('the menu', () => {
  const clicked: string[] = [];
  const actions: MenuActions = {
    command: (c) => clicked.push(c),
    checkForUpdates: () => clicked.push('updates'),
    openLogFolder: () => clicked.push('logs'),
    openDataFolder: () => clicked.push('data'),
    openHelp: () => clicked.push('help'),
    about: () => clicked.push('about'),
  };
  const labels = (t: ReturnType<typeof menuTemplate>) => JSON.stringify(t, (_k, v) => (typeof v === 'function' ? undefined : v));

  it('packaged: no Reload or DevTools; development keeps them', () => {
    expect(labels(menuTemplate({ platform: 'linux', packaged: true, appName: 'Convoy' }, actions))).not.toMatch(/reload|toggleDevTools/);
    expect(labels(menuTemplate({ platform: 'linux', packaged: false, appName: 'Convoy' }, actions))).toMatch(/toggleDevTools/);
  });
  it('macOS gets the app menu (About, Settings ⌘,, Quit) and the Edit roles that make ⌘V work', () => {
    const mac = menuTemplate({ platform: 'darwin', packaged: true, appName: 'Convoy' }, actions);
    expect(mac[0].label).toBe('Convoy');
    const text = labels(mac);
    for (const role of ['paste', 'copy', 'cut', 'selectAll', 'hide', 'quit']) expect(text).toContain(`"role":"${role}"`);
    expect(text).toContain('"accelerator":"CmdOrCtrl+,"');
  });
  it('commands reach the actions', () => {
    const t = menuTemplate({ platform: 'win32', packaged: true, appName: 'Convoy' }, actions);
    const find = (label: string) => t.flatMap((m) => (m.submenu as Array<{ label?: string; click?: () => void }>) ?? []).find((i) => i.label === label);
    find('Add Folder…')!.click!();
    find('Start')!.click!();
    find('Pause or Resume')!.click!();
    find('Check for Updates…')!.click!();
    expect(clicked).toEqual(['addFolder', 'start', 'pauseResume', 'updates']);
  });
});

describe('files opened with Convoy', () => {
  it('keeps existing files and folders from argv; drops the executable, the app folder, flags and non-paths', () => {
    const dir = tmp();
    const a = path.join(dir, 'a.png');
    fs.writeFileSync(a, 'x');
    const argv = ['/opt/Convoy/convoy', '.', '--enable-features=X', 'a.png', dir, 'missing.png', a];
    expect(pathsFromArgv(argv, dir, { appPath: dir })).toEqual([a]);
    expect(pathsFromArgv(argv, dir, { appPath: '/elsewhere' })).toEqual([dir, a]);
  });
  it('holds paths until the window is ready, then delivers them once', () => {
    const got: string[][] = [];
    const p = new PendingOpens();
    p.add(['/a', '/b', '/a']);
    expect(p.take()).toEqual(['/a', '/b']);
    p.add(['/c']);
    p.ready((paths) => got.push(paths));
    p.add(['/d']);
    p.pause();
    p.add(['/e']);
    expect(got).toEqual([['/c'], ['/d']]);
    expect(p.take()).toEqual(['/e']);
  });
});

describe('taskbar progress and the run\u2019s outcome', () => {
  const online = { connection: 'online' as const };
  it('counts only the items of the current run, even those that finished between two status events', () => {
    const run = new RunTracker();
    expect(run.state(online, 0)).toEqual({ progress: -1, mode: 'normal', badge: 0 });
    expect(run.takeEnded(0)).toBeNull(); // nothing ran
    run.noteItems([
      { id: 'a', state: 'converting' },
      { id: 'b', state: 'queued' },
    ]);
    expect(run.state(online, 2)).toEqual({ progress: 0, mode: 'normal', badge: 2 });
    run.noteItems([{ id: 'a', state: 'done' }]);
    expect(run.state(online, 1)).toEqual({ progress: 0.5, mode: 'normal', badge: 1 });
    run.noteItems([{ id: 'b', state: 'failed' }]);
    expect(run.state({ connection: 'offline' }, 1).mode).toBe('paused');
    expect(run.state(online, 1).mode).toBe('error');
    expect(run.takeEnded(1)).toBeNull(); // still in flight
    expect(run.takeEnded(0)).toEqual({ done: 1, failed: 1, canceled: 0 });
    expect(run.takeEnded(0)).toBeNull(); // said once
    run.noteItems(
      [
        { id: 'c', state: 'canceled' },
        { id: 'd', state: 'done' },
      ],
      ['d'],
    );
    expect(run.takeEnded(0)).toEqual({ done: 0, failed: 0, canceled: 1 });
  });
});

describe('window bounds', () => {
  it('are saved and loaded; a broken file gives the default', () => {
    const dir = tmp();
    expect(loadWindowState(dir)).toEqual(DEFAULT_WINDOW_STATE);
    saveWindowState(dir, { x: 10, y: 20, width: 900, height: 700, maximized: true });
    expect(loadWindowState(dir)).toEqual({ x: 10, y: 20, width: 900, height: 700, maximized: true });
    fs.writeFileSync(path.join(dir, 'window-state.json'), '{"width": -3');
    expect(loadWindowState(dir)).toEqual(DEFAULT_WINDOW_STATE);
  });
  it('a position on an unplugged monitor is dropped; a size larger than any screen is capped', () => {
    const screens = [{ x: 0, y: 0, width: 1280, height: 800 }];
    expect(fitToDisplays({ x: 2500, y: 100, width: 900, height: 700, maximized: false }, screens)).toEqual({ width: 900, height: 700, maximized: false });
    expect(fitToDisplays({ x: 100, y: 50, width: 3000, height: 2000, maximized: false }, screens)).toEqual({
      x: 100,
      y: 50,
      width: 1280,
      height: 800,
      maximized: false,
    });
    expect(fitToDisplays({ x: -500, y: 0, width: 900, height: 600, maximized: false }, screens)).toMatchObject({ x: -500 });
  });
});

describe('the convoy:// scheme', () => {
  const dir = tmp();
  fs.writeFileSync(path.join(dir, 'index.html'), '<html></html>');
  fs.mkdirSync(path.join(dir, 'assets'));
  fs.writeFileSync(path.join(dir, 'assets', 'a.js'), 'x');
  fs.writeFileSync(path.join(path.dirname(dir), 'secret.txt'), 'no');
  fs.symlinkSync('/etc/hostname', path.join(dir, 'escape'));

  it('serves only files of the renderer folder, on host app, by GET/HEAD', () => {
    expect(resolveAppRequest('convoy://app/index.html', 'GET', dir)).toMatchObject({ kind: 'file', mime: 'text/html; charset=utf-8' });
    expect(resolveAppRequest('convoy://app/', 'GET', dir)).toMatchObject({ kind: 'file' });
    expect(resolveAppRequest('convoy://app/assets/a.js', 'HEAD', dir)).toMatchObject({ kind: 'file', mime: 'text/javascript; charset=utf-8' });
    expect(resolveAppRequest('convoy://app/index.html', 'POST', dir)).toEqual({ kind: 'error', status: 405 });
    expect(resolveAppRequest('convoy://evil/index.html', 'GET', dir)).toEqual({ kind: 'error', status: 403 });
    expect(resolveAppRequest('https://app/index.html', 'GET', dir)).toEqual({ kind: 'error', status: 403 });
    for (const bad of [
      'convoy://app/%2e%2e/secret.txt',
      'convoy://app/assets/..%2f..%2fsecret.txt',
      'convoy://app/%00',
      'convoy://app/a%5c..%5csecret.txt',
      'convoy://app/%E0%A4%A',
    ]) {
      expect(resolveAppRequest(bad, 'GET', dir).kind, bad).toBe('error');
    }
    expect(resolveAppRequest('convoy://app/escape', 'GET', dir)).toEqual({ kind: 'error', status: 404 });
    expect(resolveAppRequest('convoy://app/nope.js', 'GET', dir)).toEqual({ kind: 'error', status: 404 });
  });
  it('thumbnails by item id, streamed, with the page CSP only on HTML', async () => {
    expect(resolveAppRequest(thumbUrl('abc-123', 'source'), 'GET', dir)).toEqual({ kind: 'thumb', itemId: 'abc-123', of: 'source' });
    for (const bad of ['convoy://app/thumb/abc', 'convoy://app/thumb/abc/other', 'convoy://app/thumb/..%2f../source', 'convoy://app/thumb/a/source/x']) {
      expect(resolveAppRequest(bad, 'GET', dir), bad).toEqual({ kind: 'error', status: 400 });
    }
    // The old result route is gone: an item's full-size result is not served to the window.
    expect(resolveAppRequest('convoy://app/result/abc-123', 'GET', dir)).toEqual({ kind: 'error', status: 404 });
    const out = path.join(dir, 'assets', 'a.js');
    const page = await answerAppRequest({ url: 'convoy://app/index.html', method: 'GET' }, dir, async () => null);
    expect(page.headers.get('content-security-policy')).toBe(ELECTRON_CSP);
    const asked: string[] = [];
    const thumb = await answerAppRequest({ url: thumbUrl('id1', 'result'), method: 'GET' }, dir, async (id, of) => (asked.push(`${id}/${of}`), out));
    expect(thumb.status).toBe(200);
    expect(await thumb.text()).toBe('x');
    expect(thumb.headers.get('content-security-policy')).toBeNull();
    expect(asked).toEqual(['id1/result']);
    expect((await answerAppRequest({ url: thumbUrl('id1', 'source'), method: 'GET' }, dir, async () => null)).status).toBe(404);
  });
});

describe('Check for Updates…', () => {
  function fakeUpdater(version: string | null, fail = false) {
    const calls: string[] = [];
    return {
      calls,
      load: async () => ({
        autoDownload: true,
        autoInstallOnAppQuit: false,
        checkForUpdates: async () => {
          calls.push('check');
          if (fail) throw new Error('feed unreachable');
          return version ? { updateInfo: { version } } : null;
        },
        downloadUpdate: async () => void calls.push('download'),
        quitAndInstall: () => void calls.push('install'),
        on: () => undefined,
      }),
    };
  }
  const ui = (answers: number[], shown: string[]) => ({
    ask: async (o: { message: string }) => {
      shown.push(o.message);
      return answers.shift() ?? 1;
    },
    log: () => {},
  });

  it('in development it says updates come with the packaged app', async () => {
    const shown: string[] = [];
    const f = fakeUpdater('9.9.9');
    await createUpdater({ packaged: false, currentVersion: '1.0.0', ui: ui([], shown), load: f.load }).check(true);
    expect(shown).toEqual(['Updates are installed by the packaged app']);
    expect(f.calls).toEqual([]);
  });
  it('offers a newer version, downloads it, restarts on request', async () => {
    const shown: string[] = [];
    const f = fakeUpdater('1.1.0');
    await createUpdater({ packaged: true, currentVersion: '1.0.0', ui: ui([0, 0], shown), load: f.load }).check(true);
    expect(shown).toEqual(['Convoy 1.1.0 is available', 'Convoy 1.1.0 is ready']);
    expect(f.calls).toEqual(['check', 'download', 'install']);
  });
  it('up to date / a failed check: said only when the user asked', async () => {
    const shown: string[] = [];
    await createUpdater({ packaged: true, currentVersion: '1.0.0', ui: ui([], shown), load: fakeUpdater('1.0.0').load }).check(true);
    await createUpdater({ packaged: true, currentVersion: '1.0.0', ui: ui([], shown), load: fakeUpdater(null, true).load }).check(false);
    await createUpdater({ packaged: true, currentVersion: '1.0.0', ui: ui([], shown), load: fakeUpdater(null, true).load }).check(true);
    expect(shown).toEqual(['Convoy is up to date', 'Could not check for updates']);
  });
});
