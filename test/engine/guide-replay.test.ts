/**
 * Replays every example request of the api2convert guide (advanced-api-calls.txt) against the
 * engine, as written: same method, path, header names and JSON body. Only what must point
 * somewhere real is replaced — the API key, the example job id, remote URLs (served by a local
 * file server under the same path), the callback URL, and cloud placeholders (bucket and container
 * names that are not valid names, hosts, credentials) by local Azurite, ftp-srv, s3rver and the
 * Google Cloud Storage stand-in. The guide's PATCH example omits the `/v2` prefix that every other
 * example has; it is replayed under /v2.
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
import { guideMissing, mapStrings, parseGuide, type GuideRequest } from './support/guide';
import { photo } from './support/images';
import { specMissing } from './support/openapi';
import { startCallbackReceiver, startFileServer, type CallbackReceiver, type FileServer } from './support/servers';
import { startTestEngine, type TestEngine } from './support/engine';

const missing = specMissing() ?? guideMissing();
if (missing) console.warn(`SKIPPED guide replay: ${missing}`);

const EXAMPLE_JOB_ID = '8c267416-25dc-4298-8a26-b48f7eaa8000';
const EXAMPLE_HOST = 'https://example-files.online-convert.com';

describe.skipIf(!!missing)('replay of the api2convert guide examples', () => {
  let t: TestEngine;
  let files: FileServer;
  let cb: CallbackReceiver;
  let s3: RunningS3rver;
  let azure: RunningAzurite;
  let ftp: RunningFtpServer;
  let gcs: GcsStandIn;
  let examples: GuideRequest[];
  let jpg: Buffer;
  let png: Buffer;

  beforeAll(async () => {
    examples = parseGuide();
    [files, cb, s3, azure, ftp, gcs] = await Promise.all([
      startFileServer(),
      startCallbackReceiver(),
      startS3rver({ buckets: ['guide-bucket'] }),
      startAzurite(),
      startFtpServer(),
      startGcsStandIn(),
    ]);
    jpg = await photo(96, 64, 'jpeg');
    png = await photo(48, 32, 'png');
    files.set('/raster image/jpg/example_small.jpg', jpg);
    files.set('/raster image/png/example_small.png', png);
    await azure.createContainer('guide-container');
    gcs.createBucket('guide-gcs-bucket');
    t = await startTestEngine({
      cloudEndpoints: { amazons3: s3.endpoint, azure: azure.endpoint, googlecloud: gcs.apiEndpoint },
    });
  }, 90_000);
  afterAll(async () => {
    await t?.stop();
    await Promise.all([files?.close(), cb?.close(), s3?.close(), azure?.close(), ftp?.close(), gcs?.close()]);
  });

  /** The guide's request with local stand-ins for what must be real. */
  function localize(ex: GuideRequest, jobId?: string): { path: string; headers: Record<string, string>; body: unknown } {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(ex.headers)) {
      if (k.toLowerCase() === 'host') continue;
      headers[k] = v === '<your API key here>' ? t.api.apiKey : v;
    }
    let path = ex.path.replace(EXAMPLE_JOB_ID, jobId ?? EXAMPLE_JOB_ID);
    if (!path.startsWith('/v2/')) path = `/v2${path}`;
    const body = mapStrings(ex.body, (s, key) => {
      if (s.startsWith(EXAMPLE_HOST)) return files.url + s.slice(EXAMPLE_HOST.length);
      if (s === '<put your callback url here>') return cb.url;
      if (key === 'bucket' && s === 'your bucket name') return ex.body && JSON.stringify(ex.body).includes('amazons3') ? 'guide-bucket' : 'guide-gcs-bucket';
      if (key === 'container') return 'guide-container';
      if (key === 'projectid') return gcs.projectId;
      if (key === 'host' && s === 'your ftp server host') return ftp.host;
      if (key === 'accesskeyid') return s3.credentials.accesskeyid;
      if (key === 'secretaccesskey') return s3.credentials.secretaccesskey;
      if (key === 'accountname') return azure.credentials.accountname;
      if (key === 'accountkey') return azure.credentials.accountkey;
      if (key === 'username') return ftp.credentials.username;
      if (key === 'password') return ftp.credentials.password;
      return s;
    });
    // The keyfile (an object of placeholders) and the FTP port (ours is not 21).
    const walk = (v: any) => {
      if (!v || typeof v !== 'object') return;
      if (v.credentials?.keyfile) v.credentials.keyfile = gcs.credentials.keyfile;
      if (v.type === 'ftp' && v.parameters) v.parameters.port = ftp.port;
      for (const child of Object.values(v)) walk(child);
    };
    walk(body);
    return { path, headers, body };
  }

  const send = async (ex: GuideRequest, jobId?: string) => {
    const { path, headers, body } = localize(ex, jobId);
    return t.api.request(ex.method, path, { raw: JSON.stringify(body), headers, key: null, body: Array.isArray(body) ? body : undefined });
  };
  const find = (pred: (ex: GuideRequest) => boolean): GuideRequest => {
    const ex = examples.find(pred);
    if (!ex) throw new Error('example not found in the guide');
    return ex;
  };
  const json = (ex: GuideRequest) => JSON.stringify(ex.body);

  it('finds the guide examples', () => {
    expect(examples.length).toBeGreaterThanOrEqual(10);
  });

  it.each([false, true])('callback example with notify_status %s', async (notify) => {
    const ex = find((e) => json(e).includes('"callback"'));
    const variant = { ...ex, body: { ...(ex.body as object), notify_status: notify } };
    cb.received.length = 0;
    const res = await send(variant);
    expect(res.status).toBe(201);
    const done = await t.api.waitFor(res.body.id);
    expect(done.status.code).toBe('completed');
    await cb.waitFor((l) => l.some((c) => c.body?.status?.code === 'completed'));
    await new Promise((r) => setTimeout(r, 150));
    // What the guide's PHP endpoint does: needs `id`, files it under `{id}_{status}`.
    const names = cb.received.map((c) => `${c.body.id}_${c.body.status.code}`);
    const id = done.id;
    expect(names).toEqual(notify ? [`${id}_downloading`, `${id}_queued`, `${id}_processing`, `${id}_completed`] : [`${id}_completed`]);
    const out = await t.api.download(done.output[0].uri);
    expect(await sharp(out.data).metadata()).toMatchObject({ format: 'png', width: 96, height: 64 });
  });

  it('creates a job dynamically: process false, a conversion, one input, then two, then PATCH', async () => {
    const [create, conversion, oneInput, twoInputs, process] = [
      find((e) => json(e) === '{"process":false}'),
      find((e) => e.path.endsWith('/conversions')),
      find((e) => e.path.endsWith('/input') && !Array.isArray(e.body)),
      find((e) => e.path.endsWith('/input') && Array.isArray(e.body)),
      find((e) => e.method === 'PATCH'),
    ];
    const job = await send(create);
    expect(job.status).toBe(201);
    expect(job.body.status.code).toBe('incomplete');
    const id = job.body.id;
    const conv = await send(conversion, id);
    expect(conv.status).toBe(201);
    expect(conv.body.target).toBe('png');
    const one = await send(oneInput, id);
    expect(one.status).toBe(201);
    expect(one.body.type).toBe('remote');
    const two = await send(twoInputs, id);
    expect(two.status).toBe(201);
    expect(two.body).toHaveLength(2);
    await new Promise((r) => setTimeout(r, 100));
    expect((await t.api.get(`/v2/jobs/${id}`)).body.status.code).toBe('incomplete');
    const patched = await send(process, id);
    expect(patched.status).toBe(200);
    const done = await t.api.waitFor(id);
    expect(done.status.code).toBe('completed');
    expect(done.input.map((i: any) => i.filename)).toEqual(['example_small.jpg', 'example_small.jpg', 'example_small.png']);
    expect(done.output).toHaveLength(3);
    for (const o of done.output) {
      const data = (await t.api.download(o.uri)).data;
      expect((await sharp(data).metadata()).format).toBe('png');
    }
  });

  it('Amazon S3 input example (region defaults to eu-central-1)', async () => {
    const ex = find((e) => json(e).includes('"amazons3"'));
    const file = (ex.body as any).input[0].parameters.file;
    await s3.put('guide-bucket', file, jpg);
    const res = await send(ex);
    expect(res.status).toBe(201);
    expect(res.body.input[0].credentials).toEqual({});
    const done = await t.api.waitFor(res.body.id, { timeoutMs: 30_000 });
    expect(done.errors).toEqual([]);
    expect(done.status.code).toBe('completed');
    const out = await t.api.download(done.output[0].uri);
    expect(await sharp(out.data).metadata()).toMatchObject({ format: 'png', width: 96, height: 64 });
  });

  it.each([
    ['googlecloud', async (file: string) => gcs.get('guide-gcs-bucket', file)],
    ['azure', async (file: string) => azure.get('guide-container', file)],
    ['ftp', async (file: string) => ftp.get(file)],
  ] as const)('%s output target example', async (type, read) => {
    const ex = find((e) => json(e).includes(`"type":"${type}"`));
    const file = (ex.body as any).conversion[0].output_target[0].parameters.file;
    const res = await send(ex);
    expect(res.status).toBe(201);
    expect(res.body.conversion[0].output_target[0]).toMatchObject({ type, status: 'waiting', credentials: {} });
    const done = await t.api.waitFor(res.body.id, { timeoutMs: 30_000 });
    expect(done.errors).toEqual([]);
    expect(done.status.code).toBe('completed');
    expect(done.conversion[0].output_target[0].status).toBe('completed');
    // Uploaded to the target, and no local output.
    expect(done.output).toEqual([]);
    const stored = await read(file);
    expect(stored).not.toBeNull();
    expect(await sharp(stored!).metadata()).toMatchObject({ format: 'png', width: 96, height: 64 });

    // The same request again: the file exists, the upload is refused, the job fails.
    const again = await send(ex);
    const refused = await t.api.waitFor(again.body.id, { timeoutMs: 30_000 });
    expect(refused.status.code).toBe('failed');
    expect(refused.conversion[0].output_target[0].status).toBe('failed');
    expect(refused.errors[0]).toMatchObject({ source: 'conversion', code: 99, details: expect.objectContaining({ kind: 'exists' }) });
    expect(JSON.stringify(refused)).not.toMatch(/accountkey|BEGIN PRIVATE KEY|pw-/);
  });
});
