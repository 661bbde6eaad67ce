/**
 * The secret store: the OS keychain when it works, else Electron safeStorage with a real backend,
 * else memory for this run only with a warning that says exactly why and how to fix it. A secret
 * is never written anywhere in plaintext.
 */
import type { SecretsStatus } from '../../preload/contract';
import { registerSecret, silentLogger, type Logger } from '../log';
import { SecretsError, describeKeychainError, type KeychainProblem } from './errors';
import { KeychainBackend, type SecretBackend } from './keychain';
import { MemoryBackend, SafeStorageBackend, safeStorageProblem, type SafeStorageLike } from './safe-storage';

export interface SecretStore {
  get(name: string): Promise<string | null>;
  set(name: string, value: string): Promise<void>;
  delete(name: string): Promise<void>;
  status(): SecretsStatus;
}

export interface SecretStoreOptions {
  /** Keychain service name the entries are filed under. Default 'Convoy'. */
  service?: string;
  log?: Logger;
  /** Electron's safeStorage, injected by the Electron shell. */
  safeStorage?: SafeStorageLike;
  /** Where safeStorage's ciphertext file lives; without it the safeStorage fallback is off. */
  dataDir?: string;
  /** 'memory' skips the keychain (tests of other parts); default 'auto'. */
  backend?: 'auto' | 'memory';
  /** Deadline of the start-up probe (default 10 s) and of each later call (default 60 s). */
  probeTimeoutMs?: number;
  timeoutMs?: number;
}

export const DEFAULT_SERVICE = 'Convoy';

const NAME_RE = /^[\w:.#@-]{1,200}$/;

export async function createSecretStore(opts: SecretStoreOptions = {}): Promise<SecretStore> {
  const log = opts.log ?? silentLogger;
  const chosen = await chooseBackend(opts, log);
  return wrap(chosen.backend, chosen.status);
}

async function chooseBackend(opts: SecretStoreOptions, log: Logger): Promise<{ backend: SecretBackend; status: SecretsStatus }> {
  const service = opts.service ?? DEFAULT_SERVICE;
  const safe = opts.safeStorage && opts.dataDir ? new SafeStorageBackend(opts.safeStorage, opts.dataDir) : null;
  const safeProblem = opts.safeStorage ? (opts.dataDir ? safeStorageProblem(opts.safeStorage) : 'no data folder for safeStorage') : null;

  let problem: KeychainProblem;
  if (opts.backend === 'memory') {
    problem = { code: 'unknown', reason: 'the keychain was turned off for this run', fix: 'Start Convoy normally to use the keychain' };
  } else {
    try {
      const keychain = await KeychainBackend.open({ service, timeoutMs: opts.timeoutMs, probeTimeoutMs: opts.probeTimeoutMs });
      log.info('secrets: using the operating system keychain');
      if (safe && !safeProblem && safe.exists()) await moveIntoKeychain(safe, keychain, log);
      return { backend: keychain, status: { backend: 'keychain', warning: null } };
    } catch (err) {
      problem = describeKeychainError(err);
      log.warn(`secrets: keychain unavailable (${problem.code}): ${problem.reason}`);
    }
  }

  if (safe && !safeProblem) {
    log.info('secrets: using Electron safeStorage (encrypted file in the data folder)');
    return { backend: safe, status: { backend: 'safeStorage', warning: null } };
  }

  const because = safeProblem && opts.safeStorage ? `${problem.reason}, and ${safeProblem}` : problem.reason;
  const warning = `Secrets are kept in memory for this run only and must be entered again after a restart: ${because}. ` + `${problem.fix}.`;
  log.warn(`secrets: memory only: ${because}`);
  return { backend: new MemoryBackend(), status: { backend: 'memory', warning } };
}

/** Secrets saved while the keychain was unreachable move into it once it works again. */
async function moveIntoKeychain(from: SafeStorageBackend, to: SecretBackend, log: Logger): Promise<void> {
  let moved = 0;
  try {
    for (const name of from.names()) {
      const value = await from.get(name);
      if (value !== null) await to.set(name, value);
      moved++;
    }
    from.removeFile();
    if (moved) log.info(`secrets: moved ${moved} secret(s) from safeStorage into the keychain`);
  } catch (err) {
    log.warn(`secrets: could not move safeStorage secrets into the keychain: ${describeKeychainError(err).reason}`);
  }
}

function wrap(backend: SecretBackend, status: SecretsStatus): SecretStore {
  const check = (name: string) => {
    if (!NAME_RE.test(name))
      throw new SecretsError(`Invalid secret name "${name.slice(0, 60)}"`, {
        code: 'unknown',
        reason: 'invalid secret name',
        fix: 'Report this as a bug',
      });
  };
  return {
    async get(name) {
      check(name);
      const value = await backend.get(name);
      registerSecret(value);
      return value;
    },
    async set(name, value) {
      check(name);
      if (typeof value !== 'string' || value.length === 0) throw new TypeError('A secret must be a non-empty string');
      // Registered first: if the write fails, an error text that echoes it is still masked in logs.
      registerSecret(value);
      await backend.set(name, value);
    },
    async delete(name) {
      check(name);
      await backend.delete(name);
    },
    status: () => ({ ...status }),
  };
}
