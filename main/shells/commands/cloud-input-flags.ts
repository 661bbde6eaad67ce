/**
 * `convoy convert`'s cloud flags, named as the official api2convert CLI names them:
 *
 *   --input-cloud amazons3|azure|googlecloud|ftp   --input-param key=value (repeatable)
 *   --input-credentials-file <json> | env A2C_INPUT_CREDENTIALS | --input-profile <name>
 *   --output-target <provider> --output-param key=value --output-credentials-file <json> | env A2C_OUTPUT_CREDENTIALS
 *
 * plus `--filename` (the suggested name of a URL input). Credentials never come from argv: only
 * the file's path or the variable's name is kept with the queued items, and the credentials are
 * read again when a job is created. A prefix (`file=photos/`, `prefix=photos/`) or a wildcard
 * (`file=photos/*.jpg`) is listed with the provider's official client: one item per object.
 */
import path from 'node:path';
import { ContractError, type AddItem, type CloudAccountRef, type Destination } from '../../../preload/contract';
import { destinationForms } from '../../../preload/destination-forms';
import type { Core } from '../../core';
import { resolveAccount } from '../../destinations/cloud-account';
import { describeCallbackStatus } from '../../callbacks/index';
import type { EventBus } from '../../events';
import { ExitCode, UsageError, type CliIO } from '../cli-types';

export const cloudFlagOptions = {
  'input-cloud': { type: 'string' },
  'input-param': { type: 'string', multiple: true },
  'input-credentials-file': { type: 'string' },
  'input-profile': { type: 'string' },
  'output-target': { type: 'string' },
  'output-param': { type: 'string', multiple: true },
  'output-credentials-file': { type: 'string' },
  filename: { type: 'string' },
} as const;

export const cloudFlagUsage = `
Cloud inputs and outputs (the official api2convert CLI's flags; credentials never on the command line):
  --input-cloud <provider>       Read the source from amazons3 | azure | googlecloud | ftp (no file arguments then)
  --input-param <key=value>      Repeatable: bucket, region, container, projectid, host, port, and
                                 file=<key> (one object), file=<folder>/ or prefix=<folder>/ (every object
                                 below it) or file=<folder>/*.jpg (a wildcard): one item per object
  --input-credentials-file <f>   JSON file with the provider's credentials (or env A2C_INPUT_CREDENTIALS),
                                 e.g. {"accesskeyid": "…", "secretaccesskey": "…"}
  --input-profile <name>         Read through a saved destination profile instead (with --input-param file=…)
  --output-target <provider>     Deliver results to amazons3 | azure | googlecloud | ftp instead of a folder
  --output-param <key=value>     Repeatable: bucket, container, host…, and file=<path template> (default
                                 convoy/{date}/{batch}/{folder}/{name}.{ext})
  --output-credentials-file <f>  JSON file with the target's credentials (or env A2C_OUTPUT_CREDENTIALS)
  --filename <name>              Suggested file name for a single URL input (the API's "filename")`;

type CloudValues = { [K in keyof typeof cloudFlagOptions]?: (typeof cloudFlagOptions)[K] extends { multiple: true } ? string[] : string };

const PROVIDERS = ['amazons3', 'azure', 'googlecloud', 'ftp'] as const;
type Provider = (typeof PROVIDERS)[number];

/** Most objects one prefix or wildcard may turn into items. */
const MAX_LISTED = 10_000;

function provider(flag: string, text: string): Provider {
  const p = text.trim().toLowerCase();
  if ((PROVIDERS as readonly string[]).includes(p)) return p as Provider;
  if (p === 'gdrive' || p === 'youtube') throw new UsageError(`${flag} ${p} is not available here; use one of ${PROVIDERS.join(', ')}`);
  throw new UsageError(`${flag} must be one of ${PROVIDERS.join(', ')} (got "${text}")`);
}

/** Repeated key=value flags → parameters; values stay verbatim strings. */
export function parseCloudParams(flag: string, list: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of list ?? []) {
    const eq = kv.indexOf('=');
    const key = eq > 0 ? kv.slice(0, eq).trim() : '';
    if (!key) throw new UsageError(`${flag} must be key=value (got "${kv}")`);
    if (!/^[a-z_]{1,32}$/i.test(key)) throw new UsageError(`${flag}: "${key}" is not a parameter name`);
    out[key.toLowerCase()] = kv.slice(eq + 1);
  }
  return out;
}

function credentialsFrom(
  fileFlag: string,
  file: string | undefined,
  envName: 'A2C_INPUT_CREDENTIALS' | 'A2C_OUTPUT_CREDENTIALS',
  io: CliIO,
): CloudAccountRef['credentialsFrom'] | null {
  if (file !== undefined) {
    if (!file.trim()) throw new UsageError(`${fileFlag} is empty`);
    // Absolute, so that "convoy resume" from another folder finds it again.
    return { kind: 'file', path: path.resolve(file) };
  }
  if (io.env[envName]?.trim()) return { kind: 'env', name: envName };
  return null;
}

/** Checks an account now (credentials readable, fields valid) so a mistake is a usage error, not N failed items. */
function checked(ref: CloudAccountRef, io: CliIO, forOutput: boolean, flag: string): CloudAccountRef {
  try {
    resolveAccount(ref, io.env, { forOutput });
  } catch (err) {
    if (err instanceof ContractError) throw new UsageError(`${flag}: ${err.message}`);
    throw err;
  }
  return ref;
}

/** What the flags ask for before the core exists: which cloud input (if any) and the output account. */
export interface CloudPlan {
  input: { account?: CloudAccountRef; profileName?: string; file: string; prefix: boolean } | null;
  output: Destination | null;
  filename: string | undefined;
}

export function planCloud(values: CloudValues, positionals: string[], io: CliIO): CloudPlan {
  const plan: CloudPlan = { input: null, output: null, filename: undefined };

  // --filename: the suggested name of one URL input.
  if (values.filename !== undefined) {
    const name = values.filename.trim();
    if (!name || name.length > 255 || /[\0\r\n]/.test(name)) throw new UsageError('--filename must be a file name of 1–255 characters');
    if (positionals.length !== 1 || !/^https?:\/\//i.test(positionals[0]!)) throw new UsageError('--filename applies to a single http(s) URL input');
    plan.filename = name;
  }

  const inputParams = parseCloudParams('--input-param', values['input-param']);
  if (values['input-cloud'] !== undefined || values['input-profile'] !== undefined) {
    if (values['input-cloud'] !== undefined && values['input-profile'] !== undefined)
      throw new UsageError('Use either --input-cloud or --input-profile, not both');
    if (positionals.length) throw new UsageError('--input-cloud/--input-profile take no file or URL arguments (the source is the cloud location)');
    const { file: fileParam, prefix: prefixParam, ...rest } = inputParams;
    if (fileParam !== undefined && prefixParam !== undefined) throw new UsageError('Give --input-param file=… or prefix=…, not both');
    const file = (fileParam ?? prefixParam ?? '').trim();
    if (!file && prefixParam === undefined) throw new UsageError('--input-param file=<key> (or prefix=<folder>/) is required: which object(s) to read');
    const prefix = prefixParam !== undefined;
    if (values['input-profile'] !== undefined) {
      if (Object.keys(rest).length) throw new UsageError(`With --input-profile only file= or prefix= are taken (got ${Object.keys(rest).join(', ')})`);
      if (values['input-credentials-file'] !== undefined)
        throw new UsageError('--input-profile brings its own credentials; leave out --input-credentials-file');
      plan.input = { profileName: values['input-profile'], file, prefix };
    } else {
      const type = provider('--input-cloud', values['input-cloud']!);
      const known = destinationForms[type].fields.filter((f) => f.place === 'parameters' && f.key !== 'file').map((f) => f.key);
      for (const key of Object.keys(rest)) {
        if (!known.includes(key))
          throw new UsageError(`--input-param ${key}: ${destinationForms[type].label} inputs take ${[...known, 'file', 'prefix'].join(', ')}`);
      }
      const from = credentialsFrom('--input-credentials-file', values['input-credentials-file'], 'A2C_INPUT_CREDENTIALS', io);
      if (!from) throw new UsageError('Cloud credentials are needed: --input-credentials-file <json>, env A2C_INPUT_CREDENTIALS, or --input-profile <name>');
      plan.input = { account: checked({ type, parameters: rest, credentialsFrom: from }, io, false, '--input-cloud'), file, prefix };
    }
  } else if (values['input-param'] !== undefined || values['input-credentials-file'] !== undefined) {
    throw new UsageError('--input-param/--input-credentials-file need --input-cloud <provider> (or --input-profile <name>)');
  }

  if (values['output-target'] !== undefined) {
    const type = provider('--output-target', values['output-target']);
    const params = parseCloudParams('--output-param', values['output-param']);
    const known = destinationForms[type].fields.filter((f) => f.place === 'parameters').map((f) => f.key);
    for (const key of Object.keys(params)) {
      if (!known.includes(key)) throw new UsageError(`--output-param ${key}: ${destinationForms[type].label} targets take ${known.join(', ')}`);
    }
    const from = credentialsFrom('--output-credentials-file', values['output-credentials-file'], 'A2C_OUTPUT_CREDENTIALS', io);
    if (!from) throw new UsageError('--output-target needs credentials: --output-credentials-file <json> or env A2C_OUTPUT_CREDENTIALS');
    plan.output = { kind: 'cloud', account: checked({ type, parameters: params, credentialsFrom: from }, io, true, '--output-target') };
  } else if (values['output-param'] !== undefined || values['output-credentials-file'] !== undefined) {
    throw new UsageError('--output-param/--output-credentials-file need --output-target <provider>');
  }
  return plan;
}

/** A listing failure, as the CLI reports it: the provider's reason and the exit code it means. */
export class CloudListingError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'CloudListingError';
  }
}

/**
 * The items of a cloud input: one object, or every object under a prefix / matching a wildcard,
 * listed with the provider's client. A single object is checked too (wrong credentials fail here,
 * once, in the provider's words) unless the account may read but not list.
 */
export async function cloudItems(core: Core, input: NonNullable<CloudPlan['input']>): Promise<AddItem[]> {
  const { fileSelection } = await import('../../destinations/browse');
  let from: { profileId?: string; account?: CloudAccountRef };
  if (input.profileName !== undefined) {
    const p = core.destinations.byName(input.profileName);
    if (!p) {
      const names = core.destinations
        .list()
        .map((x) => `"${x.name}"`)
        .join(', ');
      throw new UsageError(`--input-profile: no profile named "${input.profileName}"${names ? ` (saved: ${names})` : ' (none saved)'}`);
    }
    from = { profileId: p.id };
  } else {
    from = { account: input.account };
  }
  const sel = input.prefix ? ({ kind: 'prefix', prefix: input.file } as const) : fileSelection(input.file);
  const item = (file: string): AddItem => ({ source: { kind: 'cloud', ...from, file } });
  const list = async (prefix: string, limit: number) => {
    try {
      return await core.destinations.browse(from, { prefix, recursive: true, limit });
    } catch (err) {
      if (!(err instanceof ContractError)) throw err;
      const code = err.code === 'cloud_auth' ? ExitCode.auth : err.code === 'cloud_unreachable' ? ExitCode.network : ExitCode.validation;
      // Reading without listing is a valid set-up: a single object is then left to the API.
      if (sel.kind === 'one' && /\(AccessDenied\)|HTTP 403|may not list/i.test(err.message) && code !== ExitCode.auth) return null;
      throw new CloudListingError(err.message, code);
    }
  };
  if (sel.kind === 'one') {
    const found = await list(sel.key, 100);
    const wanted = new Set([sel.key, sel.key.replace(/^\/+/, '')]);
    if (found && !found.entries.some((e) => !e.folder && wanted.has(e.key))) {
      const more = found.entries.some((e) => e.key.startsWith(`${sel.key.replace(/\/+$/, '')}/`));
      throw new CloudListingError(
        `"${sel.key}" was not found${more ? `; it is a folder: end it with / to convert every object in it` : ''}`,
        ExitCode.validation,
      );
    }
    return [item(sel.key)];
  }
  const found = (await list(sel.prefix, MAX_LISTED))!;
  const keys = found.entries.filter((e) => !e.folder && (sel.kind === 'prefix' || sel.match.test(e.key))).map((e) => e.key);
  if (found.truncated)
    throw new CloudListingError(`More than ${MAX_LISTED} objects under "${sel.prefix}"; narrow the prefix or the wildcard`, ExitCode.validation);
  if (keys.length === 0)
    throw new CloudListingError(`No objects ${sel.kind === 'prefix' ? `under "${sel.prefix || '/'}"` : `match "${input.file}"`}`, ExitCode.validation);
  return keys.map(item);
}

/** Prints every callback mode switch while a run lasts (the start line is printed by convert). */
export function printCallbackSwitches(events: EventBus, io: CliIO, initial: 'callback' | 'polling'): () => void {
  let mode = initial;
  return events.on('callbackStatus', (s) => {
    if (s.mode === mode) return;
    mode = s.mode;
    io.stdout.write(`${describeCallbackStatus(s)}\n`);
  });
}
