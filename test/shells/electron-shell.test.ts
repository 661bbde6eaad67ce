import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EventBus } from '../../main/events';
import { forwardEvents, registerIpc, type IpcMainLike } from '../../main/electron/ipc';
import { ELECTRON_CSP, isAppUrl, isSafeExternalUrl, windowOptions } from '../../main/electron/security';
import { createHandlers } from '../../main/service';
import { methodChannel, methodNames } from '../../preload/contract';

describe('BrowserWindow options', () => {
  it('isolate the renderer: context isolation, sandbox, no node integration', () => {
    const opts = windowOptions({ preloadPath: '/app/preload/index.cjs' });
    const web = opts.webPreferences!;
    expect(web.contextIsolation).toBe(true);
    expect(web.sandbox).toBe(true);
    expect(web.nodeIntegration).toBe(false);
    expect(web.nodeIntegrationInWorker).toBe(false);
    expect(web.nodeIntegrationInSubFrames).toBe(false);
    expect(web.webSecurity).toBe(true);
    expect(web.allowRunningInsecureContent).toBe(false);
    expect(web.webviewTag).toBe(false);
    expect(web.preload).toBe('/app/preload/index.cjs');
  });

  it('a strict CSP allows no remote or inline script', () => {
    const script = ELECTRON_CSP.split(';').find((d) => d.trim().startsWith('script-src'))!;
    expect(script.trim()).toBe("script-src 'self'");
    expect(ELECTRON_CSP).toContain("object-src 'none'");
    expect(ELECTRON_CSP).not.toMatch(/unsafe-eval/);
  });
});

describe('navigation and external links', () => {
  const app = 'file:///opt/Convoy/resources/app/dist/renderer/index.html';
  it('only the app page counts as the app', () => {
    expect(isAppUrl(`${app}#/settings`, app)).toBe(true);
    expect(isAppUrl('file:///etc/passwd', app)).toBe(false);
    expect(isAppUrl('https://evil.example/index.html', app)).toBe(false);
    expect(isAppUrl('not a url', app)).toBe(false);
  });
  it('openExternal takes only http(s) URLs without credentials', () => {
    expect(isSafeExternalUrl('https://www.api2convert.com/docs')).toBe(true);
    expect(isSafeExternalUrl('http://127.0.0.1:8080/x')).toBe(true);
    for (const bad of ['file:///etc/passwd', 'javascript:alert(1)', 'smb://host/share', 'https://user:pw@host/', '', 42, null]) {
      expect(isSafeExternalUrl(bad), String(bad)).toBe(false);
    }
  });
});

describe('IPC adapter', () => {
  const app = 'file:///app/dist/renderer/index.html';
  function setup() {
    const registered = new Map<string, (event: { senderFrame: { url: string } | null }, ...args: unknown[]) => unknown>();
    const ipc: IpcMainLike = { handle: (channel, fn) => void registered.set(channel, fn) };
    const logs: string[] = [];
    const handlers = createHandlers({ 'settings.update': async (patch) => ({ echoed: patch }) as never });
    registerIpc(
      ipc,
      handlers,
      () => app,
      (m) => logs.push(m),
    );
    return { registered, logs };
  }

  it('registers one handler per contract method', () => {
    const { registered } = setup();
    expect([...registered.keys()].sort()).toEqual(methodNames.map((m) => methodChannel(m)).sort());
  });

  it('validates arguments and checks the sender frame', async () => {
    const { registered, logs } = setup();
    const update = registered.get(methodChannel('settings.update'))!;
    expect(await update({ senderFrame: { url: app } }, { concurrency: 3 })).toEqual({ ok: true, value: { echoed: { concurrency: 3 } } });
    const invalid = (await update({ senderFrame: { url: app } }, { concurrency: -1 })) as { ok: boolean; error: { code: string } };
    expect(invalid.ok).toBe(false);
    expect(invalid.error.code).toBe('invalid_argument');
    const foreign = (await update({ senderFrame: { url: 'https://evil.example/' } }, { concurrency: 3 })) as {
      ok: boolean;
      error: { code: string };
    };
    expect(foreign).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    expect((await update({ senderFrame: null }, {})) as { ok: boolean }).toMatchObject({ ok: false });
    expect(logs.some((l) => l.includes('refused settings.update'))).toBe(true);
  });

  it('forwards events to a live window only', () => {
    const bus = new EventBus();
    const sent: Array<[string, unknown]> = [];
    let destroyed = false;
    const stop = forwardEvents(bus, { send: (c, p) => sent.push([c, p]), isDestroyed: () => destroyed });
    bus.emit('batchDone', { batchId: 'b', counts: { total: 1, queued: 0, active: 0, done: 1, failed: 0, canceled: 0 } });
    destroyed = true;
    bus.emit('batchDone', { batchId: 'c', counts: { total: 1, queued: 0, active: 0, done: 1, failed: 0, canceled: 0 } });
    stop();
    expect(sent).toHaveLength(1);
    expect(sent[0][0]).toBe('convoy-event:batchDone');
  });
});

describe('the preload', () => {
  it('exposes narrow functions only, never ipcRenderer', () => {
    const src = fs.readFileSync(path.resolve(__dirname, '../../preload/index.ts'), 'utf8');
    expect(src).toMatch(/exposeInMainWorld\('convoy', bridge\)/);
    expect(src).not.toMatch(/exposeInMainWorld\([^)]*ipcRenderer/);
  });
});
