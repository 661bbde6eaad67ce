/** Runs the real `convoy` bin as a child process (as a user would), for the CLI tests. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from '../queue/helpers';

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliRun {
  child: ChildProcess;
  done: Promise<CliResult>;
  stdout(): string;
  stderr(): string;
}

/** A clean environment: no API key or data folder leaks in from the machine running the tests. */
export function cliEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.API2CONVERT_API_KEY;
  delete env.CONVOY_HOME;
  if (extra.API2CONVERT_API_KEY) env.API2CONVERT_API_KEY = extra.API2CONVERT_API_KEY;
  if (extra.CONVOY_HOME) env.CONVOY_HOME = extra.CONVOY_HOME;
  return env;
}

const live = new Set<ChildProcess>();
// A failed or timed-out test must not leave a convoy process behind.
process.on('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

export function startCli(args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; stdin?: Buffer | string } = {}): CliRun {
  const child = spawn(process.execPath, [path.join(repoRoot, 'bin', 'convoy.mjs'), ...args], {
    cwd: opts.cwd ?? repoRoot,
    env: opts.env ?? cliEnv(),
    stdio: [opts.stdin !== undefined ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  if (opts.stdin !== undefined) child.stdin!.end(opts.stdin);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  live.add(child);
  const done = new Promise<CliResult>((resolve) => {
    child.on('close', (code, signal) => {
      live.delete(child);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { child, done, stdout: () => stdout, stderr: () => stderr };
}

export function runCli(args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number; stdin?: Buffer | string } = {}): Promise<CliResult> {
  const run = startCli(args, opts);
  const timer = setTimeout(() => run.child.kill('SIGKILL'), opts.timeoutMs ?? 55_000);
  return run.done.finally(() => clearTimeout(timer));
}
