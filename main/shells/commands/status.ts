/**
 * `convoy status` — lists the batches and items in the data folder's queue. Reads the database
 * only: no engine is started and a running Convoy is not disturbed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { callbackStatePath, readCallbackState, recordedCallbackLines } from '../../callbacks/index';
import { openDatabase } from '../../db';
import { resolveDataDir } from '../../paths';
import { QueueStore } from '../../queue/index';
import type { ItemRow } from '../../queue/types';
import { ExitCode, parseFlags, type CliCommand, type CliIO } from '../cli-types';
import { parseCount } from './convert';
import { folderSize, formatBytes } from '../../storage';
import { describeApi } from './resume';

const usage = `Usage: convoy status [options]

Lists the batches in the queue with their counts, then the items that are unfinished or failed.

Options:
  --batch <id>       Only this batch (an id or its first characters), with all its items
  --all              List every item, finished ones too
  --limit <n>        Most items to list (default 50; with --json: all)
  --data-dir <dir>   Data folder (default CONVOY_HOME or the app folder)
  --json             Print one JSON document`;

function itemDoc(r: ItemRow) {
  return {
    id: r.id,
    batchId: r.batchId,
    source: r.label,
    target: r.target,
    state: r.state,
    started: r.unitId !== null,
    outputs: r.outputs.filter((o) => o.done && !o.skipped).map((o) => o.path ?? o.location),
    error: r.error,
    lastError: r.lastError,
    updatedAt: r.updatedAt,
  };
}

async function run(argv: string[], io: CliIO): Promise<number> {
  const { values } = parseFlags(
    argv,
    {
      batch: { type: 'string' },
      all: { type: 'boolean' },
      limit: { type: 'string' },
      'data-dir': { type: 'string' },
      json: { type: 'boolean' },
    },
    { positionals: false },
  );
  const limit = parseCount('--limit', values.limit, 1, 1_000_000) ?? (values.json ? 1_000_000 : 50);
  const dataDir = resolveDataDir(values['data-dir'] ?? null, io.env);
  if (!fs.existsSync(path.join(dataDir, 'convoy.db'))) {
    if (values.json) io.stdout.write(`${JSON.stringify({ dataDir, batches: [], items: [] }, null, 2)}\n`);
    else io.stdout.write(`No queue in ${dataDir} yet.\n${recordedCallbackLines(dataDir).join('\n')}\n`);
    return ExitCode.ok;
  }
  const db = openDatabase(dataDir);
  try {
    const store = new QueueStore(db);
    const counts = store.countsByBatch();
    let batches = store.batches().map((b) => ({ id: b.id, createdAt: b.createdAt, api: b.api, counts: counts.get(b.id)! }));
    if (values.batch) {
      const wanted = values.batch.trim();
      const matches = batches.filter((b) => b.id === wanted || b.id.startsWith(wanted));
      if (matches.length !== 1) {
        io.stderr.write(`convoy status: ${matches.length ? `"${wanted}" matches ${matches.length} batches; give more characters` : `no batch "${wanted}"`}\n`);
        return ExitCode.usage;
      }
      batches = matches;
    }
    const items: ItemRow[] = [];
    let more = 0;
    for (const b of batches) {
      const rows = values.all || values.batch ? store.itemsOfBatch(b.id) : store.openItemsOfBatch(b.id);
      for (const r of rows) {
        if (items.length < limit) items.push(r);
        else more++;
      }
    }
    if (values.json) {
      const callbacks = readCallbackState(callbackStatePath(dataDir))?.status ?? null;
      io.stdout.write(
        `${JSON.stringify({ dataDir, dataDirBytes: await folderSize(dataDir), paused: store.paused(), batches, items: items.map(itemDoc), more, callbacks }, null, 2)}\n`,
      );
      return ExitCode.ok;
    }
    const lines: string[] = [`Queue in ${dataDir} (data folder: ${formatBytes(await folderSize(dataDir))})`];
    if (store.paused()) lines.push('Paused in the app: it starts no new file until Resume (convoy convert and convoy resume run regardless).');
    if (batches.length === 0) lines.push('No batches.');
    for (const b of batches) {
      const c = b.counts;
      const parts = [`${c.total} item${c.total === 1 ? '' : 's'}`, `${c.done} done`];
      if (c.failed) parts.push(`${c.failed} failed`);
      if (c.canceled) parts.push(`${c.canceled} canceled`);
      if (c.active) parts.push(`${c.active} active`);
      if (c.queued) parts.push(`${c.queued} queued`);
      lines.push(
        `  ${b.id.slice(0, 8)}  ${new Date(b.createdAt).toISOString().replace('T', ' ').slice(0, 19)}  ${parts.join(' · ')}${b.api ? `  on ${describeApi(b.api)}` : ''}`,
      );
    }
    if (items.length) {
      lines.push('', values.all || values.batch ? 'Items:' : 'Unfinished and failed items:');
      for (const r of items) {
        const state = r.state === 'queued' && !r.unitId ? 'not started' : r.state;
        let line = `  ${state.padEnd(12)} ${(r.target ?? '-').padEnd(6)} ${r.label}`;
        const outs = r.outputs.filter((o) => o.done && !o.skipped).map((o) => o.path ?? o.location);
        if (r.state === 'done' && outs.length) line += ` → ${outs.join(', ')}`;
        if (r.error) line += ` — ${r.error.message}`;
        else if (r.lastError) line += ` — last error: ${r.lastError}`;
        lines.push(line);
      }
      if (more) lines.push(`  … and ${more} more (use --limit or --json)`);
    }
    if (batches.some((b) => b.counts.queued + b.counts.active > 0)) lines.push('', 'Run "convoy resume" to continue the unfinished items.');
    lines.push('', ...recordedCallbackLines(dataDir));
    io.stdout.write(`${lines.join('\n')}\n`);
    return ExitCode.ok;
  } finally {
    db.close();
  }
}

export const command: CliCommand = {
  name: 'status',
  summary: 'List the batches and items in the queue',
  usage,
  run,
};
export default command;
