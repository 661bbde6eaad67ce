/**
 * `convoy resume` — continues every unfinished item in the data folder: jobs already created are
 * awaited (never created again), interrupted uploads resume, finished outputs are kept.
 */
import { parseArgs } from 'node:util';
import type { Core } from '../../core';
import { dispatch } from '../../service';
import { ExitCode, UsageError, type CliCommand, type CliIO } from '../cli-types';
import { coreForCli, parseCount, startupError } from './convert';
import { exitCodeFor, jsonReport, runToEnd, summaryText } from './run-report';

const usage = `Usage: convoy resume [options]

Continues the unfinished batches in the data folder (after a crash, kill, reboot or Ctrl-C),
including items that were added but never started.

Options:
  --data-dir <dir>               Data folder (default CONVOY_HOME or the app folder)
  --engine <baseUrl>             API base URL, e.g. http://127.0.0.1:5123/v2 (needs an API key)
  --api-key-stdin                Read the api2convert API key from standard input (the safe way; or API2CONVERT_API_KEY, or the keychain)
  --api-key <key>                Discouraged: the key shows in "ps" and shell history; use --api-key-stdin
  --concurrency <n>              Jobs in flight, 1–64
  --offline-timeout <seconds>    Stop (exit 6, resumable) after being offline this long (default 600; 0 = wait forever)
  --json                         Print one JSON document (no progress)
  --verbose                      Echo the log to stderr`;

async function run(argv: string[], io: CliIO): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      allowPositionals: false,
      strict: true,
      options: {
        engine: { type: 'string' },
        'api-key': { type: 'string' },
        'api-key-stdin': { type: 'boolean' },
        'data-dir': { type: 'string' },
        concurrency: { type: 'string' },
        'offline-timeout': { type: 'string' },
        json: { type: 'boolean' },
        verbose: { type: 'boolean' },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const concurrency = parseCount('--concurrency', values.concurrency, 1, 64);
  const offlineTimeout = parseCount('--offline-timeout', values['offline-timeout'], 0, 7 * 24 * 3600) ?? 600;
  let core: Core;
  try {
    core = await coreForCli(values, io, { concurrency, autoResume: true });
  } catch (err) {
    if (err instanceof UsageError) throw err;
    return startupError(err, io);
  }
  try {
    // Items added but never started (e.g. killed between adding and starting) start now.
    await dispatch(core.handlers, 'queue.start', {});
    const batchIds = core.queue
      .batches()
      .filter((b) => core.queue.unfinishedCount([b.id]) > 0)
      .map((b) => b.id);
    if (batchIds.length === 0) {
      if (values.json) io.stdout.write(jsonReport({ stopped: null, items: [], durationMs: 0 }, [], [], ExitCode.ok));
      else io.stdout.write('Nothing to resume: every item in the queue has ended.\n');
      return ExitCode.ok;
    }
    const pending = core.queue.unfinishedCount(batchIds);
    if (!values.json) io.stdout.write(`Resuming ${pending} unfinished item${pending === 1 ? '' : 's'} in ${batchIds.length} batch${batchIds.length === 1 ? '' : 'es'}\n`);
    const outcome = await runToEnd(core, batchIds, io, { json: Boolean(values.json), offlineTimeoutMs: offlineTimeout * 1000 });
    const code = exitCodeFor(outcome, []);
    if (values.json) io.stdout.write(jsonReport(outcome, [], batchIds, code));
    else io.stdout.write(summaryText(outcome, [], null));
    return code;
  } catch (err) {
    io.stderr.write(`convoy resume: ${(err as Error)?.message ?? String(err)}\n`);
    return ExitCode.failed;
  } finally {
    await core.close();
  }
}

export const command: CliCommand = {
  name: 'resume',
  summary: 'Continue the unfinished batches in the data folder',
  usage,
  run,
};
export default command;
