/**
 * `convoy destinations list | add <type> <name> … | test <name> | remove <name> | export | import`
 *
 * Secrets are read from stdin (`--password-stdin`, `--account-key-stdin`,
 * `--secret-access-key-stdin`, `--session-token-stdin`) or a file (`--keyfile <path>`), never from
 * the command line, where shell history and process lists would keep them.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ContractError, DestinationType, type ProfileView } from '../../../preload/contract';
import { DEFAULT_FILE_TEMPLATE, destinationForms, TEMPLATE_VARIABLES } from '../../../preload/destination-forms';
import { openDatabase } from '../../db';
import { createDestinations, endpointsFromEnv, type Destinations } from '../../destinations';
import { EventBus } from '../../events';
import { createLogger, registerSecret, type Logger } from '../../log';
import { resolveDataDir } from '../../paths';
import { createSecretStore, type SecretStore } from '../../secrets';
import { ExitCode, UsageError, type CliCommand, type CliIO } from '../cli-types';

function typeUsage(): string {
  return Object.values(destinationForms)
    .map((form) => {
      const flags = form.fields.map((f) => {
        const value = f.secret ? (f.kind === 'keyfile' ? ' <path|->' : '') : f.kind === 'number' ? ' <n>' : f.kind === 'template' ? ' <template>' : ' <value>';
        const flag = `${f.cliFlag}${value}`;
        return f.required && !f.default ? flag : `[${flag}]`;
      });
      return `  ${form.type.padEnd(12)}${flags.join(' ')}`;
    })
    .join('\n');
}

const usage = `Usage:
  convoy destinations list [--json]
  convoy destinations add <type> <name> [provider flags] [--replace]
  convoy destinations test <name>
  convoy destinations remove <name>
  convoy destinations export [--output <file>]
  convoy destinations import <file>

Types and their flags (the api2convert guide's fields):
${typeUsage()}

  --path is a file path template (default ${DEFAULT_FILE_TEMPLATE}) with
  ${TEMPLATE_VARIABLES.map((v) => `{${v}}`).join(', ')}.
  Secrets never go on the command line: --*-stdin flags read them from standard input (one line
  each, in the order of the flags), --keyfile reads a Google Cloud service account key file
  ("-" = standard input).
  --replace updates an existing profile of that name; secrets not given are kept.

Options:
  --data-dir <dir>   Data folder (default: CONVOY_HOME or the OS application-data folder)
  --json             Machine-readable output (list)

"convoy destinations test <name>" exits 0 only when login and a probe write succeed.
Exit codes: 0 ok, 1 failed, 2 usage, 3 auth failed, 5 invalid profile, 6 unreachable.

Environment (development and tests only):
  CONVOY_S3_ENDPOINT, CONVOY_AZURE_ENDPOINT, CONVOY_GCS_ENDPOINT   Use these endpoints instead of
  Amazon S3, Azure ({account} is replaced by the account name) and Google Cloud Storage.
`;

/** Flags that would put a secret on the command line, and what to use instead. */
const FORBIDDEN_SECRET_FLAGS: Record<string, string> = {
  '--password': '--password-stdin',
  '--account-key': '--account-key-stdin',
  '--accountkey': '--account-key-stdin',
  '--secret-access-key': '--secret-access-key-stdin',
  '--secretaccesskey': '--secret-access-key-stdin',
  '--session-token': '--session-token-stdin',
  '--sessiontoken': '--session-token-stdin',
  '--keyfile-json': '--keyfile <path>',
};

interface Parsed {
  positional: string[];
  values: Map<string, string>;
  switches: Set<string>;
  /** Secret flags in the order given. */
  secretFlags: string[];
}

const VALUE_FLAGS_COMMON = new Set(['--data-dir', '--output']);
const SWITCHES = new Set(['--json', '--replace']);

function parseArgs(argv: string[]): Parsed {
  const valueFlags = new Set<string>(VALUE_FLAGS_COMMON);
  const stdinFlags = new Set<string>();
  for (const form of Object.values(destinationForms)) {
    for (const f of form.fields) {
      if (f.secret && f.kind !== 'keyfile') stdinFlags.add(f.cliFlag);
      else valueFlags.add(f.cliFlag);
    }
  }
  const out: Parsed = { positional: [], values: new Map(), switches: new Set(), secretFlags: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) {
      out.positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    if (FORBIDDEN_SECRET_FLAGS[flag]) {
      throw new UsageError(`${flag} is not accepted: secrets are never read from the command line. Use ${FORBIDDEN_SECRET_FLAGS[flag]}.`);
    }
    if (SWITCHES.has(flag)) {
      out.switches.add(flag);
    } else if (stdinFlags.has(flag)) {
      if (eq > 0) throw new UsageError(`${flag} takes no value: the secret is read from standard input`);
      if (!out.secretFlags.includes(flag)) out.secretFlags.push(flag);
    } else if (valueFlags.has(flag)) {
      const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined) throw new UsageError(`${flag} needs a value`);
      out.values.set(flag, value);
    } else {
      throw new UsageError(`unknown option ${flag}`);
    }
  }
  return out;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

interface Env {
  dataDir: string;
  log: Logger;
  secrets: SecretStore;
  destinations: Destinations;
  close(): void;
}

async function openEnv(parsed: Parsed, io: CliIO): Promise<Env> {
  const dataDir = resolveDataDir(parsed.values.get('--data-dir'), io.env);
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const log = createLogger(dataDir);
  const secrets = await createSecretStore({ log, dataDir });
  const db = openDatabase(dataDir);
  const destinations = createDestinations({ db, secrets, events: new EventBus(), log, endpoints: endpointsFromEnv(io.env) });
  const status = secrets.status();
  if (status.warning) io.stderr.write(`Warning: ${status.warning}\n`);
  return { dataDir, log, secrets, destinations, close: () => db.close() };
}

function describeProfile(p: ProfileView): string {
  const f = p.fields;
  switch (p.type) {
    case 'ftp':
      return `ftp://${f.username ? `${f.username}@` : ''}${f.host}:${f.port ?? 21}/${String(f.file ?? '').replace(/^\/+/, '')}`;
    case 'azure':
      return `azure ${f.accountname}/${f.container}/${f.file}`;
    case 'googlecloud':
      return `gs://${f.bucket}/${f.file} (project ${f.projectid})`;
    case 'amazons3':
      return `s3://${f.bucket}/${f.file} (${f.region})`;
  }
}

function exitCodeFor(code: string): number {
  switch (code) {
    case 'ok':
      return ExitCode.ok;
    case 'auth':
      return ExitCode.auth;
    case 'unreachable':
    case 'tls':
      return ExitCode.network;
    case 'invalid':
      return ExitCode.validation;
    default:
      return ExitCode.failed;
  }
}

async function list(parsed: Parsed, io: CliIO): Promise<number> {
  const env = await openEnv(parsed, io);
  try {
    const profiles = env.destinations.list();
    if (parsed.switches.has('--json')) {
      io.stdout.write(`${JSON.stringify(profiles, null, 2)}\n`);
      return ExitCode.ok;
    }
    if (!profiles.length) {
      io.stdout.write('No destination profiles. Add one with "convoy destinations add <type> <name> …".\n');
      return ExitCode.ok;
    }
    const width = Math.max(4, ...profiles.map((p) => p.name.length));
    io.stdout.write(`${'NAME'.padEnd(width)}  ${'TYPE'.padEnd(11)}  WHERE\n`);
    for (const p of profiles) {
      const missing = destinationForms[p.type].fields.filter((f) => f.secret && f.required && !p.secretsSet.includes(f.key));
      const note = missing.length ? `  (no ${missing.map((f) => f.label.toLowerCase()).join(', ')} stored)` : '';
      io.stdout.write(`${p.name.padEnd(width)}  ${p.type.padEnd(11)}  ${describeProfile(p)}${note}\n`);
    }
    return ExitCode.ok;
  } finally {
    env.close();
  }
}

async function add(parsed: Parsed, io: CliIO): Promise<number> {
  const [, typeArg, name, ...extra] = parsed.positional;
  if (!typeArg || !name) throw new UsageError('add needs a type and a name: convoy destinations add <type> <name> …');
  if (extra.length) throw new UsageError(`unexpected argument "${extra[0]}"`);
  const type = DestinationType.safeParse(typeArg);
  if (!type.success) throw new UsageError(`unknown type "${typeArg}"; use one of ${DestinationType.options.join(', ')}`);
  const form = destinationForms[type.data];

  const fields: Record<string, string> = {};
  const secretValues: Record<string, string> = {};
  const allowed = new Set(form.fields.map((f) => f.cliFlag));
  for (const flag of [...parsed.values.keys(), ...parsed.secretFlags]) {
    if (!VALUE_FLAGS_COMMON.has(flag) && !allowed.has(flag)) throw new UsageError(`${flag} does not apply to ${type.data} profiles`);
  }
  for (const f of form.fields) {
    if (!f.secret && parsed.values.has(f.cliFlag)) fields[f.key] = parsed.values.get(f.cliFlag)!;
  }

  // Secrets: the keyfile from a file (or stdin), the others one line each from stdin.
  const keyfileField = form.fields.find((f) => f.kind === 'keyfile');
  const keyfileArg = keyfileField ? parsed.values.get(keyfileField.cliFlag) : undefined;
  if (keyfileArg === '-' && parsed.secretFlags.length) throw new UsageError('--keyfile - reads standard input, which cannot also carry other secrets');
  if (parsed.secretFlags.length || keyfileArg === '-') {
    if (io.stdin.isTTY) {
      const names =
        keyfileArg === '-' ? 'the key file' : parsed.secretFlags.map((fl) => form.fields.find((f) => f.cliFlag === fl)!.label.toLowerCase()).join(', then ');
      io.stderr.write(`Enter ${names} (one per line), then press Ctrl-D:\n`);
    }
    const input = await readAll(io.stdin);
    if (keyfileArg === '-') {
      secretValues[keyfileField!.key] = input;
    } else {
      const lines = input.split(/\r?\n/);
      parsed.secretFlags.forEach((flag, i) => {
        const field = form.fields.find((f) => f.cliFlag === flag)!;
        const value = lines[i] ?? '';
        if (!value) throw new UsageError(`${flag}: standard input has no ${i === 0 ? 'first' : `line ${i + 1} for the`} ${field.label.toLowerCase()}`);
        registerSecret(value);
        secretValues[field.key] = value;
      });
    }
  }
  if (keyfileArg && keyfileArg !== '-') {
    try {
      secretValues[keyfileField!.key] = fs.readFileSync(path.resolve(keyfileArg), 'utf8');
    } catch (err) {
      io.stderr.write(`convoy destinations: cannot read the key file ${keyfileArg}: ${(err as NodeJS.ErrnoException).code ?? 'error'}\n`);
      return ExitCode.failed;
    }
  }

  const env = await openEnv(parsed, io);
  try {
    const status = env.secrets.status();
    if (status.backend === 'memory' && Object.keys(secretValues).length) {
      io.stderr.write('convoy destinations: not saved: without a keychain the secrets would be lost when this command ends (see the warning above)\n');
      return ExitCode.failed;
    }
    const existing = env.destinations.byName(name);
    if (existing && !parsed.switches.has('--replace')) {
      io.stderr.write(`convoy destinations: a profile named "${existing.name}" already exists; add --replace to update it\n`);
      return ExitCode.failed;
    }
    // --replace keeps the fields that were not given.
    const merged = existing && existing.type === type.data ? { ...existing.fields, ...fields } : fields;
    const saved = await env.destinations.save({ id: existing?.id, name, type: type.data, fields: merged, secrets: secretValues });
    io.stdout.write(`${existing ? 'Updated' : 'Saved'} ${form.label} profile "${saved.name}": ${describeProfile(saved)}\n`);
    const missing = form.fields.filter((f) => f.secret && f.required && !saved.secretsSet.includes(f.key));
    if (missing.length) io.stderr.write(`Note: no ${missing.map((f) => f.label.toLowerCase()).join(', ')} stored yet.\n`);
    return ExitCode.ok;
  } catch (err) {
    return reportError(err, io);
  } finally {
    env.close();
  }
}

async function byNameOrFail(env: Env, name: string | undefined, io: CliIO, verb: string): Promise<ProfileView | null> {
  if (!name) throw new UsageError(`${verb} needs a profile name`);
  const p = env.destinations.byName(name);
  if (!p) io.stderr.write(`convoy destinations: no profile named "${name}" (see "convoy destinations list")\n`);
  return p;
}

async function test(parsed: Parsed, io: CliIO): Promise<number> {
  const env = await openEnv(parsed, io);
  try {
    const p = await byNameOrFail(env, parsed.positional[1], io, 'test');
    if (!p) return ExitCode.failed;
    const r = await env.destinations.test({ id: p.id });
    if (r.ok) io.stdout.write(`OK: ${r.message}\n`);
    else io.stderr.write(`Failed (${r.code}): ${r.message}\n`);
    return exitCodeFor(r.code);
  } catch (err) {
    return reportError(err, io);
  } finally {
    env.close();
  }
}

async function remove(parsed: Parsed, io: CliIO): Promise<number> {
  const env = await openEnv(parsed, io);
  try {
    const p = await byNameOrFail(env, parsed.positional[1], io, 'remove');
    if (!p) return ExitCode.failed;
    await env.destinations.remove(p.id);
    io.stdout.write(`Removed profile "${p.name}" and its stored secrets\n`);
    return ExitCode.ok;
  } catch (err) {
    return reportError(err, io);
  } finally {
    env.close();
  }
}

async function exportCmd(parsed: Parsed, io: CliIO): Promise<number> {
  const env = await openEnv(parsed, io);
  try {
    const json = env.destinations.exportJson();
    const out = parsed.values.get('--output');
    if (out) {
      fs.writeFileSync(path.resolve(out), json, { mode: 0o600 });
      io.stdout.write(`Exported ${env.destinations.list().length} profile(s) to ${out} (without secrets)\n`);
    } else {
      io.stdout.write(json);
    }
    return ExitCode.ok;
  } finally {
    env.close();
  }
}

async function importCmd(parsed: Parsed, io: CliIO): Promise<number> {
  const file = parsed.positional[1];
  if (!file) throw new UsageError('import needs a file (or - for standard input)');
  let json: string;
  try {
    json = file === '-' ? await readAll(io.stdin) : fs.readFileSync(path.resolve(file), 'utf8');
  } catch (err) {
    io.stderr.write(`convoy destinations: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}\n`);
    return ExitCode.failed;
  }
  const env = await openEnv(parsed, io);
  try {
    const r = await env.destinations.importJson(json);
    for (const p of r.imported)
      io.stdout.write(`Imported "${p.name}" (${p.type}); enter its secrets with: convoy destinations add ${p.type} "${p.name}" --replace …\n`);
    for (const e of r.errors) io.stderr.write(`${e}\n`);
    return r.errors.length && !r.imported.length ? ExitCode.validation : ExitCode.ok;
  } finally {
    env.close();
  }
}

function reportError(err: unknown, io: CliIO): number {
  if (err instanceof ContractError) {
    io.stderr.write(`convoy destinations: ${err.message}\n`);
    if (err.code === 'invalid_argument') return ExitCode.validation;
    return ExitCode.failed;
  }
  throw err;
}

export const command: CliCommand = {
  name: 'destinations',
  summary: 'Manage destination profiles (FTP, Azure Blob, Google Cloud Storage, Amazon S3)',
  usage,
  async run(argv: string[], io: CliIO): Promise<number> {
    const parsed = parseArgs(argv);
    const sub = parsed.positional[0];
    switch (sub) {
      case 'list':
        return list(parsed, io);
      case 'add':
        return add(parsed, io);
      case 'test':
        return test(parsed, io);
      case 'remove':
        return remove(parsed, io);
      case 'export':
        return exportCmd(parsed, io);
      case 'import':
        return importCmd(parsed, io);
      case undefined:
        throw new UsageError('missing subcommand');
      default:
        throw new UsageError(`unknown subcommand "${sub}"`);
    }
  },
};

export default command;
