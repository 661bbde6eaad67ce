/**
 * `convoy login` and `convoy config` — the official CLI's names, Convoy's storage: the API key goes
 * to the OS keychain (never a file; the official CLI keeps it in a 0600 config file), the other
 * settings to the app's settings (shared with the desktop app).
 */
import path from 'node:path';
import readline from 'node:readline';
import { ConflictPolicy } from '../../../preload/contract';
import { registerSecret } from '../../log';
import { resolveDataDir } from '../../paths';
import { API_KEY_NAME, contractsKeyChecker, maskApiKey } from '../../secrets/index';
import { SettingsStore } from '../../settings/store';
import { ExitCode, UsageError, parseFlags, type CliCommand, type CliIO } from '../cli-types';
import { CliFailure, reportFailure } from '../cli-errors';
import { cliSecretStore } from './api-key';
import { normalizeEngineUrl } from './convert';

const loginUsage = `Usage: convoy login [--base-url <url>] [--data-dir <dir>]

Reads your api2convert API key (masked on a terminal; else one line from stdin), checks it with the
API, stores it in the OS keychain and makes api2convert the provider (the desktop app uses it too).

Convoy keeps the key in the OS keychain only — never in a file. (The official CLI saves it in a
0600 config file.) Where there is no keychain, login refuses and says so: set API2CONVERT_API_KEY.

Options:
  --base-url <url>               Check and use this API (default: the settings' api2convert URL)
  --data-dir <dir>               Data folder (default CONVOY_HOME or the app folder)`;

const CONFIG_KEYS = ['api-key', 'base-url', 'provider', 'concurrency', 'out-dir', 'on-conflict'] as const;
type ConfigKey = (typeof CONFIG_KEYS)[number];

const configUsage = `Usage: convoy config set <key> <value> | get <key> | unset <key> | list | path  [--data-dir <dir>]

Keys: ${CONFIG_KEYS.join(', ')}
  api-key      the keychain's key (shown masked; "set" reads it from stdin, never from the command line)
  base-url     the api2convert API URL          provider     local | api2convert
  concurrency  jobs in flight, 1–64             out-dir      default output folder
  on-conflict  rename | overwrite | skip

Settings live in the app's settings file (shared with the desktop app); the API key lives in the
OS keychain, never in that file. ("path" prints the settings file.)`;

async function readKey(io: CliIO): Promise<string> {
  if (io.stdin.isTTY) {
    // Masked prompt: the typed characters are not echoed.
    const rl = readline.createInterface({ input: io.stdin, output: io.stderr, terminal: true });
    const out = rl as unknown as { _writeToOutput: (s: string) => void; output: NodeJS.WritableStream };
    let prompted = false;
    out._writeToOutput = (s: string) => {
      if (!prompted) {
        prompted = true;
        out.output.write(s);
      }
    };
    const key = await new Promise<string>((resolve) => rl.question('Enter your api2convert API key: ', resolve));
    rl.close();
    io.stderr.write('\n');
    return key.trim();
  }
  let text = '';
  for await (const chunk of io.stdin) {
    text += chunk.toString();
    if (text.includes('\n') || text.length > 4096) break;
  }
  return text.split('\n')[0].trim();
}

async function keychain(dataDir: string, io: CliIO) {
  const store = await cliSecretStore(dataDir, io.env).catch(() => null);
  if (store?.status().backend !== 'keychain') {
    const why = store?.status().warning ?? 'the keychain could not be opened';
    throw new CliFailure(
      `No keychain to keep the key in (${why}). Convoy never writes the key to a file: set API2CONVERT_API_KEY instead.`,
      ExitCode.failed,
      'KeychainError',
    );
  }
  return store;
}

async function login(argv: string[], io: CliIO): Promise<number> {
  const { values } = parseFlags(argv, { 'base-url': { type: 'string' }, 'data-dir': { type: 'string' } }, { positionals: false });
  const dataDir = resolveDataDir(values['data-dir'] ?? null, io.env);
  const settings = new SettingsStore(dataDir);
  const baseUrl = values['base-url'] ? normalizeEngineUrl(values['base-url']) : settings.get().apiBaseUrl;
  try {
    const store = await keychain(dataDir, io);
    const key = await readKey(io);
    if (!key) throw new UsageError('No API key given');
    registerSecret(key);
    try {
      await contractsKeyChecker(baseUrl)(key);
    } catch (err) {
      const code = (err as { code?: string }).code === 'unauthorized' ? ExitCode.auth : ExitCode.network;
      throw new CliFailure((err as Error).message, code, code === ExitCode.auth ? 'AuthenticationError' : 'NetworkError');
    }
    await store.set(API_KEY_NAME, key);
    settings.update({ provider: 'api2convert', apiBaseUrl: baseUrl });
    io.stdout.write(`Signed in to ${baseUrl}. Key ${maskApiKey(key)} saved in the OS keychain.\nTry:  convoy convert myfile.docx --to pdf\n`);
    return ExitCode.ok;
  } catch (err) {
    if (err instanceof UsageError) throw err;
    return reportFailure(io, 'login', err, false);
  }
}

async function config(argv: string[], io: CliIO): Promise<number> {
  const parsed = parseFlags(argv, { 'data-dir': { type: 'string' }, json: { type: 'boolean' } });
  const [sub, key, value, ...extra] = parsed.positionals;
  const dataDir = resolveDataDir(parsed.values['data-dir'] ?? null, io.env);
  const settings = new SettingsStore(dataDir);
  const needKey = (k: string | undefined): ConfigKey => {
    if (!k || !(CONFIG_KEYS as readonly string[]).includes(k)) throw new UsageError(`Unknown config key "${k ?? ''}" (valid: ${CONFIG_KEYS.join(', ')})`);
    return k as ConfigKey;
  };
  const show = async (k: ConfigKey): Promise<string> => {
    const s = settings.get();
    switch (k) {
      case 'api-key': {
        const store = await cliSecretStore(dataDir, io.env).catch(() => null);
        return maskApiKey(store ? await store.get(API_KEY_NAME).catch(() => null) : null) ?? '';
      }
      case 'base-url':
        return s.apiBaseUrl;
      case 'provider':
        return s.provider;
      case 'concurrency':
        return String(s.concurrency);
      case 'out-dir':
        return s.outputDir ?? '';
      case 'on-conflict':
        return s.conflictPolicy;
    }
  };
  try {
    switch (sub) {
      case 'path':
        io.stdout.write(`${path.join(dataDir, 'settings.json')}\n`);
        return ExitCode.ok;
      case 'list': {
        const doc: Record<string, string> = {};
        for (const k of CONFIG_KEYS) doc[k] = await show(k);
        io.stdout.write(parsed.values.json ? `${JSON.stringify(doc, null, 2)}\n` : `${CONFIG_KEYS.map((k) => `${k.padEnd(12)} ${doc[k]}`).join('\n')}\n`);
        return ExitCode.ok;
      }
      case 'get':
        if (value !== undefined) throw new UsageError(`Unexpected argument '${value}'`);
        io.stdout.write(`${await show(needKey(key))}\n`);
        return ExitCode.ok;
      case 'unset':
      case 'set': {
        const k = needKey(key);
        if (extra.length) throw new UsageError(`Unexpected argument '${extra[0]}'`);
        if (k === 'api-key') {
          if (value !== undefined) throw new UsageError('config set api-key reads the key from stdin (never from the command line); or use "convoy login"');
          const store = await keychain(dataDir, io);
          if (sub === 'unset') await store.delete(API_KEY_NAME);
          else {
            const secret = await readKey(io);
            if (!secret) throw new UsageError('No API key given on stdin');
            registerSecret(secret);
            await store.set(API_KEY_NAME, secret);
          }
          io.stdout.write(`${sub === 'set' ? 'Set' : 'Unset'} api-key (OS keychain)\n`);
          return ExitCode.ok;
        }
        if (sub === 'set' && value === undefined) throw new UsageError(`config set ${k} needs a value`);
        if (sub === 'unset' && value !== undefined) throw new UsageError(`Unexpected argument '${value}'`);
        const v = sub === 'unset' ? undefined : value!;
        const defaults = {
          'base-url': 'https://api.api2convert.com/v2',
          provider: 'local',
          concurrency: '64',
          'out-dir': null,
          'on-conflict': 'rename',
        } as const;
        const val = v ?? defaults[k];
        if (k === 'base-url') settings.update({ apiBaseUrl: normalizeEngineUrl(val!) });
        else if (k === 'provider') {
          if (val !== 'local' && val !== 'api2convert') throw new UsageError('provider must be local or api2convert');
          settings.update({ provider: val });
        } else if (k === 'concurrency') {
          if (!/^\d+$/.test(val!) || Number(val) < 1 || Number(val) > 64) throw new UsageError('concurrency must be a whole number from 1 to 64');
          settings.update({ concurrency: Number(val) });
        } else if (k === 'out-dir') settings.update({ outputDir: val === null ? null : path.resolve(val!) });
        else {
          const parsedPolicy = ConflictPolicy.safeParse(val);
          if (!parsedPolicy.success) throw new UsageError('on-conflict must be rename, overwrite or skip');
          settings.update({ conflictPolicy: parsedPolicy.data });
        }
        io.stdout.write(`${sub === 'set' ? 'Set' : 'Unset'} ${k}\n`);
        return ExitCode.ok;
      }
      default:
        throw new UsageError('Give a subcommand: set, get, unset, list or path');
    }
  } catch (err) {
    if (err instanceof UsageError) throw err;
    return reportFailure(io, 'config', err, Boolean(parsed.values.json));
  }
}

export const loginCommand: CliCommand = { name: 'login', summary: 'Check your API key and keep it in the OS keychain', usage: loginUsage, run: login };
export const configCommand: CliCommand = {
  name: 'config',
  summary: 'Settings (set, get, unset, list, path); the key stays in the keychain',
  usage: configUsage,
  run: config,
};
