/**
 * The operating system's keychain through @napi-rs/keyring (N-API, prebuilt: no rebuild per
 * Electron version): macOS Keychain, Windows Credential Manager, Linux Secret Service.
 *
 * On Linux the store is pinned to the Secret Service: the library's default falls back to the
 * kernel keyring, which forgets everything at logout, and a "saved" password that vanishes after a
 * reboot is worse than an honest "not saved".
 */
import crypto from 'node:crypto';
import { SecretsError, describeKeychainError } from './errors';

/** One backend of the secret store. Values are whole strings; names are Convoy's own. */
export interface SecretBackend {
  get(name: string): Promise<string | null>;
  set(name: string, value: string): Promise<void>;
  delete(name: string): Promise<void>;
}

type KeyringModule = typeof import('@napi-rs/keyring');

/**
 * Windows Credential Manager caps a credential at 2560 bytes (UTF-16: 1280 characters), and a
 * Google Cloud key file is bigger. Long values are split into numbered parts behind a header entry.
 */
const CHUNK_CHARS = 1000;
const CHUNK_MARK = '\u0001convoy-chunked:v1:';

export interface KeychainOptions {
  service: string;
  /** Per operation; a locked keyring may wait for a human to answer an unlock prompt. */
  timeoutMs?: number;
}

export class KeychainBackend implements SecretBackend {
  private constructor(
    private readonly lib: KeyringModule,
    private readonly service: string,
    private readonly timeoutMs: number,
  ) {}

  /**
   * Loads the library and proves the keychain works by writing, reading back and deleting a probe
   * entry: a locked Secret Service answers reads with "nothing stored" and only fails on writes.
   */
  static async open(opts: KeychainOptions & { probeTimeoutMs?: number }): Promise<KeychainBackend> {
    let lib: KeyringModule;
    try {
      lib = await import('@napi-rs/keyring');
    } catch (err) {
      const problem = describeKeychainError(new Error(`Cannot find module: ${(err as Error)?.message ?? ''}`));
      throw new SecretsError(`Keychain unavailable: ${problem.reason}`, { ...problem, code: 'no_library' });
    }
    const probeBackend = new KeychainBackend(lib, opts.service, opts.probeTimeoutMs ?? 10_000);
    const probeName = `probe-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
    const probeValue = crypto.randomBytes(16).toString('hex');
    await probeBackend.set(probeName, probeValue);
    const back = await probeBackend.get(probeName);
    await probeBackend.delete(probeName);
    if (back !== probeValue) {
      throw new SecretsError('Keychain unavailable: a value written to it could not be read back', {
        code: 'no_access',
        reason: 'a value written to the keychain could not be read back',
        fix: 'Check your keychain manager for errors, then restart Convoy',
      });
    }
    return new KeychainBackend(lib, opts.service, opts.timeoutMs ?? 60_000);
  }

  async get(name: string): Promise<string | null> {
    const head = await this.op('read', name, (e, signal) => e.getPassword(signal));
    if (head === null || !head.startsWith(CHUNK_MARK)) return head;
    const [countText, digest] = head.slice(CHUNK_MARK.length).split(':');
    const count = Number(countText);
    if (!Number.isInteger(count) || count < 1 || count > 1000) return null;
    const parts: string[] = [];
    for (let i = 0; i < count; i++) {
      const part = await this.op('read', chunkName(name, i), (e, signal) => e.getPassword(signal));
      if (part === null) return null; // a damaged value is no value: the user is asked again
      parts.push(part);
    }
    const value = parts.join('');
    return sha256(value) === digest ? value : null;
  }

  async set(name: string, value: string): Promise<void> {
    const previous = await this.chunkCount(name);
    if (value.length <= CHUNK_CHARS && !value.startsWith(CHUNK_MARK)) {
      await this.op('write', name, (e, signal) => e.setPassword(value, signal));
    } else {
      const parts: string[] = [];
      for (let i = 0; i < value.length; i += CHUNK_CHARS) parts.push(value.slice(i, i + CHUNK_CHARS));
      // Parts first, header last: a reader never sees a header whose parts are not there yet.
      for (let i = 0; i < parts.length; i++) {
        const part = parts[i]!;
        await this.op('write', chunkName(name, i), (e, signal) => e.setPassword(part, signal));
      }
      const header = `${CHUNK_MARK}${parts.length}:${sha256(value)}`;
      await this.op('write', name, (e, signal) => e.setPassword(header, signal));
      await this.deleteChunks(name, parts.length, previous);
      return;
    }
    await this.deleteChunks(name, 0, previous);
  }

  async delete(name: string): Promise<void> {
    const previous = await this.chunkCount(name);
    await this.op('delete', name, (e, signal) => e.deleteCredential(signal));
    await this.deleteChunks(name, 0, previous);
  }

  private async chunkCount(name: string): Promise<number> {
    const head = await this.op('read', name, (e, signal) => e.getPassword(signal));
    if (!head?.startsWith(CHUNK_MARK)) return 0;
    const n = Number(head.slice(CHUNK_MARK.length).split(':')[0]);
    return Number.isInteger(n) && n > 0 && n <= 1000 ? n : 0;
  }

  private async deleteChunks(name: string, from: number, to: number): Promise<void> {
    for (let i = from; i < to; i++) await this.op('delete', chunkName(name, i), (e, signal) => e.deleteCredential(signal));
  }

  /** Runs one keychain call with a deadline, turning failures into a clear SecretsError. */
  private async op<T>(
    what: 'read' | 'write' | 'delete',
    name: string,
    fn: (entry: InstanceType<KeyringModule['AsyncEntry']>, signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    try {
      // The constructor itself talks to the platform (and throws when the store is missing).
      const entry = new this.lib.AsyncEntry(this.service, name, process.platform === 'linux' ? { linux: { store: 'secret-service' } } : undefined);
      return await Promise.race([
        fn(entry, controller.signal),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            controller.abort();
            reject(new Error(`keychain ${what} timed out after ${Math.round(this.timeoutMs / 1000)} s`));
          }, this.timeoutMs);
        }),
      ]);
    } catch (err) {
      const problem = describeKeychainError(err);
      throw new SecretsError(`Could not ${what} "${name}" in the keychain: ${problem.reason}. ${problem.fix}.`, problem);
    } finally {
      if (timer) clearTimeout(timer);
    }
  }
}

function chunkName(name: string, index: number): string {
  return `${name}#${index + 1}`;
}

function sha256(value: string): string {
  return crypto.createHash('sha256').update(value).digest('hex').slice(0, 16);
}
