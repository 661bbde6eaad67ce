/**
 * The output folder as main states it (issue 12): the built-in default until one is set, a set one
 * checked (absolute, existing, writable), and "Open output folder" through the desktop bridge.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore, type Core } from '../../main/core';

describe('output folder through the contract', () => {
  let tmp: string;
  let core: Core;
  const opened: string[] = [];
  const homeBefore = process.env.HOME;

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'convoy-outdir-'));
    process.env.HOME = path.join(tmp, 'home');
    fs.mkdirSync(path.join(tmp, 'home', 'Downloads'), { recursive: true });
    core = await createCore({
      shell: 'electron',
      dataDir: path.join(tmp, 'data'),
      secretsBackend: 'memory',
      desktop: {
        openPath: async (p) => (opened.push(p), true),
        reveal: () => true,
        pickFiles: async () => [],
        pickFolder: async () => null,
      },
    });
  }, 60_000);
  afterAll(async () => {
    await core?.close();
    process.env.HOME = homeBefore;
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('answers the built-in default until a folder is set', async () => {
    const defaultPath = path.join(tmp, 'home', 'Downloads', 'Convoy');
    expect(await core.handlers['files.outputFolder'](undefined)).toEqual({ path: defaultPath, isDefault: true, defaultPath });
  });

  it('refuses a relative, missing or unwritable folder with the reason', async () => {
    await expect(core.handlers['settings.update']({ outputDir: 'relative/dir' })).rejects.toThrow(/full path/);
    await expect(core.handlers['settings.update']({ outputDir: path.join(tmp, 'missing') })).rejects.toThrow(/does not exist/);
    if (process.getuid?.() !== 0) {
      const locked = path.join(tmp, 'locked');
      fs.mkdirSync(locked, { mode: 0o500 });
      await expect(core.handlers['settings.update']({ outputDir: locked })).rejects.toThrow(/cannot write/);
    }
    expect(core.settings.get().outputDir).toBeNull();
  });

  it('uses a set folder, opens it with the OS (creating the default first), and goes back to the default', async () => {
    const chosen = path.join(tmp, 'chosen');
    fs.mkdirSync(chosen);
    await core.handlers['settings.update']({ outputDir: chosen });
    expect(await core.handlers['files.outputFolder'](undefined)).toMatchObject({ path: chosen, isDefault: false });
    expect(await core.handlers['files.openOutputFolder'](undefined)).toEqual({ opened: true, path: chosen });
    await core.handlers['settings.update']({ outputDir: null });
    const def = await core.handlers['files.outputFolder'](undefined);
    expect(def.isDefault).toBe(true);
    expect(fs.existsSync(def.path)).toBe(false);
    await core.handlers['files.openOutputFolder'](undefined);
    expect(fs.statSync(def.path).isDirectory()).toBe(true);
    expect(opened).toEqual([chosen, def.path]);
  });
});
