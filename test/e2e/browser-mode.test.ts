import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pkg from '../../package.json' with { type: 'json' };
import { serve } from '../../main/shells/serve';
import { hasChromium, launchChromium, NO_CHROMIUM_MESSAGE } from '../support/chromium';
import { buildRenderer } from '../support/renderer-build';

if (!hasChromium) console.warn(NO_CHROMIUM_MESSAGE);

describe.skipIf(!hasChromium)('browser mode in Chromium', () => {
  let browser: Browser;
  let running: Awaited<ReturnType<typeof serve>>;
  let dataDir: string;
  let staticDir: string;

  beforeAll(async () => {
    staticDir = await buildRenderer();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'convoy-serve-'));
    running = await serve(['--data-dir', dataDir, '--static-dir', staticDir]);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await running?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(staticDir, { recursive: true, force: true });
  });

  it('prints a loopback URL with a token', () => {
    expect(running.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{20,}$/);
  });

  it('loads the app and shows data obtained through the contract', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(running.url);
    const info = page.getByTestId('app-info');
    await info.waitFor({ timeout: 15_000 });
    // The version and provider come from main's app.info handler, not from the page's own code.
    await expect.poll(() => info.textContent()).toContain(pkg.version);
    expect(await info.textContent()).toMatch(/local/i);
    // The page carries its own CSP too (Electron's file:// page has no response headers).
    const meta = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
    expect(meta).toContain("script-src 'self'");
    expect(meta).not.toContain('unsafe-eval');
    fs.mkdirSync(path.resolve(__dirname, '../../test-artifacts/screenshots'), { recursive: true });
    await page.screenshot({ path: path.resolve(__dirname, '../../test-artifacts/screenshots/browser-mode-start.png') });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('without the token the page is refused', async () => {
    const page = await browser.newPage();
    const res = await page.goto(running.url.replace(/\?token=.*/, ''));
    expect(res?.status()).toBe(401);
    await page.close();
  });
});
