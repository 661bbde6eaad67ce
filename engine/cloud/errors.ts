/**
 * Turning provider failures into CloudErrors that say what was wrong in words a user can act on,
 * and a last safety net that removes every credential value from a message.
 */
import { CloudError } from './types';

export type CloudErrorKind = 'invalid' | 'auth' | 'not_found' | 'exists' | 'permission' | 'unreachable' | 'too_large' | 'error';

export function cloudError(kind: CloudErrorKind, message: string): CloudError {
  return new CloudError(message, kind);
}

const NETWORK_CODES: Record<string, string> = {
  ECONNREFUSED: 'refused the connection',
  ENOTFOUND: 'could not be resolved',
  EAI_AGAIN: 'could not be resolved',
  ETIMEDOUT: 'did not answer in time',
  ECONNRESET: 'closed the connection',
  EHOSTUNREACH: 'is unreachable',
  ENETUNREACH: 'is unreachable',
  EPIPE: 'closed the connection',
  UND_ERR_CONNECT_TIMEOUT: 'did not answer in time',
};

/** The network-level reason, if err (or its cause) is one. */
export function networkReason(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; e && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES[code]) return NETWORK_CODES[code];
    if (/timed? ?out/i.test(String((e as Error).message ?? '')) && (e as Error).name !== 'ApiError') return 'did not answer in time';
    e = (e as { cause?: unknown }).cause ?? (e as { errors?: unknown[] }).errors?.[0];
  }
  return undefined;
}

/** Every string inside the credentials (keyfile fields included), and each line of long ones. */
export function secretStrings(credentials: unknown): string[] {
  const out = new Set<string>();
  const visit = (v: unknown, depth: number) => {
    if (depth > 4 || v === null || v === undefined) return;
    if (typeof v === 'string') {
      if (v.length >= 4) out.add(v);
      if (v.length >= 4 && (v.startsWith('{') || v.includes('\n'))) {
        try {
          visit(JSON.parse(v), depth + 1);
        } catch {
          // not JSON
        }
        for (const line of v.split(/\\n|\n/)) if (line.trim().length >= 16 && !/^-----/.test(line.trim())) out.add(line.trim());
      }
      return;
    }
    if (typeof v === 'object') for (const x of Object.values(v as Record<string, unknown>)) visit(x, depth + 1);
  };
  visit(credentials, 0);
  // Longest first so that a secret containing another is replaced whole.
  return [...out].sort((a, b) => b.length - a.length);
}

export function redact(message: string, secrets: string[]): string {
  let out = message;
  for (const s of secrets) {
    if (out.includes(s)) out = out.split(s).join('***');
    const encoded = encodeURIComponent(s);
    if (encoded !== s && out.includes(encoded)) out = out.split(encoded).join('***');
  }
  return out;
}

/** A CloudError whose message cannot carry a credential. */
export function scrubbed(err: CloudError, credentials: unknown): CloudError {
  const clean = redact(err.message, secretStrings(credentials));
  return clean === err.message ? err : new CloudError(clean, err.kind);
}
