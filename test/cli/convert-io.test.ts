/**
 * `convoy convert -` (stdin) with `-o -` (stdout) and `-o <file>`; `--options-file` with
 * `--option key:=value` (a literal string) — checked in the job body the API receives.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { makeImages, recordingProxy, repoRoot, startEngine, tmpDir, type TestEngine } from '../queue/helpers';
import { cliEnv, runCli } from './cli-helpers';

let te: TestEngine;
let proxy: Awaited<ReturnType<typeof recordingProxy>>;
let files: string[];
beforeAll(async () => {
  te = await startEngine();
  proxy = await recordingProxy(te.api);
  files = await makeImages(tmpDir('io-src'), 2, { size: 30 });
});
afterAll(async () => {
  await proxy?.close();
  await te?.engine.close();
});
const env = cliEnv({ CONVOY_SECRETS: 'memory' });

/** The bin with stdin given and stdout kept as bytes. */
function runBinary(args: string[], stdin: Buffer): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  const child = spawn(process.execPath, [path.join(repoRoot, 'bin', 'convoy.mjs'), ...args], { cwd: repoRoot, env, stdio: ['pipe', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  let err = '';
  child.stdout.on('data', (d: Buffer) => out.push(d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  child.stdin.end(stdin);
  const timer = setTimeout(() => child.kill('SIGKILL'), 200_000);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out), stderr: err });
    }),
  );
}
const api = () => ['--engine', te.api, '--api-key', te.apiKey, '--data-dir', tmpDir('io-data')];

it('stdin in, the result on stdout (progress on stderr); -o <file> names the result', async () => {
  const input = fs.readFileSync(files[0]);
  const r = await runBinary(['convert', '-', '--to', 'png', '-o', '-', ...api()], input);
  expect(r.code, r.stderr).toBe(0);
  const png = r.stdout;
  expect(r.stderr).toMatch(/Summary: 1 converted/);
  expect((await sharp(png).metadata()).width).toBe(30);
  // stdout carries only the PNG.
  expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
  const dir = tmpDir('io-out');
  const file = path.join(dir, 'named.png');
  const named = await runCli(['convert', '-', '--to', 'png', '-o', file, ...api()], { env, stdin: input });
  expect(named.code, named.stderr).toBe(0);
  expect((await sharp(file).metadata()).width).toBe(30);
  expect(fs.readdirSync(dir)).toEqual(['named.png']);
  const many = await runCli(['convert', ...files, '--to', 'png', '-o', path.join(dir, 'x.png'), ...api()], { env });
  expect(many.code).toBe(2);
  expect(many.stderr).toMatch(/Several inputs need a folder/);
}, 240_000);

it('--options-file, overridden by --option; key:=value stays a string', async () => {
  const optsFile = path.join(tmpDir('io-opts'), 'opts.json');
  fs.writeFileSync(optsFile, JSON.stringify({ quality: 50, grayscale: true }));
  await runCli(
    [
      'convert',
      files[1],
      '--to',
      'webp',
      '--options-file',
      optsFile,
      '--option',
      'quality=70',
      '--option',
      'background:=0123',
      '--out-dir',
      tmpDir('io-out'),
      '--engine',
      proxy.api,
      '--api-key',
      te.apiKey,
      '--data-dir',
      tmpDir('io-data'),
    ],
    { env },
  );
  const body = proxy.requests.filter((q) => q.method === 'POST' && /\/jobs$/.test(q.path)).map((q) => JSON.parse(q.body))[0];
  expect(body.conversion[0].options).toEqual({ quality: 70, grayscale: true, background: '0123' });
  const bad = await runCli(['convert', files[1], '--to', 'webp', '--options-file', path.join(tmpDir('io-opts'), 'none.json'), ...api()], { env });
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(/--options-file: cannot read/);
}, 240_000);
