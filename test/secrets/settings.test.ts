/**
 * settings.setApiKey / clearApiKey / setTunnelToken and secrets.status. The key check is the
 * client's real `GET /v2/contracts` against the local engine (api2convert itself is unreachable
 * here; the engine answers 401 for any key but its own, as the API does).
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../engine';
import { ContractError, parseArgs, type Handlers, type Settings } from '../../preload/contract';
import { EventBus } from '../../main/events';
import { createLogger } from '../../main/log';
import { contractsKeyChecker, createSecretStore, createSecretsService, maskApiKey, type SecretStore, type SecretsService } from '../../main/secrets';

const ENGINE_KEY = 'a2c0ffee0123456789abcdef01234567';
const WRONG_KEY = 'b2c0ffee0123456789abcdef0123wrong';

let dir: string;
let engine: Engine;
let store: SecretStore;
let service: SecretsService;
let events: EventBus;
let h: Partial<Handlers>;
const settingsEvents: Settings[] = [];
const keyChanges: Array<string | null> = [];
let baseUrl: string;

const view = (): Settings =>
  ({
    provider: 'local',
    concurrency: 4,
    outputDir: null,
    conflictPolicy: 'rename',
    callbackPublicUrl: null,
    callbackPort: 0,
    liveStatus: true,
    notifyOnBatchEnd: true,
    ffmpegPath: null,
    sofficePath: null,
    apiKeyMasked: service.apiKeyMasked(),
    hasTunnelToken: service.hasTunnelToken(),
    hasCallbackSigningSecret: false,
  }) satisfies Settings;

async function call<M extends keyof Handlers>(method: M, args?: unknown): Promise<Awaited<ReturnType<Handlers[M]>>> {
  return (h[method] as (a: unknown) => Promise<Awaited<ReturnType<Handlers[M]>>>)(parseArgs(method, args));
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'convoy-settings-secrets-'));
  engine = await createEngine({ port: 0, dataDir: path.join(dir, 'engine'), apiKey: ENGINE_KEY }, { log: () => {} });
  baseUrl = `${engine.baseUrl}/v2`;
  store = await createSecretStore({ backend: 'memory' });
  events = new EventBus();
  events.on('settings', (s) => settingsEvents.push(s));
  const log = createLogger(dir);
  service = await createSecretsService({
    secrets: store,
    events,
    settingsView: view,
    checkApiKey: contractsKeyChecker(() => baseUrl),
    onApiKeyChanged: (k) => {
      keyChanges.push(k);
    },
    log,
  });
  h = service.handlers();
});

afterAll(async () => {
  await engine?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('API key', () => {
  it('a key the API accepts is stored and shown masked; listeners hear of it', async () => {
    const s = await call('settings.setApiKey', { apiKey: `  ${ENGINE_KEY}\n` });
    expect(s.apiKeyMasked).toBe('••••4567');
    expect(await store.get('api-key')).toBe(ENGINE_KEY);
    expect(settingsEvents.at(-1)).toEqual(s);
    expect(keyChanges).toEqual([ENGINE_KEY]);
    expect(JSON.stringify(s)).not.toContain(ENGINE_KEY);
  });

  it('a key the API rejects is not stored, and the error says so without echoing it', async () => {
    const err = await call('settings.setApiKey', { apiKey: WRONG_KEY }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ContractError);
    expect(err).toMatchObject({ code: 'unauthorized' });
    expect((err as Error).message).toMatch(
      /^127\.0\.0\.1:\d+ rejected this API key \(HTTP 401\)\. Copy it again from your api2convert account; it was not saved\.$/,
    );
    expect((err as Error).message).not.toContain(WRONG_KEY);
    expect(await store.get('api-key')).toBe(ENGINE_KEY);
    expect(service.apiKeyMasked()).toBe('••••4567');
  });

  it('an unreachable API: "unavailable", nothing stored', async () => {
    const srv = net.createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as net.AddressInfo).port;
    await new Promise<void>((r) => srv.close(() => r()));
    const saved = baseUrl;
    baseUrl = `http://127.0.0.1:${port}/v2`;
    try {
      const err = await call('settings.setApiKey', { apiKey: WRONG_KEY }).catch((e: unknown) => e);
      expect(err).toMatchObject({
        code: 'unavailable',
        message: `Could not reach 127.0.0.1:${port} to check the API key. The key was not saved; try again when online.`,
      });
    } finally {
      baseUrl = saved;
    }
    expect(await store.get('api-key')).toBe(ENGINE_KEY);
  });

  it('keys with inner spaces or too short are refused before any request', async () => {
    await expect(call('settings.setApiKey', { apiKey: 'abc def ghi jkl' })).rejects.toMatchObject({ code: 'invalid_argument' });
    expect(() => parseArgs('settings.setApiKey', { apiKey: 'short' })).toThrow(/apiKey/);
  });

  it('clearApiKey removes it', async () => {
    const s = await call('settings.clearApiKey');
    expect(s.apiKeyMasked).toBeNull();
    expect(await store.get('api-key')).toBeNull();
    expect(keyChanges.at(-1)).toBeNull();
  });

  it('masks: last four characters of long keys only', () => {
    expect(maskApiKey(null)).toBeNull();
    expect(maskApiKey('12345678')).toBe('••••');
    expect(maskApiKey('0123456789abcdefXYZW')).toBe('••••XYZW');
  });
});

describe('tunnel token and status', () => {
  it('stores and clears the tunnel token', async () => {
    expect((await call('settings.setTunnelToken', { token: '2abcTunnelToken_xyz' })).hasTunnelToken).toBe(true);
    expect(await store.get('tunnel-token')).toBe('2abcTunnelToken_xyz');
    expect((await call('settings.setTunnelToken', { token: null })).hasTunnelToken).toBe(false);
    expect(await store.get('tunnel-token')).toBeNull();
  });

  it('secrets.status reports the backend and its warning', async () => {
    const status = await call('secrets.status');
    expect(status.backend).toBe('memory');
    expect(status.warning).toMatch(/^Secrets are kept in memory for this run only/);
  });

  it('the log recorded the changes but none of the keys', () => {
    const log = fs.readFileSync(path.join(dir, 'logs', 'convoy.log'), 'utf8');
    expect(log).toMatch(/API key checked and stored/);
    expect(log).toMatch(/tunnel token removed/);
    for (const s of [ENGINE_KEY, WRONG_KEY, '2abcTunnelToken_xyz']) expect(log).not.toContain(s);
  });

  it('a service created later reads what is stored (masked key, token flag)', async () => {
    await store.set('api-key', ENGINE_KEY);
    await store.set('tunnel-token', 'tok-0123456789');
    const again = await createSecretsService({ secrets: store, events, settingsView: view, checkApiKey: async () => {} });
    expect(again.apiKeyMasked()).toBe('••••4567');
    expect(again.hasTunnelToken()).toBe(true);
    expect(await again.apiKey()).toBe(ENGINE_KEY);
  });
});
