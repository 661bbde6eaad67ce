/**
 * The exit-code table (the official CLI's), each code from a real failure: 0 success, 1 generic,
 * 2 usage, 3 auth, 4 quota or rate limit, 5 validation or not found, 6 conversion failed,
 * 7 timeout, 8 network, 130 interrupted. With --json, a failure before a report is the error
 * envelope with `exit_code`. (7 is also covered by jobs.test.ts, 3 and 5 by convert.test.ts.)
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { makeImages, startEngine, tmpDir, waitFor, type TestEngine } from '../queue/helpers';
import { cliEnv, runCli, startCli } from './cli-helpers';

let te: TestEngine;
let files: string[];
beforeAll(async () => {
  te = await startEngine();
  files = await makeImages(tmpDir('exit-src'), 3);
});
afterAll(async () => {
  await te?.engine.close();
});
const env = cliEnv({ CONVOY_SECRETS: 'memory' });
const api = (data = tmpDir('exit-data')) => ['--engine', te.api, '--api-key', te.apiKey, '--data-dir', data];

it('0 success, 2 usage (with the --json envelope), 3 auth, 5 validation', async () => {
  const ok = await runCli(['convert', files[0], '--to', 'png', '--out-dir', tmpDir('exit-out'), ...api()], { env });
  expect(ok.code, ok.stderr).toBe(0);
  const usage = await runCli(['convert', files[0], '--json'], { env });
  expect(usage.code).toBe(2);
  expect(JSON.parse(usage.stdout)).toMatchObject({ ok: false, error: { type: 'UsageError', exit_code: 2 } });
  const auth = await runCli(['credits', '--engine', te.api, '--api-key', 'sk-wrong-key-0000000000', '--json', '--data-dir', tmpDir('exit-data')], { env });
  expect(auth.code).toBe(3);
  expect(JSON.parse(auth.stdout).error.exit_code).toBe(3);
  const invalid = await runCli(['convert', files[0], '--to', 'nosuchformat', '--out-dir', tmpDir('exit-out'), ...api()], { env });
  expect(invalid.code).toBe(5);
}, 240_000);

it('1 generic: the data folder’s queue is held by another Convoy', async () => {
  const data = tmpDir('exit-lock');
  const inbox = tmpDir('exit-inbox');
  const holder = startCli(['watch', inbox, '--to', 'png', '--out-dir', tmpDir('exit-out'), ...api(data)], { env });
  try {
    await waitFor(() => /Watching/.test(holder.stderr()) || holder.child.exitCode !== null, 60_000, 'the watcher');
    const r = await runCli(['convert', files[0], '--to', 'png', '--out-dir', tmpDir('exit-out'), ...api(data)], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/queue|lock|another/i);
  } finally {
    holder.child.kill('SIGINT');
    await holder.done;
  }
}, 240_000);

it('4 quota / rate limit: the API answers 429', async () => {
  te.engine.setFaults({ maxConcurrentJobs: 1, conversionDelayMs: 60_000, retryAfterSeconds: 30 });
  try {
    const r = await runCli(['convert', files[1], files[2], '--to', 'png', '--async', '--json', ...api()], { env });
    expect(r.code, r.stdout + r.stderr).toBe(4);
    expect(JSON.parse(r.stdout).error).toMatchObject({ exit_code: 4 });
  } finally {
    te.engine.setFaults({ maxConcurrentJobs: 0, conversionDelayMs: 0 });
  }
}, 240_000);

it('6 conversion failed: a file that is not the image its name says', async () => {
  const bad = path.join(tmpDir('exit-bad'), 'broken.jpg');
  fs.writeFileSync(bad, Buffer.alloc(4096, 7));
  const r = await runCli(['convert', bad, '--to', 'png', '--out-dir', tmpDir('exit-out'), '--json', ...api()], { env });
  expect(r.code, r.stdout).toBe(6);
  // Still a failed conversion, but the advice is about the file, not about other targets.
  expect(JSON.parse(r.stdout).items[0].error).toMatchObject({
    code: 'conversion',
    message: expect.stringMatching(/^broken\.jpg is not a readable image/),
    action: 'Check the file: it may be damaged, or not the format its name says',
  });
}, 240_000);

it('8 network: the API cannot be reached (the items stay resumable)', async () => {
  const r = await runCli(
    [
      'convert',
      files[0],
      '--to',
      'png',
      '--out-dir',
      tmpDir('exit-out'),
      '--engine',
      'http://127.0.0.1:1/v2',
      '--api-key',
      'k-123',
      '--offline-timeout',
      '1',
      '--json',
      '--data-dir',
      tmpDir('exit-data'),
    ],
    { env },
  );
  expect(r.code).toBe(8);
  const doc = JSON.parse(r.stdout);
  expect(doc.stopped).toMatchObject({ reason: 'offline', message: expect.stringContaining('http://127.0.0.1:1/v2') });
  expect(doc.summary.unfinished).toBe(1);
}, 240_000);

it('130 interrupted: Ctrl-C during a run', async () => {
  te.engine.setFaults({ conversionDelayMs: 60_000 });
  try {
    const run = startCli(['convert', files[0], '--to', 'png', '--out-dir', tmpDir('exit-out'), ...api()], { env });
    await waitFor(() => te.engine.stats().jobsCreated > 0 && /Converting/.test(run.stdout()), 120_000, 'the job to start');
    await new Promise((r) => setTimeout(r, 1000));
    run.child.kill('SIGINT');
    const r = await run.done;
    expect(r.code).toBe(130);
    expect(r.stdout).toMatch(/convoy resume/);
  } finally {
    te.engine.setFaults({ conversionDelayMs: 0 });
  }
}, 240_000);
