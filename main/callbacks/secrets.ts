import crypto from 'node:crypto';
import { registerSecret } from '../log';

/** The part of main/secrets' SecretStore the callbacks need (structural, so tests can pass a map). */
export interface SecretReader {
  get(name: string): Promise<string | null>;
  set(name: string, value: string): Promise<void>;
}

export const PATH_SECRET_NAME = 'callback-path-secret';
export const SIGNING_SECRET_NAME = 'callback-signing-secret';
export const TUNNEL_TOKEN_NAME = 'tunnel-token';

const PATH_SECRET_RE = /^[A-Za-z0-9_-]{32,128}$/;

/**
 * The random path segment of the callback URL (`/callbacks/<secret>`). Kept in the keychain so the
 * URL — and thus callbacks for jobs created before a restart — stays valid across restarts.
 */
export async function loadPathSecret(secrets: SecretReader, warn: (m: string) => void = () => {}): Promise<string> {
  let value = await secrets.get(PATH_SECRET_NAME).catch(() => null);
  if (!value || !PATH_SECRET_RE.test(value)) {
    value = crypto.randomBytes(32).toString('base64url'); // 43 chars, 256 bits
    try {
      await secrets.set(PATH_SECRET_NAME, value);
    } catch (err) {
      // Callbacks still work this session; after a restart old jobs fall back to the safety-net poll.
      warn(`callback path secret could not be stored: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  registerSecret(value);
  return value;
}

/** The user's signing secret, or null when none is set (then unsigned callbacks are accepted). */
export async function loadSigningSecret(secrets: SecretReader, override?: string): Promise<string | null> {
  const value = override ?? (await secrets.get(SIGNING_SECRET_NAME).catch(() => null));
  if (!value) return null;
  registerSecret(value);
  return value;
}

export async function loadTunnelToken(secrets: SecretReader): Promise<string | null> {
  const value = await secrets.get(TUNNEL_TOKEN_NAME).catch(() => null);
  if (!value) return null;
  registerSecret(value);
  return value;
}

/** Key the self-test probe is signed with; derived so it needs no extra secret. */
export function probeKey(pathSecret: string): string {
  return crypto.createHmac('sha256', pathSecret).update('convoy-callback-probe').digest('hex');
}
