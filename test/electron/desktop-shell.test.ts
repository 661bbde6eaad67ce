/**
 * The desktop app as built (dist/main/index.js + dist/preload/index.cjs), run under a stub
 * `electron` module: start-up (success, locked data folder, newer database), every IPC method and
 * event through the real preload, error codes across contextBridge, the menu, files opened with
 * Convoy, the taskbar, notifications, renderer crashes, the window's remembered bounds, dragging a
 * result out, and quitting mid-batch. Each start is also run under Node 24 — the Node inside
 * Electron 41 — with better-sqlite3 made unloadable, as in the packaged app.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqlite } from '../../lib/sqlite';
import { eventNames, methodChannel, methodNames } from '../../preload/contract';
import { buildApp, electronNode, hasElectronNode, NO_ELECTRON_NODE_MESSAGE, startApp, type AppRun } from './harness';

let build = '';
const runs: AppRun[] = [];
const tmp = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), `convoy-desk-${prefix}-`));

beforeAll(() => {
  build = buildApp();
}, 180_000);
afterAll(() => {
  runs.forEach((r) => r.kill());
  fs.rmSync(build, { recursive: true, force: true });
});

function start(opts: Omit<Parameters<typeof startApp>[0], 'build'>): AppRun {
  const run = startApp({ build, ...opts });
  runs.push(run);
  return run;
}

async function pngs(dir: string, n: number, size = 64): Promise<string[]> {
  fs.mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  for (let i = 0; i < n; i++) {
    const file = path.join(dir, `img-${i}.png`);
    await sharp({ create: { width: size, height: size, channels: 3, background: { r: (i * 40) % 255, g: 120, b: 200 } } })
      .png()
      .toFile(file);
    files.push(file);
  }
  return files;
}

/** Noise does not compress: each encode takes a while, so items are still in flight when the user quits. */
async function slowImages(dir: string, n: number): Promise<string[]> {
  fs.mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  for (let i = 0; i < n; i++) {
    const file = path.join(dir, `noise-${i}.png`);
    await sharp({ create: { width: 1000, height: 1000, channels: 3, background: { r: 0, g: 0, b: 0 }, noise: { type: 'gaussian', mean: 128, sigma: 60 } } })
      .png({ compressionLevel: 1 })
      .toFile(file);
    files.push(file);
  }
  return files;
}

const runtimes = [
  { name: 'Node 20 (better-sqlite3)', node: process.execPath, noAddon: false },
  ...(hasElectronNode ? [{ name: "Node 24, Electron's Node (node:sqlite, no better-sqlite3)", node: electronNode, noAddon: true }] : []),
];
if (!hasElectronNode) console.warn(NO_ELECTRON_NODE_MESSAGE);

describe.each(runtimes)('start-up under $name', ({ node, noAddon }) => {
  it('opens the window at once, serves the page from convoy://app with its CSP, and answers through the preload', async () => {
    const run = start({ dataDir: tmp('ok'), node, noAddon });
    const created = await run.waitFor('window.created');
    expect(created.webPreferences).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false });
    expect(created.show).toBe(false); // shown on ready-to-show, not blank
    expect(await run.waitFor('window.loadURL')).toMatchObject({ url: 'convoy://app/index.html' });
    await run.waitFor('window.show');
    await run.ready();
    const info = (await run.invoke('app.info')) as any;
    expect(info).toMatchObject({ ok: true, value: { shell: 'electron', provider: 'local' } });

    const page = await run.send<any>('fetch', { url: 'convoy://app/index.html' });
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['content-security-policy']).not.toContain('file:');
    expect(page.text).toContain('<div id="root">');
    expect((await run.send<any>('fetch', { url: 'convoy://app/../../etc/passwd' })).status).not.toBe(200);
    expect((await run.send<any>('fetch', { url: 'convoy://app/%2e%2e/%2e%2e/etc/passwd' })).status).toBeGreaterThanOrEqual(400);
    expect((await run.send<any>('fetch', { url: 'convoy://app/thumb/nope/source' })).status).toBe(404);

    // Errors keep their code across contextBridge (which strips thrown errors to their message).
    const invalid = (await run.invoke('queue.setTarget', { itemIds: [] })) as any;
    expect(invalid).toMatchObject({ ok: false, error: { code: 'invalid_argument' } });
    const missing = (await run.invoke('files.open', { itemId: 'no-such-item' })) as any;
    expect(missing.ok).toBe(false);
    expect(missing.error.code).toBe('not_found');
    const unknown = (await run.invoke('no.such.method')) as any;
    expect(unknown).toMatchObject({ ok: false, error: { code: 'not_found' } });
    run.kill();
  });
});

describe('start-up failures', () => {
  it('a locked data folder: says another Convoy runs, the window gets "unavailable", Try Again starts once it is gone', async () => {
    const dataDir = tmp('locked');
    fs.mkdirSync(dataDir, { recursive: true });
    const lockFile = path.join(dataDir, 'queue.lock');
    fs.writeFileSync(lockFile, String(process.pid)); // a live process holds it
    const run = start({ dataDir, env: { STUB_DIALOGS: 'wait' } });
    const dialog = await run.waitFor('dialog');
    expect(dialog).toMatchObject({ modal: true, type: 'error', title: 'Convoy is already running', buttons: ['Try Again', 'Quit'] });
    expect(dialog.detail).toContain(String(process.pid));
    expect(dialog.detail).toContain('queue.lock');
    const meanwhile = (await run.invoke('queue.status')) as any;
    expect(meanwhile).toMatchObject({ ok: false, error: { code: 'unavailable' } });
    expect(meanwhile.error.message).toContain('Convoy could not start');
    fs.rmSync(lockFile);
    await run.send('dialog-answers', { answers: [0] });
    await run.ready();
    expect(fs.readFileSync(lockFile, 'utf8')).toBe(String(run.child.pid));
    expect(fs.readFileSync(path.join(dataDir, 'logs', 'convoy.log'), 'utf8')).toContain('start-up failed: QueueLockedError');
    run.kill();
  });

  it('a locked data folder and Quit: the app quits (and leaves the other Convoy\u2019s lock alone)', async () => {
    const dataDir = tmp('locked-quit');
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(path.join(dataDir, 'queue.lock'), String(process.pid));
    const run = start({ dataDir });
    expect(await run.waitFor('dialog')).toMatchObject({ title: 'Convoy is already running' });
    expect(await run.exited).toBe(0);
    expect(fs.readFileSync(path.join(dataDir, 'queue.lock'), 'utf8')).toBe(String(process.pid));
  });

  it.each(runtimes)('a database from a newer Convoy ($name): a clear refusal naming both versions, the file untouched', async ({ node, noAddon }) => {
    const dataDir = tmp('newer');
    fs.mkdirSync(dataDir, { recursive: true });
    const file = path.join(dataDir, 'convoy.db');
    const db = openSqlite(file);
    db.exec(
      "CREATE TABLE schema_migrations (area TEXT NOT NULL, version INTEGER NOT NULL, PRIMARY KEY (area, version)); INSERT INTO schema_migrations VALUES ('queue', 999);",
    );
    db.close();
    const before = fs.readFileSync(file);
    const run = start({ dataDir, node, noAddon });
    const dialog = await run.waitFor('dialog');
    expect(dialog.title).toBe('This data was written by a newer Convoy');
    expect(dialog.buttons).toEqual(['Quit']);
    expect(dialog.detail).toMatch(/schema 999; this version knows \d+/);
    expect(await run.exited).toBe(0);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
    expect(fs.existsSync(path.join(dataDir, 'queue.lock'))).toBe(false);
  });

  it('a second launch hands over to the first and quits without a window', async () => {
    const run = start({ dataDir: tmp('second'), env: { STUB_SECOND_INSTANCE: '1' } });
    expect(await run.exited).toBe(0);
    expect(run.records.some((r) => r.kind === 'window.created')).toBe(false);
  });
});

describe('the running app', () => {
  let run: AppRun;
  let dataDir: string;
  let opened: string;
  const later: string[] = [];

  beforeAll(async () => {
    dataDir = tmp('main');
    const files = await pngs(path.join(dataDir, 'in'), 3);
    opened = files[0];
    later.push(files[1], files[2]);
    run = start({ dataDir, argv: [opened, '--some-chromium-flag'], env: { STUB_FOCUSED: '0' } });
    await run.ready();
    for (const e of eventNames) await run.send('subscribe', { event: e });
  }, 120_000);

  it('registers one IPC handler per contract method', async () => {
    const state = await run.send<any>('state');
    expect([...state.handlers].sort()).toEqual(methodNames.map((m) => methodChannel(m)).sort());
  });

  it('files opened with Convoy: argv at start through app.takeOpenedFiles, a second launch as filesOpened', async () => {
    expect(await run.invoke('app.takeOpenedFiles')).toEqual({ ok: true, value: { paths: [opened] } });
    expect(await run.invoke('app.takeOpenedFiles')).toEqual({ ok: true, value: { paths: [] } });
    await run.send('app-emit', { event: 'second-instance', args: [['/opt/Convoy/convoy', later[0], '--flag', 'not-a-file'], path.dirname(later[0])] });
    expect(await run.waitForEvent('filesOpened')).toEqual({ paths: [later[0]] });
    await run.send('app-emit', { event: 'open-file', args: [later[1]] });
    expect(await run.waitForEvent('filesOpened', (p) => p.paths[0] === later[1])).toEqual({ paths: [later[1]] });
  });

  it('the menu: Convoy\u2019s commands with shortcuts, the Edit roles, commands reach the window', async () => {
    const menu = (await run.waitFor('menu')) as Array<{ label?: string; submenu?: Array<{ label?: string; role?: string; accelerator?: string }> }>;
    const file = menu.find((m) => m.label === '&File')!;
    expect(file.submenu!.find((i) => i.label === 'Add Files…')!.accelerator).toBe('CmdOrCtrl+O');
    expect(file.submenu!.find((i) => i.label === 'Start')!.accelerator).toBe('CmdOrCtrl+Enter');
    const edit = menu.find((m) => m.label === '&Edit')!;
    expect(edit.submenu!.map((i) => i.role)).toEqual(expect.arrayContaining(['copy', 'paste', 'selectAll', 'undo']));
    await run.send('menu-click', { label: 'Add Files…' });
    expect(await run.waitForEvent('appCommand')).toEqual({ command: 'addFiles' });
    await run.send('menu-click', { label: 'Check for Updates…' });
    expect(await run.waitFor('dialog', (d) => /packaged app/.test(d.message))).toMatchObject({ modal: true });
  });

  it('converts a batch: every event reaches the window, the taskbar shows progress, a notification ends it, a result can be dragged out', async () => {
    const out = path.join(dataDir, 'out');
    fs.mkdirSync(out);
    await run.send('blur'); // a notification is for when the window is not in front
    // One at a time, and a few that take a moment: the run is seen in progress.
    expect((await run.invoke('settings.update', { outputDir: out, notifyOnBatchEnd: true, concurrency: 1 })).ok).toBe(true);
    await run.waitForEvent('settings', (s) => s.outputDir === out);
    const inputs = [...later, ...(await slowImages(path.join(dataDir, 'slow'), 4))];
    const added = (await run.invoke('queue.add', {
      items: inputs.map((p) => ({ source: { kind: 'file', path: p } })),
      target: 'webp',
      options: { quality: 95 },
    })) as any;
    expect(added.ok).toBe(true);
    await run.waitForEvent('items');
    await run.invoke('queue.start');
    await run.waitForEvent('queueStatus');
    await run.waitForEvent('batchDone', (d) => d.counts.done === inputs.length, 120_000);
    const progress = run.records.filter((r) => r.kind === 'window.progress').map((r) => (r.data as any).progress);
    expect(progress.some((p) => p >= 0 && p < 1)).toBe(true);
    await run.waitFor('window.progress', (d) => d.progress === -1);
    expect(run.records.some((r) => r.kind === 'badge' && (r.data as number) > 0)).toBe(true);
    const note = await run.waitFor('notification');
    expect(note.body).toBe('6 converted');
    // The in-process engine's own log lines land in the app's log (a GUI app's stderr is lost).
    expect(fs.readFileSync(path.join(dataDir, 'logs', 'convoy.log'), 'utf8')).toMatch(/\[engine\] ready at http:\/\/127\.0\.0\.1:\d+: \d+ targets/);

    await run.invoke('callbacks.probe');
    await run.waitForEvent('callbackStatus');
    expect(
      (
        await run.invoke('destinations.save', {
          name: 'ftp one',
          type: 'ftp',
          fields: { host: '127.0.0.1', port: 2121, username: 'u', file: '{batch}/{name}' },
          secrets: { password: 'pw-x' },
        })
      ).ok,
    ).toBe(true);
    await run.waitForEvent('destinations');
    const seen = new Set(run.events.map((e) => e.event));
    expect([...eventNames].filter((e) => !seen.has(e))).toEqual([]);

    const itemId = added.value.itemIds[0];
    expect(await run.invoke('files.startDrag', { itemId })).toEqual({ ok: true, value: { started: true } });
    const drag = await run.waitFor('webContents.startDrag');
    expect(drag.file.startsWith(out)).toBe(true);
    expect(drag.iconExists).toBe(true);
    // Rows show thumbnails main makes small (at most 64 px) of the source and of the result.
    for (const of of ['source', 'result']) {
      const thumb = await run.send<any>('fetch', { url: `convoy://app/thumb/${itemId}/${of}` });
      expect(thumb, of).toMatchObject({ status: 200, headers: { 'content-type': 'image/webp' } });
      expect(Number(thumb.headers['content-length']), of).toBeLessThan(8000);
    }
    expect(fs.readdirSync(path.join(dataDir, 'thumbs')).filter((f) => f.endsWith('.webp'))).toHaveLength(2);
  }, 90_000);

  it('reloads a crashed renderer, and asks after a crash loop', async () => {
    await run.send('crash-renderer');
    await run.waitFor('webContents.reload');
    await run.send('dialog-answers', { answers: [0] }); // "Reload" when it asks
    for (let i = 0; i < 3; i++) await run.send('crash-renderer');
    expect(await run.waitFor('dialog', (d) => /keeps crashing/.test(d.message))).toMatchObject({ buttons: ['Reload', 'Quit'] });
    await new Promise((r) => setTimeout(r, 200));
    expect(run.child.exitCode).toBeNull();
  });

  it('remembers the window\u2019s bounds for the next start', async () => {
    await run.send('set-bounds', { bounds: { x: 210, y: 120, width: 1010, height: 690 } });
    await new Promise((r) => setTimeout(r, 900));
    expect(JSON.parse(fs.readFileSync(path.join(dataDir, 'window-state.json'), 'utf8'))).toMatchObject({ x: 210, y: 120, width: 1010, height: 690 });
    run.kill();
    await run.exited;
    const again = start({ dataDir });
    expect(await again.waitFor('window.created')).toMatchObject({ bounds: { x: 210, y: 120, width: 1010, height: 690 } });
    again.kill();
  });
});

describe('quitting', () => {
  it('asks before quitting mid-batch; Cancel keeps working, Quit closes the queue cleanly and work resumes next time', async () => {
    const dataDir = tmp('quit');
    const files = await slowImages(path.join(dataDir, 'in'), 8);
    const run = start({ dataDir, env: { STUB_DIALOGS: 'wait' } });
    await run.ready();
    const out = path.join(dataDir, 'out');
    fs.mkdirSync(out);
    await run.invoke('settings.update', { outputDir: out, concurrency: 1 });
    await run.invoke('queue.add', { items: files.map((p) => ({ source: { kind: 'file', path: p } })), target: 'webp', options: { quality: 95 } });
    await run.invoke('queue.start');

    // Windows/Linux: closing the window asks first.
    await run.send('close-window');
    const closeAsk = await run.waitFor('dialog', (d) => /Quit while \d+ items? (is|are) converting/.test(d.message));
    expect(closeAsk.buttons).toEqual(['Quit', 'Cancel']);
    await run.send('dialog-answers', { answers: [1] });
    await run.waitFor('window.closePrevented');
    expect((await run.invoke('queue.status')).ok).toBe(true);

    // Quit from the menu / ⌘Q: asked again; Quit closes the core (lock released) and exits.
    await run.send('quit');
    await run.waitFor('dialog', (d) => /converting/.test(d.message) && d !== closeAsk);
    await run.send('dialog-answers', { answers: [0] });
    expect(await run.exited).toBe(0);
    expect(fs.existsSync(path.join(dataDir, 'queue.lock'))).toBe(false);
    expect(fs.readFileSync(path.join(dataDir, 'logs', 'convoy.log'), 'utf8')).toContain('core closed');
    const db = openSqlite(path.join(dataDir, 'convoy.db'));
    const states = db.prepare('SELECT state, COUNT(*) AS n FROM queue_items GROUP BY state').all() as Array<{ state: string; n: number }>;
    db.close();
    expect(states.find((s) => s.state === 'failed')).toBeUndefined();
    expect(states.reduce((n, s) => n + (s.state === 'done' ? 0 : s.n), 0)).toBeGreaterThan(0);

    // Next start: the unfinished items continue by themselves.
    const again = start({ dataDir });
    await again.ready();
    for (;;) {
      const st = (await again.invoke('queue.status')) as any;
      if (st.value.totals.done === files.length) break;
      expect(st.value.totals.failed).toBe(0);
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(fs.readdirSync(out).filter((f) => f.endsWith('.webp'))).toHaveLength(files.length);
    again.kill();
  }, 240_000);
});
