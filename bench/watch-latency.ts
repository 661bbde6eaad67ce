/**
 * `convoy watch` latency: from a file's last write to its result on disk, for 100 files dropped
 * one by one (every 150 ms) into a watched folder, against the local engine (in this process).
 *
 *   npx tsx bench/watch-latency.ts [--files 100] [--settle 1000] [--interval 150]
 *
 * Prints p50 / p95 of: detection (last write → taken by the watcher), processing (taken → result
 * written: the job and its transfers, i.e. the conversion time), and end to end. The goal is
 * end-to-end p95 ≤ 2 s plus the conversion time, i.e. detection p95 ≤ 2 s.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { createEngine } from '../engine/index';
import { createCore } from '../main/core';
import { FolderWatcher } from '../main/watch/folder-watcher';

const { values } = parseArgs({ options: { files: { type: 'string' }, settle: { type: 'string' }, interval: { type: 'string' } } });
const N = Number(values.files ?? 100);
const settleMs = Number(values.settle ?? 1000);
const intervalMs = Number(values.interval ?? 150);

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

async function main(): Promise<void> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'convoy-bench-watch-'));
  const staging = path.join(root, 'staging');
  const inbox = path.join(root, 'inbox');
  const out = path.join(root, 'out');
  for (const d of [staging, inbox, out]) fs.mkdirSync(d, { recursive: true });
  const bytes: Buffer[] = [];
  for (let i = 0; i < N; i++) {
    bytes.push(
      await sharp({ create: { width: 64, height: 64, channels: 3, background: { r: i % 256, g: 80, b: 160 } } })
        .jpeg()
        .toBuffer(),
    );
  }
  const apiKey = 'bench-watch-key-0123456789';
  const engine = await createEngine({ port: 0, dataDir: path.join(root, 'engine'), apiKey }, { log: () => {} });
  const core = await createCore({
    shell: 'cli',
    dataDir: path.join(root, 'data'),
    apiBaseUrl: `${engine.baseUrl}/v2`,
    apiKey,
    secretsBackend: 'memory',
    queue: { outputDir: out, autoResume: false },
  });
  const lastWrite = new Map<string, number>();
  const taken = new Map<string, number>();
  const written = new Map<string, number>();
  const watcher = new FolderWatcher(
    core.db,
    core.queue,
    { dir: inbox, target: 'png', options: {}, outDir: out, recursive: false, include: [], exclude: [] },
    { settleMs, pollMs: Math.min(500, settleMs) },
    undefined,
    (file) => taken.set(path.basename(file, '.jpg'), Date.now()),
  );
  core.events.on('items', (e) => {
    for (const v of e.items) if (v.state === 'done' && !written.has(path.basename(v.label, '.jpg'))) written.set(path.basename(v.label, '.jpg'), Date.now());
  });
  watcher.start();
  for (let i = 0; i < N; i++) {
    const name = `f-${String(i).padStart(3, '0')}`;
    fs.writeFileSync(path.join(inbox, `${name}.jpg`), bytes[i]);
    lastWrite.set(name, Date.now());
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  const deadline = Date.now() + 120_000;
  while (written.size < N && Date.now() < deadline) {
    core.queue.flushEvents();
    await new Promise((r) => setTimeout(r, 50));
  }
  const names = [...lastWrite.keys()].filter((n) => written.has(n) && taken.has(n));
  const detect = names.map((n) => taken.get(n)! - lastWrite.get(n)!);
  const processing = names.map((n) => written.get(n)! - taken.get(n)!);
  const e2e = names.map((n) => written.get(n)! - lastWrite.get(n)!);
  const row = (label: string, xs: number[]) =>
    console.log(`${label.padEnd(30)} p50 ${String(pct(xs, 50)).padStart(6)} ms   p95 ${String(pct(xs, 95)).padStart(6)} ms`);
  console.log(`watch latency: ${names.length}/${N} files, settle ${settleMs} ms, one file every ${intervalMs} ms`);
  row('detection (write → taken)', detect);
  row('processing (taken → result)', processing);
  row('end to end (write → result)', e2e);
  console.log(`end-to-end p95 minus processing p95: ${pct(e2e, 95) - pct(processing, 95)} ms (goal ≤ 2000)`);
  await watcher.close();
  await core.close();
  await engine.close();
  fs.rmSync(root, { recursive: true, force: true });
}

void main();
