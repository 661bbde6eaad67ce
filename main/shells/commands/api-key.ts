/**
 * Where the CLI finds an API key, and says where it came from: the flag, the environment, else the
 * keychain. Each batch records that source (never the key), so `convoy resume` asks the same place.
 */
import { withTimeout } from '../../api/backoff';
import type { ApiKeySource } from '../../queue/types';
import type { CliIO } from '../cli-types';

export interface FoundKey {
  key: string;
  source: Exclude<ApiKeySource, 'local'>;
}

/** The flag's key, else the environment's, else the keychain's (null when none). */
export async function cliApiKey(flag: string | undefined, io: CliIO, dataDir: string): Promise<FoundKey | null> {
  if (flag?.trim()) return { key: flag.trim(), source: 'flag' };
  if (io.env.API2CONVERT_API_KEY?.trim()) return { key: io.env.API2CONVERT_API_KEY.trim(), source: 'env' };
  const key = await keychainApiKey(dataDir, io.env);
  return key ? { key, source: 'keychain' } : null;
}

/** The key from one given source only (resuming a batch asks where its key came from). */
export async function apiKeyFrom(source: ApiKeySource, flag: string | undefined, io: CliIO, dataDir: string): Promise<string | null> {
  if (source === 'flag') return flag?.trim() || null;
  if (source === 'env') return io.env.API2CONVERT_API_KEY?.trim() || null;
  if (source === 'keychain') return keychainApiKey(dataDir, io.env);
  return null;
}

/** How to give a batch its key back, for the message of a batch that waits for one. */
export function howToGiveKey(source: ApiKeySource): string {
  if (source === 'flag') return 'its key was given with --api-key: run "convoy resume --api-key <key>"';
  if (source === 'env') return 'its key came from API2CONVERT_API_KEY: set it and run "convoy resume"';
  return 'its key came from the keychain: store it with "convoy login" (or in the app) and run "convoy resume"';
}

/** The secret store as the CLI opens it (CONVOY_SECRETS=memory keeps the keychain out). */
export async function cliSecretStore(dataDir: string, env: NodeJS.ProcessEnv) {
  const { createSecretStore } = await import('../../secrets/index');
  return withTimeout(createSecretStore({ dataDir, probeTimeoutMs: 5000, backend: env.CONVOY_SECRETS === 'memory' ? 'memory' : 'auto' }), 8000);
}

async function keychainApiKey(dataDir: string, env: NodeJS.ProcessEnv): Promise<string | null> {
  if (env.CONVOY_SECRETS === 'memory') return null;
  try {
    const { API_KEY_NAME } = await import('../../secrets/index');
    const store = await cliSecretStore(dataDir, env);
    return (await withTimeout(store.get(API_KEY_NAME), 5000)) || null;
  } catch {
    return null;
  }
}
