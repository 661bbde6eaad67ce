/**
 * The engine's /v2 API as openapi.json and the guide describe it: every endpoint, auth, 404s,
 * and each response validated against the official schemas.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchChecked } from './support/api';
import { photo } from './support/images';
import { openapiPath, specMissing } from './support/openapi';
import { startFileServer, type FileServer } from './support/servers';
import { startTestEngine, TEST_KEY, type TestEngine } from './support/engine';
import { checksumOf } from '../support/checksum';

const missing = specMissing();
if (missing) console.warn(`SKIPPED engine API contract tests: ${missing}`);

describe.skipIf(!!missing)('engine /v2 API contract', () => {
  let t: TestEngine;
  let files: FileServer;
  let jpg: Buffer;

  beforeAll(async () => {
    t = await startTestEngine();
    files = await startFileServer();
    jpg = await photo(64, 48);
  });
  afterAll(async () => {
    await t?.stop();
    await files?.close();
    console.info(`engine API contract: ${t?.api.validated} responses validated against openapi.json`);
  });

  it('answers 401 without or with a wrong account key, accepting both header spellings', async () => {
    const none = await t.api.get('/v2/jobs', { key: null });
    expect(none.status).toBe(401);
    expect(none.body.message).toMatch(/API key/);
    expect((await t.api.post('/v2/jobs', { process: false }, { key: 'wrong' })).status).toBe(401);
    const alias = await t.api.post('/v2/jobs', { process: false }, { key: null, headers: { 'X-Oc-Api-Key': TEST_KEY } });
    expect(alias.status).toBe(201);
    expect((await t.api.get('/v2/contracts', { key: null })).status).toBe(401);
  });

  it('lists statuses, contracts and the conversions this machine can do', async () => {
    const statuses = await t.api.get('/v2/statuses');
    expect(statuses.status).toBe(200);
    expect(statuses.body.map((s: any) => s.code)).toEqual(
      expect.arrayContaining(['incomplete', 'queued', 'downloading', 'processing', 'completed', 'failed', 'canceled']),
    );
    const contracts = await t.api.get('/v2/contracts');
    expect(contracts.status).toBe(200);
    expect(contracts.body[0]).toMatchObject({ type: 'unlimited' });

    const all = await t.api.get('/v2/conversions');
    expect(all.status).toBe(200);
    const targets = all.body.map((c: any) => c.target);
    expect(targets).toEqual(expect.arrayContaining(['jpg', 'png', 'webp', 'avif', 'tiff', 'gif']));
    expect(Number(all.headers.get('x-count'))).toBeGreaterThanOrEqual(6);
    const jpgSpec = all.body.find((c: any) => c.target === 'jpg');
    expect(jpgSpec.category).toBe('image');
    expect(jpgSpec.options.quality).toMatchObject({ type: 'integer', minimum: expect.any(Number), maximum: 100 });

    const png = await t.api.get('/v2/conversions?target=png');
    expect(png.body.map((c: any) => c.target)).toEqual(['png']);
    const images = await t.api.get('/v2/conversions?category=image');
    expect(images.body.every((c: any) => c.category === 'image')).toBe(true);
    expect((await t.api.get('/v2/conversions?category=nonexistent')).body).toEqual([]);
  });

  it('creates a job with a remote input and a conversion, polls it to completed and downloads the output', async () => {
    const source = files.set('/raster image/photo one.jpg', jpg);
    const created = await t.api.post('/v2/jobs', { input: [{ type: 'remote', source }], conversion: [{ target: 'png' }] });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ type: 'job', process: true, server: expect.stringContaining('/v2/dl/') });
    const done = await t.api.waitFor(created.body.id);
    expect(done.status.code).toBe('completed');
    expect(done.input[0]).toMatchObject({ status: 'ready', filename: 'photo one.jpg', size: jpg.length, checksum: checksumOf(jpg) });
    // The checksum has the form of the spec's own InputFile example (40 hex digits: SHA-1).
    const example = JSON.parse(fs.readFileSync(openapiPath, 'utf8')).components.schemas.InputFile.properties.checksum.example as string;
    expect(done.input[0].checksum).toMatch(new RegExp(`^[0-9a-f]{${example.length}}$`));
    expect(done.output).toHaveLength(1);
    const out = done.output[0];
    expect(out.filename).toBe('photo one.png');
    expect(out.source).toEqual({ conversion: done.conversion[0].id, input: [done.input[0].id] });
    // The uri needs no account key.
    const dl = await t.api.download(out.uri);
    expect(dl.status).toBe(200);
    expect(dl.headers.get('content-type')).toBe('image/png');
    const meta = await sharp(dl.data).metadata();
    expect(meta).toMatchObject({ format: 'png', width: 64, height: 48 });
    expect(dl.data.length).toBe(out.size);

    const outputs = await t.api.get(`/v2/jobs/${done.id}/output`);
    expect(outputs.body.map((o: any) => o.id)).toEqual([out.id]);
    const byConv = await t.api.get(`/v2/jobs/${done.id}/output?conversion_id=${done.conversion[0].id}`);
    expect(byConv.body).toHaveLength(1);
    const one = await t.api.get(`/v2/jobs/${done.id}/output/${out.id}`);
    expect(one.body.downloads_counter).toBe(1);
    const history = await t.api.get(`/v2/jobs/${done.id}/history`);
    expect(history.status).toBe(200);
    expect(history.body.map((h: any) => h.status)).toEqual(expect.arrayContaining(['incomplete', 'processing', 'completed']));
    expect((await t.api.get(`/v2/jobs/${done.id}/threads`)).status).toBe(200);
  });

  it('supports ranged downloads of an output', async () => {
    const job = (
      await t.api.post('/v2/jobs', { input: [{ type: 'base64', source: jpg.toString('base64'), filename: 'r.jpg' }], conversion: [{ target: 'jpg' }] })
    ).body;
    const done = await t.api.waitFor(job.id);
    const uri = done.output[0].uri;
    const full = await t.api.download(uri);
    const part = await t.api.download(uri, { Range: 'bytes=10-19' });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 10-19/${full.data.length}`);
    expect(part.data.equals(full.data.subarray(10, 20))).toBe(true);
    const bad = await t.api.download(uri, { Range: `bytes=${full.data.length + 5}-` });
    expect(bad.status).toBe(416);
  });

  it('serves a large output (streamed, not the small-output buffer) whole and by range', async () => {
    const data = crypto.randomBytes(600 * 1024);
    const job = (
      await t.api.post('/v2/jobs', { input: [{ type: 'base64', source: data.toString('base64'), filename: 'big.bin' }], conversion: [{ target: 'tar' }] })
    ).body;
    const done = await t.api.waitFor(job.id);
    expect(done.status.code).toBe('completed');
    const uri = done.output[0].uri;
    const full = await t.api.download(uri);
    expect(full.status).toBe(200);
    expect(full.data.length).toBe(done.output[0].size);
    expect(full.data.length).toBeGreaterThan(256 * 1024);
    expect(checksumOf(full.data)).toBe(done.output[0].checksum);
    expect(full.data.indexOf(data)).toBeGreaterThan(0);
    const tail = await t.api.download(uri, { Range: 'bytes=1000-' });
    expect(tail.status).toBe(206);
    expect(tail.data.equals(full.data.subarray(1000))).toBe(true);
    const small = await t.api.download(uri, { Range: 'bytes=-100' });
    expect(small.data.equals(full.data.subarray(full.data.length - 100))).toBe(true);
  });

  it('builds a job dynamically: conversions and inputs endpoints, GET/DELETE by id', async () => {
    const job = (await t.api.post('/v2/jobs', { process: false })).body;
    expect(job.status.code).toBe('incomplete');
    const conv = await t.api.post(`/v2/jobs/${job.id}/conversions`, { target: 'webp', options: { quality: 40 } });
    expect(conv.status).toBe(201);
    expect(conv.body).toMatchObject({ target: 'webp', category: 'image', options: expect.objectContaining({ quality: 40 }) });
    const conv2 = (await t.api.post(`/v2/jobs/${job.id}/conversions`, { target: 'png' })).body;
    expect((await t.api.get(`/v2/jobs/${job.id}/conversions`)).body).toHaveLength(2);
    expect((await t.api.get(`/v2/jobs/${job.id}/conversions/${conv2.id}`)).body.target).toBe('png');
    expect((await t.api.del(`/v2/jobs/${job.id}/conversions/${conv2.id}`)).status).toBe(204);
    expect((await t.api.get(`/v2/jobs/${job.id}/conversions/${conv2.id}`)).status).toBe(404);

    const input = await t.api.post(`/v2/jobs/${job.id}/input`, { type: 'base64', source: jpg.toString('base64'), filename: 'a.jpg' });
    expect(input.status).toBe(201);
    expect(input.body).toMatchObject({ type: 'base64', status: 'ready', filename: 'a.jpg' });
    const two = await t.api.post(`/v2/jobs/${job.id}/input`, [
      { type: 'base64', source: jpg.toString('base64'), filename: 'b.jpg' },
      { type: 'base64', source: jpg.toString('base64'), filename: 'c.jpg' },
    ]);
    expect(two.status).toBe(201);
    expect(two.body.map((i: any) => i.filename)).toEqual(['b.jpg', 'c.jpg']);
    expect((await t.api.get(`/v2/jobs/${job.id}/input`)).body).toHaveLength(3);
    expect((await t.api.get(`/v2/jobs/${job.id}/input/${two.body[0].id}`)).body.filename).toBe('b.jpg');
    expect((await t.api.del(`/v2/jobs/${job.id}/input/${two.body[0].id}`)).status).toBe(204);
    expect((await t.api.get(`/v2/jobs/${job.id}/input/${two.body[0].id}`)).status).toBe(404);

    const started = await t.api.patch(`/v2/jobs/${job.id}`, { process: true });
    expect(started.status).toBe(200);
    const done = await t.api.waitFor(job.id);
    expect(done.status.code).toBe('completed');
    expect(done.output.map((o: any) => o.filename).sort()).toEqual(['a.webp', 'c.webp']);
  });

  it('answers 404 with a message for unknown jobs, conversions, inputs and outputs', async () => {
    const id = '00000000-0000-0000-0000-000000000000';
    for (const path of [`/v2/jobs/${id}`, `/v2/jobs/${id}/conversions`, `/v2/jobs/${id}/input`, `/v2/jobs/${id}/output`]) {
      const res = await t.api.get(path);
      expect(res.status, path).toBe(404);
      expect(res.body.message).toMatch(/does not exist/);
    }
    const job = (await t.api.post('/v2/jobs', { process: false })).body;
    expect((await t.api.get(`/v2/jobs/${job.id}/conversions/${id}`)).status).toBe(404);
    expect((await t.api.get(`/v2/jobs/${job.id}/input/${id}`)).status).toBe(404);
    expect((await t.api.get(`/v2/jobs/${job.id}/output/${id}`)).status).toBe(404);
    expect((await t.api.del(`/v2/jobs/${job.id}/input/${id}`)).status).toBe(404);
    expect((await t.api.patch(`/v2/jobs/${id}`, { process: true })).status).toBe(404);
    expect((await t.api.del(`/v2/jobs/${id}`)).status).toBe(404);
  });

  it('lets a job token read its own job and nothing else', async () => {
    const a = (await t.api.post('/v2/jobs', { process: false })).body;
    const b = (await t.api.post('/v2/jobs', { process: false })).body;
    const own = await t.api.get(`/v2/jobs/${a.id}`, { key: null, headers: { 'X-Oc-Token': a.token } });
    expect(own.status).toBe(200);
    const other = await t.api.get(`/v2/jobs/${b.id}`, { key: null, headers: { 'X-Api2convert-Token': a.token } });
    expect(other.status).toBe(401);
    const list = await t.api.get('/v2/jobs', { key: null, headers: { 'X-Api2convert-Token': a.token } });
    expect(list.body.map((j: any) => j.id)).toEqual([a.id]);
  });

  it('lists jobs newest first, 50 a page, with X-Count and a status filter', async () => {
    const res = await t.api.get('/v2/jobs');
    expect(res.status).toBe(200);
    const count = Number(res.headers.get('x-count'));
    expect(count).toBe(res.body.length);
    const times = res.body.map((j: any) => j.created_at);
    expect([...times].sort().reverse()).toEqual(times);
    const incomplete = await t.api.get('/v2/jobs?status=incomplete');
    expect(incomplete.body.every((j: any) => j.status.code === 'incomplete')).toBe(true);
    const none = await t.api.get('/v2/jobs?page=99');
    expect(none.status).toBe(204);
    expect((await t.api.get('/v2/jobs?page=0')).status).toBe(400);
  });

  it('answers 405 for a wrong method and 404 for an unknown path, with a message', async () => {
    const res = await fetchChecked(`${t.engine.baseUrl}/v2/statuses`, { method: 'DELETE' });
    expect(res.status).toBe(405);
    expect((await res.json()).message).toMatch(/not allowed/);
    const nf = await fetchChecked(`${t.engine.baseUrl}/v2/nothing-here`);
    expect(nf.status).toBe(404);
  });

  it('counts requests by route', async () => {
    t.engine.resetStats();
    const job = (await t.api.post('/v2/jobs', { process: false })).body;
    await t.api.get(`/v2/jobs/${job.id}`);
    await t.api.patch(`/v2/jobs/${job.id}`, { notify_status: true });
    const s = t.engine.stats();
    expect(s.requests).toBe(3);
    expect(s.byRoute).toMatchObject({ 'POST /v2/jobs': 1, 'GET /v2/jobs/:id': 1, 'PATCH /v2/jobs/:id': 1 });
    expect(s.jobsCreated).toBe(1);
  });
});
