/**
 * Issue 12, the desktop experience's second pass, end to end: browser mode in Debian's Chromium,
 * the real core and its local engine. One block per numbered problem of the issue, each asserting
 * the fixed behaviour; axe-core on the main screen and every dialog, light and dark; screenshots
 * at 800×600 and 1280×800 in test-artifacts/screenshots/.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Core } from '../../main/core';
import { startBrowserApp, type BrowserApp } from '../support/browser-app';
import { axe } from '../support/axe';
import { hasChromium, NO_CHROMIUM_MESSAGE } from '../support/chromium';

const repoRoot = path.resolve(__dirname, '../..');
const shots = path.join(repoRoot, 'test-artifacts', 'screenshots');
if (!hasChromium) console.warn(NO_CHROMIUM_MESSAGE);

const SMALL = { width: 800, height: 600 };
const LARGE = { width: 1280, height: 800 };

const image = (w: number, h: number, color: { r: number; g: number; b: number }, format: 'jpeg' | 'png') =>
  sharp({ create: { width: w, height: h, channels: 3, background: color } })
    [format]()
    .toBuffer();

/** The "internet": any img-*.jpg is a picture, slow-* answers late, everything else is a 404. */
async function startSourceServer(jpg: Buffer) {
  const server = http.createServer((req, res) => {
    const name = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname.slice(1));
    if (!/^(img|slow)-[\w-]+\.jpg$/.test(name)) return void res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not here');
    const send = () => res.writeHead(200, { 'Content-Type': 'image/jpeg', 'Content-Length': jpg.length }).end(jpg);
    if (name.startsWith('slow-')) setTimeout(send, 4000);
    else send();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return { base: `http://127.0.0.1:${port}`, close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))) };
}

async function drop(page: Page, files: Array<{ name: string; bytes: Buffer; type: string }>, on = '[role="region"][aria-label="Drop files or URLs"]') {
  await page.evaluate(
    ({ list, on }) => {
      const dt = new DataTransfer();
      for (const f of list) dt.items.add(new File([Uint8Array.from(atob(f.base64), (c) => c.charCodeAt(0))], f.name, { type: f.type }));
      const zone = document.querySelector(on)!;
      for (const type of ['dragenter', 'dragover', 'drop']) zone.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: dt }));
    },
    { list: files.map((f) => ({ name: f.name, type: f.type, base64: f.bytes.toString('base64') })), on },
  );
}

const queueList = (page: Page) => page.getByRole('list', { name: 'Queue' });
const rows = (page: Page) => queueList(page).getByRole('listitem');
const row = (page: Page, name: string) => queueList(page).getByRole('listitem', { name, exact: true });
const statusOf = (page: Page, name: string) => row(page, name).getByTestId('row-status').textContent();
const targetOf = (page: Page, name: string) => row(page, name).getByRole('combobox', { name: 'Target format' });

/** Rows wholly inside the list's visible box. */
async function fullyVisibleRows(page: Page): Promise<number> {
  return page.evaluate(() => {
    const box = document.querySelector('.queue-scroll')!.getBoundingClientRect();
    return [...document.querySelectorAll('[role="list"][aria-label="Queue"] [role="listitem"]')].filter((r) => {
      const b = r.getBoundingClientRect();
      return b.top >= box.top - 0.5 && b.bottom <= box.bottom + 0.5;
    }).length;
  });
}

/**
 * Controls on screen that a user cannot read or reach whole: cut by the window's edge or by an
 * ancestor that hides overflow, or a menu too narrow for its chosen text (the arrow takes ~20 px).
 */
async function clippedControls(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const problems: string[] = [];
    const ctx = document.createElement('canvas').getContext('2d')!;
    const name = (el: Element) => el.getAttribute('aria-label') || el.textContent?.trim().slice(0, 40) || el.tagName;
    for (const el of document.querySelectorAll<HTMLElement>('button, select, a[href], input:not([type="hidden"])')) {
      const r = el.getBoundingClientRect();
      if (!r.width || !r.height || getComputedStyle(el).visibility === 'hidden') continue;
      if (r.left < -0.5 || r.right > innerWidth + 0.5) problems.push(`${name(el)}: past the window's edge`);
      for (let a = el.parentElement; a; a = a.parentElement) {
        if (getComputedStyle(a).overflowX === 'visible') continue;
        const b = a.getBoundingClientRect();
        if (r.left < b.left - 0.5 || r.right > b.right + 0.5) problems.push(`${name(el)}: cut by .${a.className}`);
      }
      if (el instanceof HTMLSelectElement && el.selectedOptions[0]) {
        const style = getComputedStyle(el);
        ctx.font = style.font;
        const room = el.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) - 20;
        if (ctx.measureText(el.selectedOptions[0].text).width > room) problems.push(`${name(el)}: "${el.selectedOptions[0].text}" does not fit`);
      }
    }
    return problems;
  });
}

async function dismissToasts(page: Page) {
  const close = page.locator('.notices').getByRole('button', { name: 'Dismiss' });
  while ((await close.count()) > 0) await close.first().click();
}

describe.skipIf(!hasChromium)('issue 12: the desktop experience, second pass (Chromium, real core, local engine)', () => {
  let browser: Browser;
  let core: Core;
  let adapter: BrowserApp['adapter'];
  let sources: Awaited<ReturnType<typeof startSourceServer>>;
  let tmp: string;
  let app: BrowserApp;
  let home: string;
  const pageErrors: string[] = [];
  const a11y: string[] = [];
  let jpg: Buffer;
  let png: Buffer;

  beforeAll(async () => {
    fs.mkdirSync(shots, { recursive: true });
    [jpg, png] = await Promise.all([image(64, 48, { r: 200, g: 40, b: 40 }, 'jpeg'), image(40, 40, { r: 40, g: 60, b: 200 }, 'png')]);
    sources = await startSourceServer(jpg);
    // The built-in default output folder lives under the home folder: the run has its own.
    app = await startBrowserApp({ prefix: 'convoy-ui12-', ownHome: true, core: () => ({ secretsBackend: 'memory' }) });
    ({ tmp, core, adapter, browser } = app);
    home = path.join(tmp, 'home');
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await sources?.close();
  });

  async function clearQueue() {
    const { items } = await core.handlers['queue.list']({ offset: 0, limit: 100_000 });
    if (items.length) await core.handlers['queue.remove']({ itemIds: items.map((i) => i.id) });
  }

  async function openApp(viewport = LARGE, init?: () => void): Promise<Page> {
    const page = await browser.newPage({ viewport, colorScheme: 'light' });
    if (init) await page.addInitScript(init);
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(adapter.url);
    await page.getByTestId('app-info').waitFor({ timeout: 15_000 });
    return page;
  }

  async function addUrls(page: Page, urls: string[]) {
    const before = (await core.handlers['queue.list']({ offset: 0, limit: 1 })).total;
    await page.getByRole('textbox', { name: 'URLs' }).fill(urls.join('\n'));
    await page.getByRole('button', { name: 'Add URLs' }).click();
    try {
      await expect
        .poll(() => core.handlers['queue.list']({ offset: 0, limit: 1 }).then((r) => r.total), { timeout: 15_000 })
        .toBeGreaterThanOrEqual(before + urls.length);
    } catch (err) {
      await page.screenshot({ path: path.join(shots, 'ui12-debug-addurls.png') });
      throw err;
    }
  }

  async function item(label: string) {
    const { items } = await core.handlers['queue.list']({ offset: 0, limit: 100_000 });
    return items.find((i) => i.label === label);
  }

  it('3, 4, 9: the queue gets the room; the output folder is visible and true; plumbing is out of the way', async () => {
    await clearQueue();
    const page = await openApp(LARGE);
    await page.screenshot({ path: path.join(shots, 'ui12-empty-1280x800.png') });
    a11y.push(...(await axe(page, 'main screen (empty)')));

    // 4: the output folder is stated truthfully: the built-in default under the home folder.
    const defaultDir = path.join(home, 'Downloads', 'Convoy');
    await expect.poll(() => page.getByTestId('output-folder').textContent()).toBe(defaultDir);
    expect(await page.getByRole('group', { name: 'Where results go' }).textContent()).toContain('(default)');
    expect(await page.content()).not.toContain('Next to the source');

    const urls = Array.from({ length: 30 }, (_, i) => `${sources.base}/img-${String(i + 1).padStart(2, '0')}.jpg`);
    await addUrls(page, urls);
    await expect.poll(() => rows(page).count(), { timeout: 15_000 }).toBeGreaterThan(12);
    // 3: queue first: the add area is a slim bar, at least 12 whole rows at 1280×800.
    expect(await page.locator('.add-panel').evaluate((el) => el.getBoundingClientRect().height)).toBeLessThan(50);
    expect(await fullyVisibleRows(page)).toBeGreaterThanOrEqual(12);
    // 10: a URL row shows its file name first; the toolbar stays one line with many items.
    expect(await row(page, urls[0]).locator('.row-name').textContent()).toBe('img-01.jpg');
    expect(await page.getByRole('toolbar', { name: 'Queue actions' }).evaluate((el) => el.getBoundingClientRect().height)).toBeLessThan(48);
    // 10: no target reads "Needs a target", not "Queued".
    expect(await statusOf(page, urls[0])).toBe('Needs a target');
    // 3: with the add area slim, dropping anywhere on the window still adds.
    await drop(page, [{ name: 'dropped-on-list.png', bytes: png, type: 'image/png' }], '.queue-scroll');
    await expect.poll(async () => (await item('dropped-on-list.png'))?.state, { timeout: 15_000 }).toBe('queued');
    await dismissToasts(page);
    await page.screenshot({ path: path.join(shots, 'ui12-queue-1280x800.png') });
    a11y.push(...(await axe(page, 'main screen (queue)')));

    // 9: the status bar says how updates arrive, with the reason as a tooltip; no "Polling — …".
    const footer = page.getByRole('status', { name: 'Connection' });
    await expect.poll(() => footer.textContent()).toContain('Status updates: every few seconds');
    expect(await footer.textContent()).not.toContain('Polling');
    expect(await footer.locator('[title*="every few seconds"]').count()).toBe(1);
    // 9: the keychain banner can be dismissed.
    const banner = page.getByText('Secrets are not saved to a keychain.');
    await banner.waitFor();
    await page.locator('.banners').getByRole('button', { name: 'Dismiss' }).click();
    await expect.poll(() => banner.count()).toBe(0);

    // 3: at 800×600, at least 8 whole rows, with nothing cut to "→ Defa…".
    await page.setViewportSize(SMALL);
    await page.waitForTimeout(300);
    expect(await fullyVisibleRows(page)).toBeGreaterThanOrEqual(8);
    await page.screenshot({ path: path.join(shots, 'ui12-queue-800x600.png') });
    await row(page, urls[1]).getByRole('checkbox').check();
    await page.waitForTimeout(200);
    await page.screenshot({ path: path.join(shots, 'ui12-selection-800x600.png') });
    a11y.push(...(await axe(page, 'main screen 800x600 with a selection')));
    await page.getByRole('button', { name: 'Clear selection' }).click();

    // 9: Settings keeps callbacks, port, tunnel and signing under Advanced.
    await page.getByRole('button', { name: 'Settings' }).click();
    const settings = page.getByRole('dialog', { name: 'Settings' });
    await settings.waitFor();
    expect(await settings.getByRole('textbox', { name: 'Callback public URL' }).count()).toBe(0);
    // 4: the settings state the real default too.
    expect(await settings.getByRole('textbox', { name: 'Default output folder' }).getAttribute('placeholder')).toBe(`Empty: ${defaultDir}`);
    expect(await settings.evaluate((el) => el.getBoundingClientRect().bottom)).toBeLessThanOrEqual(SMALL.height);
    await page.screenshot({ path: path.join(shots, 'ui12-settings-800x600.png') });
    a11y.push(...(await axe(page, 'Settings dialog')));
    await settings.getByRole('button', { name: /Advanced/ }).click();
    await settings.getByRole('textbox', { name: 'Callback public URL' }).waitFor();
    a11y.push(...(await axe(page, 'Settings dialog, Advanced open')));
    await page.keyboard.press('Escape');

    // 4: Change: browser mode has a path field that main checks; a bad path is refused with the reason.
    await page.getByRole('button', { name: 'Change…' }).click();
    const change = page.getByRole('dialog', { name: 'Output folder' });
    await change.waitFor();
    a11y.push(...(await axe(page, 'Output folder dialog')));
    await change.getByRole('textbox', { name: 'Folder for results' }).fill(path.join(tmp, 'nope'));
    await change.getByRole('button', { name: 'Use this folder' }).click();
    await expect.poll(() => change.getByRole('alert').textContent()).toContain('does not exist');
    const chosen = path.join(tmp, 'chosen');
    fs.mkdirSync(chosen);
    await change.getByRole('textbox', { name: 'Folder for results' }).fill(chosen);
    await change.getByRole('button', { name: 'Use this folder' }).click();
    await expect.poll(() => page.getByTestId('output-folder').textContent()).toBe(chosen);
    expect(core.settings.get().outputDir).toBe(chosen);
    // "Open output folder" in browser mode says where the folder is.
    await page.getByRole('button', { name: 'Open output folder' }).first().click();
    await page.locator('.notices').getByText(`Results are saved in ${chosen}`).waitFor();

    // 4: rows say truthfully where results go: those added before the change keep their folder.
    expect(await row(page, urls[0]).locator('.row-dest').textContent()).toBe(`→ ${defaultDir}`);
    const later = `${sources.base}/img-later.jpg`;
    await addUrls(page, [later]);
    await page.locator('.queue-scroll').evaluate((el) => (el.scrollTop = el.scrollHeight));
    await row(page, later).waitFor();
    expect(await row(page, later).locator('.row-dest').textContent()).toBe('→ Output folder');
    // …and a converted row shows its real output path.
    await targetOf(page, later).selectOption('png');
    await row(page, later).getByRole('checkbox').check();
    await page.getByRole('button', { name: 'Start', exact: true }).click();
    await expect.poll(() => statusOf(page, later), { timeout: 30_000, interval: 250 }).toBe('Done');
    expect(await row(page, later).locator('.row-dest').textContent()).toBe(`→ ${path.join(chosen, 'img-later.png')}`);
    expect(fs.existsSync(path.join(chosen, 'img-later.png'))).toBe(true);
    await page.close();
  }, 180_000);

  it('1, 2, 6: options follow the target; bulk changes are explicit with Undo; remembered choices are shown and can be turned off', async () => {
    await clearQueue();
    const page = await openApp(LARGE);
    await drop(page, [
      { name: 'team-photo.jpg', bytes: jpg, type: 'image/jpeg' },
      { name: 'b.png', bytes: png, type: 'image/png' },
      { name: 'c.png', bytes: png, type: 'image/png' },
      { name: 'd.png', bytes: png, type: 'image/png' },
    ]);
    await expect.poll(() => rows(page).count(), { timeout: 20_000 }).toBe(4);
    await expect.poll(async () => (await targetOf(page, 'team-photo.jpg').locator('option').allTextContents()).length, { timeout: 15_000 }).toBeGreaterThan(3);

    // 1: WEBP with quality 72, then PNG: quality is not a PNG option, so it is dropped, visibly.
    await targetOf(page, 'team-photo.jpg').selectOption('webp');
    await row(page, 'team-photo.jpg').getByRole('button', { name: 'Options' }).click();
    const webp = page.getByRole('dialog', { name: 'WEBP options' });
    await webp.getByRole('textbox', { name: 'Quality' }).fill('72');
    await webp.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(async () => (await item('team-photo.jpg'))?.options).toEqual({ quality: 72 });
    await expect.poll(() => row(page, 'team-photo.jpg').locator('.row-opts').textContent()).toBe('quality 72');
    await targetOf(page, 'team-photo.jpg').selectOption('png');
    await expect.poll(async () => (await item('team-photo.jpg'))?.target).toBe('png');
    expect((await item('team-photo.jpg'))?.options).toEqual({});
    expect(await row(page, 'team-photo.jpg').getByRole('note').textContent()).toMatch(/dropped: quality/);
    // …and it converts without reopening the options.
    await row(page, 'team-photo.jpg').getByRole('checkbox').check();
    await page.getByRole('button', { name: 'Start', exact: true }).click();
    await expect.poll(() => statusOf(page, 'team-photo.jpg'), { timeout: 30_000, interval: 250 }).toBe('Done');
    await row(page, 'team-photo.jpg').getByRole('checkbox').uncheck();

    // 1: a request known to fail is never sent: an option the target does not define is caught before Start.
    const d = (await item('d.png'))!;
    await core.handlers['queue.setTarget']({ itemIds: [d.id], target: 'png', options: { quality: 72 } });
    await expect.poll(() => targetOf(page, 'd.png').inputValue()).toBe('png');
    await row(page, 'd.png').getByRole('checkbox').check();
    await page.getByRole('button', { name: 'Start', exact: true }).click();
    await expect.poll(() => row(page, 'd.png').getByRole('note').textContent()).toContain('PNG has no option');
    expect(await row(page, 'd.png').getByRole('button', { name: 'Options' }).count()).toBeGreaterThan(0);
    await page.waitForTimeout(1500);
    expect((await item('d.png'))?.state).toBe('queued');
    await row(page, 'd.png').getByRole('checkbox').uncheck();

    // 2: with rows selected, a row's own menu changes that row only.
    await row(page, 'b.png').getByRole('checkbox').check();
    await row(page, 'c.png').getByRole('checkbox').check();
    await targetOf(page, 'b.png').selectOption('gif');
    await expect.poll(() => targetOf(page, 'b.png').inputValue()).toBe('gif');
    await page.waitForTimeout(500);
    expect(await targetOf(page, 'c.png').inputValue()).toBe('');
    // …and the selection bar changes all of them, says so, and can undo.
    await page.getByRole('combobox', { name: 'Target for selected' }).selectOption('webp');
    const applied = page.locator('.notices').getByText('Applied to 2 items (WEBP)');
    await applied.waitFor();
    await expect.poll(() => targetOf(page, 'c.png').inputValue()).toBe('webp');
    expect(await targetOf(page, 'b.png').inputValue()).toBe('webp');
    await page.screenshot({ path: path.join(shots, 'ui12-applied-undo-1280x800.png') });
    await page.locator('.notices').getByRole('button', { name: 'Undo' }).click();
    await expect.poll(() => targetOf(page, 'b.png').inputValue()).toBe('gif');
    await expect.poll(() => statusOf(page, 'c.png')).toBe('Needs a target');

    // 7: select by type.
    await page.getByRole('button', { name: 'Clear selection' }).click();
    await page.getByRole('combobox', { name: 'Select by type' }).selectOption({ label: 'All images (4)' });
    await expect.poll(() => page.getByRole('toolbar', { name: '4 selected' }).count()).toBe(1);
    await page.getByRole('button', { name: 'Clear selection' }).click();

    // 6: the next .jpg comes with the remembered PNG, and the row says why.
    await addUrls(page, [`${sources.base}/img-remote-1.jpg`]);
    const remote1 = `${sources.base}/img-remote-1.jpg`;
    await expect.poll(() => targetOf(page, remote1).inputValue(), { timeout: 10_000 }).toBe('png');
    expect(await row(page, remote1).locator('.row-remembered').textContent()).toBe('PNG remembered for .jpg');
    // …and remembering can be turned off in Settings.
    await page.getByRole('button', { name: 'Settings' }).click();
    const settings = page.getByRole('dialog', { name: 'Settings' });
    await settings.getByRole('checkbox', { name: 'Remember my last target and options for each file type' }).uncheck();
    await page.keyboard.press('Escape');
    await addUrls(page, [`${sources.base}/img-remote-2.jpg`]);
    const remote2 = `${sources.base}/img-remote-2.jpg`;
    await row(page, remote2).waitFor();
    await page.waitForTimeout(500);
    expect(await targetOf(page, remote2).inputValue()).toBe('');
    expect(await statusOf(page, remote2)).toBe('Needs a target');
    await page.close();
  }, 180_000);

  it('5, 7, 10: one honest result per Start; errors in plain words with fixes that match the cause', async () => {
    await clearQueue();
    // A system notification where permitted: record what the page would show while it is in the background.
    const page = await openApp(LARGE, () => {
      const shown: string[] = [];
      (window as unknown as { shownNotifications: string[] }).shownNotifications = shown;
      class FakeNotification {
        static permission = 'granted';
        static requestPermission = async () => 'granted';
        constructor(title: string, opts?: { body?: string }) {
          shown.push(`${title}: ${opts?.body ?? ''}`);
        }
      }
      Object.defineProperty(window, 'Notification', { value: FakeNotification });
      Object.defineProperty(document, 'hasFocus', { value: () => false });
    });
    const corrupt = Buffer.from('this is not a JPEG at all, just text pretending');
    await drop(page, [
      { name: 'fine.jpg', bytes: jpg, type: 'image/jpeg' },
      { name: 'corrupt.jpg', bytes: corrupt, type: 'image/jpeg' },
      { name: 'song.mp3', bytes: Buffer.from('ID3 not really audio'), type: 'audio/mpeg' },
    ]);
    const missing = `${sources.base}/missing.jpg`;
    const slow = [1, 2].map((i) => `${sources.base}/slow-${i}.jpg`);
    await addUrls(page, [`${sources.base}/img-ok.jpg`, missing, ...slow]);
    await expect.poll(() => rows(page).count(), { timeout: 20_000 }).toBe(7);
    await expect.poll(async () => (await targetOf(page, 'fine.jpg').locator('option').allTextContents()).length, { timeout: 15_000 }).toBeGreaterThan(3);

    // 7: a mixed selection says why there is no common target and offers one menu per type.
    await row(page, 'fine.jpg').getByRole('checkbox').check();
    await row(page, 'song.mp3').getByRole('checkbox').check();
    const bar = page.getByRole('toolbar', { name: '2 selected' });
    await bar.waitFor();
    const perType = bar.getByRole('combobox', { name: /Target for the 1 selected/ });
    expect(await perType.count()).toBe(2);
    await page.screenshot({ path: path.join(shots, 'ui12-mixed-selection-1280x800.png') });
    // 10: a hidden selection does not survive a filter change.
    await page.getByRole('radio', { name: /^Done/ }).click();
    await expect.poll(() => page.getByRole('toolbar', { name: /selected/ }).count()).toBe(0);
    await page.getByRole('radio', { name: /^All/ }).click();

    // Every image to PNG through a selection; the .mp3 keeps no target (skipped at Start).
    await page.getByRole('combobox', { name: 'Select by type' }).selectOption({ label: 'All images (6)' });
    await page.getByRole('combobox', { name: 'Target for selected' }).selectOption('png');
    await page.locator('.notices').getByText('Applied to 6 items (PNG)').waitFor();
    await page.getByRole('button', { name: 'Clear selection' }).click();
    await dismissToasts(page);

    // 10: one Start (no "Convert selected"); Retry is not offered on queued rows.
    expect(await page.getByRole('button', { name: 'Convert selected' }).count()).toBe(0);
    expect(await row(page, 'fine.jpg').getByRole('button', { name: 'Retry' }).count()).toBe(0);
    await page.getByRole('button', { name: 'Start', exact: true }).click();
    // 10: focus moves to the result summary after Start.
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('run-summary');
    // 5: elapsed time, speed and time left while running; cancel one slow item.
    const progress = page.getByRole('group', { name: 'Progress', exact: true });
    await progress.waitFor();
    expect(await progress.textContent()).toMatch(/Converting · \d of 6 finished.*\d:\d\d/);
    await expect.poll(() => statusOf(page, slow[1]), { timeout: 20_000, interval: 100 }).toMatch(/Uploading|Converting|Downloading/);
    await row(page, slow[1]).getByRole('button', { name: 'Cancel' }).click();
    await page.screenshot({ path: path.join(shots, 'ui12-running-1280x800.png') });

    const result = page.getByRole('group', { name: 'Result', exact: true });
    await result.waitFor({ timeout: 60_000 });
    const text = (await result.textContent()) ?? '';
    // fine, img-ok, slow-1 converted; corrupt + missing failed; slow-2 canceled; song.mp3 skipped.
    expect(text).toMatch(/3 converted/);
    expect(text).toMatch(/2 failed/);
    expect(text).toMatch(/1 canceled/);
    expect(text).toMatch(/1 skipped/);
    // The bar is split by outcome, never all green with failures.
    const widths = await result.locator('.seg').evaluateAll((els) => els.map((e) => parseFloat((e as HTMLElement).style.width)));
    expect(widths.map((w) => Math.round(w))).toEqual([50, 33, 17]);
    // The chips agree with the result: "Done" counts converted only.
    expect(await page.getByRole('radio', { name: /^Done/ }).textContent()).toBe('Done 3');
    expect(await page.getByRole('radio', { name: /^Canceled/ }).textContent()).toBe('Canceled 1');
    // One result, no per-batch toasts.
    expect(
      await page
        .locator('.notices')
        .getByText(/Batch finished/)
        .count(),
    ).toBe(0);
    // …and one system notification with the same counts.
    expect(await page.evaluate(() => (window as unknown as { shownNotifications: string[] }).shownNotifications)).toEqual([
      'Convoy: conversions finished: 3 converted · 2 failed · 1 canceled · 1 skipped',
    ]);
    await page.screenshot({ path: path.join(shots, 'ui12-result-1280x800.png') });
    await page.setViewportSize(SMALL);
    await page.waitForTimeout(300);
    await page.screenshot({ path: path.join(shots, 'ui12-result-800x600.png') });
    a11y.push(...(await axe(page, 'main screen with a result (800x600)')));
    await page.setViewportSize(LARGE);

    // 7: errors in plain words, with fixes that match the cause.
    const bad = row(page, 'corrupt.jpg');
    expect(await bad.locator('.row-sub').textContent()).toContain('The source file could not be read.');
    expect(await bad.getByRole('button', { name: 'Replace file' }).count()).toBe(1);
    expect(await bad.getByRole('button', { name: 'Remove', exact: true }).count()).toBe(1);
    expect(await bad.getByRole('button', { name: /another target/ }).count()).toBe(0);
    expect(await bad.getByRole('button', { name: /Check/ }).count()).toBe(0);
    // The whole message, in the row.
    await bad.getByRole('button', { name: /could not be read/ }).click();
    await expect.poll(() => bad.locator('.row-error-full').count()).toBe(1);
    expect((await bad.locator('.row-error-full').textContent())!.length).toBeGreaterThan(10);
    await page.screenshot({ path: path.join(shots, 'ui12-error-expanded-1280x800.png') });
    const gone = row(page, missing);
    expect(await gone.locator('.row-sub').textContent()).toContain('The file is not at this address.');
    await gone.getByRole('button', { name: 'Edit URL' }).click();
    const edit = page.getByRole('dialog', { name: 'Edit URL' });
    await edit.waitFor();
    a11y.push(...(await axe(page, 'Edit URL dialog')));
    await edit.getByRole('textbox', { name: 'Address of the file' }).fill(`${sources.base}/img-found.jpg`);
    await edit.getByRole('button', { name: 'Use this address' }).click();
    const found = `${sources.base}/img-found.jpg`;
    await row(page, found).waitFor({ timeout: 10_000 });
    await expect.poll(() => row(page, missing).count()).toBe(0);
    // The replacement keeps the target.
    expect(await targetOf(page, found).inputValue()).toBe('png');

    // 5: "Retry failed" starts the failed ones again, as a Start of its own.
    await page.getByRole('button', { name: 'Retry failed' }).click();
    await expect
      .poll(async () => (await page.getByRole('group', { name: /^(Result|Progress)$/ }).textContent()) ?? '', { timeout: 30_000 })
      .toMatch(/Finished.*0 converted.*1 failed/);

    // 10: sizes: the source before, the output and the saving after.
    expect(await row(page, 'fine.jpg').locator('.row-size').textContent()).toMatch(/B → .*B/);
    // 10: every icon action has a name and a tooltip.
    const unnamed = await page
      .locator('.row .icon-button')
      .evaluateAll((els) => els.filter((e) => !e.getAttribute('aria-label') || !e.getAttribute('title')).length);
    expect(unnamed).toBe(0);
    await page.close();
  }, 180_000);

  it('at 800×600 a finished run with a failure and a mixed selection leaves every control whole on screen', async () => {
    await clearQueue();
    const page = await openApp(SMALL);
    await drop(page, [
      { name: 'small-fine.png', bytes: png, type: 'image/png' },
      { name: 'small-broken.jpg', bytes: Buffer.from('not a JPEG, only text'), type: 'image/jpeg' },
      { name: 'small-notes.txt', bytes: Buffer.from('hello'), type: 'text/plain' },
    ]);
    await expect.poll(() => rows(page).count(), { timeout: 20_000 }).toBe(3);
    // Rows show a small thumbnail main made of a source image (never the file itself); a file with
    // none keeps its type badge.
    const thumbOf = (name: string) => row(page, name).locator('.thumb img');
    await expect
      .poll(() => thumbOf('small-fine.png').evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth), { timeout: 15_000 })
      .toBeGreaterThan(0);
    expect(await thumbOf('small-fine.png').getAttribute('src')).toMatch(/^\/api\/thumbs\/[\w-]+\/source\?v=\w+$/);
    await expect.poll(() => row(page, 'small-broken.jpg').locator('.thumb').textContent(), { timeout: 15_000 }).toBe('JPG');
    expect(await thumbOf('small-notes.txt').count()).toBe(0);
    expect(await row(page, 'small-notes.txt').locator('.thumb').textContent()).toBe('TXT');
    await expect.poll(async () => (await targetOf(page, 'small-fine.png').locator('option').allTextContents()).length, { timeout: 15_000 }).toBeGreaterThan(3);
    await targetOf(page, 'small-fine.png').selectOption('webp');
    await targetOf(page, 'small-broken.jpg').selectOption('webp');
    await targetOf(page, 'small-notes.txt').selectOption('sha256');
    await page.getByRole('button', { name: 'Start', exact: true }).click();
    await page.getByRole('group', { name: 'Result', exact: true }).waitFor({ timeout: 60_000 });
    await expect.poll(() => statusOf(page, 'small-broken.jpg'), { timeout: 20_000 }).toBe('Failed');
    // Done: the thumbnail is the result's.
    await expect.poll(() => thumbOf('small-fine.png').getAttribute('src'), { timeout: 15_000 }).toMatch(/\/result\?v=/);
    await page.getByRole('checkbox', { name: 'Select all' }).check();
    await page.getByRole('toolbar', { name: '3 selected' }).waitFor();
    await dismissToasts(page);
    await page.screenshot({ path: path.join(shots, 'ui12-result-selection-800x600.png') });
    expect(await clippedControls(page)).toEqual([]);
    // Paused (from main, as another window would do it): Resume shows, and the status bar takes a
    // second line rather than cut its last pill.
    await core.handlers['queue.pause']({ paused: true });
    await page.getByTestId('paused').waitFor();
    await page.getByRole('button', { name: 'Resume' }).waitFor();
    expect(await clippedControls(page)).toEqual([]);
    await page.getByRole('button', { name: 'Resume' }).click();
    await page.getByTestId('paused').waitFor({ state: 'detached' });
    expect(core.queue.status().paused).toBe(false);
    // A result that grew is said as a factor, not as a percentage in the thousands.
    expect(await row(page, 'small-notes.txt').locator('.row-size').textContent()).toMatch(/^5 B → \d+ B \(×\d+(\.\d)?\)$/);

    // A merge of many rows: the list is longer than the window, its button stays in view.
    await page.getByRole('button', { name: 'Clear selection' }).click();
    await drop(
      page,
      Array.from({ length: 12 }, (_, i) => ({ name: `page-${String(i + 1).padStart(2, '0')}.png`, bytes: png, type: 'image/png' })),
    );
    await expect.poll(() => core.handlers['queue.list']({ offset: 0, limit: 1 }).then((r) => r.total), { timeout: 20_000 }).toBe(15);
    await expect.poll(() => page.getByRole('combobox', { name: 'Select by type' }).textContent()).toContain('All images (14)');
    await page.getByRole('combobox', { name: 'Select by type' }).selectOption({ label: 'All images (14)' });
    await page.getByRole('button', { name: 'Merge into one…' }).click();
    const merge = page.getByRole('dialog', { name: 'Merge into one file' });
    await merge.waitFor();
    const box = (await merge.boundingBox())!;
    const button = (await merge.getByRole('button', { name: 'Merge 14 files' }).boundingBox())!;
    expect(button.y + button.height).toBeLessThanOrEqual(box.y + box.height);
    expect(box.y + box.height).toBeLessThanOrEqual(SMALL.height);
    await page.screenshot({ path: path.join(shots, 'ui12-merge-800x600.png') });
    await page.keyboard.press('Escape');
    await page.close();
  }, 120_000);

  it('8: options dialogs fit 800×600, speak plainly, keep the rest under "More options" and focus the first bad field', async () => {
    await clearQueue();
    const page = await openApp(SMALL);
    await drop(page, [{ name: 'poster.png', bytes: png, type: 'image/png' }]);
    await row(page, 'poster.png').waitFor({ timeout: 20_000 });
    await expect.poll(async () => (await targetOf(page, 'poster.png').locator('option').allTextContents()).length, { timeout: 15_000 }).toBeGreaterThan(3);
    await targetOf(page, 'poster.png').selectOption('png');
    await row(page, 'poster.png').getByRole('button', { name: 'Options' }).click();
    const dialog = page.getByRole('dialog', { name: 'PNG options' });
    await dialog.waitFor();
    const box = (await dialog.boundingBox())!;
    expect(box.y).toBeGreaterThanOrEqual(0);
    expect(box.y + box.height).toBeLessThanOrEqual(SMALL.height);
    // Plain words, the API's name as a hint; the rest under "More options".
    await dialog.getByText('More options').click();
    await dialog.getByRole('checkbox', { name: 'Mirror left to right' }).waitFor();
    expect(await dialog.getByText('API name: flop').count()).toBe(1);
    expect(await dialog.textContent()).not.toMatch(/zlib|Adam7/);
    await page.screenshot({ path: path.join(shots, 'ui12-options-800x600.png') });
    a11y.push(...(await axe(page, 'Options dialog')));
    // An error summary on top; focus goes to the first bad field, which is in view.
    await dialog.getByRole('textbox', { name: 'Width' }).fill('0');
    await dialog.getByRole('button', { name: 'Apply' }).click();
    await dialog.getByText('Fix this field to apply:').waitFor();
    await expect.poll(() => page.evaluate(() => (document.activeElement as HTMLInputElement | null)?.id ?? '')).toMatch(/width$/);
    const focused = await page.evaluate(() => document.activeElement!.getBoundingClientRect().bottom);
    expect(focused).toBeLessThanOrEqual(SMALL.height);
    await page.screenshot({ path: path.join(shots, 'ui12-options-error-800x600.png') });
    // A bad field low in the form is scrolled above the sticky Apply bar, not under it.
    await dialog.getByRole('textbox', { name: 'Width' }).fill('');
    await dialog.getByRole('textbox', { name: 'Print resolution (DPI)' }).fill('0');
    await dialog.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => page.evaluate(() => (document.activeElement as HTMLInputElement | null)?.id ?? '')).toMatch(/dpi$/);
    const low = await page.evaluate(() => {
      const field = document.activeElement!.getBoundingClientRect();
      const error = document.getElementById(`${document.activeElement!.id}-err`)?.getBoundingClientRect();
      const bar = document.querySelector('.sticky-actions')!.getBoundingClientRect();
      return { bottom: Math.max(field.bottom, error?.bottom ?? 0), bar: bar.top };
    });
    expect(low.bottom).toBeLessThanOrEqual(low.bar);
    await page.keyboard.press('Escape');

    // The other dialogs pass axe too.
    await row(page, 'poster.png').getByRole('button', { name: 'Destination' }).click();
    await page.getByRole('dialog', { name: 'Destination' }).waitFor();
    a11y.push(...(await axe(page, 'Destination dialog')));
    await page.keyboard.press('Escape');
    await page.getByRole('button', { name: 'Destinations' }).click();
    await page.getByRole('dialog', { name: 'Destinations' }).waitFor();
    const dest = (await page.getByRole('dialog', { name: 'Destinations' }).boundingBox())!;
    expect(dest.y + dest.height).toBeLessThanOrEqual(SMALL.height);
    // The new profile's form is longer than the window: its Save stays in view, without scrolling.
    const save = (await page.getByRole('dialog', { name: 'Destinations' }).getByRole('button', { name: 'Save', exact: true }).boundingBox())!;
    expect(save.y + save.height).toBeLessThanOrEqual(dest.y + dest.height);
    await page.screenshot({ path: path.join(shots, 'ui12-destinations-800x600.png') });
    a11y.push(...(await axe(page, 'Destinations dialog')));
    await page.keyboard.press('Escape');
    await page.close();

    expect(a11y, a11y.join('\n')).toEqual([]);
    expect(pageErrors).toEqual([]);
  }, 120_000);
});
