/**
 * The renderer end to end: browser mode in Debian's Chromium, the real core with its local engine,
 * real drops (DragEvent + DataTransfer), uploads, conversions, downloads. Screenshots of the main
 * screens go to test-artifacts/screenshots/.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Core } from '../../main/core';
import { startBrowserApp, type BrowserApp } from '../support/browser-app';
import { hasChromium, NO_CHROMIUM_MESSAGE } from '../support/chromium';

const repoRoot = path.resolve(__dirname, '../..');
const shots = path.join(repoRoot, 'test-artifacts', 'screenshots');
if (!hasChromium) console.warn(NO_CHROMIUM_MESSAGE);

/** Serves fixture images (and a 404) as the "internet" the URL sources point at. */
async function startSourceServer(files: Record<string, Buffer>) {
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    const name = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname.slice(1));
    hits.push(name);
    const body = files[name];
    if (!body) return void res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not here');
    const send = () => {
      res.writeHead(200, { 'Content-Type': name.endsWith('.png') ? 'image/png' : 'image/jpeg', 'Content-Length': body.length });
      res.end(body);
    };
    // "slow-" sources take a while, so a batch of them is still running when the engine stops.
    if (name.startsWith('slow-')) setTimeout(send, 1500);
    else send();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return { base: `http://127.0.0.1:${port}`, hits, close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))) };
}

const image = (w: number, h: number, color: { r: number; g: number; b: number }, format: 'jpeg' | 'png') =>
  sharp({ create: { width: w, height: h, channels: 3, background: color } })
    [format]()
    .toBuffer();

/** Drops onto the drop zone the way a browser does: one DataTransfer through dragenter/over/drop. */
async function drop(page: Page, payload: { uriList?: string; text?: string; files?: Array<{ name: string; base64: string; type: string }> }) {
  await page.evaluate((p) => {
    const dt = new DataTransfer();
    if (p.uriList) dt.setData('text/uri-list', p.uriList);
    if (p.text) dt.setData('text/plain', p.text);
    for (const f of p.files ?? []) {
      const bytes = Uint8Array.from(atob(f.base64), (c) => c.charCodeAt(0));
      dt.items.add(new File([bytes], f.name, { type: f.type }));
    }
    const zone = document.querySelector('[role="region"][aria-label="Drop files or URLs"]')!;
    for (const type of ['dragenter', 'dragover', 'drop']) {
      zone.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: dt }));
    }
  }, payload);
}

const queueList = (page: Page) => page.getByRole('list', { name: 'Queue' });
const row = (page: Page, name: string) => queueList(page).getByRole('listitem', { name, exact: true });
const statusOf = (page: Page, name: string) => row(page, name).getByTestId('row-status').textContent();

describe.skipIf(!hasChromium)('the renderer in browser mode (Chromium, real core, local engine)', () => {
  let browser: Browser;
  let core: Core;
  let adapter: BrowserApp['adapter'];
  let sources: Awaited<ReturnType<typeof startSourceServer>>;
  let tmp: string;
  let app: BrowserApp;
  let restarted: { close(): Promise<void> } | null = null;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    fs.mkdirSync(shots, { recursive: true });
    const [jpgA, jpgB, pngC] = await Promise.all([
      image(64, 48, { r: 200, g: 40, b: 40 }, 'jpeg'),
      image(80, 60, { r: 40, g: 160, b: 60 }, 'jpeg'),
      image(32, 32, { r: 40, g: 60, b: 200 }, 'png'),
    ]);
    sources = await startSourceServer({ 'red.jpg': jpgA, 'green.jpg': jpgB, 'blue.png': pngC, 'slow-1.jpg': jpgA, 'slow-2.jpg': jpgB, 'slow-3.jpg': jpgA });
    app = await startBrowserApp({ prefix: 'convoy-ui-e2e-', core: (dir) => ({ queue: { outputDir: path.join(dir, 'out') } }) });
    ({ tmp, core, adapter, browser } = app);
  }, 120_000);

  afterAll(async () => {
    await restarted?.close().catch(() => {});
    await app?.close();
    await sources?.close();
  });

  async function openApp(colorScheme: 'light' | 'dark' = 'light'): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 820 }, colorScheme });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(adapter.url);
    await page.getByTestId('app-info').waitFor({ timeout: 15_000 });
    return page;
  }

  it('drops a URL list and local files, chooses targets, converts them, and opens a result', async () => {
    const page = await openApp();
    await page.screenshot({ path: path.join(shots, 'ui-empty.png') });

    const red = `${sources.base}/red.jpg`;
    const green = `${sources.base}/green.jpg`;
    const missing = `${sources.base}/missing.jpg`;
    await drop(page, { uriList: `# dragged from a browser\r\n${red}\r\n${green}\r\n${missing}\r\n${red}\r\nnot a url` });
    await expect.poll(() => queueList(page).getByRole('listitem').count(), { timeout: 10_000 }).toBe(3);
    // The bad line is listed with its reason (folded into one line once the queue has rows); the duplicate is merged.
    await page.getByText(/lines? not added/).click();
    await expect.poll(() => page.getByRole('list', { name: 'Lines not added' }).textContent()).toContain('No URL in this line');

    const local = await image(48, 48, { r: 250, g: 200, b: 0 }, 'png');
    await drop(page, { files: [{ name: 'local-yellow.png', base64: local.toString('base64'), type: 'image/png' }] });
    await expect.poll(() => queueList(page).getByRole('listitem').count(), { timeout: 15_000 }).toBe(4);
    expect(await statusOf(page, 'local-yellow.png')).toBe('Needs a target');

    // Targets: one row by itself, the rest as a selection.
    const redTarget = row(page, red).getByRole('combobox', { name: 'Target format' });
    await expect.poll(async () => (await redTarget.locator('option').allTextContents()).length, { timeout: 15_000 }).toBeGreaterThan(2);
    const offered = await redTarget.locator('option').evaluateAll((opts) => opts.map((o) => (o as HTMLOptionElement).value));
    expect(offered).toContain('png');
    await redTarget.selectOption('png');
    await expect.poll(() => redTarget.inputValue()).toBe('png');
    await row(page, green).getByRole('checkbox').check();
    await row(page, missing).getByRole('checkbox').check();
    await row(page, 'local-yellow.png').getByRole('checkbox').check();
    await page.getByRole('combobox', { name: 'Target for selected' }).selectOption('webp');
    await expect.poll(() => row(page, 'local-yellow.png').getByRole('combobox', { name: 'Target format' }).inputValue()).toBe('webp');
    // With some rows selected, the select-all box clears the selection.
    await page.getByRole('checkbox', { name: 'Select all' }).click();
    await expect.poll(() => row(page, green).getByRole('checkbox').isChecked()).toBe(false);
    await page.screenshot({ path: path.join(shots, 'ui-queue-ready.png') });

    await page.getByRole('button', { name: 'Start', exact: true }).click();
    for (const name of [red, green, 'local-yellow.png']) {
      await expect.poll(() => statusOf(page, name), { timeout: 45_000, interval: 250 }).toBe('Done');
    }
    await expect.poll(() => statusOf(page, missing), { timeout: 45_000 }).toBe('Failed');
    const failedText = await row(page, missing).textContent();
    expect(failedText).toMatch(/404|not found|could not/i);
    // Clear the toasts so the screenshot shows the rows.
    const dismiss = page.getByRole('button', { name: 'Dismiss', exact: true });
    while ((await dismiss.count()) > 0) await dismiss.first().click();
    await page.screenshot({ path: path.join(shots, 'ui-queue-done.png') });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.waitForTimeout(200);
    await page.screenshot({ path: path.join(shots, 'ui-queue-done-dark.png') });
    await page.emulateMedia({ colorScheme: 'light' });

    // Open: browser mode opens the result in a new tab from the host.
    const [popup] = await Promise.all([page.waitForEvent('popup'), row(page, red).getByRole('button', { name: 'Open' }).click()]);
    await popup.waitForLoadState();
    const res = await page.request.get(popup.url());
    expect(res.status()).toBe(200);
    expect(res.headers()['content-type']).toBe('image/png');
    const meta = await sharp(await res.body()).metadata();
    expect(meta).toMatchObject({ format: 'png', width: 64, height: 48 });
    await popup.close();
    // The finished image shows as a thumbnail from the host.
    await expect
      .poll(() =>
        row(page, red)
          .locator('img')
          .evaluate((img) => (img as HTMLImageElement).naturalWidth),
      )
      .toBe(64);
    expect(fs.readdirSync(path.join(tmp, 'out')).sort()).toEqual(expect.arrayContaining(['green.webp', 'red.png']));
    await page.close();
  }, 120_000);

  it('shows the offline banner when the engine stops mid-batch and finishes after it returns', async () => {
    const page = await openApp();
    const urls = [1, 2, 3].map((i) => `${sources.base}/slow-${i}.jpg`);
    await page.getByRole('textbox', { name: 'URLs' }).fill(urls.join('\n'));
    await page.getByRole('button', { name: 'Add URLs' }).click();
    for (const u of urls) await row(page, u).waitFor({ timeout: 10_000 });
    // Only the new rows: select them and give them one target.
    for (const u of urls) await row(page, u).getByRole('checkbox').check();
    await page.getByRole('combobox', { name: 'Target for selected' }).selectOption('png');
    await expect.poll(() => row(page, urls[2]).getByRole('combobox', { name: 'Target format' }).inputValue()).toBe('png');

    // Start, and stop the local engine while the batch runs: the queue cannot reach the API.
    const { createEngine } = await import('../../engine/index');
    const port = Number(new URL(core.provider.baseUrl).port);
    await page.getByRole('button', { name: 'Start', exact: true }).click();
    await expect.poll(() => statusOf(page, urls[0]), { timeout: 20_000, interval: 100 }).toBe('Converting');
    await core.provider.close();
    const banner = page.getByTestId('offline-banner');
    await banner.waitFor({ timeout: 30_000 });
    expect(await banner.textContent()).toMatch(/item.* waiting; they will resume by themselves/);
    await page.screenshot({ path: path.join(shots, 'ui-offline.png') });
    for (const u of urls) expect(await statusOf(page, u)).not.toBe('Failed');

    // The engine comes back on the same port with the same state: the batch completes by itself.
    restarted = await createEngine({ port, dataDir: path.join(core.dataDir, 'engine'), apiKey: core.provider.apiKey });
    for (const u of urls) await expect.poll(() => statusOf(page, u), { timeout: 60_000, interval: 500 }).toBe('Done');
    await expect.poll(() => banner.count(), { timeout: 10_000 }).toBe(0);
    await page.close();
  }, 120_000);

  it('shows the settings and destination screens', async () => {
    const page = await openApp();
    await page.getByRole('button', { name: 'Settings' }).click();
    await page.getByRole('dialog', { name: 'Settings' }).waitFor();
    await page.screenshot({ path: path.join(shots, 'ui-settings.png') });
    await page.keyboard.press('Escape');
    await page.getByRole('button', { name: 'Destinations' }).click();
    const dialog = page.getByRole('dialog', { name: 'Destinations' });
    await dialog.waitFor();
    await dialog.getByRole('textbox', { name: 'Profile name' }).fill('Office FTP');
    await dialog.getByRole('textbox', { name: 'Host' }).fill('ftp://wrong');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.getByText('Enter only the host name, without ftp:// or another scheme').waitFor();
    await dialog.getByText('Enter the username').waitFor();
    await dialog.getByText('Enter the password').waitFor();
    await page.screenshot({ path: path.join(shots, 'ui-destinations.png') });
    await page.close();
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
