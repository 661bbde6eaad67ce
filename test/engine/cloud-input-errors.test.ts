/**
 * Cloud input failures as engine/README.md describes them (`details.kind` names the cloud
 * failure), and an Azure endpoint override written with `{account}` (the documented form).
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzurite, startS3rver, type RunningAzurite, type RunningS3rver } from '../support/cloud-servers';
import { photo } from './support/images';
import { startTestEngine, type TestEngine } from './support/engine';

describe('cloud input errors and endpoints', () => {
  let t: TestEngine;
  let s3: RunningS3rver;
  let azure: RunningAzurite;

  beforeAll(async () => {
    [s3, azure] = await Promise.all([startS3rver({ buckets: ['inbox'] }), startAzurite()]);
    const jpg = await photo(40, 30);
    await azure.createContainer('box');
    await Promise.all([s3.put('inbox', 'a.jpg', jpg), azure.put('box', 'in/a.jpg', jpg)]);
    // The documented override form: the account name is substituted into `{account}`.
    const azureTemplate = azure.endpoint.replace(/\/[^/]+$/, '/{account}');
    t = await startTestEngine({ cloudEndpoints: { amazons3: s3.endpoint, azure: azureTemplate } });
  }, 90_000);
  afterAll(async () => {
    await t?.stop();
    await Promise.all([s3?.close(), azure?.close()]);
  });

  it('gives a failed cloud input details.kind (auth for a wrong secret, not_found for a missing file)', async () => {
    const res = await t.api.post('/v2/jobs', {
      input: [
        {
          type: 'cloud',
          source: 'amazons3',
          parameters: { bucket: 'inbox', file: 'a.jpg' },
          credentials: { ...s3.credentials, secretaccesskey: 'wrong-secret-0123456789' },
        },
      ],
      conversion: [{ target: 'png' }],
    });
    const done = await t.api.waitFor(res.body.id, { timeoutMs: 30_000 });
    expect(done.errors[0]).toMatchObject({ source: 'input', code: 99, details: { type: 'cloud', kind: 'auth' } });

    const missing = await t.api.post('/v2/jobs', {
      input: [{ type: 'cloud', source: 'amazons3', parameters: { bucket: 'inbox', file: 'none.jpg' }, credentials: s3.credentials }],
      conversion: [{ target: 'png' }],
    });
    const failed = await t.api.waitFor(missing.body.id, { timeoutMs: 30_000 });
    expect(failed.errors[0].details).toMatchObject({ kind: 'not_found' });
  });

  it('reads and delivers through an Azure endpoint written with {account}', async () => {
    const res = await t.api.post('/v2/jobs', {
      input: [{ type: 'cloud', source: 'azure', parameters: { container: 'box', file: 'in/a.jpg' }, credentials: azure.credentials }],
      conversion: [{ target: 'png', output_target: [{ type: 'azure', parameters: { container: 'box', file: 'out/a.png' }, credentials: azure.credentials }] }],
    });
    const done = await t.api.waitFor(res.body.id, { timeoutMs: 30_000 });
    expect(done.errors).toEqual([]);
    expect(done.status.code).toBe('completed');
    expect((await sharp((await azure.get('box', 'out/a.png'))!).metadata()).format).toBe('png');
  });
});
