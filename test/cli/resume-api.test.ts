/**
 * The resume defect of issue 11: `convoy convert DIR --engine <url>` with the key in the
 * environment, kill -9, then `convoy resume` with no flags. Each batch remembers its API (and that
 * its key came from the environment), so resume continues on that engine — never on the settings'
 * API (here a decoy standing in for api2convert.com) — and a batch whose key is gone waits.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { isPng, makeImages, startEngine, tmpDir, waitFor, type TestEngine } from '../queue/helpers';
import { cliEnv, runCli, startCli } from './cli-helpers';

let te: TestEngine | undefined;
let decoy: http.Server | undefined;
afterAll(async () => {
  decoy?.closeAllConnections();
  await new Promise((r) => decoy?.close(r) ?? r(null));
  await te?.engine.close();
});

it('resume with no flags continues on the batch’s own engine, waits without its key, and never asks another host', async () => {
  te = await startEngine({ faults: { latencyMs: 5, conversionDelayMs: 150 } });
  let decoyHits = 0;
  decoy = http.createServer((_req, res) => {
    decoyHits++;
    res.writeHead(500).end();
  });
  await new Promise<void>((r) => decoy!.listen(0, '127.0.0.1', r));
  const decoyUrl = `http://127.0.0.1:${(decoy.address() as { port: number }).port}/v2`;

  const src = tmpDir('rapi-src');
  const files = await makeImages(src, 24);
  const data = tmpDir('rapi-data');
  const out = tmpDir('rapi-out');
  // The settings' API (what resume used to fall back to) is the decoy.
  fs.writeFileSync(path.join(data, 'settings.json'), JSON.stringify({ apiBaseUrl: decoyUrl }));
  const withKey = cliEnv({ API2CONVERT_API_KEY: te.apiKey, CONVOY_SECRETS: 'memory' });
  const noKey = cliEnv({ CONVOY_SECRETS: 'memory' });

  const first = startCli(['convert', src, '--to', 'png', '--out-dir', out, '--engine', te.api, '--data-dir', data, '--concurrency', '4'], { env: withKey });
  await waitFor(() => te!.engine.stats().jobsCreated >= 5 || first.child.exitCode !== null, 40_000, 'five jobs');
  expect(first.child.exitCode).toBeNull();
  first.child.kill('SIGKILL');
  await first.done;
  const createdBefore = te.engine.stats().jobsCreated;

  // Key gone: the batch waits, says which API and how to give the key; nothing is sent anywhere.
  const waiting = await runCli(['resume', '--data-dir', data], { env: noKey, timeoutMs: 30_000 });
  expect(waiting.code, waiting.stderr).toBe(3);
  expect(waiting.stderr).toContain(te.api);
  expect(waiting.stderr).toContain('API2CONVERT_API_KEY');
  expect(te.engine.stats().jobsCreated).toBe(createdBefore);

  // `convoy status` names the batch's API.
  const status = await runCli(['status', '--data-dir', data, '--json'], { env: noKey });
  const doc = JSON.parse(status.stdout);
  expect(doc.batches[0].api).toEqual({ baseUrl: te.api, keySource: 'env' });

  // With the key back in the environment: resume with no flags finishes on that engine.
  const last = await runCli(['resume', '--data-dir', data, '--json'], { env: withKey, timeoutMs: 50_000 });
  expect(last.code, last.stderr).toBe(0);
  const report = JSON.parse(last.stdout);
  expect(report.summary).toMatchObject({ total: 24, done: 24, failed: 0, unfinished: 0 });
  expect(te.engine.stats().jobsCreated).toBe(24);
  expect(decoyHits).toBe(0);
  const names = fs.readdirSync(out).sort();
  expect(names).toEqual(files.map((f) => path.basename(f).replace('.jpg', '.png')).sort());
  for (const n of names) expect(await isPng(path.join(out, n))).toBe(true);
}, 90_000);

it('a batch of the local engine resumes on the local engine, even with a key in the environment', async () => {
  let decoyHits = 0;
  const decoy2 = http.createServer((_req, res) => {
    decoyHits++;
    res.writeHead(500).end();
  });
  await new Promise<void>((r) => decoy2.listen(0, '127.0.0.1', r));
  try {
    const decoyUrl = `http://127.0.0.1:${(decoy2.address() as { port: number }).port}/v2`;
    const src = tmpDir('rloc-src');
    const files = await makeImages(src, 30, { size: 400 });
    const data = tmpDir('rloc-data');
    const out = tmpDir('rloc-out');
    fs.writeFileSync(path.join(data, 'settings.json'), JSON.stringify({ apiBaseUrl: decoyUrl }));
    const first = startCli(['convert', src, '--to', 'png', '--out-dir', out, '--data-dir', data, '--concurrency', '2'], {
      env: cliEnv({ CONVOY_SECRETS: 'memory' }),
    });
    await waitFor(() => fs.readdirSync(out).some((n) => n.endsWith('.png')) || first.child.exitCode !== null, 120_000, 'a first result');
    expect(first.child.exitCode, 'the run ended before it could be killed').toBeNull();
    first.child.kill('SIGKILL');
    await first.done;
    expect(fs.readdirSync(out).filter((n) => n.endsWith('.png')).length).toBeLessThan(30);

    const last = await runCli(['resume', '--data-dir', data, '--json'], {
      env: cliEnv({ CONVOY_SECRETS: 'memory', API2CONVERT_API_KEY: 'sk-some-account-key-000000' }),
      timeoutMs: 200_000,
    });
    expect(last.code, last.stderr).toBe(0);
    expect(JSON.parse(last.stdout).summary).toMatchObject({ total: 30, done: 30, unfinished: 0 });
    expect(decoyHits).toBe(0);
    expect(
      fs
        .readdirSync(out)
        .filter((n) => n.endsWith('.png'))
        .sort(),
    ).toEqual(files.map((f) => path.basename(f).replace('.jpg', '.png')).sort());
  } finally {
    decoy2.closeAllConnections();
    await new Promise((r) => decoy2.close(r));
  }
}, 300_000);
