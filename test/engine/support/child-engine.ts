/** The engine as a separate process (`engine/cli.ts`), so tests can kill -9 it. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export interface ChildEngine {
  child: ChildProcess;
  baseUrl: string;
  port: number;
  output: () => string;
  kill9(): Promise<void>;
  stop(): Promise<void>;
}

export async function spawnEngine(args: string[], timeoutMs = 30_000): Promise<ChildEngine> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'engine', 'cli.ts'), ...args], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d.toString()));
  child.stderr!.on('data', (d) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const baseUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`engine did not start:\n${out}`)), timeoutMs);
    const check = () => {
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`engine exited (${code}) before listening:\n${out}`));
    });
  });
  return {
    child,
    baseUrl,
    port: Number(new URL(baseUrl).port),
    output: () => out,
    async kill9() {
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}
