/**
 * `convoy convert <files|folders|URLs…> --to <format> …` — adds one batch to the persistent queue
 * of the data folder and runs it to the end, through the same core as the desktop app.
 */
import { ContractError, type AddItem, type ConflictPolicy, type ConversionOptions, type Destination } from '../../../preload/contract';
import { createCore, type Core } from '../../core';
import { registerSecret } from '../../log';
import { resolveDataDir } from '../../paths';
import { expandPaths } from '../../queue/index';
import { outputFolderProblem } from '../../queue/outputs';
import { dispatch } from '../../service';
import { publicUrlProblem } from '../../callbacks/probe';
import { apiFlagOptions, ExitCode, UsageError, parseFlags, type CliCommand, type CliIO } from '../cli-types';
import { exitCodeFor, jsonReport, runToEnd, summaryText, type Rejected } from './run-report';
import { cliApiKey } from './api-key';
import { collectOptions } from './options-input';
import { finishIo, planIo } from './convert-io';
import { CloudListingError, cloudFlagOptions, cloudFlagUsage, cloudItems, planCloud, printCallbackSwitches } from './cloud-input-flags';

const usage = `Usage: convoy convert <files|folders|URLs…> --to <format> [options]

Converts files, folders and http(s) URLs through the api2convert API (or the built-in local engine)
with a persistent queue: an interrupted run continues with "convoy resume" (on the same API, with
the key from the same place). A folder's files keep their place relative to that folder. On a
terminal, progress is a bar with items and bytes (the official CLI shows a spinner); folders need
no --recursive to take their own files (it adds subfolders).

Options:
  -t, --to <format>              Target format (png, pdf, mp3…) (required)
  --option <key=value>           Conversion option, repeatable (e.g. --option quality=80; key:=value keeps a literal string)
  --options-file <file.json>     Conversion options as a JSON object (--option overrides its keys)
  --async                        Start one job per input on the API, print the job ids, exit (see "convoy jobs")
  --out-dir <dir>                Output folder (default: the current folder)
  -o, --out <file|dir|->         One input: the result file ("-": stdout); a folder: as --out-dir
  (input "-")                    Read the input from stdin (e.g. cat scan.tiff | convoy convert - --to pdf -o scan.pdf)
  -r, --recursive                Include files in subfolders of the given folders
  --concurrency <n>              Jobs in flight, 1–64 (default: the settings' value)
  --on-conflict <policy>         rename (default): "name (1).ext" | overwrite | skip (no "error": a batch never stops for it)
  -f, --force / --no-clobber     The same as --on-conflict overwrite / skip
  --engine <baseUrl>             API base URL, e.g. http://127.0.0.1:5123/v2 (needs an API key)
  --api-key-stdin                Read the api2convert API key from standard input (the safe way; or API2CONVERT_API_KEY, or the keychain)
  --api-key <key>                Discouraged: the key shows in "ps" and shell history; use --api-key-stdin
  --data-dir <dir>               Data folder (queue database, logs); default CONVOY_HOME or the app folder
  --destination <name>           Send results to this saved destination profile instead of a folder
  --public-url <url>             Public URL for job callbacks (instead of polling)
  --callback-port <port>         Local port of the callback server
  --offline-timeout <seconds>    Stop (exit 8, resumable) after being offline this long (default 600; 0 = wait forever)
  --json                         Print one JSON document (no progress)
  --verbose                      Echo the log to stderr

Without an API key and without --engine, the built-in local engine converts in this process.
${cloudFlagUsage}`;

export { parseOption } from './options-input';

/** A command-line input that names a URL rather than a path (any `scheme://`, or `scheme:` that is not a drive letter). */
export function looksLikeUrl(arg: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(arg) || (/^[a-z][a-z0-9+.-]+:/i.test(arg) && !/^[a-z]:[\\/]/i.test(arg));
}

export function normalizeEngineUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--engine must be a URL like http://127.0.0.1:5123/v2 (got "${text}")`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError('--engine must be an http(s) URL');
  if (url.username || url.password) throw new UsageError('--engine must not contain credentials; use --api-key');
  const base = url.toString().replace(/\/+$/, '');
  return /\/v2$/.test(base) ? base : `${base}/v2`;
}

export function parseCount(flag: string, text: string | undefined, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text.trim())) throw new UsageError(`${flag} must be a whole number between ${min} and ${max} (got "${text}")`);
  const n = Number(text);
  if (n < min || n > max) throw new UsageError(`${flag} must be between ${min} and ${max} (got ${n})`);
  return n;
}

/** The key piped to --api-key-stdin: the first line of standard input (never a terminal prompt echoing it). */
async function apiKeyFromStdin(io: CliIO): Promise<string> {
  if (io.stdin.isTTY) throw new UsageError('--api-key-stdin reads the key from standard input: pipe it in (e.g. from a password manager)');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of io.stdin) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += b.length;
    if (size > 64 * 1024) throw new UsageError('--api-key-stdin: standard input is too long for an API key');
    chunks.push(b);
  }
  const key = Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0].trim();
  if (!key) throw new UsageError('--api-key-stdin: standard input is empty');
  return key;
}

/** Builds the core the CLI runs on: the API (flag/env/keychain key, or the local engine) and the queue. */
export async function coreForCli(
  values: { engine?: string; 'api-key'?: string; 'api-key-stdin'?: boolean; 'data-dir'?: string; verbose?: boolean },
  io: CliIO,
  queue: NonNullable<Parameters<typeof createCore>[0]['queue']>,
  callbacks?: Parameters<typeof createCore>[0]['callbacks'],
  extra: { localEngine?: boolean; apiKeySource?: 'flag' | 'env' | 'keychain' } = {},
): Promise<Core> {
  const engine = values.engine ? normalizeEngineUrl(values.engine) : undefined;
  if (values['api-key'] !== undefined && !values['api-key'].trim()) throw new UsageError('--api-key is empty');
  const dataDir = resolveDataDir(values['data-dir'] ?? null, io.env);
  if (values['api-key'] !== undefined && values['api-key-stdin']) throw new UsageError('Use either --api-key or --api-key-stdin, not both');
  if (values['api-key'] !== undefined)
    io.stderr.write('convoy: warning: --api-key shows the key to other users of this machine (ps); use --api-key-stdin or API2CONVERT_API_KEY\n');
  const given = values['api-key-stdin'] ? await apiKeyFromStdin(io) : values['api-key']?.trim() || undefined;
  let found = given ? { key: given, source: extra.apiKeySource ?? ('flag' as const) } : null;
  if (engine && !found) {
    found = await cliApiKey(undefined, io, dataDir);
    if (!found) throw new UsageError('--engine needs an API key: pass --api-key-stdin, set API2CONVERT_API_KEY or store one with "convoy login"');
  }
  registerSecret(found?.key);
  registerSecret(io.env.API2CONVERT_API_KEY);
  return createCore({
    shell: 'cli',
    dataDir: values['data-dir'] ?? null,
    apiBaseUrl: engine,
    apiKey: found?.key,
    apiKeySource: found?.source,
    localEngine: extra.localEngine,
    env: io.env,
    echoLog: Boolean(values.verbose),
    queue,
    callbacks,
  });
}

/** Core creation failures the user can act on (another process runs this queue…), as one line. */
export function startupError(err: unknown, io: CliIO): number {
  io.stderr.write(`convoy: ${(err as Error)?.message ?? String(err)}\n`);
  return ExitCode.failed;
}

async function run(argv: string[], io: CliIO): Promise<number> {
  const parsed = parseFlags(argv, {
    to: { type: 'string', short: 't' },
    option: { type: 'string', multiple: true },
    'options-file': { type: 'string' },
    async: { type: 'boolean' },
    out: { type: 'string', short: 'o' },
    'out-dir': { type: 'string' },
    recursive: { type: 'boolean', short: 'r' },
    concurrency: { type: 'string' },
    'on-conflict': { type: 'string' },
    force: { type: 'boolean', short: 'f' },
    'no-clobber': { type: 'boolean' },
    ...apiFlagOptions,
    'api-key-stdin': { type: 'boolean' },
    destination: { type: 'string' },
    'public-url': { type: 'string' },
    'callback-port': { type: 'string' },
    'offline-timeout': { type: 'string' },
    json: { type: 'boolean' },
    verbose: { type: 'boolean' },
    ...cloudFlagOptions,
  });
  const { values, positionals } = parsed;
  const fromCloud = values['input-cloud'] !== undefined || values['input-profile'] !== undefined;
  if (positionals.length === 0 && !fromCloud) throw new UsageError('Give at least one file, folder or URL to convert');
  const target = values.to?.trim().toLowerCase().replace(/^\./, '');
  if (!target) throw new UsageError('--to <format> is required');
  if (!/^[a-z0-9][a-z0-9_-]{0,63}$/.test(target)) throw new UsageError(`--to: "${values.to}" is not a format name`);
  const options: ConversionOptions = collectOptions(values.option, values['options-file']);
  const concurrency = parseCount('--concurrency', values.concurrency, 1, 64);
  if (values.force && values['no-clobber']) throw new UsageError('--force and --no-clobber are mutually exclusive');
  const conflict = values.force ? 'overwrite' : values['no-clobber'] ? 'skip' : values['on-conflict'];
  if (conflict !== undefined && !['rename', 'overwrite', 'skip'].includes(conflict)) {
    throw new UsageError(`--on-conflict must be rename, overwrite or skip (got "${conflict}")`);
  }
  const offlineTimeout = parseCount('--offline-timeout', values['offline-timeout'], 0, 7 * 24 * 3600) ?? 600;
  const callbackPort = parseCount('--callback-port', values['callback-port'], 0, 65535);
  const publicUrl = values['public-url'];
  if (publicUrl !== undefined) {
    const problem = publicUrlProblem(publicUrl);
    if (problem) throw new UsageError(`--public-url: ${problem}`);
  }
  if (values['out-dir'] !== undefined && values.destination !== undefined) throw new UsageError('Use either --out-dir or --destination, not both');
  if (values['api-key-stdin'] && positionals.includes('-'))
    throw new UsageError('Standard input can carry either the API key (--api-key-stdin) or the input file (-), not both');
  const cloud = planCloud(values, positionals, io);
  if (cloud.output && (values['out-dir'] !== undefined || values.destination !== undefined))
    throw new UsageError('Use one of --out-dir, --destination or --output-target');
  const rawIo = io; // stdin in, a result on stdout: see convert-io.ts
  const plan = await planIo(positionals, values.out, values['out-dir'], io, resolveDataDir(values['data-dir'] ?? null, io.env));
  io = plan.io;
  const outDir = plan.outDir ?? values['out-dir'] ?? process.cwd();
  const outDirProblem = values.destination === undefined && !cloud.output ? outputFolderProblem(outDir) : null;
  if (outDirProblem) throw new UsageError(`--out-dir: ${outDirProblem}`);

  // Inputs in the given order: URLs as they are; paths expanded (folders → their files, keeping the structure).
  const items: AddItem[] = [];
  for (const arg of plan.inputs) {
    if (looksLikeUrl(arg)) {
      items.push({ source: { kind: 'url', url: arg, ...(cloud.filename ? { filename: cloud.filename } : {}) } });
      continue;
    }
    for (const f of await expandPaths([arg], Boolean(values.recursive), 'folder')) {
      items.push({ source: { kind: 'file', path: f.path, ...(f.relDir !== undefined ? { relDir: f.relDir } : {}) } });
    }
  }
  const rejected: Rejected[] = [];
  if (items.length === 0 && !cloud.input) {
    io.stderr.write('convoy convert: the given folders contain no files\n');
    return ExitCode.usage;
  }
  if (values.async) return (await import('./convert-async')).runAsync(values, items, target, options, io);

  let core: Core;
  try {
    core = await coreForCli(
      values,
      io,
      {
        concurrency,
        conflictPolicy: conflict as ConflictPolicy | undefined,
        outputDir: outDir,
        autoResume: false,
      },
      { publicUrl, port: callbackPort },
    );
  } catch (err) {
    if (err instanceof UsageError) throw err;
    return startupError(err, io);
  }
  let cleanup = () => {};
  try {
    cleanup = await announceCallbacks(core, io, Boolean(values.json));
    if (cloud.input) items.push(...(await cloudItems(core, cloud.input)));
    let destination: Destination = cloud.output ?? { kind: 'folder', path: outDir };
    if (values.destination !== undefined) {
      const profileId = await findProfile(core, values.destination);
      destination = { kind: 'profile', profileId };
    }
    const added = await dispatch(core.handlers, 'queue.add', { items, target, options, destination });
    rejected.push(...added.rejected);
    const batchIds = added.batchId ? [added.batchId] : [];
    if (batchIds.length) await dispatch(core.handlers, 'queue.start', { batchId: added.batchId });
    if (!values.json) {
      const what = `${added.itemIds.length} item${added.itemIds.length === 1 ? '' : 's'}`;
      io.stdout.write(`Converting ${what} to ${target} (${core.provider.kind === 'local' ? 'local engine' : core.provider.baseUrl.replace(/\/v2$/, '')})\n`);
    }
    const outcome = await runToEnd(core, batchIds, io, { json: Boolean(values.json), offlineTimeoutMs: offlineTimeout * 1000 });
    const code = exitCodeFor(outcome, rejected);
    await finishIo(plan, outcome.items, rawIo);
    if (values.json) io.stdout.write(jsonReport(outcome, rejected, batchIds, code));
    else io.stdout.write(summaryText(outcome, rejected, destination.kind === 'folder' ? outDir : null));
    return code;
  } catch (err) {
    if (err instanceof UsageError) throw err;
    if (err instanceof CloudListingError) {
      io.stderr.write(`convoy convert: ${err.message}\n`);
      return err.exitCode;
    }
    io.stderr.write(`convoy convert: ${(err as Error)?.message ?? String(err)}\n`);
    return err instanceof ContractError && err.code === 'invalid_argument' ? ExitCode.validation : ExitCode.failed;
  } finally {
    cleanup();
    await core.close();
  }
}

async function findProfile(core: Core, name: string): Promise<string> {
  const list = await core.handlers['destinations.list'](undefined).catch(() => null);
  if (!list) throw new UsageError('--destination: destination profiles are not available in this build');
  const found = list.find((p) => p.name.toLowerCase() === name.trim().toLowerCase());
  if (!found) {
    const names = list.map((p) => `"${p.name}"`).join(', ');
    throw new UsageError(`--destination: no profile named "${name}"${names ? ` (saved: ${names})` : ' (none saved)'}`);
  }
  return found.id;
}

/** Waits for the core's first callback self-test and says which mode this run uses, and why (and every switch after). */
async function announceCallbacks(core: Core, io: CliIO, json: boolean): Promise<() => void> {
  const status = await core.callbacks.start();
  if (!json && (status.mode === 'callback' || status.publicUrl || status.lastProbe)) {
    const { describeCallbackStatus } = await import('../../callbacks/index');
    io.stdout.write(`${describeCallbackStatus(status)}\n`);
  }
  return json ? () => {} : printCallbackSwitches(core.events, io, status.mode);
}

export const command: CliCommand = {
  name: 'convert',
  summary: 'Convert files, folders and URLs (persistent queue; see "resume")',
  usage,
  run,
};
export default command;
