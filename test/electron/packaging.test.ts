/**
 * electron-builder run for real (`--linux dir`) against a stand-in Electron folder (the Electron
 * zip comes from GitHub, unreachable here): the package's file list, its native modules against
 * Electron's ABI, the fuses flipped in the binary, the update feed, its size — and that packaging
 * leaves node_modules as `npm test`, the CLI and browser mode need it (no native rebuild in place).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { buildApp, buildCli, electronNode, hasElectronNode, NO_ELECTRON_NODE_MESSAGE, startApp } from './harness';

const root = path.resolve(__dirname, '../..');
const require = createRequire(import.meta.url);
const { checkNativeModules, electronAbi } = (await import(path.join(root, 'scripts', 'check-native-abi.mjs'))) as {
  checkNativeModules(dirs: string[], abi: number): Array<{ file: string; kind: unknown; loads: boolean }>;
  electronAbi(root?: string): number;
};

/** A stock Electron's fuse wire: RunAsNode on, cookie encryption off, NODE_OPTIONS on, inspect on, integrity off, asar-only off, V8 snapshot off, file:// privileges on. */
const STOCK_WIRE = [1, 0, 1, 1, 0, 0, 0, 1];
const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';

function standInElectron(dir: string) {
  fs.mkdirSync(path.join(dir, 'resources'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'locales'), { recursive: true });
  const wire = Buffer.from([1, STOCK_WIRE.length, ...STOCK_WIRE.map((b) => (b ? 0x31 : 0x30))]);
  const script = Buffer.concat([
    Buffer.from('#!/bin/sh\necho "stand-in for the Electron binary (not downloadable here)" >&2\nexit 1\n# '),
    Buffer.from(SENTINEL),
    wire,
    Buffer.from('\n'),
  ]);
  fs.writeFileSync(path.join(dir, 'electron'), script, { mode: 0o755 });
  for (const f of ['LICENSE', 'LICENSES.chromium.html', 'chrome-sandbox']) fs.writeFileSync(path.join(dir, f), '');
  fs.writeFileSync(path.join(dir, 'version'), JSON.parse(fs.readFileSync(path.join(root, 'node_modules', 'electron', 'package.json'), 'utf8')).version);
}

const sha = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
const addon = path.join(root, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');

let stage = '';
let unpacked = '';
let addonBefore = '';
let builderLog = '';

beforeAll(() => {
  addonBefore = sha(addon);
  const build = buildApp();
  buildCli(build);
  stage = path.join(path.dirname(build), `stage-${path.basename(build)}`);
  fs.mkdirSync(stage);
  fs.renameSync(build, path.join(stage, 'dist'));
  for (const f of ['package.json', 'package-lock.json']) fs.copyFileSync(path.join(root, f), path.join(stage, f));
  fs.cpSync(path.join(root, 'build'), path.join(stage, 'build'), { recursive: true });
  // A hard-linked copy of node_modules (instant, no space): electron-builder's dependency walk
  // does not follow a symlinked node_modules reliably.
  try {
    execFileSync('cp', ['-al', path.join(root, 'node_modules'), path.join(stage, 'node_modules')]);
  } catch {
    fs.symlinkSync(path.join(root, 'node_modules'), path.join(stage, 'node_modules'));
  }
  const electronDist = path.join(stage, 'electron-stand-in');
  standInElectron(electronDist);
  const r = spawnSync(
    path.join(root, 'node_modules', '.bin', 'electron-builder'),
    ['--config', path.join(root, 'electron-builder.config.cjs'), '--projectDir', stage, '--linux', 'dir', `-c.electronDist=${electronDist}`],
    { cwd: stage, encoding: 'utf8', env: { ...process.env, CSC_LINK: '', CSC_NAME: '' }, timeout: 540_000 },
  );
  builderLog = `${r.stdout}\n${r.stderr}`;
  if (r.status !== 0) throw new Error(`electron-builder failed (${r.status ?? r.signal}):\n${builderLog.slice(-4000)}`);
  unpacked = path.join(stage, 'release', 'linux-unpacked');
}, 600_000);

let extracted = '';
afterAll(() => {
  if (stage) fs.rmSync(stage, { recursive: true, force: true });
  if (extracted) fs.rmSync(extracted, { recursive: true, force: true });
});

function asarFiles(): string[] {
  const asar = require(path.join(root, 'node_modules', '@electron', 'asar')) as { listPackage(p: string): string[] };
  return asar.listPackage(path.join(unpacked, 'resources', 'app.asar'));
}

function sizeOf(dir: string): number {
  let n = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    n += e.isDirectory() ? sizeOf(p) : fs.lstatSync(p).size;
  }
  return n;
}

describe('the Linux package (electron-builder --linux dir)', () => {
  it('holds only runtime files: the built bundles and production dependencies', () => {
    const files = asarFiles();
    // The CLI comes as its built bundle, never as TypeScript run through tsx.
    for (const f of [
      '/dist/main/index.js',
      '/dist/preload/index.cjs',
      '/dist/renderer/index.html',
      '/dist/icons/drag.png',
      '/dist/cli/convoy.mjs',
      '/package.json',
    ]) {
      expect(files).toContain(f);
    }
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
    expect(files.filter((f) => /^\/(main|engine|preload|renderer|lib|test|bench|scripts)\//.test(f))).toEqual([]);
    const modules = new Set(files.map((f) => /^\/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(f)?.[1]).filter(Boolean));
    for (const devOnly of [
      'tsx',
      'esbuild',
      'react',
      'react-dom',
      'zustand',
      'vite',
      'vitest',
      'typescript',
      'typescript7',
      'typescript-eslint',
      'eslint',
      '@biomejs/biome',
      'electron',
      'electron-builder',
      'playwright-core',
      'azurite',
      's3rver',
      'ftp-srv',
    ]) {
      expect(modules.has(devOnly), devOnly).toBe(false);
    }
    // Electron reads SQLite through node:sqlite: the Node-ABI addon stays out.
    expect(modules.has('better-sqlite3')).toBe(false);
    for (const runtime of ['sharp', 'zod', 'express', 'electron-updater', '@aws-sdk/client-s3']) expect(modules.has(runtime), runtime).toBe(true);
  });

  it('unpacks every native module, and each loads in Electron (N-API or Electron\u2019s ABI)', () => {
    const inAsar = asarFiles().filter((f) => f.endsWith('.node'));
    expect(inAsar.length).toBeGreaterThanOrEqual(3);
    for (const f of inAsar) expect(fs.existsSync(path.join(unpacked, 'resources', 'app.asar.unpacked', f)), f).toBe(true);
    const abi = electronAbi(root);
    const results = checkNativeModules([path.join(unpacked, 'resources')], abi);
    expect(results.length).toBe(inAsar.length);
    expect(results.filter((r) => !r.loads)).toEqual([]);
    // The check itself can fail: the dev tree's better-sqlite3 is built for Node's ABI.
    expect(checkNativeModules([path.dirname(addon)], abi).some((r) => !r.loads)).toBe(true);
  });

  it('flips the fuses in the binary: no run-as-node, no NODE_OPTIONS or --inspect, encrypted cookies, asar-only with integrity, no file:// privileges', async () => {
    const { getCurrentFuseWire } = require(path.join(root, 'node_modules', '@electron', 'fuses')) as {
      getCurrentFuseWire(p: string): Promise<Record<string, number | string>>;
    };
    const wire = await getCurrentFuseWire(path.join(unpacked, 'convoy-desktop'));
    const on = (i: number) => wire[i] === 0x31;
    expect([0, 1, 2, 3, 4, 5, 7].map(on)).toEqual([false, true, false, false, true, true, false]);
  });

  it('ships the update feed for electron-updater, and stays small', () => {
    expect(fs.readFileSync(path.join(unpacked, 'resources', 'app-update.yml'), 'utf8')).toMatch(/provider: (github|generic)/);
    const bytes = sizeOf(path.join(unpacked, 'resources'));
    console.log(
      `package size: resources ${(bytes / 1024 ** 2).toFixed(1)} MiB (app.asar ${(fs.statSync(path.join(unpacked, 'resources', 'app.asar')).size / 1024 ** 2).toFixed(1)} MiB + unpacked natives), Electron itself not counted`,
    );
    expect(bytes).toBeLessThan(60 * 1024 ** 2);
  });

  it.skipIf(!hasElectronNode)(
    'starts from its own files under Electron\u2019s Node and converts (webp, pdf, tar): nothing it needs was left out',
    async () => {
      // Outside the project, so module resolution cannot fall back on the project's node_modules.
      const app = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'convoy-packaged-')), 'app');
      extracted = path.dirname(app);
      require(path.join(root, 'node_modules', '@electron', 'asar')).extractAll(path.join(unpacked, 'resources', 'app.asar'), app);
      expect(fs.existsSync(path.join(app, 'node_modules', 'better-sqlite3'))).toBe(false);
      expect(fs.existsSync(path.join(app, 'node_modules', '@img', 'sharp-linux-x64'))).toBe(true);
      const dataDir = path.join(stage, 'data');
      const src = path.join(stage, 'in.png');
      await sharp({ create: { width: 40, height: 30, channels: 3, background: { r: 200, g: 50, b: 50 } } })
        .png()
        .toFile(src);
      const run = startApp({ build: path.join(app, 'dist'), dataDir, node: electronNode, cwd: app });
      try {
        await run.ready();
        const out = path.join(stage, 'out');
        fs.mkdirSync(out);
        await run.invoke('settings.update', { outputDir: out });
        for (const target of ['webp', 'pdf', 'tar']) {
          const added = (await run.invoke('queue.add', { items: [{ source: { kind: 'file', path: src } }], target })) as {
            ok: true;
            value: { itemIds: string[] };
          };
          await run.invoke('queue.start', { itemIds: added.value.itemIds });
        }
        for (let i = 0; ; i++) {
          const st = (await run.invoke('queue.status')) as { ok: true; value: { totals: { done: number; failed: number } } };
          if (st.value.totals.done + st.value.totals.failed === 3) {
            expect(st.value.totals.failed, run.stderr()).toBe(0);
            break;
          }
          if (i > 600) throw new Error(`not finished: ${JSON.stringify(st)}\n${run.stderr()}`);
          await new Promise((r) => setTimeout(r, 100));
        }
        expect(fs.readdirSync(out).sort()).toEqual(['in.pdf', 'in.tar', 'in.webp']);
      } finally {
        run.kill();
      }
    },
    180_000,
  );
  if (!hasElectronNode) console.warn(NO_ELECTRON_NODE_MESSAGE);

  it('leaves node_modules as Node needs it: the Node build of better-sqlite3 is untouched and still loads', () => {
    expect(sha(addon)).toBe(addonBefore);
    const out = execFileSync(
      process.execPath,
      ['-e', "const D=require('better-sqlite3');const d=new D(':memory:');console.log(d.prepare('select 41+1 as n').get().n)"],
      { cwd: root, encoding: 'utf8' },
    );
    expect(out.trim()).toBe('42');
  });
});
