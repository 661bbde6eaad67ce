/**
 * `convoy convert -` (the input from stdin) and `--out -` / `-o <file|dir>` (the result to stdout or
 * to a named file). Stdin is streamed to a staging file in the data folder first — the queue is
 * persistent, so an interrupted run resumes from it — and removed once converted. With the result
 * on stdout, progress and the summary go to stderr.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { ItemView } from '../../../preload/contract';
import { UsageError, type CliIO } from '../cli-types';

export interface IoPlan {
  /** The positionals with "-" replaced by the staged stdin file. */
  inputs: string[];
  /** Where results go (a folder); undefined: as --out-dir says. */
  outDir?: string;
  /** Stream the one result to stdout. */
  toStdout: boolean;
  /** Move the one result to this file. */
  toFile?: string;
  stagedStdin?: string;
  /** The io for progress and summary (stderr when stdout carries the result). */
  io: CliIO;
}

export async function planIo(inputs: string[], out: string | undefined, outDir: string | undefined, io: CliIO, dataDir: string): Promise<IoPlan> {
  const plan: IoPlan = { inputs: [...inputs], toStdout: false, io };
  const dashes = inputs.filter((i) => i === '-').length;
  if (dashes > 1) throw new UsageError('"-" (stdin) can be given once');
  if (out !== undefined && outDir !== undefined) throw new UsageError('Use either --out or --out-dir, not both');
  if (out !== undefined) {
    const single = inputs.length === 1;
    const isDir = /[\\/]$/.test(out) || fs.statSync(out, { throwIfNoEntry: false })?.isDirectory();
    if (out === '-') {
      if (!single) throw new UsageError('--out - (stdout) takes one input');
      plan.toStdout = true;
    } else if (isDir) plan.outDir = out;
    else {
      if (!single) throw new UsageError('Several inputs need a folder: use --out-dir <dir> (not --out <file>)');
      plan.toFile = path.resolve(out);
    }
    if (plan.toStdout || plan.toFile) {
      // A private folder for the one result; the file is moved or streamed from there.
      const base = plan.toFile ? path.dirname(plan.toFile) : path.join(dataDir, 'staging');
      fs.mkdirSync(base, { recursive: true });
      plan.outDir = fs.mkdtempSync(path.join(base, '.convoy-out-'));
    }
  }
  if (plan.toStdout) plan.io = { ...io, stdout: io.stderr };
  if (dashes) {
    if (io.stdin.isTTY) throw new UsageError('"-" reads the input from stdin, but stdin is a terminal; pipe a file in');
    const dir = path.join(dataDir, 'staging', `stdin-${crypto.randomUUID()}`);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const file = path.join(dir, 'stdin');
    await pipeline(io.stdin, fs.createWriteStream(file, { mode: 0o600 }));
    if (fs.statSync(file).size === 0) throw new UsageError('Nothing came on stdin');
    plan.inputs[plan.inputs.indexOf('-')] = file;
    plan.stagedStdin = file;
  }
  return plan;
}

/** After the run: the result to stdout or its file; staged and private files removed. */
export async function finishIo(plan: IoPlan, items: ItemView[], io: CliIO): Promise<void> {
  const done = items.find((v) => v.state === 'done' && v.outputs.length);
  try {
    if (done && plan.toStdout) {
      await pipeline(fs.createReadStream(done.outputs[0]), io.stdout, { end: false });
    } else if (done && plan.toFile) {
      fs.renameSync(done.outputs[0], plan.toFile);
      plan.io.stdout.write(`Saved ${plan.toFile}\n`);
    }
  } finally {
    if ((plan.toStdout || plan.toFile) && plan.outDir) fs.rmSync(plan.outDir, { recursive: true, force: true });
    if (plan.stagedStdin && done) fs.rmSync(path.dirname(plan.stagedStdin), { recursive: true, force: true });
  }
}
