/**
 * The API key and credentials (the key, job tokens, a wrong key that was tried, a password in a
 * URL) never appear in the database, the logs, the error output or the --json output.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { Api2ConvertClient } from '../../main/api/index';
import { makeImages, serveFolder, startEngine, tmpDir, type TestEngine } from '../queue/helpers';
import { cliEnv, runCli } from './cli-helpers';

let te: TestEngine | undefined;
let server: Awaited<ReturnType<typeof serveFolder>> | undefined;
afterAll(async () => {
  await server?.close();
  await te?.engine.close();
});

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? filesUnder(p) : e.isFile() ? [p] : [];
  });
}

it('keeps the key, job tokens and URL passwords out of the database, logs, stderr and --json', async () => {
  const apiKey = `sk-live-${'7f3a9c'.repeat(6)}`;
  te = await startEngine({ apiKey, faults: { latencyMs: 2 } });
  const src = tmpDir('sec-src');
  const files = await makeImages(src, 2);
  server = await serveFolder(src);
  const data = tmpDir('sec-data');
  const out = tmpDir('sec-out');
  const wrongKey = `sk-wrong-${'0b1d2e'.repeat(6)}`;
  const urlPassword = 'hunter2-url-password';
  const outputs: string[] = [];

  // A run with a wrong key (refused), then the real key from the flag, then from the environment.
  const refused = await runCli([
    'convert',
    files[0],
    '--to',
    'png',
    '--out-dir',
    out,
    '--engine',
    te.api,
    '--api-key',
    wrongKey,
    '--data-dir',
    data,
    '--json',
    '--verbose',
  ]);
  expect(refused.code).toBe(3);
  outputs.push(refused.stdout, refused.stderr);
  const ok = await runCli([
    'convert',
    files[1],
    path.join(src, 'missing.jpg'),
    `http://user:${urlPassword}@127.0.0.1:1/a.jpg`,
    `${server.url}/img-000.jpg`,
    '--to',
    'png',
    '--out-dir',
    out,
    '--engine',
    te.api,
    '--api-key',
    apiKey,
    '--data-dir',
    data,
    '--json',
    '--verbose',
  ]);
  expect(ok.code).toBe(5); // sources not found
  outputs.push(ok.stdout, ok.stderr);
  const viaEnv = await runCli(['resume', '--engine', te.api, '--data-dir', data, '--verbose'], { env: cliEnv({ API2CONVERT_API_KEY: apiKey }) });
  expect(viaEnv.code, viaEnv.stderr).toBe(0);
  outputs.push(viaEnv.stdout, viaEnv.stderr);
  const status = await runCli(['status', '--data-dir', data, '--all', '--json']);
  outputs.push(status.stdout, status.stderr);

  // The job tokens the engine handed out.
  const client = new Api2ConvertClient({ baseUrl: te.api, apiKey });
  const tokens = (await client.listJobs()).map((j) => j.token).filter((t): t is string => Boolean(t));
  client.close();
  expect(tokens.length).toBeGreaterThan(0);

  const secrets = [apiKey, wrongKey, urlPassword, ...tokens];
  const stored = filesUnder(data);
  expect(stored.some((f) => f.endsWith('convoy.db'))).toBe(true);
  expect(stored.some((f) => f.endsWith('convoy.log'))).toBe(true);
  for (const file of stored) {
    const bytes = fs.readFileSync(file);
    for (const secret of secrets) expect(bytes.includes(Buffer.from(secret)), `${secret.slice(0, 8)}… in ${file}`).toBe(false);
  }
  for (const text of outputs) for (const secret of secrets) expect(text).not.toContain(secret);
  // The URL with a password was refused, with the password masked.
  expect(ok.stdout).toMatch(/http:\/\/\*\*\*@127\.0\.0\.1:1\/a\.jpg[\s\S]*user name or password are not accepted/);
});
