/**
 * `convoy login` and `convoy config` against a private gnome-keyring: the key is checked with the
 * API, kept in the keychain (never in a file of the data folder), shown masked, and used by the
 * next commands; a refused key exits 3; without a keychain login refuses (exit 1) and says why.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngine, tmpDir, type TestEngine } from '../queue/helpers';
import { keyringToolsMissing, startKeyringSession, type KeyringSession } from '../secrets/keyring-session';
import { runCli } from './cli-helpers';

const missing = keyringToolsMissing();
if (missing && process.env.CI) throw new Error(`login tests need ${missing}`);

describe.skipIf(Boolean(missing))(`convoy login / config${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let te: TestEngine;
  let keyring: KeyringSession;
  beforeAll(async () => {
    te = await startEngine({ apiKey: `sk-login-${'5e7a1c'.repeat(5)}` });
    keyring = await startKeyringSession();
  }, 60_000);
  afterAll(async () => {
    await keyring?.close();
    await te?.engine.close();
  });
  const env = () => {
    const e = { ...keyring.env };
    delete e.API2CONVERT_API_KEY;
    delete e.CONVOY_SECRETS;
    return e;
  };

  it('login keeps the key in the keychain; config shows it masked; credits then uses it', async () => {
    const data = tmpDir('login-data');
    const wrong = await runCli(['login', '--base-url', te.api, '--data-dir', data], { env: env(), stdin: 'sk-wrong-000000000000000000\n' });
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).toMatch(/rejected this API key/);

    const r = await runCli(['login', '--base-url', te.api, '--data-dir', data], { env: env(), stdin: `${te.apiKey}\n` });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/saved in the OS keychain/);
    expect(r.stdout + r.stderr).not.toContain(te.apiKey);
    for (const f of fs.readdirSync(data, { recursive: true }) as string[]) {
      const p = path.join(data, f);
      if (fs.statSync(p).isFile()) expect(fs.readFileSync(p, 'utf8'), f).not.toContain(te.apiKey);
    }

    const shown = await runCli(['config', 'get', 'api-key', '--data-dir', data], { env: env() });
    expect(shown.stdout.trim()).toBe(`••••${te.apiKey.slice(-4)}`);
    const list = await runCli(['config', 'list', '--json', '--data-dir', data], { env: env() });
    expect(JSON.parse(list.stdout)).toMatchObject({ provider: 'api2convert', 'base-url': te.api });

    // No flag, no environment: the keychain's key talks to the configured API.
    const credits = await runCli(['credits', '--json', '--data-dir', data], { env: env() });
    expect(credits.code, credits.stderr).toBe(0);
    expect(te.engine.stats().byRoute['GET /v2/contracts']).toBeGreaterThanOrEqual(2);

    const set = await runCli(['config', 'set', 'concurrency', '9', '--data-dir', data], { env: env() });
    expect(set.code).toBe(0);
    expect((await runCli(['config', 'get', 'concurrency', '--data-dir', data], { env: env() })).stdout.trim()).toBe('9');
    const bad = await runCli(['config', 'set', 'api-key', 'sk-on-argv', '--data-dir', data], { env: env() });
    expect(bad.code).toBe(2);
  }, 240_000);

  it('without a keychain, login refuses and points to API2CONVERT_API_KEY', async () => {
    const r = await runCli(['login', '--base-url', te.api, '--data-dir', tmpDir('login-none')], {
      env: { ...env(), CONVOY_SECRETS: 'memory' },
      stdin: `${te.apiKey}\n`,
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/never writes the key to a file: set API2CONVERT_API_KEY/);
  }, 120_000);
});
