/**
 * `convoy watch`: 200 files dropped into a watched folder over 20 s — some copied slowly in
 * chunks, some renamed into place, some in subfolders — while the watcher is killed with SIGKILL
 * twice and restarted: exactly 200 outputs, each correct, 200 jobs; no half-written input taken,
 * and Convoy's own results (written inside the watched folder) never taken as inputs.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import sharp from 'sharp';
import { afterAll, expect, it } from 'vitest';
import { makeImages, startEngine, tmpDir, waitFor, type TestEngine } from '../queue/helpers';
import { cliEnv, startCli, type CliRun } from './cli-helpers';

let te: TestEngine | undefined;
afterAll(async () => {
  await te?.engine.close();
});

const N = 200;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath ?? (e as unknown as { path: string }).path, e.name));
}

it('200 files over 20 s, two kill -9: exactly 200 correct outputs and 200 jobs', async () => {
  te = await startEngine({ faults: { conversionDelayMs: 20 } });
  const staging = tmpDir('watch-staging');
  const sources = await makeImages(staging, N, { size: 40 });
  const inbox = tmpDir('watch-inbox');
  const out = path.join(inbox, 'converted'); // inside the watched folder: must never be taken
  const data = tmpDir('watch-data');
  const env = cliEnv({ CONVOY_SECRETS: 'memory' });
  const args = [
    'watch',
    inbox,
    '--to',
    'png',
    '--out-dir',
    out,
    '--recursive',
    '--exclude',
    '*.tmp',
    '--engine',
    te.api,
    '--api-key',
    te.apiKey,
    '--data-dir',
    data,
  ];
  const start = async (): Promise<CliRun> => {
    const run = startCli(args, { env });
    await waitFor(() => /Watching/.test(run.stderr()) || run.child.exitCode !== null, 60_000, 'the watcher to start');
    expect(run.child.exitCode, run.stderr()).toBeNull();
    return run;
  };
  let watcher = await start();
  let restarting: Promise<CliRun> | null = null;

  // Drop the files over ~20 s, in four ways; placement decides the expected output path.
  const expected = new Map<string, string>(); // output rel path → source file
  const drops: Promise<void>[] = [];
  const t0 = Date.now();
  for (let i = 0; i < N; i++) {
    const src = sources[i];
    const name = path.basename(src);
    const sub = i % 3 === 2 ? path.join('sub', `d${i % 2}`) : '';
    const dest = path.join(inbox, sub, name);
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    expected.set(path.join(sub, name.replace('.jpg', '.png')), src);
    const bytes = fs.readFileSync(src);
    if (i % 10 === 0) {
      // A slow copy in chunks, with pauses shorter than the settle time.
      drops.push(
        (async () => {
          const fd = fs.openSync(dest, 'w');
          const step = Math.ceil(bytes.length / 4);
          for (let off = 0; off < bytes.length; off += step) {
            fs.writeSync(fd, bytes.subarray(off, off + step));
            await sleep(400);
          }
          fs.closeSync(fd);
        })(),
      );
    } else if (i % 10 === 1) {
      // Written under a name the filters skip, then renamed into place.
      const tmp = `${dest}.tmp`;
      fs.writeFileSync(tmp, bytes);
      drops.push(sleep(300).then(() => fs.renameSync(tmp, dest)));
    } else {
      fs.writeFileSync(dest, bytes);
    }
    await sleep(100);
    if (i === 70 || i === 140) {
      if (restarting) watcher = await restarting;
      watcher.child.kill('SIGKILL');
      expect((await watcher.done).signal).toBe('SIGKILL');
      // Files keep arriving while it is down and starting again.
      restarting = start();
    }
  }
  await Promise.all(drops);
  if (restarting) watcher = await restarting;
  const dropMs = Date.now() - t0;

  const outputs = () => filesUnder(out).filter((f) => !path.basename(f).startsWith('.'));
  const doneItems = () => {
    const db = new Database(path.join(data, 'convoy.db'), { readonly: true, fileMustExist: true });
    try {
      return (db.prepare("SELECT COUNT(*) AS n FROM queue_items WHERE state = 'done'").get() as { n: number }).n;
    } finally {
      db.close();
    }
  };
  try {
    await waitFor(() => doneItems() >= N, 240_000, `${N} items done`);
  } catch (err) {
    // What was left, to tell a stall from slowness if this ever fails again.
    const db = new Database(path.join(data, 'convoy.db'), { readonly: true, fileMustExist: true });
    try {
      const items = db.prepare('SELECT state, COUNT(*) AS n FROM queue_items GROUP BY state').all();
      const units = db.prepare("SELECT phase, running, crashes, attempts, last_error, next_at FROM queue_units WHERE phase <> 'finished'").all();
      throw new Error(`${(err as Error).message}\nitems: ${JSON.stringify(items)}\nunits: ${JSON.stringify(units)}\nwatcher: ${watcher.stderr().slice(-3000)}`);
    } finally {
      db.close();
    }
  }
  await sleep(3000); // nothing more may come: no output taken as an input, no duplicate
  watcher.child.kill('SIGINT');
  const end = await watcher.done;
  expect(end.code, end.stderr).toBe(0);

  expect(dropMs).toBeGreaterThan(15_000);
  expect(te.engine.stats().jobsCreated).toBe(N);
  const rels = outputs()
    .map((f) => path.relative(out, f))
    .sort();
  expect(rels).toEqual([...expected.keys()].sort());
  const firstPixel = async (file: string) => [...(await sharp(file).raw().toBuffer()).subarray(0, 3)];
  for (const rel of rels) {
    const file = path.join(out, rel);
    const meta = await sharp(file).metadata();
    expect(meta.format, rel).toBe('png');
    expect(meta.width, rel).toBe(40);
    const [a, b] = [await firstPixel(file), await firstPixel(expected.get(rel)!)];
    a.forEach((v, c) => expect(Math.abs(v - b[c]), `${rel} channel ${c}`).toBeLessThanOrEqual(12));
    // A half-written JPEG decodes with a grey tail: the last pixel matches the source too.
    const lastOut = (await sharp(file).raw().toBuffer()).subarray(-3);
    const lastSrc = (await sharp(expected.get(rel)!).raw().toBuffer()).subarray(-3);
    [...lastOut].forEach((v, c) => expect(Math.abs(v - lastSrc[c]), `${rel} last pixel`).toBeLessThanOrEqual(12));
  }
}, 400_000);
