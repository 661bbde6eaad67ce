/**
 * `convoy resume` — continues every unfinished item in the data folder: jobs already created are
 * awaited (never created again), interrupted uploads resume, finished outputs are kept. Each batch
 * continues on the API it was created on (recorded with the batch), with the key from the same
 * place (flag, environment or keychain); a batch whose key is missing waits and says how to give it.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Core } from '../../core';
import { openDatabase } from '../../db';
import { resolveDataDir } from '../../paths';
import { QueueStore } from '../../queue/index';
import type { BatchApi } from '../../queue/types';
import { dispatch } from '../../service';
import { apiFlagOptions, ExitCode, UsageError, parseFlags, type CliCommand, type CliIO } from '../cli-types';
import { apiKeyFrom, cliApiKey, howToGiveKey } from './api-key';
import { coreForCli, normalizeEngineUrl, parseCount, startupError } from './convert';
import { exitCodeFor, jsonReport, runToEnd, summaryText, type RunOutcome } from './run-report';

const usage = `Usage: convoy resume [options]

Continues the unfinished batches in the data folder (after a crash, kill, reboot or Ctrl-C),
including items that were added but never started. Every batch continues on the API it was
created on, with its key from the same place as then (--api-key, API2CONVERT_API_KEY or the
keychain); no flag is needed. A batch whose key is missing is left waiting, with a message saying
which API it belongs to and how to give the key. Its jobs are never re-created on another API.

Options:
  --data-dir <dir>               Data folder (default CONVOY_HOME or the app folder)
  --engine <baseUrl>             Only continue the batches of this API (e.g. http://127.0.0.1:5123/v2)
  --api-key-stdin                The key for batches whose key was given on the command line, read from standard input (the safe way)
  --api-key <key>                Discouraged: the key shows in "ps" and shell history; use --api-key-stdin
  --concurrency <n>              Jobs in flight, 1–64
  --offline-timeout <seconds>    Stop (resumable) after an API has been unreachable this long (default 600; 0 = wait forever)
  --json                         Print one JSON document (no progress)
  --verbose                      Echo the log to stderr`;

interface Group {
  api: BatchApi | null;
  batchIds: string[];
}

/** "http://127.0.0.1:5123/v2 (key from the environment)" — never the key. */
export function describeApi(api: BatchApi | null): string {
  if (!api) return 'the API of this run';
  if (api.baseUrl === null) return 'the local engine';
  const from = { flag: '--api-key', env: 'API2CONVERT_API_KEY', keychain: 'the keychain', local: 'the local engine' }[api.keySource];
  return `${api.baseUrl} (key from ${from})`;
}

/** Unfinished batches (started or not), grouped by the API each belongs to, in queue order. */
function unfinishedGroups(dataDir: string): Group[] {
  if (!fs.existsSync(path.join(dataDir, 'convoy.db'))) return [];
  const db = openDatabase(dataDir);
  try {
    const store = new QueueStore(db);
    const open = new Set(
      (db.prepare("SELECT DISTINCT batch_id FROM queue_items WHERE state NOT IN ('done','failed','canceled')").all() as Array<{ batch_id: string }>).map(
        (r) => r.batch_id,
      ),
    );
    const groups = new Map<string, Group>();
    for (const b of store.batches()) {
      if (!open.has(b.id)) continue;
      const key = JSON.stringify(b.api);
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { api: b.api, batchIds: [] }));
      g.batchIds.push(b.id);
    }
    return [...groups.values()];
  } finally {
    db.close();
  }
}

async function run(argv: string[], io: CliIO): Promise<number> {
  const { values } = parseFlags(
    argv,
    {
      ...apiFlagOptions,
      'api-key-stdin': { type: 'boolean' },
      concurrency: { type: 'string' },
      'offline-timeout': { type: 'string' },
      json: { type: 'boolean' },
      verbose: { type: 'boolean' },
    },
    { positionals: false },
  );
  const concurrency = parseCount('--concurrency', values.concurrency, 1, 64);
  const offlineTimeout = parseCount('--offline-timeout', values['offline-timeout'], 0, 7 * 24 * 3600) ?? 600;
  const onlyEngine = values.engine ? normalizeEngineUrl(values.engine) : undefined;
  if (values['api-key'] !== undefined && !values['api-key'].trim()) throw new UsageError('--api-key is empty');
  const dataDir = resolveDataDir(values['data-dir'] ?? null, io.env);
  const json = Boolean(values.json);
  const say = (line: string) => {
    if (!json) io.stdout.write(`${line}\n`);
  };

  let groups: Group[];
  try {
    groups = unfinishedGroups(dataDir);
  } catch (err) {
    return startupError(err, io);
  }
  const waiting: Array<{ batchIds: string[]; api: string; reason: string }> = [];
  const outcomes: RunOutcome[] = [];
  const ran: string[] = [];
  let code: number = ExitCode.ok;
  const worse = (c: number) => {
    if (code === ExitCode.ok || (c !== ExitCode.ok && c !== ExitCode.failed && code === ExitCode.failed)) code = c;
  };

  for (const group of groups) {
    const api = group.api;
    if (onlyEngine && api?.baseUrl !== onlyEngine && api !== null) {
      waiting.push({ batchIds: group.batchIds, api: describeApi(api), reason: `not resumed: --engine ${onlyEngine} was given` });
      continue;
    }
    let coreValues: Parameters<typeof coreForCli>[0] = { 'data-dir': values['data-dir'], verbose: values.verbose };
    let extra: Parameters<typeof coreForCli>[4] = {};
    if (!api) {
      // Recorded before batches remembered their API: the flags (or the defaults) say which.
      coreValues = { ...coreValues, engine: values.engine, 'api-key': values['api-key'] };
    } else if (api.baseUrl === null) {
      extra = { localEngine: true };
    } else {
      let key = await apiKeyFrom(api.keySource, values['api-key'], io, dataDir);
      // Naming the batch's API with --engine says which key to use: the one this run has.
      if (!key && onlyEngine === api.baseUrl) key = (await cliApiKey(values['api-key'], io, dataDir))?.key ?? null;
      if (!key) {
        const reason = `waits for its API key: ${howToGiveKey(api.keySource)}`;
        waiting.push({ batchIds: group.batchIds, api: describeApi(api), reason });
        io.stderr.write(`convoy resume: ${plural(group.batchIds.length, 'batch', 'batches')} of ${describeApi(api)} ${reason}\n`);
        worse(ExitCode.auth);
        continue;
      }
      coreValues = { ...coreValues, engine: api.baseUrl, 'api-key': key };
      extra = { apiKeySource: api.keySource === 'local' ? undefined : api.keySource };
    }
    let core: Core;
    try {
      core = await coreForCli(coreValues, io, { concurrency, autoResume: true }, undefined, extra);
    } catch (err) {
      if (err instanceof UsageError) throw err;
      return startupError(err, io);
    }
    try {
      // Items added but never started (e.g. killed between adding and starting) start now.
      for (const batchId of group.batchIds) await dispatch(core.handlers, 'queue.start', { batchId });
      const pending = core.queue.unfinishedCount(group.batchIds);
      say(
        `Resuming ${plural(pending, 'unfinished item', 'unfinished items')} in ${plural(group.batchIds.length, 'batch', 'batches')} on ${describeApi(api ?? null).replace('the API of this run', core.provider.kind === 'local' ? 'the local engine' : core.provider.baseUrl)}`,
      );
      const outcome = await runToEnd(core, group.batchIds, io, { json, offlineTimeoutMs: offlineTimeout * 1000 });
      outcomes.push(outcome);
      ran.push(...group.batchIds);
      worse(exitCodeFor(outcome, []));
      if (outcome.stopped?.reason === 'interrupted') break;
    } catch (err) {
      io.stderr.write(`convoy resume: ${(err as Error)?.message ?? String(err)}\n`);
      worse(ExitCode.failed);
    } finally {
      await core.close();
    }
  }

  const merged: RunOutcome = {
    stopped: outcomes.find((o) => o.stopped)?.stopped ?? null,
    items: outcomes.flatMap((o) => o.items),
    durationMs: outcomes.reduce((n, o) => n + o.durationMs, 0),
  };
  if (json) {
    const doc = JSON.parse(jsonReport(merged, [], ran, code)) as Record<string, unknown>;
    doc.waiting = waiting;
    io.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
    return code;
  }
  if (groups.length === 0) {
    io.stdout.write('Nothing to resume: every item in the queue has ended.\n');
    return ExitCode.ok;
  }
  if (outcomes.length) io.stdout.write(summaryText(merged, [], null));
  for (const w of waiting) io.stdout.write(`Waiting: ${plural(w.batchIds.length, 'batch', 'batches')} of ${w.api} ${w.reason}\n`);
  return code;
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

export const command: CliCommand = {
  name: 'resume',
  summary: 'Continue the unfinished batches in the data folder, each on its own API',
  usage,
  run,
};
export default command;
