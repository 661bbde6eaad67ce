/**
 * The real desktop app in the real Electron, through Playwright's `_electron` — wherever the
 * Electron binary is installed. It cannot be downloaded on this machine (its installer fetches from
 * GitHub), so here this skips with a message; test/electron/desktop-shell.test.ts covers the same
 * start-up under a stand-in `electron` module.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { _electron } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from './harness';

const electronBinary = (() => {
  try {
    const p = createRequire(import.meta.url)('electron') as unknown;
    return typeof p === 'string' && fs.existsSync(p) ? p : null;
  } catch {
    return null;
  }
})();

if (!electronBinary) {
  console.warn(
    'Skipping the Electron-binary test: no Electron binary installed (ELECTRON_SKIP_BINARY_DOWNLOAD=1; the download needs GitHub, unreachable here).',
  );
}

describe.skipIf(!electronBinary)('the desktop app in Electron', () => {
  let build = '';
  afterAll(() => {
    if (build) fs.rmSync(build, { recursive: true, force: true });
  });

  it('opens its window, answers through the preload, and quits', async () => {
    build = buildApp();
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'convoy-electron-'));
    const app = await _electron.launch({
      executablePath: electronBinary!,
      args: [path.join(build, 'main', 'index.js')],
      env: { ...process.env, CONVOY_HOME: dataDir, CONVOY_SECRETS: 'memory' },
    });
    try {
      const page = await app.firstWindow();
      expect(page.url()).toBe('convoy://app/index.html');
      await page.getByTestId('app-info').waitFor({ timeout: 60_000 });
      expect(await page.getByTestId('app-info').textContent()).toContain('electron');
      const info = await page.evaluate(async () => {
        const reply = await (window as unknown as { convoy: { invoke(m: string): Promise<unknown> } }).convoy.invoke('app.info');
        return reply;
      });
      expect(info).toMatchObject({ ok: true, value: { shell: 'electron' } });
    } finally {
      await app.close();
    }
  }, 180_000);
});
