/**
 * The CLI (the real `convoy` bin as a child process) on errors that retrying can't fix: an unusable
 * --out-dir is a usage error before any upload; a full disk stops the run with exit 6 and the
 * message, and `convoy resume` completes once space is freed; a connection that flips
 * offline/online without progress still ends at --offline-timeout; the key can come from stdin.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLyingApi, type LyingApi } from '../support/lying-api';
import { mountSmallFs, type SmallFs } from '../support/small-fs';
import { makeImages, repoRoot, startEngine, tmpDir, type TestEngine } from '../queue/helpers';
import { cliEnv, runCli, type CliResult } from './cli-helpers';

/** Runs the bin with `input` on its standard input (how --api-key-stdin is used). */
function runWithStdin(args: string[], input: string, env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<CliResult> {
  const child = spawn(process.execPath, [path.join(repoRoot, 'bin', 'convoy.mjs'), ...args], { cwd: repoRoot, env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdin.end(input);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    }),
  );
}

let te: TestEngine;
let liar: LyingApi;
let images: string[];
beforeAll(async () => {
  te = await startEngine();
  liar = await startLyingApi(te.engine.baseUrl);
  images = await makeImages(tmpDir('cli-rel-src'), 2);
});
afterAll(async () => {
  await liar?.close();
  await te?.engine.close();
});

describe('convoy convert', () => {
  it('an --out-dir that is a file is a usage error before any upload; the key comes from stdin', async () => {
    const home = tmpDir('cli-rel-home');
    const notDir = path.join(tmpDir('cli-rel-out'), 'taken');
    fs.writeFileSync(notDir, 'a file');
    const before = te.engine.stats().jobsCreated;
    const r = await runWithStdin(
      ['convert', images[0], '--to', 'png', '--out-dir', notDir, '--engine', te.api, '--api-key-stdin'],
      `${te.apiKey}\n`,
      cliEnv({ CONVOY_HOME: home }),
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--out-dir: The output folder ${notDir} is a file, not a folder`);
    expect(te.engine.stats().jobsCreated).toBe(before);
    expect(r.stdout + r.stderr).not.toContain(te.apiKey);
  });

  it('--api-key-stdin converts with the piped key; --help warns about --api-key', async () => {
    const home = tmpDir('cli-rel-home');
    const out = tmpDir('cli-rel-out');
    const r = await runWithStdin(
      ['convert', images[1], '--to', 'png', '--out-dir', out, '--engine', te.api, '--api-key-stdin'],
      `${te.apiKey}\n`,
      cliEnv({ CONVOY_HOME: home }),
    );
    expect(r.code, r.stderr).toBe(0);
    expect(fs.readdirSync(out)).toEqual(['img-001.png']);
    const help = await runCli(['convert', '--help']);
    expect(help.stdout).toMatch(/--api-key-stdin/);
    expect(help.stdout).toMatch(/--api-key <key>\s+Discouraged: the key shows in "ps"/);
  });

  it('--offline-timeout ends a run whose requests fail while the probe answers (time without progress, not gate flips)', async () => {
    liar.lie = { kind: 'reset-jobs' };
    try {
      const home = tmpDir('cli-rel-home');
      const started = Date.now();
      const r = await runWithStdin(
        ['convert', images[0], '--to', 'png', '--out-dir', tmpDir('cli-rel-out'), '--engine', liar.api, '--api-key-stdin', '--offline-timeout', '3'],
        `${te.apiKey}\n`,
        cliEnv({ CONVOY_HOME: home }),
      );
      expect(r.code, r.stdout + r.stderr).toBe(8); // network (the official exit-code table)
      expect(r.stdout).toMatch(/Stopped: No progress for more than 3\.0 s while .+ was unreachable/);
      expect(Date.now() - started).toBeLessThan(45_000);
    } finally {
      liar.lie = { kind: 'none' };
    }
  }, 60_000);
});

const mounted = mountSmallFs(12);
const small = 'dir' in mounted ? (mounted as SmallFs) : null;
afterAll(() => small?.unmount());

it.skipIf(!small)(
  `a full disk stops the run with exit 6 and the message; "convoy resume" completes after space is freed (${'unavailable' in mounted ? mounted.unavailable : 'tmpfs'})`,
  async () => {
    const sharp = (await import('sharp')).default;
    const src = tmpDir('cli-rel-noise');
    const files: string[] = [];
    for (let i = 0; i < 3; i++) {
      const raw = Buffer.alloc(800 * 800 * 3);
      for (let k = 0; k < raw.length; k++) raw[k] = (Math.random() * 256) | 0;
      const f = path.join(src, `noise-${i}.jpg`);
      await sharp(raw, { raw: { width: 800, height: 800, channels: 3 } })
        .jpeg({ quality: 90 })
        .toFile(f);
      files.push(f);
    }
    const out = path.join(small!.dir, 'out');
    fs.mkdirSync(out);
    const filler = small!.fill('filler.bin', 2 * 1024 * 1024);
    const home = tmpDir('cli-rel-home');
    const env = cliEnv({ CONVOY_HOME: home });
    const r = await runCli(['convert', ...files, '--to', 'png', '--out-dir', out], { env, timeoutMs: 80_000 });
    expect(r.code, r.stdout + r.stderr).toBe(6);
    expect(r.stdout).toContain(`Stopped: Disk full at ${out}: free space and resume`);
    expect(r.stdout).toContain('Run "convoy resume" to continue');
    for (const name of fs.readdirSync(out).filter((n) => !n.startsWith('.'))) {
      const size = fs.statSync(path.join(out, name)).size;
      if (size > 0) await expect(sharp(path.join(out, name)).stats()).resolves.toBeTruthy();
    }
    fs.rmSync(filler);
    const resumed = await runCli(['resume'], { env, timeoutMs: 80_000 });
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
    expect(
      fs
        .readdirSync(out)
        .filter((n) => !n.startsWith('.'))
        .sort(),
    ).toEqual(['noise-0.png', 'noise-1.png', 'noise-2.png']);
    expect(fs.readdirSync(out).filter((n) => n.endsWith('.part'))).toEqual([]);
  },
  180_000,
);
