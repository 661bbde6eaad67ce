/**
 * The secret store against a real Secret Service (gnome-keyring-daemon on a private D-Bus session
 * bus started by the test), and its behaviour when there is no keychain: each way the keychain
 * library fails becomes a clear message, secrets stay in memory, and nothing is written in
 * plaintext. Every scenario runs in a child process whose D-Bus environment the test chose.
 */
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyringToolsMissing, startBusOnly, startKeyringSession, type KeyringSession } from './keyring-session';

const root = path.resolve(__dirname, '../..');
const tool = path.join(__dirname, 'fixtures', 'secret-tool.ts');
const missing = keyringToolsMissing();
if (missing && process.env.CI) throw new Error(`Keychain tests need ${missing}`);

type Op = [string, ...string[]];
interface Run {
  results: unknown[];
  stdout: string;
  stderr: string;
}

async function runTool(
  env: NodeJS.ProcessEnv,
  spec: { service: string; dataDir?: string; safeStorage?: 'real' | 'basic_text' | 'unavailable'; ops: Op[] },
): Promise<Run> {
  const child = spawn(process.execPath, ['--import', 'tsx', tool, JSON.stringify(spec)], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const line = stdout.trim().split('\n').pop() ?? '';
  let parsed: { results?: unknown[]; crash?: string } = {};
  try {
    parsed = JSON.parse(line);
  } catch {
    throw new Error(`secret-tool printed no JSON (exit ${code}):\n${stdout}\n${stderr}`);
  }
  if (parsed.crash || code !== 0) throw new Error(`secret-tool crashed (exit ${code}): ${parsed.crash}\n${stderr}`);
  return { results: parsed.results ?? [], stdout, stderr };
}

/** Environment with no way to reach a session bus (and no X11 autolaunch). */
function envWithout(...names: string[]): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const n of [...names, 'DISPLAY', 'WAYLAND_DISPLAY']) delete env[n];
  return env;
}

/** Every file under `dir`, concatenated, to search for a secret's bytes. */
function allBytes(...dirs: string[]): Buffer {
  const out: Buffer[] = [];
  const walk = (d: string) => {
    if (!fs.existsSync(d)) return;
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.push(fs.readFileSync(p));
    }
  };
  dirs.forEach(walk);
  return Buffer.concat(out);
}

function tmpDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

const secret = (label: string) => `${label}-${crypto.randomBytes(12).toString('base64url')}`;

/** The keyring items filed under a service, as libsecret's secret-tool sees them. */
function keyringItems(session: KeyringSession, service: string): string[] {
  const r = spawnSync('secret-tool', ['search', '--all', 'service', service], { env: session.env, encoding: 'utf8' });
  return [...`${r.stdout}\n${r.stderr}`.matchAll(/attribute\.username = (.+)/g)].map((m) => m[1]!.trim()).sort();
}

describe.skipIf(Boolean(missing))(`secret store on a real Secret Service${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let session: KeyringSession;
  let dataDir: string;
  const service = `convoy-test-${process.pid}`;

  beforeAll(async () => {
    session = await startKeyringSession();
    dataDir = tmpDir('convoy-secrets-data-');
  });
  afterAll(async () => {
    await session?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('stores, reads back, overwrites and deletes secrets in the keychain; status says keychain', async () => {
    const a = secret('ftp-pass');
    const b = secret('ftp-pass2');
    const run = await runTool(session.env, {
      service,
      dataDir,
      ops: [
        ['status'],
        ['get', 'profile:p1:password'],
        ['set', 'profile:p1:password', a],
        ['get', 'profile:p1:password'],
        ['set', 'profile:p1:password', b],
        ['get', 'profile:p1:password'],
        ['delete', 'profile:p1:password'],
        ['get', 'profile:p1:password'],
        ['delete', 'profile:p1:password'],
      ],
    });
    expect(run.results).toEqual([{ backend: 'keychain', warning: null }, null, 'ok', a, 'ok', b, 'ok', null, 'ok']);
    expect(keyringItems(session, service)).toEqual([]);
  });

  it('a secret saved by one process is read by the next (it lives in the keyring), and never lands in the data folder', async () => {
    const value = secret('api-key');
    await runTool(session.env, { service, dataDir, ops: [['set', 'api-key', value]] });
    expect(keyringItems(session, service)).toEqual(['api-key']);
    const later = await runTool(session.env, {
      service,
      dataDir,
      ops: [
        ['get', 'api-key'],
        ['delete', 'api-key'],
      ],
    });
    expect(later.results).toEqual([value, 'ok']);
    expect(allBytes(dataDir).includes(Buffer.from(value))).toBe(false);
    // The probe entry written at start-up to prove the keychain works is gone again.
    expect(keyringItems(session, service)).toEqual([]);
  });

  it('stores a 2.4 KB Google Cloud key file in parts and reads it back whole; shorter values and delete leave no parts behind', async () => {
    const keyfile = JSON.stringify({
      type: 'service_account',
      project_id: 'p',
      private_key: `-----BEGIN PRIVATE KEY-----\n${crypto.randomBytes(1700).toString('base64')}\n-----END PRIVATE KEY-----\n`,
      client_email: 'a@p.iam.gserviceaccount.com',
    });
    expect(keyfile.length).toBeGreaterThan(2000);
    const run = await runTool(session.env, {
      service,
      ops: [
        ['set', 'profile:g:keyfile', keyfile],
        ['get', 'profile:g:keyfile'],
      ],
    });
    expect(run.results).toEqual(['ok', keyfile]);
    const items = keyringItems(session, service);
    expect(items[0]).toBe('profile:g:keyfile');
    expect(items.length).toBeGreaterThanOrEqual(4); // header + parts of at most 1000 characters
    const short = secret('short');
    const again = await runTool(session.env, {
      service,
      ops: [
        ['set', 'profile:g:keyfile', short],
        ['get', 'profile:g:keyfile'],
      ],
    });
    expect(again.results).toEqual(['ok', short]);
    expect(keyringItems(session, service)).toEqual(['profile:g:keyfile']);
    await runTool(session.env, {
      service,
      ops: [
        ['set', 'profile:g:keyfile', keyfile],
        ['delete', 'profile:g:keyfile'],
      ],
    });
    expect(keyringItems(session, service)).toEqual([]);
  });

  it('moves secrets saved with safeStorage (while the keychain was away) into the keychain once it is back', async () => {
    const dir = tmpDir('convoy-secrets-move-');
    const value = secret('s3-secret');
    try {
      const away = await runTool(envWithout('DBUS_SESSION_BUS_ADDRESS'), {
        service,
        dataDir: dir,
        safeStorage: 'real',
        ops: [['status'], ['set', 'profile:s:secretaccesskey', value]],
      });
      expect((away.results[0] as { backend: string }).backend).toBe('safeStorage');
      expect(fs.existsSync(path.join(dir, 'secrets.safestorage.json'))).toBe(true);
      const back = await runTool(session.env, { service, dataDir: dir, safeStorage: 'real', ops: [['status'], ['get', 'profile:s:secretaccesskey']] });
      expect(back.results).toEqual([{ backend: 'keychain', warning: null }, value]);
      expect(fs.existsSync(path.join(dir, 'secrets.safestorage.json'))).toBe(false);
      expect(keyringItems(session, service)).toEqual(['profile:s:secretaccesskey']);
      await runTool(session.env, { service, ops: [['delete', 'profile:s:secretaccesskey']] });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(Boolean(missing))('secret store without a keychain: clear reasons, memory only, never plaintext', () => {
  const service = `convoy-test-nokc-${process.pid}`;
  let dataDir: string;
  beforeAll(() => {
    dataDir = tmpDir('convoy-secrets-nokc-');
  });
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  async function memoryRun(env: NodeJS.ProcessEnv): Promise<{ warning: string; value: string; results: unknown[] }> {
    const value = secret('pw');
    const run = await runTool(env, { service, dataDir, ops: [['status'], ['set', 'profile:x:password', value], ['get', 'profile:x:password']] });
    const status = run.results[0] as { backend: string; warning: string };
    expect(status.backend).toBe('memory');
    // Usable for this run…
    expect(run.results.slice(1)).toEqual(['ok', value]);
    // …and gone in the next: it was never written anywhere.
    const next = await runTool(env, { service, dataDir, ops: [['get', 'profile:x:password']] });
    expect(next.results).toEqual([null]);
    expect(allBytes(dataDir).includes(Buffer.from(value))).toBe(false);
    expect(status.warning).toMatch(/^Secrets are kept in memory for this run only/);
    return { warning: status.warning, value, results: run.results };
  }

  it('DBUS_SESSION_BUS_ADDRESS pointing nowhere: says the bus cannot be reached and how to fix it', async () => {
    const { warning } = await memoryRun({ ...envWithout(), DBUS_SESSION_BUS_ADDRESS: `unix:path=${path.join(dataDir, 'no-such-bus')}` });
    expect(warning).toMatch(/D-Bus session bus named by DBUS_SESSION_BUS_ADDRESS cannot be reached/);
    expect(warning).toMatch(/Secret Service provider such as GNOME Keyring/);
  });

  it('no session bus at all: says none is running', async () => {
    const { warning } = await memoryRun(envWithout('DBUS_SESSION_BUS_ADDRESS'));
    expect(warning).toMatch(/no D-Bus session bus is running/);
    expect(warning).toMatch(/dbus-run-session/);
  });

  it('a session bus without any Secret Service: names the missing provider and how to install one', async () => {
    const bus = await startBusOnly();
    try {
      const { warning } = await memoryRun(bus.env);
      expect(warning).toMatch(/no Secret Service provider \(GNOME Keyring, KWallet, KeePassXC\) is running/);
      expect(warning).toMatch(/sudo apt install gnome-keyring/);
    } finally {
      await bus.close();
    }
  });

  it('a Secret Service with no unlocked default keyring (reads work, writes fail): detected at start-up', async () => {
    const locked = await startKeyringSession({ locked: true });
    try {
      const { warning } = await memoryRun(locked.env);
      expect(warning).toMatch(/no usable default keyring/);
      expect(warning).toMatch(/create or unlock the default "Login" keyring/);
    } finally {
      await locked.close();
    }
  });

  it('Electron safeStorage with a real backend is used instead: encrypted file, readable by the next run, no plaintext', async () => {
    const dir = tmpDir('convoy-secrets-safe-');
    const value = secret('azure-key');
    try {
      const env = envWithout('DBUS_SESSION_BUS_ADDRESS');
      const run = await runTool(env, { service, dataDir: dir, safeStorage: 'real', ops: [['status'], ['set', 'profile:a:accountkey', value]] });
      expect(run.results).toEqual([{ backend: 'safeStorage', warning: null }, 'ok']);
      const file = path.join(dir, 'secrets.safestorage.json');
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      expect(allBytes(dir).includes(Buffer.from(value))).toBe(false);
      const next = await runTool(env, {
        service,
        dataDir: dir,
        safeStorage: 'real',
        ops: [
          ['get', 'profile:a:accountkey'],
          ['delete', 'profile:a:accountkey'],
          ['get', 'profile:a:accountkey'],
        ],
      });
      expect(next.results).toEqual([value, 'ok', null]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('safeStorage with only the basic_text backend is refused: memory, and the warning says why', async () => {
    const dir = tmpDir('convoy-secrets-basic-');
    try {
      const run = await runTool(envWithout('DBUS_SESSION_BUS_ADDRESS'), {
        service,
        dataDir: dir,
        safeStorage: 'basic_text',
        ops: [['status'], ['set', 'api-key', secret('k')]],
      });
      const status = run.results[0] as { backend: string; warning: string };
      expect(status.backend).toBe('memory');
      expect(status.warning).toMatch(/no D-Bus session bus is running .*, and Electron safeStorage would only use its "basic_text" backend/);
      expect(fs.existsSync(path.join(dir, 'secrets.safestorage.json'))).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the log says which backend and why, without any secret', async () => {
    const log = fs.readFileSync(path.join(dataDir, 'logs', 'convoy.log'), 'utf8');
    expect(log).toMatch(/secrets: keychain unavailable \(no_session_bus\)/);
    expect(log).toMatch(/secrets: memory only/);
    expect(log).not.toMatch(/pw-/);
  });
});
