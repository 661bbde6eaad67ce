import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ConflictPolicy, ProviderKind, type SettingsPatch } from '../../preload/contract';

/** Persisted, non-secret settings. Secrets (API key, tunnel token) live in the keychain only. */
export const StoredSettings = z.object({
  provider: ProviderKind.default('local'),
  // The user's choice of jobs in flight; unset, the provider chooses (main/provider.ts: measured
  // for the in-process engine, latency-driven for a remote API).
  concurrency: z.number().int().min(1).max(64).optional(),
  outputDir: z.string().nullable().default(null),
  conflictPolicy: ConflictPolicy.default('rename'),
  callbackPublicUrl: z.string().url().nullable().default(null),
  callbackPort: z.number().int().min(0).max(65535).default(0),
  liveStatus: z.boolean().default(true),
  notifyOnBatchEnd: z.boolean().default(true),
  /** The local engine's converters when they are not found by themselves (PATH, the usual install folders). */
  ffmpegPath: z.string().nullable().default(null),
  sofficePath: z.string().nullable().default(null),
  /** Base URL of api2convert; overridable so a test can point the "remote" provider at an engine. */
  apiBaseUrl: z.string().url().default('https://api.api2convert.com/v2'),
});
export type StoredSettings = z.infer<typeof StoredSettings>;

export class SettingsStore {
  private value: StoredSettings;
  private readonly file: string;

  constructor(dataDir: string) {
    this.file = path.join(dataDir, 'settings.json');
    this.value = this.load();
  }

  get(): StoredSettings {
    return { ...this.value };
  }

  update(patch: SettingsPatch | Partial<StoredSettings>): StoredSettings {
    this.value = StoredSettings.parse({ ...this.value, ...patch });
    this.save();
    return this.get();
  }

  private load(): StoredSettings {
    let raw: unknown = {};
    try {
      raw = JSON.parse(fs.readFileSync(this.file, 'utf8'));
    } catch {
      // Missing or unreadable: start from defaults (a corrupt file is kept aside below).
    }
    const parsed = StoredSettings.safeParse(raw);
    if (parsed.success) return parsed.data;
    // Keep what the user had for inspection, then continue with defaults instead of crashing.
    try {
      fs.renameSync(this.file, `${this.file}.invalid-${Date.now()}`);
    } catch {
      /* nothing to keep */
    }
    return StoredSettings.parse({});
  }

  private save(): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(this.value, null, 2), { mode: 0o600 });
    fs.renameSync(tmp, this.file);
  }
}
