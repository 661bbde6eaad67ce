/**
 * Browser mode against a page on another origin that has learned the token (URL bar, history):
 * in real Chromium, with the victim's own tab open (so the session cookie exists), every request a
 * foreign page can send without a CORS preflight is refused and the settings do not change.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve } from '../../main/shells/serve';
import { hasChromium, launchChromium, NO_CHROMIUM_MESSAGE } from '../support/chromium';

if (!hasChromium) console.warn(NO_CHROMIUM_MESSAGE);

describe.skipIf(!hasChromium)('browser mode: a leaked token does not let another origin drive it', () => {
  let browser: Browser;
  let running: Awaited<ReturnType<typeof serve>>;
  let evil: http.Server;
  let evilUrl: string;
  let dataDir: string;
  let staticDir: string;

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'convoy-token-'));
    staticDir = fs.mkdtempSync(path.join(os.tmpdir(), 'convoy-token-static-'));
    fs.writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>Convoy</title><p id="ok">app</p>');
    running = await serve(['--data-dir', dataDir, '--static-dir', staticDir]);
    evil = http.createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html><title>evil</title>'));
    await new Promise<void>((r) => evil.listen(0, '127.0.0.1', r));
    evilUrl = `http://localhost:${(evil.address() as { port: number }).port}/`;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await running?.close();
    evil?.closeAllConnections();
    await new Promise<void>((r) => evil?.close(() => r()));
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(staticDir, { recursive: true, force: true });
  });

  it('the page load trades the token for a cookie and drops it from the address bar', async () => {
    const page = await browser.newPage();
    await page.goto(running.url);
    expect(page.url()).not.toContain('token');
    expect(await page.evaluate(() => document.cookie)).toBe(''); // httpOnly: scripts cannot read it
    // The app's own calls work with the cookie alone.
    const status = await page.evaluate(async () => {
      const r = await fetch('/api/settings.get', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
      return r.status;
    });
    expect(status).toBe(200);
    await page.close();
  });

  it('a cross-origin page that knows the token cannot change settings', async () => {
    const context = await browser.newContext();
    const own = await context.newPage();
    await own.goto(running.url); // the victim's tab: the session cookie exists in this browser
    const base = new URL(running.url).origin;
    const token = new URL(running.url).searchParams.get('token')!;
    const read = async () =>
      JSON.parse(
        await (
          await fetch(`${base}/api/settings.get`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Convoy-Token': token }, body: '{}' })
        ).text(),
      ) as { concurrency: number };
    const before = (await read()).concurrency;
    const wanted = before === 3 ? 5 : 3;

    const page = await context.newPage();
    await page.goto(evilUrl);
    const outcomes = await page.evaluate(
      async ({ base, token, wanted }) => {
        const body = JSON.stringify({ concurrency: wanted });
        const tries: Array<[string, RequestInit, string]> = [
          ['blob, token in query', { method: 'POST', mode: 'no-cors', body: new Blob([body]) }, `?token=${token}`],
          ['text/plain, token in query', { method: 'POST', mode: 'no-cors', headers: { 'Content-Type': 'text/plain' }, body }, `?token=${token}`],
          ['blob with the cookie', { method: 'POST', mode: 'no-cors', credentials: 'include', body: new Blob([body]) }, ''],
          ['text/plain with the cookie', { method: 'POST', mode: 'no-cors', credentials: 'include', headers: { 'Content-Type': 'text/plain' }, body }, ''],
          ['json + header (preflight)', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Convoy-Token': token }, body }, ''],
          ['json with the cookie (preflight)', { method: 'POST', credentials: 'include', headers: { 'Content-Type': 'application/json' }, body }, ''],
        ];
        const out: string[] = [];
        for (const [name, init, qs] of tries) {
          try {
            const r = await fetch(`${base}/api/settings.update${qs}`, init);
            out.push(`${name}: ${r.type} ${r.status}`);
          } catch (e) {
            out.push(`${name}: blocked (${(e as Error).message})`);
          }
        }
        // A plain form post (no script needed): text/plain body, cookie if the browser sends it.
        const form = document.createElement('form');
        form.method = 'POST';
        form.enctype = 'text/plain';
        form.action = `${base}/api/settings.update?token=${token}`;
        const input = document.createElement('input');
        input.name = `{"concurrency":${wanted},"x":"`;
        input.value = '"}';
        form.append(input);
        document.body.append(form);
        const frame = document.createElement('iframe');
        frame.name = 'sink';
        document.body.append(frame);
        form.target = 'sink';
        form.submit();
        await new Promise((r) => setTimeout(r, 1000));
        return out;
      },
      { base, token, wanted },
    );
    expect(outcomes.length).toBe(6);
    expect((await read()).concurrency).toBe(before);
    await context.close();
  });
});
