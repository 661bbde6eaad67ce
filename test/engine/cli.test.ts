/** `npm run engine -- --port <p> --data-dir <dir> --api-key <key>` and its flags. */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { fetchChecked } from './support/api';
import { tempDir } from './support/engine';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

interface Run {
  lines: () => string[];
  stderr: () => string;
  exit: Promise<number | null>;
  stop(): void;
}

function run(args: string[]): Run {
  const child = spawn('npm', ['run', '--silent', 'engine', '--', ...args], { cwd: repoRoot, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  return {
    lines: () => out.split('\n').filter((l) => l.trim() !== ''),
    stderr: () => err,
    exit: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
    stop: () => {
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        /* already gone */
      }
    },
  };
}

async function waitForLine(r: Run, re: RegExp, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const hit = r.lines().find((l) => re.test(l));
    if (hit) return hit;
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error(`no line matching ${re}: ${r.lines().join('\n')}\n${r.stderr()}`);
}

describe('engine CLI', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it('prints one line with its base URL, serves /v2, applies fault flags, and stops on SIGTERM', async () => {
    const dir = tempDir('convoy-engine-cli-');
    dirs.push(dir);
    const r = run(['--port', '0', '--data-dir', dir, '--api-key', 'cli-key', '--latency-ms', '150']);
    try {
      const line = await waitForLine(r, /http:\/\/127\.0\.0\.1:\d+/);
      expect(r.lines().filter((l) => /http:\/\//.test(l))).toHaveLength(1);
      const baseUrl = /(http:\/\/127\.0\.0\.1:\d+)/.exec(line)![1];
      const started = Date.now();
      const res = await fetchChecked(`${baseUrl}/v2/jobs`, {
        method: 'POST',
        headers: { 'X-Oc-Api-Key': 'cli-key', 'Content-Type': 'application/json' },
        body: '{"process":false}',
      });
      expect(res.status).toBe(201);
      expect(Date.now() - started).toBeGreaterThanOrEqual(140);
      expect((await fetchChecked(`${baseUrl}/v2/jobs`, { headers: { 'X-Oc-Api-Key': 'other' } })).status).toBe(401);
      expect(fs.existsSync(path.join(dir, 'engine.sqlite'))).toBe(true);
    } finally {
      r.stop();
    }
    await r.exit;
    // The engine closed cleanly: it released its data dir lock.
    const deadline = Date.now() + 5000;
    while (fs.existsSync(path.join(dir, 'engine.lock')) && Date.now() < deadline) await new Promise((res) => setTimeout(res, 50));
    expect(fs.existsSync(path.join(dir, 'engine.lock'))).toBe(false);
  });

  it('refuses bad flags and a missing API key with a usage message', async () => {
    const emptyDir = tempDir('convoy-engine-cli-');
    dirs.push(emptyDir);
    const noKey = run(['--port', '0', '--data-dir', emptyDir]);
    expect(await noKey.exit).toBe(2);
    expect(noKey.stderr()).toMatch(/API key is required/);
    const badPort = run(['--port', 'abc', '--api-key', 'k']);
    expect(await badPort.exit).toBe(2);
    expect(badPort.stderr()).toMatch(/--port must be a number/);
    const badRate = run(['--api-key', 'k', '--transient-5xx-rate', '3']);
    expect(await badRate.exit).toBe(2);
    const unknown = run(['--api-key', 'k', '--frobnicate']);
    expect(await unknown.exit).toBe(2);
    expect(unknown.stderr()).toMatch(/Usage: npm run engine/);
  });

  it('hands out URLs under --public-url (what a proxy in front of the engine serves)', async () => {
    const dir = tempDir('convoy-engine-cli-');
    dirs.push(dir);
    const r = run(['--port', '0', '--data-dir', dir, '--api-key', 'cli-key', '--public-url', 'https://convoy.example.test/engine/']);
    try {
      const line = await waitForLine(r, /http:\/\/127\.0\.0\.1:\d+/);
      const baseUrl = /(http:\/\/127\.0\.0\.1:\d+)/.exec(line)![1];
      const res = await fetch(`${baseUrl}/v2/jobs`, {
        method: 'POST',
        headers: { 'X-Oc-Api-Key': 'cli-key', 'Content-Type': 'application/json' },
        body: '{"process":false}',
      });
      expect(res.status).toBe(201);
      const job = (await res.json()) as { server: string };
      expect(job.server.startsWith('https://convoy.example.test/engine/v2/')).toBe(true);
    } finally {
      r.stop();
    }
    await r.exit;
    const bad = run(['--api-key', 'k', '--public-url', 'ftp://x']);
    expect(await bad.exit).toBe(2);
    expect(bad.stderr()).toMatch(/--public-url must be an http\(s\) URL/);
  });
});
