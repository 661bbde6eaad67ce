/**
 * `convoy convert <files|folders|URLs…> --to <format> …` — adds one batch to the persistent queue
 * of the data folder and runs it to the end, through the same core as the desktop app.
 */
import { parseArgs } from 'node:util';
import { ContractError, type AddItem, type ConflictPolicy, type ConversionOptions, type Destination } from '../../../preload/contract';
import { createCore, type Core } from '../../core';
import { registerSecret } from '../../log';
import { resolveDataDir } from '../../paths';
import { expandPaths } from '../../queue/index';
import { dispatch } from '../../service';
import { publicUrlProblem } from '../../callbacks/probe';
import { ExitCode, UsageError, type CliCommand, type CliIO } from '../cli-types';
import { exitCodeFor, jsonReport, runToEnd, summaryText, type Rejected } from './run-report';
import { CloudListingError, cloudFlagOptions, cloudFlagUsage, cloudItems, planCloud, printCallbackSwitches } from './cloud-input-flags';

const usage = `Usage: convoy convert <files|folders|URLs…> --to <format> [options]

Converts files, folders and http(s) URLs through the api2convert API (or the built-in local engine)
with a persistent queue: an interrupted run continues with "convoy resume".

Options:
  --to <format>                  Target format (png, pdf, mp3…) (required)
  --option <key=value>           Conversion option, repeatable (e.g. --option quality=80)
  --out-dir <dir>                Output folder (default: the current folder)
  --recursive                    Include files in subfolders of the given folders
  --concurrency <n>              Jobs in flight, 1–64 (default: the settings' value)
  --on-conflict <policy>         rename (default): "name (1).ext" | overwrite | skip
  --engine <baseUrl>             API base URL, e.g. http://127.0.0.1:5123/v2 (needs an API key)
  --api-key <key>                api2convert API key (or API2CONVERT_API_KEY, or the keychain)
  --data-dir <dir>               Data folder (queue database, logs); default CONVOY_HOME or the app folder
  --destination <name>           Send results to this saved destination profile instead of a folder
  --public-url <url>             Public URL for job callbacks (instead of polling)
  --callback-port <port>         Local port of the callback server
  --offline-timeout <seconds>    Stop (exit 6, resumable) after being offline this long (default 600; 0 = wait forever)
  --json                         Print one JSON document (no progress)
  --verbose                      Echo the log to stderr

Without an API key and without --engine, the built-in local engine converts in this process.
${cloudFlagUsage}`;

/** `key=value` → typed option value (numbers and booleans as such). */
export function parseOption(text: string): [string, string | number | boolean] {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new UsageError(`--option must be key=value (got "${text}")`);
  const key = text.slice(0, eq).trim();
  const raw = text.slice(eq + 1).trim();
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(key)) throw new UsageError(`--option: invalid option name "${key}"`);
  if (raw === 'true' || raw === 'false') return [key, raw === 'true'];
  if (/^-?\d+(\.\d+)?$/.test(raw)) return [key, Number(raw)];
  return [key, raw];
}

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

/**
 * The key for `--engine`: the flag, the environment, else the keychain's. (Without --engine the
 * core itself takes the environment's key or, when api2convert is the chosen provider, the
 * keychain's, and otherwise runs the local engine.)
 */
export async function engineApiKey(flag: string | undefined, io: CliIO, dataDir: string): Promise<string | null> {
  const key = flag?.trim() || io.env.API2CONVERT_API_KEY?.trim();
  if (key) return key;
  try {
    const { createSecretStore, API_KEY_NAME } = await import('../../secrets/index');
    const store = await withTimeout(createSecretStore({ dataDir, probeTimeoutMs: 5000 }), 8000);
    return (await withTimeout(store.get(API_KEY_NAME), 5000)) || null;
  } catch {
    return null;
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error('timeout')), ms).unref())]);
}

/** Builds the core the CLI runs on: the API (flag/env/keychain key, or the local engine) and the queue. */
export async function coreForCli(
  values: { engine?: string; 'api-key'?: string; 'data-dir'?: string; verbose?: boolean },
  io: CliIO,
  queue: NonNullable<Parameters<typeof createCore>[0]['queue']>,
  callbacks?: Parameters<typeof createCore>[0]['callbacks'],
): Promise<Core> {
  const engine = values.engine ? normalizeEngineUrl(values.engine) : undefined;
  if (values['api-key'] !== undefined && !values['api-key'].trim()) throw new UsageError('--api-key is empty');
  let apiKey = values['api-key']?.trim() || undefined;
  if (engine && !apiKey) {
    apiKey = (await engineApiKey(undefined, io, resolveDataDir(values['data-dir'] ?? null, io.env))) ?? undefined;
    if (!apiKey) throw new UsageError('--engine needs an API key: pass --api-key, set API2CONVERT_API_KEY or store one in the app');
  }
  registerSecret(apiKey);
  registerSecret(io.env.API2CONVERT_API_KEY);
  return createCore({
    shell: 'cli',
    dataDir: values['data-dir'] ?? null,
    apiBaseUrl: engine,
    apiKey,
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
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        to: { type: 'string' },
        option: { type: 'string', multiple: true },
        'out-dir': { type: 'string' },
        recursive: { type: 'boolean' },
        concurrency: { type: 'string' },
        'on-conflict': { type: 'string' },
        engine: { type: 'string' },
        'api-key': { type: 'string' },
        'data-dir': { type: 'string' },
        destination: { type: 'string' },
        'public-url': { type: 'string' },
        'callback-port': { type: 'string' },
        'offline-timeout': { type: 'string' },
        json: { type: 'boolean' },
        verbose: { type: 'boolean' },
        ...cloudFlagOptions,
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  const fromCloud = values['input-cloud'] !== undefined || values['input-profile'] !== undefined;
  if (positionals.length === 0 && !fromCloud) throw new UsageError('Give at least one file, folder or URL to convert');
  const target = values.to?.trim().toLowerCase().replace(/^\./, '');
  if (!target) throw new UsageError('--to <format> is required');
  if (!/^[a-z0-9][a-z0-9_-]{0,63}$/.test(target)) throw new UsageError(`--to: "${values.to}" is not a format name`);
  const options: ConversionOptions = {};
  for (const o of values.option ?? []) {
    const [k, v] = parseOption(o);
    options[k] = v;
  }
  const concurrency = parseCount('--concurrency', values.concurrency, 1, 64);
  const conflict = values['on-conflict'];
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
  const cloud = planCloud(values, positionals, io);
  if (cloud.output && (values['out-dir'] !== undefined || values.destination !== undefined)) throw new UsageError('Use one of --out-dir, --destination or --output-target');
  const outDir = values['out-dir'] ?? process.cwd();

  // Inputs in the given order: URLs as they are; paths expanded (folders → their files, keeping the structure).
  const items: AddItem[] = [];
  for (const arg of positionals) {
    if (looksLikeUrl(arg)) {
      items.push({ source: { kind: 'url', url: arg, ...(cloud.filename ? { filename: cloud.filename } : {}) } });
      continue;
    }
    for (const f of await expandPaths([arg], Boolean(values.recursive))) {
      items.push({ source: { kind: 'file', path: f.path, ...(f.relDir !== undefined ? { relDir: f.relDir } : {}) } });
    }
  }
  const rejected: Rejected[] = [];
  if (items.length === 0 && !cloud.input) {
    io.stderr.write('convoy convert: the given folders contain no files\n');
    return ExitCode.usage;
  }

  let core: Core;
  try {
    core = await coreForCli(values, io, {
      concurrency,
      conflictPolicy: conflict as ConflictPolicy | undefined,
      outputDir: outDir,
      autoResume: false,
    }, { publicUrl, port: callbackPort });
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
