/**
 * Keeps secrets out of anything the client says: error messages, log lines, echoed API bodies.
 * Two layers: known secret values (the account key, job tokens, download passwords) are replaced
 * wherever they appear, and fields / parameters whose *name* looks secret are masked.
 */

/** Names that mark a secret: token, password, secret, key, keyfile, credential(s), sas, sig(nature)… */
export const SECRET_NAME = /(token|password|passwd|secret|key|keyfile|credential|passphrase|sas|sig)/i;

export const MASK = '***';

export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

/** A deep copy of `value` with every field whose name looks secret replaced by `***`. */
export function maskSecrets<T>(value: T, depth = 0): T {
  if (depth > 20 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => maskSecrets(v, depth + 1)) as T;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = isSecretName(k) ? MASK : maskSecrets(v, depth + 1);
  }
  return out as T;
}

/** Replaces known secret values, then `"name": "value"` and `name=value` pairs with secret names. */
export function redactText(text: string, secrets: Iterable<string> = []): string {
  let out = text;
  const values = [...secrets].filter((s) => typeof s === 'string' && s.length >= 4);
  // Longest first, so a secret that contains another is replaced whole.
  values.sort((a, b) => b.length - a.length);
  for (const s of values) {
    out = out.split(s).join(MASK);
    const enc = encodeURIComponent(s);
    if (enc !== s) out = out.split(enc).join(MASK);
  }
  out = out.replace(/("([\w.-]+)"\s*:\s*)("(?:[^"\\]|\\.)*"|\{[^{}]*\}|\[[^[\]]*\]|[^,}\s]+)/g, (m, head: string, name: string) =>
    isSecretName(name) ? `${head}"${MASK}"` : m,
  );
  out = out.replace(/([?&;\s]|^)([\w.-]+)=([^&\s"',;]+)/g, (m, lead: string, name: string) => (isSecretName(name) ? `${lead}${name}=${MASK}` : m));
  return out;
}

/** A URL fit for a message: no user-info, and query parameters with secret names masked. */
export function safeUrl(url: URL | string): string {
  let u: URL;
  try {
    u = new URL(String(url));
  } catch {
    return redactText(String(url));
  }
  u.username = '';
  u.password = '';
  for (const name of [...u.searchParams.keys()]) {
    if (isSecretName(name)) u.searchParams.set(name, MASK);
  }
  return u.toString().replace(/%2A%2A%2A/g, MASK);
}
