/**
 * Bad input gets a clear 4xx (or a failed input with a reason), never a 500 or a crash, and does
 * not disturb other jobs.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchChecked } from './support/api';
import { photo } from './support/images';
import { specMissing } from './support/openapi';
import { startFileServer, type FileServer } from './support/servers';
import { startTestEngine, type TestEngine } from './support/engine';
import { startS3rver, type RunningS3rver } from '../support/cloud-servers';

const missing = specMissing();
if (missing) console.warn(`SKIPPED engine bad-input tests: ${missing}`);

async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

describe.skipIf(!!missing)('engine bad input', () => {
  let t: TestEngine;
  let files: FileServer;
  let jpg: Buffer;
  let bystander: string;
  let s3: RunningS3rver;

  beforeAll(async () => {
    s3 = await startS3rver({ buckets: ['photos'] });
    t = await startTestEngine({
      cloudEndpoints: { amazons3: s3.endpoint },
      limits: { maxJsonBytes: 1024 * 1024, maxInputBytes: 5 * 1024 * 1024, remoteTimeoutMs: 1500, remoteConnectTimeoutMs: 1000 },
    });
    files = await startFileServer();
    jpg = await photo(60, 40);
    // A job that runs while everything below goes wrong.
    t.engine.setFaults({ conversionDelayMs: 1500 });
    bystander = (await t.api.post('/v2/jobs', { input: [{ type: 'remote', source: files.set('/bystander.jpg', jpg) }], conversion: [{ target: 'png' }] })).body
      .id;
  });
  afterAll(async () => {
    await t?.stop();
    await files?.close();
    await s3?.close();
  });

  const expect400 = async (body: unknown, pattern: RegExp, opts: { raw?: string; status?: number; headers?: Record<string, string> } = {}) => {
    const res =
      opts.raw !== undefined
        ? await t.api.request('POST', '/v2/jobs', { raw: opts.raw, headers: opts.headers })
        : await t.api.post('/v2/jobs', body, { headers: opts.headers });
    expect(res.status, JSON.stringify(res.body)).toBe(opts.status ?? 400);
    expect(res.body.message).toMatch(pattern);
    return res;
  };

  it('malformed, empty and non-object JSON bodies', async () => {
    await expect400(undefined, /Malformed JSON/, { raw: '{"input": [' });
    await expect400(undefined, /empty/, { raw: '' });
    await expect400(undefined, /must be an object/, { raw: '[1,2]' });
    await expect400(undefined, /must be an object/, { raw: 'null' });
    await expect400(undefined, /JSON body/, { raw: '<job/>', status: 415, headers: { 'Content-Type': 'application/xml' } });
    await expect400(undefined, /too large/, { raw: JSON.stringify({ x: 'a'.repeat(1024 * 1024) }), status: 413 });
    // A 5 GB Content-Length on a JSON request is refused before any body is read.
    const { port } = new URL(t.engine.baseUrl);
    const answer = await new Promise<string>((resolve) => {
      const socket = net.connect(Number(port), '127.0.0.1');
      let data = '';
      socket.on('data', (d) => (data += d));
      socket.on('close', () => resolve(data));
      socket.write(
        `POST /v2/jobs HTTP/1.1\r\nHost: x\r\nX-Api2convert-Api-Key: ${t.api.apiKey}\r\nContent-Type: application/json\r\nContent-Length: ${5 * 1024 ** 3}\r\n\r\n{"process":`,
      );
    });
    expect(answer).toMatch(/^HTTP\/1.1 413/);
  });

  it('wrong types and missing fields name the field', async () => {
    await expect400({ process: 'yes' }, /process: Expected boolean, received string/);
    await expect400({ input: { type: 'remote' } }, /input: Expected array/);
    await expect400({ input: [{ type: 'remote', source: 5 }] }, /input\[0\]\.source: Expected string/);
    await expect400({ input: [{ type: 'remote' }] }, /input\[0\]\.source: is required/);
    await expect400({ conversion: [{ options: {} }] }, /conversion\[0\]\.target: is required/);
    await expect400({ conversion: [{ target: '' }] }, /conversion\[0\]\.target: must not be empty/);
    await expect400({ input: [{ type: 'floppy', source: 'x' }] }, /input\[0\]\.type: Invalid enum value/);
    await expect400({ callback: 'not a url' }, /callback: must be an http or https URL/);
    await expect400({ download_passwords: 'pw' }, /download_passwords: Expected array/);
    const patch = await t.api.patch(`/v2/jobs/${bystander}`, { notify_status: 'sure' });
    expect(patch.status).toBe(400);
    expect(patch.body.message).toMatch(/notify_status/);
  });

  it('unknown targets, categories and options', async () => {
    await expect400({ conversion: [{ target: 'xyz' }] }, /unknown target 'xyz'/);
    await expect400({ conversion: [{ target: 'png', category: 'audio' }] }, /not in category 'audio'/);
    await expect400({ conversion: [{ target: 'jpg', options: { quality: 500 } }] }, /conversion\[0\]\.options: .*quality/);
    await expect400({ conversion: [{ target: 'jpg', options: { quality: 'high' } }] }, /quality/);
    await expect400({ conversion: [{ target: 'jpg', options: { frobnicate: true } }] }, /frobnicate/);
    await expect400({ conversion: [{ target: 'png', output_target: [{ type: 'youtube' }] }] }, /not supported by the local engine/);
    const job = (await t.api.post('/v2/jobs', { process: false })).body;
    const res = await t.api.post(`/v2/jobs/${job.id}/conversions`, { target: 'nope' });
    expect(res.status).toBe(400);
  });

  it('inputs that cannot be used', async () => {
    await expect400({ input: [{ type: 'remote', source: 'file:///etc/passwd' }] }, /http or https/);
    await expect400({ input: [{ type: 'remote', source: 'not a url' }] }, /http or https/);
    await expect400({ input: [{ type: 'base64', source: '###not base64###' }] }, /not valid base64/);
    await expect400({ input: [{ type: 'upload', source: 'x' }] }, /upload-file/);
    await expect400({ input: [{ type: 'gdrive_picker', source: 'x' }] }, /not supported/);
    await expect400({ input: [{ type: 'cloud', source: 'dropbox' }] }, /amazons3, azure, ftp, googlecloud/);
    const job = (await t.api.post('/v2/jobs', { process: false })).body;
    const arr = await t.api.post(`/v2/jobs/${job.id}/input`, [{ type: 'remote', source: 'http://127.0.0.1/a.jpg' }, { type: 'remote' }]);
    expect(arr.status).toBe(400);
    expect(arr.body.message).toMatch(/\[1\]\.source: is required/);
    const empty = await t.api.post(`/v2/jobs/${job.id}/input`, []);
    expect(empty.status).toBe(400);
  });

  it('Idempotency-Key and ids that are not valid', async () => {
    await expect400({ process: false }, /Idempotency-Key/, { headers: { 'Idempotency-Key': 'x'.repeat(300) } });
    const traversal = await fetchChecked(`${t.engine.baseUrl}/v2/jobs/..%2F..%2Fengine.sqlite`, { headers: { 'X-Api2convert-Api-Key': t.api.apiKey } });
    expect(traversal.status).toBe(404);
    const dl = await fetchChecked(`${t.engine.baseUrl}/v2/dl/web1/download-file/..%2F..%2F/engine.sqlite`);
    expect(dl.status).toBe(404);
  });

  it('unreachable, failing, too large and too slow remote sources fail their input with a reason', async () => {
    const port = await closedPort();
    const cases: Array<[string, RegExp, number]> = [
      [`http://127.0.0.1:${port}/x.jpg`, /could not be downloaded.*ECONNREFUSED/, 503],
      [files.set('/err.jpg', { status: 500, body: 'boom' }), /answered HTTP 500/, 500],
      [files.set('/big.jpg', { body: Buffer.alloc(6 * 1024 * 1024) }), /too large/, 413],
      [files.set('/liar.jpg', { body: Buffer.alloc(1000), lieLength: 10 * 1024 ** 3 }), /too large/, 413],
      [files.set('/cut.jpg', { body: Buffer.alloc(1000), lieLength: 5000 }), /broke off/, 502],
      [files.set('/hang.jpg', { body: Buffer.alloc(10), hang: true }), /timed out/, 408],
      [files.set('/slowheaders.jpg', { body: jpg, delayMs: 3000 }), /timed out/, 408],
    ];
    const jobs = await Promise.all(
      cases.map(async ([source]) => (await t.api.post('/v2/jobs', { input: [{ type: 'remote', source }], conversion: [{ target: 'png' }] })).body),
    );
    for (const [i, job] of jobs.entries()) {
      const done = await t.api.waitFor(job.id);
      expect(done.status.code, cases[i][0]).toBe('failed');
      expect(done.input[0].status).toBe('failed');
      expect(done.errors[0]).toMatchObject({ source: 'input', id_source: done.input[0].id, code: cases[i][2] });
      expect(done.errors[0].message, cases[i][0]).toMatch(cases[i][1]);
    }
  });

  it('wrong cloud credentials are accepted on create and fail the input later (code 99) without echoing them', async () => {
    await s3.put('photos', 'a.jpg', jpg);
    const secret = 'wJalrXUtnFEMI-DO-NOT-ECHO';
    const res = await t.api.post('/v2/jobs', {
      input: [
        {
          type: 'cloud',
          source: 'amazons3',
          parameters: { bucket: 'photos', file: 'a.jpg' },
          credentials: { accesskeyid: s3.credentials.accesskeyid, secretaccesskey: secret },
        },
      ],
      conversion: [{ target: 'png' }],
    });
    expect(res.status).toBe(201);
    expect(JSON.stringify(res.body)).not.toContain(secret);
    const done = await t.api.waitFor(res.body.id, { timeoutMs: 40_000 });
    expect(done.status.code).toBe('failed');
    expect(done.errors[0]).toMatchObject({ source: 'input', code: 99 });
    expect(done.errors[0].message).toMatch(/Amazon S3|credential|signature|access/i);
    expect(JSON.stringify(done)).not.toContain(secret);
    expect(t.logs.join('\n')).not.toContain(secret);
  }, 60_000);

  it('stays up: no 500s were logged, and the job running meanwhile completed', async () => {
    t.engine.setFaults({ conversionDelayMs: 0 });
    const done = await t.api.waitFor(bystander);
    expect(done.status.code).toBe('completed');
    expect(done.output).toHaveLength(1);
    const fresh = (await t.api.post('/v2/jobs', { input: [{ type: 'base64', source: jpg.toString('base64') }], conversion: [{ target: 'png' }] })).body;
    expect((await t.api.waitFor(fresh.id)).status.code).toBe('completed');
    expect(t.logs.filter((l) => /failed to handle|unexpected/i.test(l))).toEqual([]);
  });
});
