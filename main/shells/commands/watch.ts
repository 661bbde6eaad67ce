/**
 * `convoy watch <dir> --to <format> --out-dir <dir>` — converts files as they arrive in a folder,
 * on the persistent queue (see main/watch/folder-watcher.ts). Runs until Ctrl-C.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ConflictPolicy } from '../../../preload/contract';
import type { Core } from '../../core';
import { FolderWatcher } from '../../watch/folder-watcher';
import { apiFlagOptions, ExitCode, UsageError, parseFlags, type CliCommand, type CliIO } from '../cli-types';
import { reportFailure } from '../cli-errors';
import { coreForCli, parseCount } from './convert';
import { collectOptions } from './options-input';
import { itemLine } from './run-report';

const usage = `Usage: convoy watch <dir> --to <format> --out-dir <dir> [options]

Converts each file that arrives in <dir> (copied, saved or renamed into it) into --out-dir,
keeping its place relative to <dir>. Runs until Ctrl-C (exit 0).

Unlike the official CLI, Convoy's watch is durable: files that arrive while it is stopped are
converted at the next start, and each file is converted exactly once across crashes and restarts
(it runs on the persistent queue). A file is taken only once its size and modification time have
stayed the same for --settle milliseconds, so a copy in progress is never converted half-written.
Convoy's own results (the --out-dir, even inside <dir>) and dot-files are never taken. Files that
were there when a watch first started are left alone, as the official CLI does (--existing takes
them too). A file is taken once per name.

Options:
  --to <format>                  Target format (required)
  --out-dir <dir>                Output folder (required)
  --recursive                    Watch subfolders too
  --include <glob>               Only files matching this glob, repeatable (e.g. '*.png'; with "/", the path in <dir>)
  --exclude <glob>               Skip files matching this glob, repeatable
  --option <key=value>           Conversion option, repeatable (key:=value keeps a literal string)
  --options-file <file.json>     Conversion options as a JSON object
  --on-conflict <policy>         rename (default) | overwrite | skip
  --existing                     On the first start, also convert the files already there
  --settle <ms>                  Quiet time before a file is taken (default 1000)
  --concurrency <n>              Jobs in flight, 1–64
  --engine <baseUrl>             API base URL (needs an API key)
  --api-key <key>                api2convert API key (or API2CONVERT_API_KEY, or the keychain)
  --data-dir <dir>               Data folder (default CONVOY_HOME or the app folder)
  --json                         One JSON line per finished file
  --verbose                      Echo the log to stderr`;

async function run(argv: string[], io: CliIO): Promise<number> {
  const parsed = parseFlags(argv, {
    to: { type: 'string', short: 't' },
    'out-dir': { type: 'string' },
    recursive: { type: 'boolean', short: 'r' },
    include: { type: 'string', multiple: true },
    exclude: { type: 'string', multiple: true },
    option: { type: 'string', multiple: true },
    'options-file': { type: 'string' },
    'on-conflict': { type: 'string' },
    existing: { type: 'boolean' },
    settle: { type: 'string' },
    concurrency: { type: 'string' },
    ...apiFlagOptions,
    json: { type: 'boolean' },
    verbose: { type: 'boolean' },
  });
  const { values, positionals } = parsed;
  if (positionals.length !== 1) throw new UsageError('Give one folder to watch');
  const dir = path.resolve(positionals[0]);
  if (!fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new UsageError(`Not a folder: ${positionals[0]}`);
  const target = values.to?.trim().toLowerCase().replace(/^\./, '');
  if (!target) throw new UsageError('--to <format> is required');
  if (!/^[a-z0-9][a-z0-9_-]{0,63}$/.test(target)) throw new UsageError(`--to: "${values.to}" is not a format name`);
  if (!values['out-dir']) throw new UsageError('--out-dir <dir> is required');
  const outDir = path.resolve(values['out-dir']);
  const conflict = values['on-conflict'];
  if (conflict !== undefined && !['rename', 'overwrite', 'skip'].includes(conflict))
    throw new UsageError(`--on-conflict must be rename, overwrite or skip (got "${conflict}")`);
  const options = collectOptions(values.option, values['options-file']);
  const settleMs = parseCount('--settle', values.settle, 100, 600_000) ?? 1000;
  const concurrency = parseCount('--concurrency', values.concurrency, 1, 64);
  const json = Boolean(values.json);
  fs.mkdirSync(outDir, { recursive: true });

  let core: Core;
  try {
    core = await coreForCli(values, io, { concurrency, conflictPolicy: conflict as ConflictPolicy | undefined, outputDir: outDir, autoResume: false });
  } catch (err) {
    if (err instanceof UsageError) throw err;
    return reportFailure(io, 'watch', err, json);
  }
  let watcher: FolderWatcher | null = null;
  try {
    watcher = new FolderWatcher(
      core.db,
      core.queue,
      {
        dir,
        target,
        options,
        outDir,
        recursive: Boolean(values.recursive),
        include: values.include ?? [],
        exclude: values.exclude ?? [],
        existing: values.existing,
      },
      { settleMs, pollMs: Math.min(500, settleMs) },
      core.log,
    );
    const batchId = watcher.batchId;
    const reported = new Set<string>();
    const off = core.events.on('items', (e) => {
      for (const v of e.items) {
        if (v.batchId !== batchId || !['done', 'failed', 'canceled'].includes(v.state) || reported.has(v.id)) continue;
        reported.add(v.id);
        if (json)
          io.stdout.write(
            `${JSON.stringify({ ok: v.state === 'done', input: v.label, output_path: v.outputs[0] ?? null, error: v.error?.message ?? null })}\n`,
          );
        else io.stdout.write(`${itemLine(v)}\n`);
      }
    });
    // Items that ended before this run are not reported again.
    for (const v of core.queue.list({ batchId, offset: 0, limit: 100_000 }).items) if (['done', 'failed', 'canceled'].includes(v.state)) reported.add(v.id);
    if (!json) io.stderr.write(`Watching ${dir} → ${target} in ${outDir}  (Ctrl-C to stop)\n`);
    watcher.start();
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    off();
    return ExitCode.ok;
  } catch (err) {
    if (err instanceof UsageError) throw err;
    return reportFailure(io, 'watch', err, json);
  } finally {
    await watcher?.close();
    await core.close();
  }
}

export const command: CliCommand = { name: 'watch', summary: 'Convert files as they arrive in a folder (durable, exactly once)', usage, run };
