/**
 * Job semantics: process flags, 409s, failure rules, cancel, idempotency, download passwords,
 * output expiry, and conversions checked by decoding what comes out.
 */
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { photo } from './support/images';
import { specMissing } from './support/openapi';
import { startFileServer, type FileServer } from './support/servers';
import { startTestEngine, type TestEngine } from './support/engine';

const missing = specMissing();
if (missing) console.warn(`SKIPPED engine job tests: ${missing}`);

describe.skipIf(!!missing)('engine job semantics', () => {
  let t: TestEngine;
  let files: FileServer;
  let jpg: Buffer;
  let good: string;
  const b64 = (buf: Buffer, filename = 'x.jpg') => ({ type: 'base64', source: buf.toString('base64'), filename });

  beforeAll(async () => {
    t = await startTestEngine();
    files = await startFileServer();
    jpg = await photo(200, 150);
    good = files.set('/good.jpg', jpg);
  });
  afterAll(async () => {
    await t?.stop();
    await files?.close();
  });

  it('keeps a process:false job incomplete until PATCH {process:true}', async () => {
    const job = (await t.api.post('/v2/jobs', { process: false, input: [{ type: 'remote', source: good }], conversion: [{ target: 'png' }] })).body;
    // The input is fetched in the background, but the job does not start.
    await t.api.waitFor(job.id, { until: (j) => j.input[0].status === 'ready' });
    await new Promise((r) => setTimeout(r, 100));
    expect((await t.api.get(`/v2/jobs/${job.id}`)).body.status.code).toBe('incomplete');
    expect((await t.api.patch(`/v2/jobs/${job.id}`, { process: true })).status).toBe(200);
    expect((await t.api.waitFor(job.id)).status.code).toBe('completed');
  });

  it('refuses to start a job without inputs or conversions (422)', async () => {
    const noInput = (await t.api.post('/v2/jobs', { process: false, conversion: [{ target: 'png' }] })).body;
    const r1 = await t.api.patch(`/v2/jobs/${noInput.id}`, { process: true });
    expect(r1.status).toBe(422);
    expect(r1.body.message).toMatch(/no input/);
    const noConv = (await t.api.post('/v2/jobs', { process: false, input: [b64(jpg)] })).body;
    expect((await t.api.patch(`/v2/jobs/${noConv.id}`, { process: true })).status).toBe(422);
  });

  it('answers 409 for changes a started or finished job can no longer take', async () => {
    t.engine.setFaults({ conversionDelayMs: 400 });
    try {
      const job = (await t.api.post('/v2/jobs', { input: [b64(jpg)], conversion: [{ target: 'png' }] })).body;
      await t.api.waitFor(job.id, { until: (j) => j.status.code === 'processing' });
      expect((await t.api.post(`/v2/jobs/${job.id}/input`, b64(jpg))).status).toBe(409);
      expect((await t.api.post(`/v2/jobs/${job.id}/conversions`, { target: 'jpg' })).status).toBe(409);
      expect((await t.api.patch(`/v2/jobs/${job.id}`, { process: false })).status).toBe(409);
      // A repeated PATCH {process:true} (a client retry) is harmless.
      expect((await t.api.patch(`/v2/jobs/${job.id}`, { process: true })).status).toBe(200);
      const done = await t.api.waitFor(job.id);
      expect(done.status.code).toBe('completed');
      const late = await t.api.patch(`/v2/jobs/${job.id}`, { process: true });
      expect(late.status).toBe(409);
      expect(late.body.message).toMatch(/completed/);
      expect((await t.api.del(`/v2/jobs/${job.id}`)).status).toBe(409);
      expect((await t.api.del(`/v2/jobs/${job.id}/input/${done.input[0].id}`)).status).toBe(409);
      expect((await t.api.del(`/v2/jobs/${job.id}/conversions/${done.conversion[0].id}`)).status).toBe(409);
    } finally {
      t.engine.setFaults({ conversionDelayMs: 0 });
    }
  });

  it('cancels an incomplete job and a processing one', async () => {
    const open = (await t.api.post('/v2/jobs', { process: false })).body;
    expect((await t.api.del(`/v2/jobs/${open.id}`)).status).toBe(204);
    expect((await t.api.get(`/v2/jobs/${open.id}`)).body.status.code).toBe('canceled');
    t.engine.setFaults({ conversionDelayMs: 2000 });
    try {
      const job = (await t.api.post('/v2/jobs', { input: [b64(jpg)], conversion: [{ target: 'png' }] })).body;
      await t.api.waitFor(job.id, { until: (j) => j.status.code === 'processing' });
      const started = Date.now();
      expect((await t.api.del(`/v2/jobs/${job.id}`)).status).toBe(204);
      const after = (await t.api.get(`/v2/jobs/${job.id}`)).body;
      expect(after.status.code).toBe('canceled');
      await new Promise((r) => setTimeout(r, 100));
      expect((await t.api.get(`/v2/jobs/${job.id}`)).body.output).toEqual([]);
      expect(Date.now() - started).toBeLessThan(1500);
    } finally {
      t.engine.setFaults({ conversionDelayMs: 0 });
    }
  });

  it('fails the job on a bad input by default, and converts the rest with fail_on_input_error:false', async () => {
    const bad = `${files.url}/missing.jpg`;
    const strict = (
      await t.api.post('/v2/jobs', {
        input: [
          { type: 'remote', source: good },
          { type: 'remote', source: bad },
        ],
        conversion: [{ target: 'png' }],
      })
    ).body;
    const failed = await t.api.waitFor(strict.id);
    expect(failed.status.code).toBe('failed');
    const badInput = failed.input.find((i: any) => i.source === bad);
    expect(badInput.status).toBe('failed');
    expect(failed.errors).toContainEqual({
      source: 'input',
      id_source: badInput.id,
      code: 404,
      message: expect.stringMatching(/HTTP 404/),
      details: expect.any(Object),
    });

    const lenient = (
      await t.api.post('/v2/jobs', {
        fail_on_input_error: false,
        input: [
          { type: 'remote', source: good },
          { type: 'remote', source: bad },
        ],
        conversion: [{ target: 'png' }],
      })
    ).body;
    const done = await t.api.waitFor(lenient.id);
    expect(done.status.code).toBe('completed');
    expect(done.output).toHaveLength(1);
    expect(done.errors).toHaveLength(1);
    expect(done.errors[0].source).toBe('input');
  });

  it('fails on a conversion error by default, and keeps other results with fail_on_conversion_error:false', async () => {
    const garbage = Buffer.from('this is not an image at all, just text pretending to be a jpeg');
    const strict = (await t.api.post('/v2/jobs', { input: [b64(garbage, 'broken.jpg')], conversion: [{ target: 'png' }] })).body;
    const failed = await t.api.waitFor(strict.id);
    expect(failed.status.code).toBe('failed');
    expect(failed.errors[0]).toMatchObject({ source: 'conversion', id_source: failed.conversion[0].id, message: expect.any(String) });
    expect(failed.errors[0].details.input).toBe(failed.input[0].id);

    const lenient = (
      await t.api.post('/v2/jobs', {
        fail_on_conversion_error: false,
        input: [b64(garbage, 'broken.jpg'), b64(jpg, 'fine.jpg')],
        conversion: [{ target: 'png' }],
      })
    ).body;
    const done = await t.api.waitFor(lenient.id);
    expect(done.status.code).toBe('completed');
    expect(done.output.map((o: any) => o.filename)).toEqual(['fine.png']);
    expect(done.errors).toHaveLength(1);
  });

  it('names a remote input by the suggested filename, else Content-Disposition, else the URL path', async () => {
    const cd = files.set('/download', { body: jpg, headers: { 'Content-Disposition': `attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.jpg` } });
    const job = (
      await t.api.post('/v2/jobs', {
        process: false,
        input: [
          { type: 'remote', source: cd, filename: 'chosen.jpg' },
          { type: 'remote', source: cd },
          { type: 'remote', source: good },
          { type: 'remote', source: cd, filename: '../../escape.jpg' },
        ],
      })
    ).body;
    const ready = await t.api.waitFor(job.id, { until: (j) => j.input.every((i: any) => i.status === 'ready') });
    expect(ready.input.map((i: any) => i.filename)).toEqual(['chosen.jpg', 'résumé.jpg', 'good.jpg', 'escape.jpg']);
  });

  it('converts for real: format, size, resize, grayscale and the effect of quality', async () => {
    const job = (
      await t.api.post('/v2/jobs', {
        input: [b64(jpg, 'p.jpg')],
        conversion: [
          { target: 'jpg', options: { quality: 10 } },
          { target: 'jpg', options: { quality: 95 } },
          { target: 'webp', options: { width: 100 } },
          { target: 'png', options: { grayscale: true } },
        ],
      })
    ).body;
    const done = await t.api.waitFor(job.id);
    expect(done.status.code).toBe('completed');
    const byConv = new Map<string, Buffer>();
    for (const o of done.output) byConv.set(o.source.conversion, (await t.api.download(o.uri)).data);
    const [low, high, small, gray] = done.conversion.map((c: any) => byConv.get(c.id)!);
    expect((await sharp(low).metadata()).format).toBe('jpeg');
    expect(low.length).toBeLessThan(high.length * 0.6);
    const smallMeta = await sharp(small).metadata();
    expect(smallMeta).toMatchObject({ format: 'webp', width: 100, height: 75 });
    const grayStats = await sharp(gray).stats();
    expect(grayStats.isOpaque).toBe(true);
    const meta = await sharp(gray).metadata();
    expect(meta.format).toBe('png');
    // Grayscale: one channel, or three identical ones.
    if (meta.channels !== 1) {
      const { data } = await sharp(gray).raw().toBuffer({ resolveWithObject: true });
      for (let i = 0; i < data.length; i += 3 * 97) expect(data[i]).toBe(data[i + 1]);
    }
  });

  describe('Idempotency-Key', () => {
    it('returns the same job for the same key and body, without creating another', async () => {
      t.engine.resetStats();
      const body = { process: false, conversion: [{ target: 'png' }] };
      const headers = { 'Idempotency-Key': 'create-abc-1' };
      const a = await t.api.post('/v2/jobs', body, { headers });
      const b = await t.api.post('/v2/jobs', { conversion: [{ target: 'png' }], process: false }, { headers });
      expect(a.status).toBe(201);
      expect(b.status).toBe(201);
      expect(b.body.id).toBe(a.body.id);
      expect(b.headers.get('idempotent-replayed')).toBe('true');
      expect(t.engine.stats()).toMatchObject({ jobsCreated: 1, idempotentReplays: 1 });
      const other = await t.api.post('/v2/jobs', body, { headers: { 'Idempotency-Key': 'create-abc-2' } });
      expect(other.body.id).not.toBe(a.body.id);
    });

    it('answers 422 when a key is reused with a different body', async () => {
      const headers = { 'Idempotency-Key': 'create-xyz' };
      await t.api.post('/v2/jobs', { process: false }, { headers });
      const res = await t.api.post('/v2/jobs', { process: false, notify_status: true }, { headers });
      expect(res.status).toBe(422);
      expect(res.body.message).toMatch(/Idempotency-Key/);
    });
  });

  describe('download passwords', () => {
    it('protects every output, and can be rotated after completion', async () => {
      const job = (await t.api.post('/v2/jobs', { download_passwords: ['s3cret', 'other'], input: [b64(jpg)], conversion: [{ target: 'png' }] })).body;
      expect(job.download_passwords).toBeUndefined();
      const done = await t.api.waitFor(job.id);
      const uri = done.output[0].uri;
      expect((await t.api.download(uri)).status).toBe(401);
      expect((await t.api.download(uri, { 'X-Api2convert-Download-Password': 'wrong' })).status).toBe(401);
      expect((await t.api.download(uri, { 'X-Api2convert-Download-Password': 's3cret' })).status).toBe(200);
      expect((await t.api.download(uri, { 'X-Api2convert-Download-Password': 'other' })).status).toBe(200);
      expect((await t.api.patch(`/v2/jobs/${job.id}`, { download_passwords: ['new-one'] })).status).toBe(200);
      expect((await t.api.download(uri, { 'X-Api2convert-Download-Password': 's3cret' })).status).toBe(401);
      expect((await t.api.download(uri, { 'X-Api2convert-Download-Password': 'new-one' })).status).toBe(200);
      const raw = fs.readFileSync(path.join(t.dataDir, 'engine.sqlite')).toString('latin1');
      expect(raw).not.toContain('new-one');
    });
  });

  it('expires outputs after the configured time and deletes their files', async () => {
    const short = await startTestEngine({ outputTtlMs: 1000 });
    try {
      const job = (await short.api.post('/v2/jobs', { input: [b64(jpg)], conversion: [{ target: 'png' }] })).body;
      const done = await short.api.waitFor(job.id);
      const uri = done.output[0].uri;
      expect((await short.api.download(uri)).status).toBe(200);
      const file = path.join(short.dataDir, 'files', job.id, done.output[0].id);
      expect(fs.existsSync(file)).toBe(true);
      await new Promise((r) => setTimeout(r, 1100));
      const gone = await short.api.download(uri);
      expect(gone.status).toBe(404);
      expect(gone.json.message).toMatch(/expired/);
      const deadline = Date.now() + 3000;
      while (fs.existsSync(file) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(fs.existsSync(file)).toBe(false);
      const after = (await short.api.get(`/v2/jobs/${job.id}`)).body;
      expect(after.output[0].status).toBe('disabled');
    } finally {
      await short.stop();
    }
  });
});
