/**
 * Fallback when no keychain is reachable: Electron's safeStorage encrypts each value with a key the
 * OS protects (DPAPI, Keychain, kwallet/libsecret), and only the ciphertext lands in a file under
 * the data folder. Core code never imports electron: the shell injects a `SafeStorageLike`.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { SecretBackend } from './keychain';

/** The part of Electron's `safeStorage` Convoy uses. */
export interface SafeStorageLike {
  isEncryptionAvailable(): boolean;
  /** Linux only: 'basic_text' | 'gnome_libsecret' | 'kwallet' | 'kwallet5' | 'kwallet6' | 'unknown'. */
  getSelectedStorageBackend?(): string;
  encryptString(plainText: string): Buffer;
  decryptString(encrypted: Buffer): string;
}

export const SAFE_STORAGE_FILE = 'secrets.safestorage.json';

/**
 * Why safeStorage cannot protect secrets here, or null when it can. `basic_text` encrypts with a
 * hard-coded password, which is plaintext with extra steps; 'unknown' means it was asked too early.
 */
export function safeStorageProblem(safeStorage: SafeStorageLike | undefined): string | null {
  if (!safeStorage) return 'Electron safeStorage is not available in this shell';
  let available = false;
  try {
    available = safeStorage.isEncryptionAvailable();
  } catch {
    available = false;
  }
  if (!available) return 'Electron safeStorage reports that encryption is not available';
  let backend: string | undefined;
  try {
    backend = safeStorage.getSelectedStorageBackend?.();
  } catch {
    backend = 'unknown';
  }
  if (backend === 'basic_text') return 'Electron safeStorage would only use its "basic_text" backend (a fixed, public key)';
  if (backend === 'unknown') return 'Electron safeStorage has no known backend yet';
  return null;
}

interface FileShape {
  version: 1;
  /** name → base64 ciphertext */
  entries: Record<string, string>;
}

export class SafeStorageBackend implements SecretBackend {
  private readonly file: string;

  constructor(
    private readonly safeStorage: SafeStorageLike,
    dataDir: string,
  ) {
    this.file = path.join(dataDir, SAFE_STORAGE_FILE);
  }

  async get(name: string): Promise<string | null> {
    const blob = this.read().entries[name];
    if (!blob) return null;
    try {
      return this.safeStorage.decryptString(Buffer.from(blob, 'base64'));
    } catch {
      // Encrypted under another OS user or a reset key store: unreadable, so ask the user again.
      return null;
    }
  }

  async set(name: string, value: string): Promise<void> {
    const data = this.read();
    data.entries[name] = this.safeStorage.encryptString(value).toString('base64');
    this.write(data);
  }

  async delete(name: string): Promise<void> {
    const data = this.read();
    if (!(name in data.entries)) return;
    delete data.entries[name];
    this.write(data);
  }

  /** Every stored name (for moving them into the keychain once it becomes available). */
  names(): string[] {
    return Object.keys(this.read().entries);
  }

  exists(): boolean {
    return fs.existsSync(this.file);
  }

  removeFile(): void {
    fs.rmSync(this.file, { force: true });
  }

  private read(): FileShape {
    try {
      const parsed = JSON.parse(fs.readFileSync(this.file, 'utf8')) as Partial<FileShape>;
      if (parsed && typeof parsed.entries === 'object' && parsed.entries) {
        const entries: Record<string, string> = {};
        for (const [k, v] of Object.entries(parsed.entries)) if (typeof v === 'string') entries[k] = v;
        return { version: 1, entries };
      }
    } catch {
      /* missing or damaged: start empty */
    }
    return { version: 1, entries: {} };
  }

  private write(data: FileShape): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(data, null, 2), { mode: 0o600 });
    fs.renameSync(tmp, this.file);
  }
}

/** Secrets for this run only. */
export class MemoryBackend implements SecretBackend {
  private readonly values = new Map<string, string>();
  async get(name: string): Promise<string | null> {
    return this.values.get(name) ?? null;
  }
  async set(name: string, value: string): Promise<void> {
    this.values.set(name, value);
  }
  async delete(name: string): Promise<void> {
    this.values.delete(name);
  }
}
