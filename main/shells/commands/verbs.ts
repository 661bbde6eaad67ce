/**
 * The operation verbs of the official CLI as thin presets: `compress`, `thumbnail`, `resize` are
 * `convert` with the operation as its target (compress, thumbnail, resize-image) — on Convoy's
 * persistent queue, so they resume after a crash and show byte progress; `merge` makes ONE job
 * with all inputs in the given order and saves its one result.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Api2ConvertClient } from '../../api/index';
import { ExitCode, UsageError, type CliCommand, type CliIO } from '../cli-types';
import { CliFailure, reportFailure } from '../cli-errors';
import { apiFlagOptions, apiFlagsHelp, openApiSession } from './api-session';
import { command as convert, looksLikeUrl } from './convert';
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
    run: (argv: string[], io: CliIO) => convert.run(argv.some((a) => a === '--to' || a === '-t' || a.startsWith('--to=')) ? argv : ['--to', target, ...argv], io),
  };
}

export const compressCommand = preset('compress', 'compress', 'Compress files', 'convoy compress big-scan.pdf --out-dir small/');
export const thumbnailCommand = preset('thumbnail', 'thumbnail', 'Create thumbnail images', 'convoy thumbnail photo.png --option width=320');
export const resizeCommand = preset('resize', 'resize-image', 'Resize images', 'convoy resize banner.png --option width=1200');

const mergeUsage = `Usage: convoy merge <files|URLs…> [--to <format>] [-o <file> | --out-dir <dir>] [options]

Merges the inputs, in the order given, into one file: ONE job with all of them as its inputs
(e.g. ten images into one ten-page PDF). Default target: pdf.

Options:
  --to <format>                  Target format (default pdf)
  -o, --out <file>               The result file (default: the job's file name in --out-dir)
  --out-dir <dir>                Output folder (default: the current folder)
  --option <key=value>           Conversion option, repeatable (key:=value keeps a literal string)
  --options-file <file.json>     Conversion options as a JSON object
  --json                         Print JSON
${apiFlagsHelp}`;

/** Creates the merge job: inputs in order (files uploaded, URLs as remote inputs), then started. */
export async function startMergeJob(client: Api2ConvertClient, inputs: string[], target: string, options: Record<string, unknown>): Promise<string> {
  const job = await client.createJob({ conversion: [{ target, ...(Object.keys(options).length ? { options } : {}) }], process: false });
  try {
    for (const input of inputs) {
      if (looksLikeUrl(input)) await client.addInputs(job.id, { type: 'remote', source: input });
      else await client.uploadFile({ id: job.id, server: job.server!, token: job.token! }, input);
    }
    await client.patchJob(job.id, { process: true });
    return job.id;
  } catch (err) {
    await client.deleteJob(job.id).catch(() => {});
    throw err;
  }
}

async function merge(argv: string[], io: CliIO): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        ...apiFlagOptions,
        to: { type: 'string', short: 't' },
        out: { type: 'string', short: 'o' },
        'out-dir': { type: 'string' },
        option: { type: 'string', multiple: true },
        'options-file': { type: 'string' },
        json: { type: 'boolean' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  const json = Boolean(values.json);
  if (positionals.length < 2) throw new UsageError('merge needs at least two inputs');
  if (values.out && values['out-dir']) throw new UsageError('Use either --out or --out-dir, not both');
  const target = (values.to ?? 'pdf').trim().toLowerCase().replace(/^\./, '');
  if (!/^[a-z0-9][a-z0-9_-]{0,63}$/.test(target)) throw new UsageError(`--to: "${values.to}" is not a format name`);
  const options = collectOptions(values.option, values['options-file']);
  const inputs = positionals.map((p) => (looksLikeUrl(p) ? p : path.resolve(p)));
  for (const p of inputs) if (!looksLikeUrl(p) && !fs.statSync(p, { throwIfNoEntry: false })?.isFile()) throw new CliFailure(`File not found: ${p}`, ExitCode.validation, 'NotFoundError');
  let session;
  try {
    session = await openApiSession(values, io);
    const client = session.client;
    const id = await startMergeJob(client, inputs, target, options);
    const job = await client.waitForJob(id);
    if (job.status?.code !== 'completed' || !(job.output ?? []).length) {
      const why = (job.errors ?? []).map((e) => e.message).filter(Boolean).join('; ') || job.status?.info || job.status?.code;
      throw new CliFailure(`The merge failed: ${why}`, ExitCode.conversion, 'ConversionFailedError', { job_id: id });
    }
    const out = job.output![0];
    const dest = values.out ? path.resolve(values.out) : path.join(path.resolve(values['out-dir'] ?? '.'), path.basename(out.filename ?? `merged.${target}`));
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    await client.downloadOutput(out, dest);
    io.stdout.write(json ? `${JSON.stringify({ ok: true, job_id: id, inputs: inputs.length, output_path: dest }, null, 2)}\n` : `✓ ${inputs.length} inputs → ${dest}\n`);
    return ExitCode.ok;
  } catch (err) {
    if (err instanceof UsageError) throw err;
    return reportFailure(io, 'merge', err, json);
  } finally {
    await session?.close();
  }
}

export const mergeCommand: CliCommand = { name: 'merge', summary: 'Merge several inputs, in order, into one file (one job)', usage: mergeUsage, run: merge };
