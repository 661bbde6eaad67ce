/**
 * State survives a crash: the engine runs as its own process, is killed with SIGKILL mid-work,
 * and a new engine on the same data dir carries on — jobs, inputs, uploads, callbacks and
 * idempotency keys included.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../engine/index';
import { Api, fetchChecked } from './support/api';
import { spawnEngine, type ChildEngine } from './support/child-engine';
import { photo } from './support/images';
import { specMissing } from './support/openapi';
import { startCallbackReceiver, startFileServer, type FileServer } from './support/servers';
import { tempDir, TEST_KEY } from './support/engine';
import { checksumOf } from '../support/checksum';

const missing = specMissing();
if (missing) console.warn(`SKIPPED engine restart tests: ${missing}`);

describe.skipIf(!!missing)('engine restart and crash recovery', () => {
  let files: FileServer;
  let jpg: Buffer;
  const children: ChildEngine[] = [];
  const dirs: string[] = [];

  const start = async (dataDir: string, extra: string[] = [], port = 0, key = TEST_KEY) => {
    const c = await spawnEngine(['--port', String(port), '--data-dir', dataDir, '--api-key', key, ...extra]);
    children.push(c);
    return { c, api: new Api(c.baseUrl, key) };
  };
  const newDir = () => {
    const d = tempDir('convoy-engine-restart-');
    dirs.push(d);
    return d;
  };

  beforeAll(async () => {
    files = await startFileServer();
    jpg = await photo(120, 90);
  });
  afterEach(async () => {
    for (const c of children.splice(0)) await c.stop();
  });
  afterAll(async () => {
    await files?.close();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it('finishes a job that was processing when the engine was killed', async () => {
    const dir = newDir();
    const first = await start(dir, ['--conversion-delay-ms', '5000']);
    const job = (
      await first.api.post('/v2/jobs', { input: [{ type: 'base64', source: jpg.toString('base64'), filename: 'k.jpg' }], conversion: [{ target: 'webp' }] })
    ).body;
    await first.api.waitFor(job.id, { until: (j) => j.status.code === 'processing' });
    await first.c.kill9();

    const second = await start(dir, [], first.c.port);
    const done = await second.api.waitFor(job.id, { timeoutMs: 20_000 });
    expect(done.status.code).toBe('completed');
    expect(done.output).toHaveLength(1);
    const dl = await second.api.download(done.output[0].uri);
    expect(await sharp(dl.data).metadata()).toMatchObject({ format: 'webp', width: 120, height: 90 });
  });

  it('fetches again a remote input whose download was cut by the crash', async () => {
    const dir = newDir();
    const slow = files.set('/slow.jpg', { body: jpg, hang: true });
    const first = await start(dir);
    const job = (await first.api.post('/v2/jobs', { input: [{ type: 'remote', source: slow }], conversion: [{ target: 'png' }] })).body;
    await first.api.waitFor(job.id, { until: () => (files.hits.get('/slow.jpg') ?? 0) >= 1 });
    await first.c.kill9();
    files.set('/slow.jpg', jpg);
    const second = await start(dir, [], first.c.port);
    const done = await second.api.waitFor(job.id);
    expect(done.status.code).toBe('completed');
    expect(done.input[0]).toMatchObject({ status: 'ready', size: jpg.length });
  });

  it('keeps incomplete jobs, and Idempotency-Keys per account key, across a crash', async () => {
    const dir = newDir();
    const first = await start(dir);
    const body = { process: false, input: [{ type: 'base64', source: jpg.toString('base64'), filename: 'i.jpg' }], conversion: [{ target: 'png' }] };
    const created = (await first.api.post('/v2/jobs', body, { headers: { 'Idempotency-Key': 'k-1' } })).body;
    await first.c.kill9();

    const second = await start(dir, [], first.c.port);
    const replay = await second.api.post('/v2/jobs', body, { headers: { 'Idempotency-Key': 'k-1' } });
    expect(replay.status).toBe(201);
    expect(replay.body.id).toBe(created.id);
    expect((await second.api.get('/v2/jobs')).body).toHaveLength(1);
    expect((await second.api.patch(`/v2/jobs/${created.id}`, { process: true })).status).toBe(200);
    expect((await second.api.waitFor(created.id)).status.code).toBe('completed');
    await second.c.stop();

    // Another account key: the same Idempotency-Key is another key.
    const third = await start(dir, [], first.c.port, 'another-account-key');
    const fresh = await third.api.post('/v2/jobs', body, { headers: { 'Idempotency-Key': 'k-1' } });
    expect(fresh.status).toBe(201);
    expect(fresh.body.id).not.toBe(created.id);
  });

  it('continues a resumable upload after a crash', async () => {
    const dir = newDir();
    const first = await start(dir);
    const job = (await first.api.post('/v2/jobs', { process: false, conversion: [{ target: 'png' }] })).body;
    const uuid = crypto.randomUUID();
    const send = (server: string, buf: Buffer, start: number) =>
      fetchChecked(`${server}/upload-file/${job.id}`, {
        method: 'POST',
        body: new Uint8Array(buf),
        headers: {
          'Content-Type': 'application/octet-stream',
          'Content-Disposition': 'attachment; filename="resumed.jpg"',
          'X-Oc-Token': job.token,
          'X-Oc-Upload-Uuid': uuid,
          'Content-Range': `bytes ${start}-${start + buf.length - 1}/${jpg.length}`,
        },
      });
    expect((await send(job.server, jpg.subarray(0, 2000), 0)).status).toBe(200);
    await first.c.kill9();

    const second = await start(dir, [], first.c.port);
    const fresh = (await second.api.get(`/v2/jobs/${job.id}`)).body;
    const status = await fetchChecked(`${fresh.server}/upload-file/${job.id}`, { headers: { 'X-Oc-Token': job.token, 'X-Oc-Upload-Uuid': uuid } });
    const { received } = await status.json();
    expect(received).toBe(2000);
    const last = await send(fresh.server, jpg.subarray(received), received);
    expect(last.status).toBe(201);
    await second.api.patch(`/v2/jobs/${job.id}`, { process: true });
    const done = await second.api.waitFor(job.id);
    expect(done.status.code).toBe('completed');
    expect(done.input[0].checksum).toBe(checksumOf(jpg));
  });

  it('delivers a pending callback after a crash', async () => {
    const dir = newDir();
    const cb = await startCallbackReceiver();
    try {
      cb.respond = 503;
      const first = await start(dir);
      const job = (
        await first.api.post('/v2/jobs', { input: [{ type: 'base64', source: jpg.toString('base64') }], conversion: [{ target: 'png' }], callback: cb.url })
      ).body;
      await cb.waitFor((l) => l.length >= 1);
      await first.c.kill9();
      cb.respond = 200;
      await start(dir, [], first.c.port);
      await cb.waitFor((l) => l.some((c) => c.body.id === job.id && c.body.status.code === 'completed'), 15_000);
    } finally {
      await cb.close();
    }
  });

  it('reopens in-process after close(), and refuses a second engine on the same data dir', async () => {
    const dir = newDir();
    const a = await createEngine({ dataDir: dir, apiKey: TEST_KEY });
    await expect(createEngine({ dataDir: dir, apiKey: TEST_KEY })).rejects.toThrow(/already used/);
    const api = new Api(a.baseUrl, TEST_KEY);
    const job = (await api.post('/v2/jobs', { process: false })).body;
    await a.close();
    const b = await createEngine({ dataDir: dir, apiKey: TEST_KEY });
    try {
      const again = await new Api(b.baseUrl, TEST_KEY).get(`/v2/jobs/${job.id}`);
      expect(again.status).toBe(200);
      expect(again.body.server).toContain(b.baseUrl);
    } finally {
      await b.close();
    }
  });

  it('keeps cloud credentials out of the job store in clear text', async () => {
    const dir = newDir();
    const first = await start(dir);
    const secret = `SECRET-${crypto.randomBytes(8).toString('hex')}`;
    await first.api.post('/v2/jobs', {
      process: false,
      input: [{ type: 'cloud', source: 'amazons3', parameters: { bucket: 'b', file: 'f.jpg' }, credentials: { accesskeyid: 'AKIA', secretaccesskey: secret } }],
      conversion: [
        { target: 'png', output_target: [{ type: 'ftp', parameters: { host: '127.0.0.1', file: 'x.png' }, credentials: { username: 'u', password: secret } }] },
      ],
    });
    await first.c.kill9(); // the WAL file is left as it was
    for (const name of fs.readdirSync(dir)) {
      const p = `${dir}/${name}`;
      if (fs.statSync(p).isFile()) expect(fs.readFileSync(p).toString('latin1'), name).not.toContain(secret);
    }
  });
});
