/**
 * `convoy merge` on the persistent queue: ten images → ONE job with the ten inputs in the given
 * order → one PDF whose pages follow that order; and a kill -9 in the middle of the uploads,
 * then `convoy resume` → still one job, one PDF, every page once, in order.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PDFDocument } from 'pdf-lib';
import sharp from 'sharp';
import { afterAll, expect, it } from 'vitest';
import { Api2ConvertClient } from '../../main/api/index';
import { makeImages, startEngine, tmpDir, waitFor, type TestEngine } from '../queue/helpers';
import { cliEnv, runCli, startCli } from './cli-helpers';

const engines: TestEngine[] = [];
afterAll(async () => {
  for (const te of engines) await te.engine.close();
});
const env = cliEnv({ CONVOY_SECRETS: 'memory' });

/** The colour at the centre of each page of a PDF, rendered with pdftoppm. */
async function pageColors(pdf: string): Promise<number[][]> {
  const dir = tmpDir('merge-pages');
  execFileSync('pdftoppm', ['-r', '20', '-png', pdf, path.join(dir, 'p')]);
  const pages = fs
    .readdirSync(dir)
    .filter((n) => n.endsWith('.png'))
    .sort();
  const out: number[][] = [];
  for (const p of pages) {
    const img = sharp(path.join(dir, p));
    const { width, height } = await img.metadata();
    const raw = await img.removeAlpha().raw().toBuffer();
    const at = (Math.floor(height! / 2) * width! + Math.floor(width! / 2)) * 3;
    out.push([raw[at], raw[at + 1], raw[at + 2]]);
  }
  return out;
}

/** Which source each page shows: the index of the nearest source colour (each one is distinct). */
function pageOrder(colors: number[][], sources: number[][]): number[] {
  return colors.map((c) => {
    let best = -1;
    let bestD = Infinity;
    sources.forEach((s, i) => {
      const d = Math.abs(s[0] - c[0]) + Math.abs(s[1] - c[1]) + Math.abs(s[2] - c[2]);
      if (d < bestD) [best, bestD] = [i, d];
    });
    expect(bestD, `page colour ${c} matches no source`).toBeLessThan(60);
    return best;
  });
}

async function sourceColors(files: string[]): Promise<number[][]> {
  return Promise.all(files.map(async (f) => [...(await sharp(f).raw().toBuffer()).subarray(0, 3)]));
}

async function checkMerged(pdf: string, order: string[], files: string[]): Promise<void> {
  const doc = await PDFDocument.load(fs.readFileSync(pdf));
  expect(doc.getPageCount()).toBe(order.length);
  const colors = await sourceColors(files);
  expect(pageOrder(await pageColors(pdf), colors)).toEqual(order.map((f) => files.indexOf(f)));
}

it('merges 10 images into one 10-page PDF in the given order, as one job', async () => {
  const te = await startEngine();
  engines.push(te);
  const files = await makeImages(tmpDir('merge-src'), 10, { size: 48 });
  const order = [3, 7, 0, 9, 1, 5, 2, 8, 6, 4].map((i) => files[i]);
  const out = tmpDir('merge-out');
  const r = await runCli(['merge', ...order, '--out-dir', out, '--json', '--engine', te.api, '--api-key', te.apiKey, '--data-dir', tmpDir('merge-data')], {
    env,
    timeoutMs: 200_000,
  });
  expect(r.code, r.stderr + r.stdout).toBe(0);
  const doc = JSON.parse(r.stdout);
  expect(doc.summary).toMatchObject({ total: 1, done: 1, failed: 0 });
  expect(fs.readdirSync(out)).toEqual(['merged.pdf']);
  expect(te.engine.stats().jobsCreated).toBe(1);
  await checkMerged(path.join(out, 'merged.pdf'), order, files);
}, 240_000);

it('a merge killed with -9 mid-upload resumes to one job and one PDF, pages in order', async () => {
  const te = await startEngine({ faults: { latencyMs: 150 } });
  engines.push(te);
  const files = await makeImages(tmpDir('mergek-src'), 10, { size: 48 });
  const order = [...files].reverse();
  const out = tmpDir('mergek-out');
  const common = ['--engine', te.api, '--api-key', te.apiKey, '--data-dir', tmpDir('mergek-data')];
  const uploads = () =>
    Object.entries(te.engine.stats().byRoute)
      .filter(([k]) => /upload-file/.test(k))
      .reduce((n, [, v]) => n + v, 0);
  const first = startCli(['merge', ...order, '-o', path.join(out, 'album.pdf'), ...common], { env });
  await waitFor(() => uploads() >= 4 || first.child.exitCode !== null, 120_000, 'four uploads');
  expect(first.child.exitCode, first.stderr()).toBeNull();
  first.child.kill('SIGKILL');
  expect(uploads(), 'killed before every input was uploaded').toBeLessThan(10);
  expect((await first.done).signal).toBe('SIGKILL');
  expect(fs.existsSync(path.join(out, 'album.pdf'))).toBe(false);

  const r = await runCli(['resume', '--json', ...common], { env, timeoutMs: 200_000 });
  expect(r.code, r.stderr + r.stdout).toBe(0);
  expect(JSON.parse(r.stdout).summary).toMatchObject({ total: 1, done: 1, failed: 0, unfinished: 0 });
  expect(te.engine.stats().jobsCreated).toBe(1);
  const client = new Api2ConvertClient({ baseUrl: te.api, apiKey: te.apiKey });
  const jobs = await client.listJobs({ page: 1 });
  client.close();
  expect(jobs).toHaveLength(1);
  expect(jobs[0].input.map((i) => i.filename)).toEqual(order.map((f) => path.basename(f)));
  expect(fs.readdirSync(out)).toEqual(['album.pdf']);
  await checkMerged(path.join(out, 'album.pdf'), order, files);
}, 300_000);
