/**
 * The callback signing secret as the user sets it through the contract: stored in the keychain
 * only, applied to the running callback server at once, and removable.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createCore } from '../../main/core';
import { dispatch } from '../../main/service';
import { waitFor } from '../queue/helpers';
import { TestTunnelProxy } from './support/proxy';
import { freePort } from './support/stack';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

function listFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? listFiles(p) : [p];
  });
}

describe('callback signing secret through the contract', () => {
  it('is stored in the keychain only, checked at once, and can be removed', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'convoy-cb-signing-'));
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const dataDir = path.join(dir, 'data');
    const core = await createCore({ shell: 'cli', dataDir, secretsBackend: 'memory', env: {} });
    cleanups.push(() => core.close());
    const call = <M extends Parameters<typeof dispatch>[1]>(m: M, a?: unknown) => dispatch(core.handlers, m, a);

    const port = await freePort();
    const proxy = new TestTunnelProxy({ host: '127.0.0.1', port });
    await proxy.start();
    cleanups.push(() => proxy.stop());
    await call('settings.update', { callbackPort: port, callbackPublicUrl: proxy.url });
    await waitFor(async () => (await call('callbacks.status')).mode === 'callback', 10_000, 'callback mode');

    const pathSecret = (await core.secrets.get('callback-path-secret'))!;
    const url = `http://127.0.0.1:${port}/callbacks/${pathSecret}`;
    const body = JSON.stringify({ id: crypto.randomUUID(), status: { code: 'completed' } });
    const post = (signature?: string) =>
      fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...(signature ? { 'X-Oc-Signature': signature } : {}) },
        body,
      }).then((r) => r.status);

    // No secret: an unsigned callback passes the signature stage (and is then refused as not ours).
    expect((await call('settings.get')).hasCallbackSigningSecret).toBe(false);
    expect(await post()).toBe(404);

    await expect(call('settings.setCallbackSigningSecret', { secret: 'short' })).rejects.toThrow(/at least 16 characters/);
    const secret = 'sign-me-' + crypto.randomBytes(16).toString('hex');
    const view = await call('settings.setCallbackSigningSecret', { secret });
    expect(view.hasCallbackSigningSecret).toBe(true);
    expect(await core.secrets.get('callback-signing-secret')).toBe(secret);
    await waitFor(async () => (await post()) === 401, 10_000, 'unsigned callbacks refused once the secret is set');
    const good = crypto.createHmac('sha256', secret).update(body).digest('hex');
    const bad = crypto.createHmac('sha256', 'another-secret-entirely').update(body).digest('hex');
    expect(await post(bad)).toBe(401);
    expect(await post(good)).toBe(404); // signature accepted; the job is not ours

    await call('settings.setCallbackSigningSecret', { secret: null });
    expect(await core.secrets.get('callback-signing-secret')).toBeNull();
    await waitFor(async () => (await post()) === 404, 10_000, 'unsigned callbacks accepted again after removal');

    // Never on disk: not in settings, logs, the database or anything else under the data folder.
    for (const file of listFiles(dataDir)) {
      expect(fs.readFileSync(file).includes(Buffer.from(secret)), file).toBe(false);
    }
  });
});
