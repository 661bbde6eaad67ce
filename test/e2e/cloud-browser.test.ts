/**
 * "Add from cloud…" in browser mode (Debian's Chromium, the real core and its local engine)
 * against s3rver: browse a saved profile's bucket, add one object and a whole folder as rows
 * (cloud mark, `bucket/key`), choose a target, convert them into the output folder.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Core } from '../../main/core';
import { photo } from '../engine/support/images';
import { startBrowserApp, type BrowserApp } from '../support/browser-app';
import { hasChromium, NO_CHROMIUM_MESSAGE } from '../support/chromium';
import { startS3rver, type RunningS3rver } from '../support/cloud-servers';

if (!hasChromium) console.warn(NO_CHROMIUM_MESSAGE);

const queueList = (page: Page) => page.getByRole('list', { name: 'Queue' });
const row = (page: Page, name: string) => queueList(page).getByRole('listitem', { name, exact: true });

describe.skipIf(!hasChromium)('Add from cloud… (browser mode, Chromium, s3rver)', () => {
  let browser: Browser;
  let core: Core;
  let adapter: BrowserApp['adapter'];
  let s3: RunningS3rver;
  let tmp: string;
  let app: BrowserApp;

  beforeAll(async () => {
    s3 = await startS3rver({ buckets: ['photos'] });
    const jpg = await photo(40, 30);
    await Promise.all([s3.put('photos', 'one.jpg', jpg), ...[1, 2, 3].map((i) => s3.put('photos', `trip/day${i}.jpg`, jpg))]);
    app = await startBrowserApp({
      prefix: 'convoy-cloud-e2e-',
      core: (dir) => ({
        env: { ...process.env, CONVOY_SECRETS: 'memory', CONVOY_S3_ENDPOINT: s3.endpoint, API2CONVERT_API_KEY: '' },
        queue: { outputDir: path.join(dir, 'out') },
      }),
    });
    ({ tmp, core, adapter, browser } = app);
    await core.handlers['destinations.save']({
      name: 'Holiday bucket',
      type: 'amazons3',
      fields: { bucket: 'photos', region: 'eu-central-1', accesskeyid: s3.credentials.accesskeyid },
      secrets: { secretaccesskey: s3.credentials.secretaccesskey },
    });
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await s3?.close();
  });

  it('browses the bucket, adds an object and a whole folder as rows, and converts them', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 820 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(adapter.url);
    await page.getByTestId('app-info').waitFor({ timeout: 15_000 });

    await page.getByRole('button', { name: 'Add from cloud…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add from cloud' });
    await dialog.waitFor();
    await expect.poll(() => dialog.getByRole('combobox', { name: 'Profile' }).inputValue()).not.toBe('');
    await dialog.getByRole('checkbox', { name: 'Select one.jpg' }).check({ timeout: 15_000 });
    await dialog.getByRole('button', { name: 'Open folder trip' }).waitFor();
    await dialog.getByRole('button', { name: 'Add selected (1)' }).click();
    await dialog.waitFor({ state: 'detached' });
    await row(page, 'photos/one.jpg').waitFor({ timeout: 10_000 });

    await page.getByRole('button', { name: 'Add from cloud…' }).click();
    await dialog.getByRole('button', { name: 'Open folder trip' }).click();
    await expect.poll(() => dialog.getByTestId('cloud-location').textContent()).toContain('photos/trip/');
    await dialog.getByRole('checkbox', { name: 'Select day2.jpg' }).waitFor();
    await page.screenshot({ path: path.resolve(__dirname, '../../test-artifacts/screenshots/ui-add-from-cloud.png') }).catch(() => {});
    await dialog.getByRole('button', { name: 'Add whole folder' }).click();
    await dialog.waitFor({ state: 'detached' });
    for (const name of ['photos/trip/day1.jpg', 'photos/trip/day2.jpg', 'photos/trip/day3.jpg']) await row(page, name).waitFor({ timeout: 10_000 });
    expect(await row(page, 'photos/one.jpg').locator('.cloud-mark').count()).toBe(1);

    await page.getByRole('checkbox', { name: 'Select all' }).check();
    await page.getByRole('combobox', { name: 'Target for selected' }).selectOption('png');
    await expect.poll(() => row(page, 'photos/trip/day3.jpg').getByRole('combobox', { name: 'Target format' }).inputValue()).toBe('png');
    await page.getByRole('button', { name: 'Start', exact: true }).click();
    for (const name of ['photos/one.jpg', 'photos/trip/day1.jpg', 'photos/trip/day2.jpg', 'photos/trip/day3.jpg']) {
      await expect.poll(() => row(page, name).getByTestId('row-status').textContent(), { timeout: 60_000, interval: 250 }).toBe('Done');
    }
    await page.screenshot({ path: path.resolve(__dirname, '../../test-artifacts/screenshots/ui-cloud-rows-done.png') }).catch(() => {});
    expect(fs.readdirSync(path.join(tmp, 'out')).sort()).toEqual(['day1.png', 'day2.png', 'day3.png', 'one.png']);

    // A profile whose secret is wrong: the dialog says so in the provider's words.
    await core.handlers['destinations.save']({
      name: 'Wrong key',
      type: 'amazons3',
      fields: { bucket: 'photos', region: 'eu-central-1', accesskeyid: s3.credentials.accesskeyid },
      secrets: { secretaccesskey: 'not-the-secret-access-key-0123' },
    });
    await page.getByRole('button', { name: 'Add from cloud…' }).click();
    await dialog.getByRole('combobox', { name: 'Profile' }).selectOption({ label: 'Wrong key' });
    await expect.poll(() => dialog.getByRole('alert').textContent(), { timeout: 15_000 }).toMatch(/signature we calculated does not match/);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect(errors).toEqual([]);
    await page.close();
  }, 180_000);

  it('refuses an inline cloud account from the browser (command line only)', async () => {
    const r = await core.handlers['queue.add']({
      items: [
        {
          source: {
            kind: 'cloud',
            account: { type: 'amazons3', parameters: { bucket: 'photos' }, credentialsFrom: { kind: 'file', path: '/etc/hostname' } },
            file: 'one.jpg',
          },
        },
      ],
      target: 'png',
    });
    expect(r.itemIds).toEqual([]);
    expect(r.rejected[0].reason).toMatch(/command line only/);
    const items = await core.handlers['queue.list']({ offset: 0, limit: 10 });
    await expect(
      core.handlers['queue.setDestination']({
        itemIds: [items.items[0]!.id],
        destination: {
          kind: 'cloud',
          account: { type: 'amazons3', parameters: { bucket: 'photos' }, credentialsFrom: { kind: 'env', name: 'A2C_OUTPUT_CREDENTIALS' } },
        },
      }),
    ).rejects.toThrow(/command line only/);
  });
});
