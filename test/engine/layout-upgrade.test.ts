/**
 * A data folder written by the previous version keeps working: a job in flight at the upgrade
 * (input under `inputs/`, scratch under `work/`) converts, a stored output under `outputs/<id>/`
 * stays downloadable, and the old scratch is swept.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import sharp from 'sharp';
import { afterAll, expect, it } from 'vitest';
import { startTestEngine, tempDir, type TestEngine } from './support/engine';

const started: TestEngine[] = [];
afterAll(async () => {
  for (const t of started) await t.stop().catch(() => {});
});

/** Moves a job's file to where the previous version kept it and points the stored job at it. */
function toOldLayout(dataDir: string, jobId: string, field: 'inputs' | 'outputs', rel: string, oldRel: string): void {
  fs.mkdirSync(path.dirname(path.join(dataDir, oldRel)), { recursive: true });
  fs.renameSync(path.join(dataDir, rel), path.join(dataDir, oldRel));
  const db = new Database(path.join(dataDir, 'engine.sqlite'));
  try {
    db.prepare(`UPDATE jobs SET doc = json_set(doc, '$.${field}[0].path', ?) WHERE id = ?`).run(oldRel, jobId);
  } finally {
    db.close();
  }
}

it('converts a job and serves an output that the previous layout stored', async () => {
  const png = await sharp({ create: { width: 32, height: 24, channels: 3, background: '#369' } })
    .png()
    .toBuffer();
  const dataDir = tempDir();
  const a = await startTestEngine({ dataDir });
  started.push(a);
  const done = (
    await a.api.post('/v2/jobs', { input: [{ type: 'base64', source: png.toString('base64'), filename: 'a.png' }], conversion: [{ target: 'jpg' }] })
  ).body;
  const finished = await a.api.waitFor(done.id);
  expect(finished.status.code).toBe('completed');
  const stored = (await a.api.download(finished.output[0].uri)).data;
  const inFlight = (await a.api.post('/v2/jobs', { process: false, conversion: [{ target: 'jpg' }] })).body;
  const input = (await a.api.upload(inFlight, png, 'b.png')).body;
  await a.stop({ keepData: true });

  // This layout: one folder per job, an output in `<id>/`, an upload as `<id>-<name>`.
  const outputId = finished.output[0].id;
  const outputRel = path.join('files', done.id, outputId, finished.output[0].filename);
  const inputRel = path.join('files', inFlight.id, `${input.id}-b.png`);
  expect(fs.existsSync(path.join(dataDir, outputRel))).toBe(true);
  expect(fs.existsSync(path.join(dataDir, inputRel))).toBe(true);
  toOldLayout(dataDir, done.id, 'outputs', outputRel, path.join('files', done.id, 'outputs', outputId, finished.output[0].filename));
  toOldLayout(dataDir, inFlight.id, 'inputs', inputRel, path.join('files', inFlight.id, 'inputs', `${input.id}-b.png`));
  fs.rmdirSync(path.join(dataDir, 'files', done.id, outputId));
  const scratch = path.join(dataDir, 'files', inFlight.id, 'work', 'cut-short', 'half.jpg');
  fs.mkdirSync(path.dirname(scratch), { recursive: true });
  fs.writeFileSync(scratch, 'half');

  const b = await startTestEngine({ dataDir });
  started.push(b);
  expect(fs.existsSync(path.join(dataDir, 'files', inFlight.id, 'work'))).toBe(false);
  const again = (await b.api.get(`/v2/jobs/${done.id}`)).body;
  const served = await b.api.download(again.output[0].uri);
  expect(served.status).toBe(200);
  expect(served.data.equals(stored)).toBe(true);

  expect((await b.api.patch(`/v2/jobs/${inFlight.id}`, { process: true })).status).toBe(200);
  const converted = await b.api.waitFor(inFlight.id);
  expect(converted.status.code).toBe('completed');
  const result = await b.api.download(converted.output[0].uri);
  expect(result.status).toBe(200);
  expect((await sharp(result.data).metadata()).format).toBe('jpeg');
  // The old `inputs/` folder goes with the job's end.
  const oldInputs = path.join(dataDir, 'files', inFlight.id, 'inputs');
  const deadline = Date.now() + 3000;
  while (fs.existsSync(oldInputs) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  expect(fs.existsSync(oldInputs)).toBe(false);
});
