/**
 * A direct API session for the one-shot commands (formats, options, credits, jobs, --async): the
 * same API a conversion would use — --engine / --api-key, API2CONVERT_API_KEY, the keychain's key
 * when api2convert is chosen in the settings — else the local engine on this data folder (started
 * in this process; its jobs persist in the data folder, so `jobs` finds them in the next run).
 * It takes no queue lock, so it works beside a running `convoy convert`.
 */
import { Api2ConvertClient } from '../../api/index';
import { registerSecret } from '../../log';
import { resolveDataDir } from '../../paths';
import { localEngineKey, remoteProvider, startLocalEngine, type Provider } from '../../provider';
import { SettingsStore } from '../../settings/store';
import { UsageError, type CliIO } from '../cli-types';
import { cliApiKey, cliSecretStore } from './api-key';
import { normalizeEngineUrl } from './convert';

export interface ApiSession {
  client: Api2ConvertClient;
  /** 'the local engine' or the base URL (for messages). */
  name: string;
  dataDir: string;
  close(): Promise<void>;
}

export const apiFlagsHelp = `  --engine <baseUrl>             API base URL (else the settings' API with a key, else the local engine)
  --api-key <key>                api2convert API key (or API2CONVERT_API_KEY, or the keychain)
  --data-dir <dir>               Data folder (default CONVOY_HOME or the app folder)`;

export async function openApiSession(values: { engine?: string; 'api-key'?: string; 'data-dir'?: string }, io: CliIO): Promise<ApiSession> {
  const dataDir = resolveDataDir(values['data-dir'] ?? null, io.env);
  if (values['api-key'] !== undefined && !values['api-key'].trim()) throw new UsageError('--api-key is empty');
  const engine = values.engine ? normalizeEngineUrl(values.engine) : undefined;
  const settings = new SettingsStore(dataDir);
  let found = await cliApiKey(values['api-key'], io, dataDir);
  // The keychain's key means api2convert only when the user chose it (as the desktop app does).
  if (found?.source === 'keychain' && !engine && settings.get().provider !== 'api2convert') found = null;
  if (engine && !found) throw new UsageError('--engine needs an API key: pass --api-key, set API2CONVERT_API_KEY or run "convoy login"');
  let provider: Provider;
  if (found) {
    registerSecret(found.key);
    provider = remoteProvider('api2convert', engine ?? settings.get().apiBaseUrl, found.key, found.source);
  } else {
    const secrets = await cliSecretStore(dataDir, io.env);
    provider = await startLocalEngine(dataDir, { apiKey: await localEngineKey(secrets, dataDir) });
  }
  // One-shot commands answer a 429 at once (exit 4, with Retry-After) instead of waiting it out.
  const client = new Api2ConvertClient({ baseUrl: provider.baseUrl, apiKey: provider.apiKey, retry: { rateLimitRetries: 0 } });
  return {
    client,
    name: provider.kind === 'local' ? 'the local engine' : provider.baseUrl,
    dataDir,
    async close() {
      client.close();
      await provider.close();
    },
  };
}
