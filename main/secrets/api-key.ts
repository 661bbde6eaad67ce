/**
 * Checking an API key when it is entered, and showing it masked afterwards.
 */
import { ContractError } from '../../preload/contract';
import { Api2ConvertClient } from '../api';
import { ApiError } from '../api/errors';

/** "••••abcd" for a long key; short keys show no characters at all. */
export function maskApiKey(key: string | null | undefined): string | null {
  if (!key) return null;
  return key.length >= 16 ? `••••${key.slice(-4)}` : '••••';
}

export type ApiKeyChecker = (apiKey: string) => Promise<void>;

/**
 * Checks a key with the API's cheap authenticated call, `GET /contracts` (the client's
 * `getContracts()`). Resolves when the API accepts the key; otherwise throws a ContractError that
 * says why, never containing the key. A key that is valid but out of credits (402) is accepted: it
 * is the right key, and the queue reports the missing credits where they matter.
 */
export function contractsKeyChecker(baseUrl: string | (() => string), opts: { timeoutMs?: number } = {}): ApiKeyChecker {
  return async (apiKey) => {
    const base = typeof baseUrl === 'function' ? baseUrl() : baseUrl;
    let host = base;
    try {
      host = new URL(base).host;
    } catch {
      throw new ContractError('invalid_argument', `The API address "${base}" is not a valid URL`);
    }
    const client = new Api2ConvertClient({ baseUrl: base, apiKey, timeoutMs: opts.timeoutMs ?? 15_000, retry: { retries: 0 } });
    try {
      await client.getContracts();
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      switch (err.kind) {
        case 'payment':
          return;
        case 'auth':
          throw new ContractError(
            'unauthorized',
            `${host} rejected this API key${err.status ? ` (HTTP ${err.status})` : ''}. Copy it again from your api2convert account; it was not saved.`,
          );
        case 'rate_limit':
          throw new ContractError('unavailable', `${host} is rate limiting requests right now. The key was not saved; try again in a minute.`);
        case 'network':
        case 'timeout':
          throw new ContractError('unavailable', `Could not reach ${host} to check the API key. The key was not saved; try again when online.`);
        default:
          throw new ContractError(
            'unavailable',
            `${host} answered${err.status ? ` HTTP ${err.status}` : ' with an error'} when checking the API key. The key was not saved; try again later.`,
          );
      }
    } finally {
      client.close();
    }
  };
}
