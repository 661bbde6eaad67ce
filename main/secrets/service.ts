/**
 * The contract methods about secrets: settings.setApiKey / clearApiKey / setTunnelToken and
 * secrets.status. The Settings view itself is the core's; this part tells it what to show
 * (`apiKeyMasked()`, `hasTunnelToken()`), and publishes `settings` after every change.
 */
import { ContractError, type Handlers, type Settings } from '../../preload/contract';
import type { EventBus } from '../events';
import { registerSecret, silentLogger, type Logger } from '../log';
import { maskApiKey, type ApiKeyChecker } from './api-key';
import { SecretsError } from './errors';
import type { SecretStore } from './store';

export const API_KEY_NAME = 'api-key';
export const TUNNEL_TOKEN_NAME = 'tunnel-token';

export interface SecretsServiceOptions {
  secrets: SecretStore;
  events: EventBus;
  /** The core's Settings view (it reads `apiKeyMasked()` / `hasTunnelToken()` from this service). */
  settingsView: () => Settings;
  /** The cheap authenticated call that proves a key before it is stored. */
  checkApiKey: ApiKeyChecker;
  /** Told after the stored API key changed (null: cleared), e.g. to switch the provider. */
  onApiKeyChanged?: (apiKey: string | null) => void | Promise<void>;
  onTunnelTokenChanged?: (token: string | null) => void | Promise<void>;
  log?: Logger;
}

export interface SecretsService {
  /** The stored API key, or null. */
  apiKey(): Promise<string | null>;
  apiKeyMasked(): string | null;
  hasTunnelToken(): boolean;
  handlers(): Partial<Handlers>;
}

export async function createSecretsService(opts: SecretsServiceOptions): Promise<SecretsService> {
  const log = opts.log ?? silentLogger;
  const { secrets } = opts;
  // What the Settings view shows is read once here and kept current by the handlers below.
  let masked = maskApiKey(await readQuietly(secrets, API_KEY_NAME, log));
  let tunnel = Boolean(await readQuietly(secrets, TUNNEL_TOKEN_NAME, log));

  const publish = (): Settings => {
    const view = opts.settingsView();
    opts.events.emit('settings', view);
    return view;
  };

  return {
    apiKey: () => secrets.get(API_KEY_NAME),
    apiKeyMasked: () => masked,
    hasTunnelToken: () => tunnel,
    handlers: () => ({
      'settings.setApiKey': async ({ apiKey }) => {
        registerSecret(apiKey);
        if (/\s/.test(apiKey)) throw new ContractError('invalid_argument', 'The API key contains spaces or line breaks; paste only the key');
        await opts.checkApiKey(apiKey);
        await guard(() => secrets.set(API_KEY_NAME, apiKey));
        masked = maskApiKey(apiKey);
        log.info('API key checked and stored');
        await opts.onApiKeyChanged?.(apiKey);
        return publish();
      },
      'settings.clearApiKey': async () => {
        await guard(() => secrets.delete(API_KEY_NAME));
        masked = null;
        log.info('API key removed');
        await opts.onApiKeyChanged?.(null);
        return publish();
      },
      'settings.setTunnelToken': async ({ token }) => {
        if (token) {
          registerSecret(token);
          if (/\s/.test(token)) throw new ContractError('invalid_argument', 'The tunnel token contains spaces or line breaks; paste only the token');
          await guard(() => secrets.set(TUNNEL_TOKEN_NAME, token));
        } else {
          await guard(() => secrets.delete(TUNNEL_TOKEN_NAME));
        }
        tunnel = Boolean(token);
        log.info(token ? 'tunnel token stored' : 'tunnel token removed');
        await opts.onTunnelTokenChanged?.(token || null);
        return publish();
      },
      'secrets.status': async () => secrets.status(),
    }),
  };
}

async function readQuietly(secrets: SecretStore, name: string, log: Logger): Promise<string | null> {
  try {
    return await secrets.get(name);
  } catch (err) {
    log.warn(`secrets: could not read ${name}: ${(err as Error).message}`);
    return null;
  }
}

/** Keychain failures cross the contract as 'unavailable' with their (secret-free) message. */
export async function guard<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof SecretsError) throw new ContractError('unavailable', err.message);
    throw err;
  }
}
