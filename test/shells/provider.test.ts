import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LOCAL_ENGINE_KEY_NAME, localEngineKey } from '../../main/provider';

function store(backend: string, failSet = false) {
  const map = new Map<string, string>();
  return {
    map,
    get: async (n: string) => map.get(n) ?? null,
    set: async (n: string, v: string) => {
      if (failSet) throw new Error('keychain locked');
      map.set(n, v);
    },
    status: () => ({ backend }),
  };
}

describe('the local engine key', () => {
  it('stays the same across restarts (the engine scopes Idempotency-Key replays by it), in the keychain when there is one', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'convoy-key-'));
    const keychain = store('keychain');
    const first = await localEngineKey(keychain, dir);
    expect(first).toMatch(/^[0-9a-f]{48}$/);
    expect(await localEngineKey(keychain, dir)).toBe(first);
    expect(keychain.map.get(LOCAL_ENGINE_KEY_NAME)).toBe(first);
    expect(fs.existsSync(path.join(dir, 'engine', 'local-api-key'))).toBe(false);
  });

  it('without a keychain, keeps it in an owner-only file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'convoy-key-'));
    const first = await localEngineKey(store('memory'), dir);
    // A fresh memory store (a restart) finds the same key.
    expect(await localEngineKey(store('memory'), dir)).toBe(first);
    const file = path.join(dir, 'engine', 'local-api-key');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    // A keychain that refuses writes falls back to the same file.
    expect(await localEngineKey(store('keychain', true), dir)).toBe(first);
  });
});
