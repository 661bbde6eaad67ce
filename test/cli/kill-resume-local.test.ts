/**
 * kill -9 of `convoy convert` with the in-process engine (no key: files handed over by path,
 * results linked, job ends announced) at several points of a 60-file batch, each followed by
 * `convoy resume`: every output exists once and is correct, and the engine (whose state lives in
 * the same data folder) holds exactly one job per item, each with one input.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import sharp from 'sharp';
import { expect, it } from 'vitest';
import { makeImages, tmpDir, waitFor } from '../queue/helpers';
import { cliEnv, runCli, startCli, type CliRun } from './cli-helpers';

const pngs = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => n.endsWith('.png')) : []);

/** Kills the child with SIGKILL as soon as `when` holds. */
async function killWhen(run: CliRun, when: () => boolean, what: string): Promise<void> {
  await waitFor(() => when() || run.child.exitCode !== null, 40_000, what);
  expect(run.child.exitCode, `the run ended before "${what}"`).toBeNull();
  run.child.kill('SIGKILL');
  expect((await run.done).signal).toBe('SIGKILL');
}

it('survives kill -9 with the in-process engine and resumes without losing or duplicating anything', async () => {
  const src = tmpDir('kill-local-src');
  const files = await makeImages(src, 60, { size: 400 });
  const data = tmpDir('kill-local-data');
  const out = tmpDir('kill-local-out');
  const env = cliEnv({ CONVOY_SECRETS: 'memory' });
  const common = ['--data-dir', data];

  // 1. Killed as the first results land.
  const first = startCli(['convert', ...files, '--to', 'png', '--out-dir', out, '--concurrency', '4', ...common], { env });
  await killWhen(first, () => pngs(out).length >= 4, 'four results');

  // 2. Resume, killed again in the middle.
  const second = startCli(['resume', '--concurrency', '4', ...common], { env });
  await killWhen(second, () => pngs(out).length >= 25, 'twenty-five results');

  // 3. Resume to the end.
  const last = await runCli(['resume', '--json', ...common], { env, timeoutMs: 50_000 });
  expect(last.code, last.stderr).toBe(0);
  expect(JSON.parse(last.stdout).summary).toMatchObject({ total: 60, done: 60, failed: 0, unfinished: 0 });

  // One job per item in the engine's own records, each with a single input: nothing created or handed over twice.
  const db = new Database(path.join(data, 'engine', 'engine.sqlite'), { readonly: true });
  try {
    const docs = (db.prepare('SELECT doc FROM jobs').all() as Array<{ doc: string }>).map((r) => JSON.parse(r.doc) as { status: string; inputs: unknown[] });
    expect(docs).toHaveLength(60);
    for (const job of docs) {
      expect(job.status).toBe('completed');
      expect(job.inputs).toHaveLength(1);
    }
  } finally {
    db.close();
  }

  // Every output once, complete and of the right source; no placeholders or partial files left.
  const names = fs.readdirSync(out).sort();
  expect(names).toEqual(files.map((f) => `${path.basename(f, '.jpg')}.png`).sort());
  for (const name of names) {
    const meta = await sharp(path.join(out, name)).metadata();
    expect(meta.format, name).toBe('png');
    expect(meta.width).toBe(400);
  }
}, 120_000);
