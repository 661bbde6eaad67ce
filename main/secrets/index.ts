/**
 * Secrets: the OS keychain (or safeStorage / memory fallbacks) and the contract methods about them.
 * Names in use: 'api-key', 'tunnel-token', 'callback-path-secret', 'callback-signing-secret',
 * 'profile:<id>:<field>'.
 */
export { createSecretStore, DEFAULT_SERVICE, type SecretStore, type SecretStoreOptions } from './store';
export { SAFE_STORAGE_FILE, safeStorageProblem, type SafeStorageLike } from './safe-storage';
export { SecretsError, describeKeychainError, type KeychainProblem } from './errors';
export { contractsKeyChecker, maskApiKey, type ApiKeyChecker } from './api-key';
export {
  API_KEY_NAME,
  TUNNEL_TOKEN_NAME,
  createSecretsService,
  type SecretsService,
  type SecretsServiceOptions,
} from './service';
