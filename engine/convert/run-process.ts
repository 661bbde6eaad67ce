/**
 * Runs a converter process (ffmpeg, soffice) with a timeout and an abort signal. The child gets
 * its own process group so that killing it also kills what it started (soffice → soffice.bin).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { defaultToolLimits, withLimits, withoutNetwork, type ToolLimits } from './sandbox';

export interface RunOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** CPU-time and memory limits; default: defaultToolLimits(timeoutMs). */
  limits?: ToolLimits;
  /** Run in an empty network namespace where the OS allows it (LibreOffice). */
  noNetwork?: boolean;
}

export interface RunResult {
  /** Last part of stderr (for error messages). */
  stderr: string;
  stdout: string;
}

export class ProcessFailure extends Error {
  constructor(
    message: string,
    readonly exitCode: number | null,
    readonly stderr: string,
    readonly timedOut: boolean,
  ) {
    super(message);
    this.name = 'ProcessFailure';
  }
}

const TAIL_BYTES = 16 * 1024;
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function killGroup(child: ChildProcess, sig: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, sig);
  } catch {
    try {
      child.kill(sig);
    } catch {
      // already gone
    }
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Detached groups outlive us unless killed: never leave a converter running after exit.
  process.once('exit', () => {
    for (const c of live) killGroup(c, 'SIGKILL');
  });
}

function seconds(ms: number): string {
  return ms < 10_000 ? (ms / 1000).toFixed(1) : String(Math.round(ms / 1000));
}

/** Keeps the last `TAIL_BYTES` of a stream. */
function tail(): { push(b: Buffer): void; text(): string } {
  let buf = Buffer.alloc(0);
  return {
    push(b) {
      buf = Buffer.concat([buf, b]);
      if (buf.length > TAIL_BYTES * 2) buf = buf.subarray(buf.length - TAIL_BYTES);
    },
    text: () => buf.subarray(Math.max(0, buf.length - TAIL_BYTES)).toString('utf8'),
  };
}

/**
 * Resolves when the process exits with 0; rejects with ProcessFailure otherwise, or with the
 * signal's reason when aborted (after the process group is killed).
 */
export function runProcess(cmd: string, args: string[], opts: RunOptions): Promise<RunResult> {
  installExitHook();
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) return reject(opts.signal.reason);
    const limited = withLimits(cmd, args, opts.limits ?? defaultToolLimits(opts.timeoutMs));
    const run = opts.noNetwork ? withoutNetwork(limited.cmd, limited.args) : limited;
    const child = spawn(run.cmd, run.args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Own process group (so a timeout kills its children too); no console window per run on Windows.
      detached: true,
      windowsHide: true,
    });
    live.add(child);
    const err = tail();
    const out = tail();
    child.stdout!.on('data', (b: Buffer) => out.push(b));
    child.stderr!.on('data', (b: Buffer) => err.push(b));

    let timedOut = false;
    let aborted = false;
    let escalate: NodeJS.Timeout | undefined;
    const stop = () => {
      killGroup(child, 'SIGTERM');
      escalate = setTimeout(() => killGroup(child, 'SIGKILL'), 3000);
      escalate.unref();
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, opts.timeoutMs);
    const onAbort = () => {
      aborted = true;
      stop();
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });

    const finish = (fn: () => void) => {
      clearTimeout(timer);
      if (escalate) clearTimeout(escalate);
      opts.signal?.removeEventListener('abort', onAbort);
      live.delete(child);
      // Whatever the leader did, its group must not outlive it.
      killGroup(child, 'SIGKILL');
      fn();
    };

    // A straggler the converter left behind could hold our pipes open and delay 'close':
    // once the leader exits, the rest of its group goes too.
    child.once('exit', () => killGroup(child, 'SIGKILL'));
    child.once('error', (e) => finish(() => reject(new ProcessFailure(`could not start ${cmd}: ${e.message}`, null, '', false))));
    child.once('close', (code, sig) =>
      finish(() => {
        if (aborted) return reject(opts.signal!.reason);
        if (timedOut) return reject(new ProcessFailure(`timed out after ${seconds(opts.timeoutMs)} s`, code, err.text(), true));
        if (code === 0) return resolve({ stderr: err.text(), stdout: out.text() });
        if (sig === 'SIGXCPU') return reject(new ProcessFailure('stopped: it exceeded its CPU time limit', code, err.text(), false));
        if (sig === 'SIGKILL') return reject(new ProcessFailure('was killed (over its CPU-time or memory limit)', code, err.text(), false));
        reject(new ProcessFailure(`exited with ${code ?? sig}`, code, err.text(), false));
      }),
    );
  });
}
