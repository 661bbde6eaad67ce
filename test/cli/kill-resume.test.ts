/**
 * kill -9 of `convoy convert` at several points of a 50-item batch (30 local files, 20 URLs), each
 * followed by `convoy resume` (itself killed twice): every output exists once and is correct, and
 * the engine created exactly one job per item.
 */
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, expect, it } from 'vitest';
import { Api2ConvertClient } from '../../main/api/index';
import { makeImages, serveFolder, startEngine, tmpDir, waitFor, type TestEngine } from '../queue/helpers';
import { runCli, startCli, type CliRun } from './cli-helpers';

let te: TestEngine | undefined;
let server: Awaited<ReturnType<typeof serveFolder>> | undefined;
afterAll(async () => {
  await server?.close();
  await te?.engine.close();
});

/** Kills the child with SIGKILL as soon as `when` holds (checked every 2 ms). */
async function killWhen(run: CliRun, when: () => boolean, what: string): Promise<void> {
  await waitFor(() => when() || run.child.exitCode !== null, 40_000, what);
  expect(run.child.exitCode, `the run ended before "${what}"`).toBeNull();
  run.child.kill('SIGKILL');
  if (process.env.DEBUG_KILL) console.log(what, JSON.stringify(te!.engine.stats()));
  const r = await run.done;
  expect(r.signal).toBe('SIGKILL');
}

it('survives kill -9 at several points and resumes without losing or duplicating anything', async () => {
  te = await startEngine({ faults: { latencyMs: 10, conversionDelayMs: 120 } });
  const src = tmpDir('kill-src');
  const files = await makeImages(src, 30);
  const web = tmpDir('kill-web');
  await makeImages(web, 20, { prefix: 'web' });
  server = await serveFolder(web);
  const urls = Array.from({ length: 20 }, (_, i) => `${server!.url}/web-${String(i).padStart(3, '0')}.jpg`);
  const data = tmpDir('kill-data');
  const out = tmpDir('kill-out');
  const common = ['--engine', te.api, '--api-key', te.apiKey, '--data-dir', data];
  const stats = () => te!.engine.stats();
  const route = (k: string) => stats().byRoute[k] ?? 0;

  // 1. Killed while jobs are being created and uploaded.
  const first = startCli(['convert', ...files, ...urls, '--to', 'png', '--out-dir', out, '--concurrency', '8', ...common]);
  await killWhen(first, () => stats().jobsCreated >= 6, 'six jobs created');

  // 2. Resume, killed in the middle of the local files' uploads and downloads.
  const second = startCli(['resume', ...common]);
  await killWhen(second, () => route('GET /download-file/:id') >= 18, 'eighteen downloads');

  // 3. Resume, killed while the URL items run.
  const third = startCli(['resume', ...common]);
  await killWhen(third, () => route('GET /download-file/:id') >= 37, 'thirty-seven downloads');

  // 4. Resume to the end.
  const last = await runCli(['resume', '--json', ...common], { timeoutMs: 30_000 });
  expect(last.code, last.stderr).toBe(0);
  const doc = JSON.parse(last.stdout);
  expect(doc.ok).toBe(true);
  expect(doc.summary).toMatchObject({ total: 50, done: 50, failed: 0, unfinished: 0 });

  // Exactly one job per item, whatever was interrupted, and no job got its file twice.
  expect(stats().jobsCreated).toBe(50);
  const client = new Api2ConvertClient({ baseUrl: te.api, apiKey: te.apiKey });
  const jobs = [...(await client.listJobs({ page: 1 })), ...(await client.listJobs({ page: 2 }))];
  client.close();
  expect(jobs).toHaveLength(50);
  for (const job of jobs) {
    expect(job.status.code).toBe('completed');
    expect(job.input).toHaveLength(1);
  }

  // Every output once, complete and of the right source; no placeholders or partial files left.
  const expected = [...files.map((f) => path.basename(f, '.jpg')), ...urls.map((u) => path.basename(u, '.jpg'))].map((n) => `${n}.png`).sort();
  const names = fs.readdirSync(out).sort();
  expect(names).toEqual(expected);
  const sourceColor = async (file: string) => [...(await sharp(file).raw().toBuffer()).subarray(0, 3)];
  for (const name of names) {
    const file = path.join(out, name);
    const meta = await sharp(file).metadata();
    expect(meta.format, name).toBe('png');
    expect(meta.width).toBe(24);
    const srcFile = name.startsWith('web') ? path.join(web, name.replace('.png', '.jpg')) : path.join(src, name.replace('.png', '.jpg'));
    const [a, b] = [await sourceColor(file), await sourceColor(srcFile)];
    a.forEach((v, i) => expect(Math.abs(v - b[i]), `${name} channel ${i}`).toBeLessThanOrEqual(12));
  }
}, 60_000);
