/**
 * Cloud inputs and output targets at the job level, against real local servers (s3rver, Azurite,
 * ftp-srv, the Google Cloud Storage stand-in): statuses, no local output for a target, a refused
 * overwrite, bad descriptors accepted on create and failing later with code 99.
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startAzurite,
  startFtpServer,
  startGcsStandIn,
  startS3rver,
  type GcsStandIn,
  type RunningAzurite,
  type RunningFtpServer,
  type RunningS3rver,
} from '../support/cloud-servers';
import { photo } from './support/images';
import { specMissing } from './support/openapi';
import { startTestEngine, type TestEngine } from './support/engine';

const missing = specMissing();
if (missing) console.warn(`SKIPPED engine cloud input/target tests: ${missing}`);

describe.skipIf(!!missing)('cloud inputs and output targets in jobs', () => {
  let t: TestEngine;
  let s3: RunningS3rver;
  let azure: RunningAzurite;
  let ftp: RunningFtpServer;
  let gcs: GcsStandIn;
  let jpg: Buffer;

  beforeAll(async () => {
    [s3, azure, ftp, gcs] = await Promise.all([startS3rver({ buckets: ['inbox', 'outbox'] }), startAzurite(), startFtpServer(), startGcsStandIn()]);
    jpg = await photo(90, 60);
    await azure.createContainer('box');
    gcs.createBucket('gbucket');
    await Promise.all([
      s3.put('inbox', 'folder/s3.jpg', jpg),
      azure.put('box', 'folder/azure.jpg', jpg),
      ftp.put('folder/ftp.jpg', jpg),
      gcs.put('gbucket', 'folder/gcs.jpg', jpg),
    ]);
    t = await startTestEngine({ cloudEndpoints: { amazons3: s3.endpoint, azure: azure.endpoint, googlecloud: gcs.apiEndpoint } });
  }, 90_000);
  afterAll(async () => {
    await t?.stop();
    await Promise.all([s3?.close(), azure?.close(), ftp?.close(), gcs?.close()]);
  });

  const descriptors = () => ({
    amazons3: { parameters: { bucket: 'inbox', file: 'folder/s3.jpg' }, credentials: s3.credentials },
    azure: { parameters: { container: 'box', file: 'folder/azure.jpg' }, credentials: azure.credentials },
    ftp: { parameters: { host: ftp.host, port: ftp.port, file: 'folder/ftp.jpg' }, credentials: ftp.credentials },
    googlecloud: { parameters: { projectid: gcs.projectId, bucket: 'gbucket', file: 'folder/gcs.jpg' }, credentials: gcs.credentials },
  });

  it('fetches an input from each cloud source, with credentials never read back', async () => {
    const input = Object.entries(descriptors()).map(([source, d]) => ({ type: 'cloud', source, ...d }));
    const res = await t.api.post('/v2/jobs', { input, conversion: [{ target: 'webp' }] });
    expect(res.status).toBe(201);
    for (const i of res.body.input) expect(i.credentials).toEqual({});
    const done = await t.api.waitFor(res.body.id, { timeoutMs: 30_000 });
    expect(done.errors).toEqual([]);
    expect(done.input.map((i: any) => i.filename)).toEqual(['s3.jpg', 'azure.jpg', 'ftp.jpg', 'gcs.jpg']);
    expect(done.output).toHaveLength(4);
    for (const o of done.output) {
      expect(await sharp((await t.api.download(o.uri)).data).metadata()).toMatchObject({ format: 'webp', width: 90, height: 60 });
    }
  });

  it('accepts a bad cloud descriptor on create and fails the input later with code 99', async () => {
    const res = await t.api.post('/v2/jobs', {
      input: [{ type: 'cloud', source: 'amazons3', parameters: { file: 'folder/s3.jpg' }, credentials: s3.credentials }],
      conversion: [{ target: 'png' }],
    });
    expect(res.status).toBe(201);
    const done = await t.api.waitFor(res.body.id);
    expect(done.status.code).toBe('failed');
    expect(done.errors[0]).toMatchObject({ source: 'input', code: 99, message: expect.stringMatching(/bucket/) });
    expect(JSON.stringify(done)).not.toContain(s3.credentials.secretaccesskey);
  });

  it('fails an input whose file does not exist, naming what was missing', async () => {
    const d = descriptors().azure;
    const res = await t.api.post('/v2/jobs', {
      input: [{ type: 'cloud', source: 'azure', parameters: { ...d.parameters, file: 'nope/none.jpg' }, credentials: d.credentials }],
      conversion: [{ target: 'png' }],
    });
    const done = await t.api.waitFor(res.body.id, { timeoutMs: 30_000 });
    expect(done.status.code).toBe('failed');
    expect(done.errors[0].code).toBe(99);
    expect(done.errors[0].message).toMatch(/not|exist|found/i);
    expect(JSON.stringify(done)).not.toContain(azure.accountKey);
  });

  it('uploads to several targets of one conversion, keeps no local output, and reports each target', async () => {
    const res = await t.api.post('/v2/jobs', {
      input: [{ type: 'base64', source: jpg.toString('base64'), filename: 'multi.jpg' }],
      conversion: [
        {
          target: 'png',
          output_target: [
            { type: 'amazons3', parameters: { bucket: 'outbox', file: 'results/multi.png' }, credentials: s3.credentials },
            { type: 'ftp', parameters: { host: ftp.host, port: ftp.port, file: 'results/multi.png' }, credentials: ftp.credentials },
          ],
        },
        { target: 'jpg', options: { quality: 50 } },
      ],
    });
    expect(res.body.conversion[0].output_target.map((o: any) => o.status)).toEqual(['waiting', 'waiting']);
    const done = await t.api.waitFor(res.body.id, { timeoutMs: 30_000 });
    expect(done.status.code).toBe('completed');
    expect(done.conversion[0].output_target.map((o: any) => o.status)).toEqual(['completed', 'completed']);
    // Only the conversion without a target has a local output.
    expect(done.output.map((o: any) => o.source.conversion)).toEqual([done.conversion[1].id]);
    expect((await sharp((await s3.get('outbox', 'results/multi.png'))!).metadata()).format).toBe('png');
    expect((await sharp((await ftp.get('results/multi.png'))!).metadata()).format).toBe('png');
  });

  it('fails the job when an upload is refused by wrong credentials', async () => {
    const res = await t.api.post('/v2/jobs', {
      fail_on_conversion_error: false,
      input: [{ type: 'base64', source: jpg.toString('base64'), filename: 'x.jpg' }],
      conversion: [
        {
          target: 'png',
          output_target: [
            { type: 'googlecloud', parameters: { projectid: gcs.projectId, bucket: 'gbucket', file: 'denied/x.png' }, credentials: gcs.wrongKeyCredentials },
          ],
        },
      ],
    });
    const done = await t.api.waitFor(res.body.id, { timeoutMs: 30_000 });
    expect(done.status.code).toBe('failed');
    expect(done.conversion[0].output_target[0].status).toBe('failed');
    expect(done.errors[0]).toMatchObject({ source: 'conversion', id_source: done.conversion[0].id, code: 99 });
    expect(JSON.stringify(done)).not.toContain('PRIVATE KEY');
    expect(await gcs.get('gbucket', 'denied/x.png')).toBeNull();
  });
});
