/**
 * Browser mode for the UI end-to-end tests: the real core (with its local engine) in a temporary
 * folder, the HTTP adapter serving a fresh renderer build, and Debian's Chromium.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { createCore, type Core, type CoreOptions } from '../../main/core';
import { generateToken, startHttpAdapter } from '../../main/shells/http-adapter';
import { launchChromium } from './chromium';
import { buildRenderer } from './renderer-build';

export interface BrowserApp {
  /** The run's temporary folder (the core's data is in `data/`, an empty `out/` for results), removed by close(). */
  tmp: string;
  staticDir: string;
  core: Core;
  adapter: Awaited<ReturnType<typeof startHttpAdapter>>;
  browser: Browser;
  /**
   * Closes the browser, the adapter and the core held here then (a test that restarts the core or
   * the adapter puts the new ones here first), restores HOME, removes the folders.
   */
  close(): Promise<void>;
}

/** Browser mode's HTTP adapter for `core`, serving the renderer build in `staticDir`, with a new token. */
export function serveApp(core: Core, staticDir: string): ReturnType<typeof startHttpAdapter> {
  return startHttpAdapter({
    handlers: core.handlers,
    events: core.events,
    token: generateToken(),
    staticDir,
    uploadDir: path.join(core.dataDir, 'uploads'),
    resultPath: core.resultPath,
    thumbnailPath: core.thumbnailPath,
  });
}

export async function startBrowserApp(opts: {
  /** Names the temporary folder. */
  prefix: string;
  /** Options for createCore besides the shell and the data folder, given the temporary folder. */
  core?: (tmp: string) => Omit<CoreOptions, 'shell' | 'dataDir'>;
  /** A HOME of the run's own (with Downloads/, where the default output folder lives) until close(). */
  ownHome?: boolean;
}): Promise<BrowserApp> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), opts.prefix));
  const homeBefore = process.env.HOME;
  if (opts.ownHome) {
    process.env.HOME = path.join(tmp, 'home');
    fs.mkdirSync(path.join(tmp, 'home', 'Downloads'), { recursive: true });
  }
  fs.mkdirSync(path.join(tmp, 'out'));
  const staticDir = await buildRenderer();
  const core = await createCore({ shell: 'browser', dataDir: path.join(tmp, 'data'), ...opts.core?.(tmp) });
  const adapter = await serveApp(core, staticDir);
  const browser = await launchChromium();
  const app: BrowserApp = {
    tmp,
    staticDir,
    core,
    adapter,
    browser,
    async close() {
      await app.browser.close();
      await app.adapter.close();
      await app.core.close().catch(() => {});
      if (opts.ownHome) process.env.HOME = homeBefore;
      fs.rmSync(tmp, { recursive: true, force: true });
      fs.rmSync(staticDir, { recursive: true, force: true });
    },
  };
  return app;
}
