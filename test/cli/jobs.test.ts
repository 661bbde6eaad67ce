/**
 * `convert --async` (prints job ids), `jobs list|status|wait|download|cancel`, `credits`, against
 * the local engine over HTTP; `jobs wait --timeout` on a slow job exits 7.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { isPng, makeImages, startEngine, tmpDir, type TestEngine } from '../queue/helpers';
import { runCli } from './cli-helpers';

let te: TestEngine;
let files: string[];
beforeAll(async () => {
  te = await startEngine();
  files = await makeImages(tmpDir('jobs-src'), 2);
}, 240_000);
afterAll(async () => {
  await te?.engine.close();
}, 240_000);
const api = () => ['--engine', te.api, '--api-key', te.apiKey, '--data-dir', tmpDir('jobs-data')];

it('--async prints one job id per input; jobs wait / status / download / list / cancel; credits', async () => {
  const started = await runCli(['convert', ...files, '--to', 'png', '--async', '--json', ...api()]);
  expect(started.code, started.stderr).toBe(0);
  const doc = JSON.parse(started.stdout);
  expect(doc).toMatchObject({ ok: true, async: true });
  expect(doc.jobs).toHaveLength(2);
  const id = doc.jobs[0].job_id as string;
  expect(te.engine.stats().jobsCreated).toBe(2);

  const waited = await runCli(['jobs', 'wait', id, '--json', ...api()]);
  expect(waited.code, waited.stderr).toBe(0);
  expect(JSON.parse(waited.stdout)).toMatchObject({ id, status: 'completed' });

  const status = await runCli(['jobs', 'status', id, ...api()]);
  expect(status.stdout).toMatch(new RegExp(`Job:\\s+${id}`));
  expect(status.stdout).toMatch(/Status:\s+completed/);

  const out = tmpDir('jobs-out');
  const dl = await runCli(['jobs', 'download', id, '--out', out, ...api()]);
  expect(dl.code, dl.stderr).toBe(0);
  const names = fs.readdirSync(out);
  expect(names).toEqual(['img-000.png']);
  expect(await isPng(path.join(out, names[0]))).toBe(true);

  const list = await runCli(['jobs', 'list', '--json', ...api()]);
  expect(JSON.parse(list.stdout).map((j: { id: string }) => j.id)).toContain(id);

  const missing = await runCli(['jobs', 'status', '00000000-0000-4000-8000-000000000000', '--json', ...api()]);
  expect(missing.code).toBe(5);
  expect(JSON.parse(missing.stdout)).toMatchObject({ ok: false, error: { exit_code: 5 } });

  const credits = await runCli(['credits', '--json', ...api()]);
  expect(credits.code, credits.stderr).toBe(0);
  expect(JSON.parse(credits.stdout)[0]).toMatchObject({ id: 'local', unlimited: true });
}, 240_000);

it('jobs wait --timeout exits 7 while the job still runs; cancel stops it', async () => {
  te.engine.setFaults({ conversionDelayMs: 90_000 });
  try {
    const started = await runCli(['convert', files[1], '--to', 'png', '--async', ...api()]);
    const id = /Started (\S+)/.exec(started.stdout)![1];
    const waited = await runCli(['jobs', 'wait', id, '--timeout', '1', '--json', ...api()]);
    expect(waited.code).toBe(7);
    expect(JSON.parse(waited.stdout)).toMatchObject({ ok: false, error: { exit_code: 7, job_id: id } });
    const canceled = await runCli(['jobs', 'cancel', id, ...api()]);
    expect(canceled.code, canceled.stderr).toBe(0);
    expect(canceled.stdout).toMatch(`Canceled ${id}`);
  } finally {
    te.engine.setFaults({ conversionDelayMs: 0 });
  }
}, 240_000);
