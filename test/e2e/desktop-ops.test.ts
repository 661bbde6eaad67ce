/**
 * Issue 11 in the desktop app (browser mode in Debian's Chromium, the real core and its local
 * engine): the target menu's operation groups, remaining credits in the status bar, and "Merge
 * into one…" — three image rows, reordered by drag and by keyboard, Start → one PDF whose three
 * pages follow that order.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PDFDocument } from 'pdf-lib';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore, type Core } from '../../main/core';
import { serveApp, startBrowserApp, type BrowserApp } from '../support/browser-app';
import { axe } from '../support/axe';
import { hasChromium, NO_CHROMIUM_MESSAGE } from '../support/chromium';

if (!hasChromium) console.warn(NO_CHROMIUM_MESSAGE);

const COLORS: Record<string, { r: number; g: number; b: number }> = {
  'red.jpg': { r: 220, g: 30, b: 30 },
  'green.jpg': { r: 30, g: 200, b: 40 },
  'blue.jpg': { r: 30, g: 40, b: 220 },
};

async function drop(page: Page, files: Array<{ name: string; bytes: Buffer; type: string }>) {
  await page.evaluate(
    (list) => {
      const dt = new DataTransfer();
      for (const f of list) dt.items.add(new File([Uint8Array.from(atob(f.base64), (c) => c.charCodeAt(0))], f.name, { type: f.type }));
      const zone = document.querySelector('[role="region"][aria-label="Drop files or URLs"]')!;
      for (const type of ['dragenter', 'dragover', 'drop']) zone.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: dt }));
    },
    files.map((f) => ({ name: f.name, type: f.type, base64: f.bytes.toString('base64') })),
  );
}

/** The centre colour of each page, in page order (pdftoppm renders them). */
async function pageColors(pdf: string, dir: string): Promise<number[][]> {
  execFileSync('pdftoppm', ['-r', '20', '-png', pdf, path.join(dir, 'page')]);
  const out: number[][] = [];
  for (const p of fs
    .readdirSync(dir)
    .filter((n) => n.startsWith('page') && n.endsWith('.png'))
    .sort()) {
    const img = sharp(path.join(dir, p));
    const { width, height } = await img.metadata();
    const raw = await img.removeAlpha().raw().toBuffer();
    const at = (Math.floor(height! / 2) * width! + Math.floor(width! / 2)) * 3;
    out.push([raw[at], raw[at + 1], raw[at + 2]]);
  }
  return out;
}

function nearest(c: number[]): string {
  let best = '';
  let bestD = Infinity;
  for (const [name, s] of Object.entries(COLORS)) {
    const d = Math.abs(s.r - c[0]) + Math.abs(s.g - c[1]) + Math.abs(s.b - c[2]);
    if (d < bestD) [best, bestD] = [name, d];
  }
  expect(bestD, `page colour ${c}`).toBeLessThan(80);
  return best;
}

describe.skipIf(!hasChromium)('issue 11 in the desktop app: operations, merge, credits (Chromium, real core, local engine)', () => {
  let browser: Browser;
  let core: Core;
  let adapter: BrowserApp['adapter'];
  let tmp: string;
  let staticDir: string;
  let out: string;
  let app: BrowserApp;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    app = await startBrowserApp({ prefix: 'convoy-desktop-ops-', ownHome: true, core: () => ({ secretsBackend: 'memory' }) });
    ({ tmp, staticDir, core, adapter, browser } = app);
    out = path.join(tmp, 'out');
    await core.handlers['settings.update']({ outputDir: out });
  }, 180_000);

  afterAll(async () => {
    // A test restarts the core and the adapter: close the current ones.
    if (app) Object.assign(app, { core, adapter });
    await app?.close();
  });

  it('groups the target menu, shows credits, and merges three rows in a chosen order into one PDF', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(adapter.url);
    await page.getByTestId('app-info').waitFor({ timeout: 15_000 });

    const files = await Promise.all(
      Object.entries(COLORS).map(async ([name, background]) => ({
        name,
        type: 'image/jpeg',
        bytes: await sharp({ create: { width: 60, height: 40, channels: 3, background } })
          .jpeg({ quality: 95 })
          .toBuffer(),
      })),
    );
    await drop(page, files);
    const queueList = page.getByRole('list', { name: 'Queue' });
    const row = (name: string) => queueList.getByRole('listitem', { name, exact: true });
    for (const f of files) await row(f.name).waitFor({ timeout: 30_000 });

    // The operations are in the target menu, grouped, after the plain conversions.
    const combo = row('red.jpg').getByRole('combobox', { name: 'Target format' });
    await expect.poll(() => combo.locator('optgroup').count(), { timeout: 15_000 }).toBeGreaterThan(3);
    const groups = await combo.locator('optgroup').evaluateAll((els) => els.map((e) => (e as HTMLOptGroupElement).label));
    const ops = groups.filter((g) => !g.startsWith('Convert to '));
    expect(groups[0]).toMatch(/^Convert to /);
    expect(ops).toEqual(['Compress', 'Thumbnail', 'Resize', 'Metadata', 'Archive', 'Hash']);
    expect(await combo.locator('optgroup[label="Resize"] option').allTextContents()).toEqual(['Resize image']);
    expect(await combo.locator('option[value="merge"]').count()).toBe(0);

    // The local engine answers /v2/contracts: unlimited.
    await expect
      .poll(
        () =>
          page
            .getByTestId('credits')
            .textContent()
            .catch(() => null),
        { timeout: 20_000 },
      )
      .toBe('Credits: unlimited');

    // Select the three rows, Merge into one…
    // Selected bottom-up: the dialog still starts in the list's order.
    for (const f of [...files].reverse()) await row(f.name).getByRole('checkbox').check();
    await page.getByRole('button', { name: 'Merge into one…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Merge into one file' });
    await dialog.waitFor();
    expect(await axe(page, 'Merge dialog')).toEqual([]);
    const entries = dialog.getByRole('list', { name: 'Merge order' }).getByRole('listitem');
    const orderNow = async () => await entries.evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')!.replace(/^\d+\. /, '')));
    expect(await orderNow()).toEqual(['red.jpg', 'green.jpg', 'blue.jpg']);
    // Drag blue to the top…
    await entries.nth(2).dragTo(entries.nth(0));
    expect(await orderNow()).toEqual(['blue.jpg', 'red.jpg', 'green.jpg']);
    // …then, by keyboard, red one down.
    await entries.nth(1).focus();
    await page.keyboard.press('Alt+ArrowDown');
    expect(await orderNow()).toEqual(['blue.jpg', 'green.jpg', 'red.jpg']);
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('3. red.jpg');
    await dialog.getByRole('textbox', { name: 'File name' }).fill('album');
    await dialog.getByRole('button', { name: 'Merge 3 files' }).click();
    await dialog.waitFor({ state: 'hidden' });

    // One row now: the merge (its three inputs are no longer rows of their own).
    await expect.poll(() => queueList.getByRole('listitem').count(), { timeout: 15_000 }).toBe(1);
    const merged = queueList.getByRole('listitem').first();
    expect(await merged.getAttribute('aria-label')).toContain('album');
    await page.getByRole('button', { name: 'Start', exact: true }).click();
    await expect.poll(() => merged.getByTestId('row-status').textContent(), { timeout: 60_000, interval: 250 }).toBe('Done');

    expect(fs.readdirSync(out)).toEqual(['album.pdf']);
    const pdf = path.join(out, 'album.pdf');
    expect((await PDFDocument.load(fs.readFileSync(pdf))).getPageCount()).toBe(3);
    const colors = await pageColors(pdf, tmp);
    expect(colors.map(nearest)).toEqual(['blue.jpg', 'green.jpg', 'red.jpg']);
    expect(pageErrors).toEqual([]);
    await page.close();
  }, 240_000);

  async function startAdapter() {
    adapter = await serveApp(core, staticDir);
  }

  it('watched folders: added with target and destination, on/off, survive a restart; the queue shows what each produced', async () => {
    const watched = path.join(tmp, 'watched');
    const results = path.join(tmp, 'watched-out');
    fs.mkdirSync(watched);
    fs.mkdirSync(results);
    const jpg = (background: { r: number; g: number; b: number }) =>
      sharp({ create: { width: 30, height: 20, channels: 3, background } })
        .jpeg()
        .toBuffer();
    const open = async () => {
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      page.on('pageerror', (e) => pageErrors.push(e.message));
      await page.goto(adapter.url);
      await page.getByTestId('app-info').waitFor({ timeout: 15_000 });
      await page.getByRole('navigation', { name: 'App' }).getByRole('button', { name: 'Watched folders' }).click();
      const dialog = page.getByRole('dialog', { name: 'Watched folders' });
      await dialog.waitFor();
      return { page, dialog };
    };
    let { page, dialog } = await open();
    await dialog.getByRole('textbox', { name: 'Folder to watch' }).fill('relative/dir');
    await dialog.getByRole('button', { name: 'Watch this folder' }).click();
    await expect.poll(() => dialog.getByRole('alert').textContent()).toContain('Choose what its files are converted to');
    await expect.poll(() => dialog.getByRole('combobox', { name: 'Convert to' }).locator('option[value="png"]').count(), { timeout: 15_000 }).toBe(1);
    await dialog.getByRole('combobox', { name: 'Convert to' }).selectOption('png');
    await dialog.getByRole('button', { name: 'Watch this folder' }).click();
    await expect.poll(() => dialog.getByRole('alert').textContent()).toContain('Use a full path');
    // Options of the target: width 15 (the sources are 30 px wide).
    await dialog.getByRole('button', { name: 'Options…' }).click();
    await dialog.getByLabel('Width', { exact: true }).fill('15');
    await dialog.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => dialog.getByText(/15/).count()).toBeGreaterThan(0);
    await dialog.getByRole('textbox', { name: 'Folder to watch' }).fill(watched);
    await dialog.getByRole('textbox', { name: 'Save results to' }).fill(results);
    await dialog.getByRole('button', { name: 'Watch this folder' }).click();
    const entry = dialog.getByRole('list', { name: 'Watched folders' }).getByRole('listitem', { name: watched });
    await entry.waitFor({ timeout: 10_000 });
    expect(await entry.getByTestId('watch-produced').textContent()).toBe('Nothing converted yet');
    expect(await axe(page, 'Watched folders dialog')).toEqual([]);

    // A file arrives: converted once, to the folder's destination; its row is in the queue.
    fs.writeFileSync(path.join(watched, 'first.jpg'), await jpg({ r: 200, g: 0, b: 0 }));
    await expect.poll(() => fs.existsSync(path.join(results, 'first.png')), { timeout: 30_000 }).toBe(true);
    await expect
      .poll(
        async () =>
          (
            await sharp(path.join(results, 'first.png'))
              .metadata()
              .catch(() => ({ width: 0 }))
          ).width,
        { timeout: 10_000 },
      )
      .toBe(15);
    await expect.poll(() => entry.getByTestId('watch-produced').textContent(), { timeout: 10_000 }).toBe('1 converted');
    const queueRow = page.getByRole('list', { name: 'Queue' }).getByRole('listitem', { name: 'first.jpg', exact: true });
    await expect.poll(() => queueRow.getByTestId('row-status').textContent(), { timeout: 10_000 }).toBe('Done');

    // Off: a file that arrives now waits.
    await entry.getByRole('switch', { name: `Watch ${watched}` }).uncheck();
    await expect.poll(() => entry.getByRole('switch').isChecked()).toBe(false);
    fs.writeFileSync(path.join(watched, 'second.jpg'), await jpg({ r: 0, g: 200, b: 0 }));
    await new Promise((r) => setTimeout(r, 3000));
    expect(fs.existsSync(path.join(results, 'second.png'))).toBe(false);
    await page.close();

    // Restart: the watch is still there, still off; turned on, it takes what arrived meanwhile.
    await adapter.close();
    await core.close();
    core = await createCore({ shell: 'browser', dataDir: path.join(tmp, 'data'), secretsBackend: 'memory' });
    await startAdapter();
    ({ page, dialog } = await open());
    const again = dialog.getByRole('list', { name: 'Watched folders' }).getByRole('listitem', { name: watched });
    await again.waitFor({ timeout: 10_000 });
    expect(await again.getByRole('switch').isChecked()).toBe(false);
    expect(await again.getByTestId('watch-produced').textContent()).toBe('1 converted');
    await again.getByRole('switch', { name: `Watch ${watched}` }).check();
    await expect.poll(() => fs.existsSync(path.join(results, 'second.png')), { timeout: 30_000 }).toBe(true);
    await expect.poll(() => again.getByTestId('watch-produced').textContent(), { timeout: 10_000 }).toBe('2 converted');
    expect(fs.readdirSync(results).sort()).toEqual(['first.png', 'second.png']);
    expect(pageErrors).toEqual([]);
    await page.close();
  }, 240_000);
});
