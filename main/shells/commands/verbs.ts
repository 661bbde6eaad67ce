/**
 * The operation verbs of the official CLI as thin presets: `compress`, `thumbnail`, `resize` are
 * `convert` with the operation as its target (compress, thumbnail, resize-image) — on Convoy's
 * persistent queue, so they resume after a crash and show byte progress; `merge` is ONE queue unit
 * (one job with all inputs in the given order, one result), resumable too.
 */
import fs from 'node:fs';
import path from 'node:path';
import { MAX_MERGE_INPUTS } from '../../../preload/contract';
import type { Core } from '../../core';
import { outputFolderProblem } from '../../queue/outputs';
import { dispatch } from '../../service';
import { apiFlagOptions, ExitCode, UsageError, parseFlags, type CliCommand, type CliIO } from '../cli-types';
import { CliFailure, reportFailure } from '../cli-errors';
import { command as convert, coreForCli, looksLikeUrl, startupError } from './convert';
import { exitCodeFor, jsonReport, runToEnd, summaryText, type Rejected } from './run-report';
import { collectOptions } from './options-input';

function preset(name: string, target: string, summary: string, example: string): CliCommand {
  const usage = `Usage: convoy ${name} <files|folders|URLs…> [options]

${summary}: "convoy convert … --to ${target}" (the operation "${target}"; --to picks another).
Runs on Convoy's persistent queue like convert: an interrupted run continues with "convoy resume",
and progress shows bytes and items (the official CLI shows a spinner).

  ${example}

Takes every option of "convoy convert" (see "convoy convert --help"); options of the operation
with --option key=value ("convoy options ${target}" lists them).`;
  return {
    name,
    summary,
    usage,
    run: (argv: string[], io: CliIO) =>
      convert.run(argv.some((a) => a === '--to' || a === '-t' || a.startsWith('--to=')) ? argv : ['--to', target, ...argv], io),
  };
}

export const compressCommand = preset('compress', 'compress', 'Compress files', 'convoy compress big-scan.pdf --out-dir small/');
export const thumbnailCommand = preset('thumbnail', 'thumbnail', 'Create thumbnail images', 'convoy thumbnail photo.png --option width=320');
export const resizeCommand = preset('resize', 'resize-image', 'Resize images', 'convoy resize banner.png --option width=1200');

const mergeUsage = `Usage: convoy merge <files|URLs…> [--to <format>] [-o <file> | --out-dir <dir>] [options]

Merges the inputs, in the order given, into one file: ONE job with all of them as its inputs
(e.g. ten images into one ten-page PDF). Default: the "merge" operation (→ PDF); --to zip,
tar or 7z makes one archive. Runs on Convoy's persistent queue
as one unit: an interrupted merge continues with "convoy resume" (inputs already on the server
are not sent again, and the job is never created twice).

Options:
  --to <format>                  Target (default merge: one PDF)
  -o, --out <file>               The result file (replaced if it exists; default: merged.<ext> in --out-dir)
  --out-dir <dir>                Output folder (default: the current folder)
  --option <key=value>           Conversion option, repeatable (key:=value keeps a literal string)
  --options-file <file.json>     Conversion options as a JSON object
  --json                         Print JSON
  --engine <baseUrl>             API base URL, e.g. http://127.0.0.1:5123/v2 (needs an API key)
  --api-key <key>                api2convert API key (or API2CONVERT_API_KEY, or the keychain)
  --data-dir <dir>               Data folder (default CONVOY_HOME or the app folder)
  --verbose                      Echo the log to stderr

Without an API key and without --engine, the built-in local engine merges in this process.`;

async function merge(argv: string[], io: CliIO): Promise<number> {
  const parsed = parseFlags(argv, {
    ...apiFlagOptions,
    to: { type: 'string', short: 't' },
    out: { type: 'string', short: 'o' },
    'out-dir': { type: 'string' },
    option: { type: 'string', multiple: true },
    'options-file': { type: 'string' },
    json: { type: 'boolean' },
    verbose: { type: 'boolean' },
  });
  const { values, positionals } = parsed;
  const json = Boolean(values.json);
  if (positionals.length < 2) throw new UsageError('merge needs at least two inputs');
  if (positionals.length > MAX_MERGE_INPUTS) throw new UsageError(`merge takes at most ${MAX_MERGE_INPUTS} inputs`);
  if (values.out && values['out-dir']) throw new UsageError('Use either --out or --out-dir, not both');
  const target = (values.to ?? 'merge').trim().toLowerCase().replace(/^\./, '');
  if (!/^[a-z0-9][a-z0-9_-]{0,63}$/.test(target)) throw new UsageError(`--to: "${values.to}" is not a format name`);
  const options = collectOptions(values.option, values['options-file']);
  const inputs = positionals.map((p) => (looksLikeUrl(p) ? p : path.resolve(p)));
  for (const p of inputs)
    if (!looksLikeUrl(p) && !fs.statSync(p, { throwIfNoEntry: false })?.isFile())
      throw new CliFailure(`File not found: ${p}`, ExitCode.validation, 'NotFoundError');
  const outDir = values.out ? path.dirname(path.resolve(values.out)) : path.resolve(values['out-dir'] ?? '.');
  const outDirProblem = outputFolderProblem(outDir);
  if (outDirProblem) throw new UsageError(`${values.out ? '--out' : '--out-dir'}: ${outDirProblem}`);
  const name = values.out ? path.basename(values.out, path.extname(values.out)) || 'merged' : 'merged';
  let core: Core;
  try {
    core = await coreForCli(values, io, { outputDir: outDir, autoResume: false, ...(values.out ? { conflictPolicy: 'overwrite' as const } : {}) });
  } catch (err) {
    if (err instanceof UsageError) throw err;
    return startupError(err, io);
  }
  try {
    const source = {
      kind: 'merge' as const,
      name,
      inputs: inputs.map((p) => (looksLikeUrl(p) ? { kind: 'url' as const, url: p } : { kind: 'file' as const, path: p })),
    };
    const added = await dispatch(core.handlers, 'queue.add', { items: [{ source }], target, options, destination: { kind: 'folder', path: outDir } });
    const rejected: Rejected[] = [...added.rejected];
    const batchIds = added.batchId ? [added.batchId] : [];
    if (batchIds.length) await dispatch(core.handlers, 'queue.start', { batchId: added.batchId });
    if (!json)
      io.stdout.write(
        `Merging ${inputs.length} inputs (${target}) (${core.provider.kind === 'local' ? 'local engine' : core.provider.baseUrl.replace(/\/v2$/, '')})\n`,
      );
    const outcome = await runToEnd(core, batchIds, io, { json, offlineTimeoutMs: 600_000 });
    const code = exitCodeFor(outcome, rejected);
    if (json) io.stdout.write(jsonReport(outcome, rejected, batchIds, code));
    else io.stdout.write(summaryText(outcome, rejected, outDir));
    return code;
  } catch (err) {
    if (err instanceof UsageError) throw err;
    return reportFailure(io, 'merge', err, json);
  } finally {
    await core.close();
  }
}

export const mergeCommand: CliCommand = {
  name: 'merge',
  summary: 'Merge several inputs, in order, into one file (one job, resumable)',
  usage: mergeUsage,
  run: merge,
};
