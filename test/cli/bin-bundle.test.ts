/**
 * The `convoy` bin runs the bundle from `npm run build` when every source it was built from is
 * unchanged, and the TypeScript sources (through tsx) when there is no bundle, a source is newer
 * than it, or one is gone — so a stale bundle never runs. Checked on a copy of the bin with
 * stand-in entry points that say which one ran.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { repoRoot, tmpDir } from '../queue/helpers';

function run(root: string, env: NodeJS.ProcessEnv = {}): string {
  const r = spawnSync(process.execPath, [path.join(root, 'bin', 'convoy.mjs'), 'hello'], { encoding: 'utf8', env: { ...process.env, ...env } });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trim();
}

it('prefers a fresh bundle and falls back to the sources when it is missing or stale', () => {
  const root = tmpDir('bin-bundle');
  fs.mkdirSync(path.join(root, 'bin'));
  fs.copyFileSync(path.join(repoRoot, 'bin', 'convoy.mjs'), path.join(root, 'bin', 'convoy.mjs'));
  fs.symlinkSync(path.join(repoRoot, 'node_modules'), path.join(root, 'node_modules'));
  fs.writeFileSync(path.join(root, 'package.json'), '{ "type": "module" }\n');
  fs.mkdirSync(path.join(root, 'main', 'shells'), { recursive: true });
  const source = path.join(root, 'main', 'shells', 'cli.ts');
  fs.writeFileSync(
    source,
    "export async function runCli(argv: string[], io: { stdout: NodeJS.WritableStream }): Promise<number> { io.stdout.write(`sources ${argv.join(' ')}\\n`); return 0; }\n",
  );
  const past = new Date(Date.now() - 60_000);
  fs.utimesSync(source, past, past);

  expect(run(root)).toBe('sources hello');

  fs.mkdirSync(path.join(root, 'dist', 'cli'), { recursive: true });
  fs.writeFileSync(
    path.join(root, 'dist', 'cli', 'convoy.mjs'),
    "export async function runCli(argv, io) { io.stdout.write(`bundle ${argv.join(' ')}\\n`); return 0; }\n",
  );
  const manifest = path.join(root, 'dist', 'cli', 'inputs.json');
  fs.writeFileSync(manifest, JSON.stringify({ builtAt: Date.now(), inputs: ['main/shells/cli.ts'] }));
  expect(run(root)).toBe('bundle hello');
  expect(run(root, { CONVOY_CLI_FROM_SOURCES: '1' })).toBe('sources hello');

  // A source edited after the build: the bundle is stale.
  const future = new Date(Date.now() + 60_000);
  fs.utimesSync(source, future, future);
  expect(run(root)).toBe('sources hello');

  // A source the bundle lists is gone (renamed, deleted): stale too.
  fs.writeFileSync(manifest, JSON.stringify({ builtAt: Date.now() + 120_000, inputs: ['main/shells/cli.ts', 'main/gone.ts'] }));
  expect(run(root)).toBe('sources hello');
});

it('the real bundle runs the CLI: version, help, and a conversion through the in-process engine', () => {
  const outdir = path.join('dist', `cli-test-${process.pid}`);
  const abs = path.join(repoRoot, outdir);
  try {
    const built = spawnSync(process.execPath, [path.join(repoRoot, 'scripts', 'build-cli.mjs'), outdir], { cwd: repoRoot, encoding: 'utf8' });
    expect(built.status, built.stderr).toBe(0);
    const manifest = JSON.parse(fs.readFileSync(path.join(abs, 'inputs.json'), 'utf8')) as { inputs: string[] };
    expect(manifest.inputs).toContain('main/shells/cli.ts');
    expect(manifest.inputs.some((f) => f.includes('node_modules'))).toBe(false);
    const cli = (args: string[], env: NodeJS.ProcessEnv = {}) =>
      spawnSync(process.execPath, [path.join(abs, 'convoy.mjs'), ...args], { encoding: 'utf8', env: { ...process.env, CONVOY_SECRETS: 'memory', ...env } });
    const version = cli(['--version']);
    expect(version.stdout.trim()).toBe(JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')).version);
    expect(cli(['--help']).stdout).toMatch(/convert\s+.+\n\s+resume/);
    const home = tmpDir('bundle-home');
    const src = path.join(home, 'dot.svg');
    fs.writeFileSync(src, '<svg xmlns="http://www.w3.org/2000/svg" width="6" height="4"><rect width="6" height="4" fill="blue"/></svg>');
    const converted = cli(['convert', src, '--to', 'png', '--out-dir', path.join(home, 'out')], { CONVOY_HOME: home, API2CONVERT_API_KEY: '' });
    expect(converted.status, converted.stderr).toBe(0);
    expect(fs.existsSync(path.join(home, 'out', 'dot.png'))).toBe(true);
    const status = cli(['status'], { CONVOY_HOME: home });
    expect(status.stdout).toMatch(/1 item · 1 done/);
  } finally {
    fs.rmSync(abs, { recursive: true, force: true });
  }
}, 120_000);
