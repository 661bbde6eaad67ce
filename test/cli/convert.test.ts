/**
 * `convoy convert`, `convoy resume` and `convoy status` as a user runs them: usage errors, the
 * --json document, exit codes, folders, conflict policies, bad sources.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPng, makeImages, serveFolder, startEngine, tmpDir, type TestEngine } from '../queue/helpers';
import { runCli } from './cli-helpers';

let te: TestEngine;
let server: Awaited<ReturnType<typeof serveFolder>>;
let src: string;
let files: string[];

beforeAll(async () => {
  te = await startEngine({ faults: { latencyMs: 2 } });
  src = tmpDir('cli-src');
  files = await makeImages(src, 3);
  server = await serveFolder(src);
});
afterAll(async () => {
  await server?.close();
  await te?.engine.close();
});

const engineArgs = (data: string) => ['--engine', te.api, '--api-key', te.apiKey, '--data-dir', data];

describe('usage errors exit 2 with a clear message', () => {
  it.each([
    [['convert', '--to', 'png'], /Give at least one file, folder or URL/],
    [['convert', 'a.jpg'], /--to <format> is required/],
    [['convert', 'a.jpg', '--to', 'png', '--on-conflict', 'clobber'], /--on-conflict must be rename, overwrite or skip/],
    [['convert', 'a.jpg', '--to', 'png', '--concurrency', '0'], /--concurrency must be between 1 and 64/],
    [['convert', 'a.jpg', '--to', 'png', '--option', 'quality'], /--option must be key=value/],
    [['convert', 'a.jpg', '--to', 'png', '--frobnicate'], /Unknown option '--frobnicate'/],
    [['convert', 'a.jpg', '--to', 'png', '--engine', 'http://127.0.0.1:9/v2'], /--engine needs an API key/],
    [['resume', 'extra'], /Unexpected argument 'extra'/],
  ])('%j', async (args, message) => {
    const r = await runCli(args as string[], { env: { ...process.env, API2CONVERT_API_KEY: '', CONVOY_HOME: tmpDir('cli-usage') } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message as RegExp);
    expect(r.stderr).toMatch(/Usage: convoy/);
  });
});

describe('convert', () => {
  it('converts files, a folder (recursively, keeping its structure) and a URL; --json prints one document', async () => {
    const data = tmpDir('cli-data');
    const out = tmpDir('cli-out');
    const folder = tmpDir('cli-folder');
    await makeImages(path.join(folder, 'pics', 'sub'), 1, { prefix: 'deep' });
    await makeImages(path.join(folder, 'pics'), 1, { prefix: 'top' });
    const r = await runCli([
      'convert',
      files[0],
      files[1],
      path.join(folder, 'pics'),
      `${server.url}/img-002.jpg`,
      '--to',
      'png',
      '--recursive',
      '--out-dir',
      out,
      '--json',
      ...engineArgs(data),
    ]);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ ok: true, exitCode: 0, summary: { total: 5, done: 5, failed: 0, unfinished: 0 } });
    expect(doc.items.map((i: { state: string }) => i.state)).toEqual(['done', 'done', 'done', 'done', 'done']);
    // A folder's files keep their place relative to that folder (as the official CLI's batch).
    expect(fs.existsSync(path.join(out, 'sub', 'deep-000.png'))).toBe(true);
    expect(fs.existsSync(path.join(out, 'top-000.png'))).toBe(true);
    expect(fs.existsSync(path.join(out, 'pics'))).toBe(false);
    for (const i of doc.items) expect(await isPng(i.outputs[0])).toBe(true);

    // Without --recursive only the folder's own files are taken.
    const flat = await runCli(['convert', path.join(folder, 'pics'), '--to', 'png', '--out-dir', tmpDir('cli-out'), '--json', ...engineArgs(data)]);
    expect(JSON.parse(flat.stdout).summary.total).toBe(1);

    // status lists both batches; resume has nothing left to do.
    const status = await runCli(['status', '--data-dir', data, '--json']);
    expect(status.code).toBe(0);
    const st = JSON.parse(status.stdout);
    expect(st.batches).toHaveLength(2);
    expect(st.batches[0].counts).toMatchObject({ total: 5, done: 5 });
    const text = await runCli(['status', '--data-dir', data]);
    expect(text.stdout).toMatch(/5 items · 5 done/);
    const resume = await runCli(['resume', ...engineArgs(data)]);
    expect(resume.code).toBe(0);
    expect(resume.stdout).toMatch(/Nothing to resume/);
  });

  it('bad sources fail alone (exit 5: not found / invalid), with the reason in the output; skip leaves existing results alone', async () => {
    const data = tmpDir('cli-data');
    const out = tmpDir('cli-out');
    fs.writeFileSync(path.join(out, 'img-001.png'), 'mine');
    const empty = path.join(tmpDir('cli-empty'), 'empty.jpg');
    fs.writeFileSync(empty, '');
    const r = await runCli([
      'convert',
      files[0],
      files[1],
      path.join(src, 'nope.jpg'),
      empty,
      'ftp://example.com/x.jpg',
      `${server.url}/missing/x.jpg`,
      '--to',
      'png',
      '--on-conflict',
      'skip',
      '--out-dir',
      out,
      ...engineArgs(data),
    ]);
    expect(r.code, r.stderr).toBe(5);
    expect(r.stdout).toMatch(/✓ img-000\.jpg → .*img-000\.png/);
    expect(r.stdout).toMatch(/– img-001\.jpg: Skipped: .*img-001\.png already exists/);
    expect(r.stdout).toMatch(/✗ nope\.jpg: File not found: .*nope\.jpg/);
    expect(r.stdout).toMatch(/✗ empty\.jpg: The file is empty/);
    expect(r.stdout).toMatch(/✗ ftp:\/\/example\.com\/x\.jpg: Not an http\(s\) URL \(ftp\)/);
    expect(r.stdout).toMatch(/missing\/x\.jpg: The file could not be downloaded.*404/);
    expect(r.stdout).toMatch(/Summary: 1 converted, 1 skipped, 4 failed/);
    expect(fs.readFileSync(path.join(out, 'img-001.png'), 'utf8')).toBe('mine');
  });

  it('exit 5 when every failure is a validation error (unsupported target)', async () => {
    const r = await runCli(['convert', files[0], '--to', 'xyz', '--out-dir', tmpDir('cli-out'), '--json', ...engineArgs(tmpDir('cli-data'))]);
    expect(r.code).toBe(5);
    const doc = JSON.parse(r.stdout);
    expect(doc.items[0].error).toMatchObject({ code: 'validation', message: expect.stringMatching(/xyz/) });
  });

  it('exit 3 when the API refuses the key; the items stay resumable and the key is never printed', async () => {
    const data = tmpDir('cli-data');
    const wrong = 'wrong-key-0123456789abcdef';
    const r = await runCli([
      'convert',
      files[0],
      '--to',
      'png',
      '--out-dir',
      tmpDir('cli-out'),
      '--json',
      '--engine',
      te.api,
      '--api-key',
      wrong,
      '--data-dir',
      data,
    ]);
    expect(r.code).toBe(3);
    const doc = JSON.parse(r.stdout);
    expect(doc.stopped).toMatchObject({ reason: 'auth', message: expect.stringMatching(/refused the key/) });
    expect(doc.summary.unfinished).toBe(1);
    expect(r.stdout + r.stderr).not.toContain(wrong);
    // With the right key, resume finishes it.
    const resumed = await runCli(['resume', '--json', ...engineArgs(data)]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout).summary).toMatchObject({ done: 1, unfinished: 0 });
  });
});
