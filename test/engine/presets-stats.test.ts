/**
 * Presets (CRUD per account key) and statistics computed from the engine's job records, as
 * openapi.json defines them (every answer validated), plus X-Request-Id on every kind of answer.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as realConvert from '../../engine/convert/index';
import { createEngine } from '../../engine/index';
import { Api } from './support/api';
import { startTestEngine, tempDir, TEST_KEY, type TestEngine } from './support/engine';
import { photo } from './support/images';
import { specMissing } from './support/openapi';
import { runJob } from './support/ops';

const missing = specMissing();

describe.skipIf(!!missing)('presets, statistics and request ids', () => {
  let t: TestEngine;

  beforeAll(async () => {
    t = await startTestEngine();
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('creates, lists (by category, target and name filter), reads, updates and deletes presets', async () => {
    const created = await t.api.post('/v2/presets', { name: 'Small MP4', target: 'mp4', scope: 'private', options: { video_bitrate: 800 } });
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({ name: 'Small MP4', target: 'mp4', category: 'video', scope: 'private', options: { video_bitrate: 800 } });
    const png = await t.api.post('/v2/presets', { name: 'Web PNG', target: 'png', options: { compression_level: 9 } });
    expect(png.body.scope).toBe('private');

    // The SDK's documented use: list('video', 'mp4').
    const list = await t.api.get('/v2/presets?category=video&target=mp4');
    expect(list.body.map((p: any) => p.id)).toEqual([created.body.id]);
    expect((await t.api.get('/v2/presets?filter=web,nothing')).body.map((p: any) => p.name)).toEqual(['Web PNG']);
    expect((await t.api.get('/v2/presets')).body).toHaveLength(2);

    expect((await t.api.get(`/v2/presets/${png.body.id}`)).body).toMatchObject({ name: 'Web PNG', options: { compression_level: 9 } });
    const patched = await t.api.patch(`/v2/presets/${png.body.id}`, { name: 'Tiny PNG', options: { palette: true } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ name: 'Tiny PNG', options: { compression_level: 9, palette: true } });
    expect((await t.api.del(`/v2/presets/${png.body.id}`)).status).toBe(204);
    expect((await t.api.get(`/v2/presets/${png.body.id}`)).status).toBe(404);
    expect((await t.api.del(`/v2/presets/${png.body.id}`)).status).toBe(404);
  });

  it('refuses presets with unknown targets or options, and without a key', async () => {
    const bad = await t.api.post('/v2/presets', { name: 'x', target: 'nope', options: {} });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/unknown target 'nope'/);
    const opt = await t.api.post('/v2/presets', { name: 'x', target: 'png', options: { quality: 'high' } });
    expect(opt.status).toBe(400);
    expect(opt.body.message).toMatch(/Unknown option "quality" for target png/);
    expect((await t.api.post('/v2/presets', { target: 'png', options: {} })).body.message).toBe('name: is required');
    expect((await t.api.get('/v2/presets', { key: null })).status).toBe(401);
    expect((await t.api.get('/v2/presets', { key: 'other-key' })).status).toBe(401);
  });

  it('computes day, month and year statistics from the job records', async () => {
    const jpg = await photo(64, 48);
    await runJob(t.api, [{ name: 'a.jpg', data: jpg }], { target: 'png' });
    await runJob(
      t.api,
      [
        { name: 'b.jpg', data: jpg },
        { name: 'c.jpg', data: jpg },
      ],
      { target: 'zip' },
    );
    const broken = await t.api.post('/v2/jobs', {
      input: [{ type: 'base64', source: Buffer.from('not an image').toString('base64'), filename: 'd.jpg' }],
      conversion: [{ target: 'png' }],
    });
    await t.api.waitFor(broken.body.id);
    const today = new Date().toISOString().slice(0, 10);
    const day = await t.api.get(`/v2/stats/day/${today}/single`);
    expect(day.status).toBe(200);
    expect(day.body).toHaveLength(1);
    expect(day.body[0]).toMatchObject({ date: today, jobs: 3, completed: 2, failed: 1, conversions: 3, inputs: 4, outputs: 2, targets: { png: 2, zip: 1 } });
    expect(day.body[0].input_bytes).toBe(3 * jpg.length + 'not an image'.length);
    expect((await t.api.get(`/v2/stats/month/${today.slice(0, 7)}/all`)).body).toEqual(day.body);
    expect((await t.api.get(`/v2/stats/year/${today.slice(0, 4)}/all`)).body).toEqual(day.body);
    expect((await t.api.get('/v2/stats/year/1999/all')).body).toEqual([]);
    expect((await t.api.get('/v2/stats/day/1999-01-01/all')).body).toEqual([expect.objectContaining({ date: '1999-01-01', jobs: 0 })]);

    for (const [path, message] of [
      ['/v2/stats/day/2026-13-01/all', "day: '2026-13-01' is not a real date"],
      ['/v2/stats/month/June/all', "month: must be in the format yyyy-mm, got 'June'"],
      ['/v2/stats/day/2026-01-01/everyone', "filter: must be single or all, got 'everyone'"],
    ]) {
      const res = await t.api.get(path);
      expect(res.status, path).toBe(400);
      expect(res.body.message).toBe(message);
    }
    expect((await t.api.get(`/v2/stats/day/${today}/all`, { key: null })).status).toBe(401);
  });

  it('sends X-Request-Id on every answer (API, errors, 404s, downloads), keeping a sane one the client sent', async () => {
    const ok = await t.api.get('/v2/statuses');
    const err = await t.api.get('/v2/jobs/nope');
    const unknown = await fetch(`${t.engine.baseUrl}/nowhere`);
    const { job } = await runJob(t.api, [{ name: 'a.jpg', data: await photo(32, 24) }], { target: 'png' });
    const dl = await fetch(job.output[0].uri);
    const ids = [ok.headers, err.headers, unknown.headers, dl.headers].map((h) => h.get('x-request-id'));
    for (const id of ids) expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Set(ids).size).toBe(4);
    const mine = await t.api.get('/v2/statuses', { headers: { 'X-Request-Id': 'client-abc.123' } });
    expect(mine.headers.get('x-request-id')).toBe('client-abc.123');
    const odd = await t.api.get('/v2/statuses', { headers: { 'X-Request-Id': 'has spaces and <tags>' } });
    expect(odd.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("puts the request id in the engine's log line about a failed request", async () => {
    const dataDir = tempDir();
    const logs: string[] = [];
    // A converter that breaks unexpectedly (not a ConversionError): the request answers 500 and is logged.
    const broken = {
      ...realConvert,
      normalizeOptions: () => {
        throw new Error('converter exploded');
      },
    };
    const engine = await createEngine({ port: 0, apiKey: TEST_KEY, dataDir }, { convert: broken, log: (m) => logs.push(m) });
    try {
      const api = new Api(engine.baseUrl, TEST_KEY);
      const res = await api.post('/v2/jobs', { process: false, conversion: [{ target: 'png' }] });
      expect(res.status).toBe(500);
      const id = res.headers.get('x-request-id')!;
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      expect(logs.find((l) => l.includes('converter exploded'))).toMatch(new RegExp(`^\\[request ${id}\\] POST /v2/jobs: Error: converter exploded`));
    } finally {
      await engine.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
