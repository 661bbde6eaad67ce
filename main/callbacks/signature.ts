import crypto from 'node:crypto';

/**
 * api2convert's callback signature: `X-Oc-Signature` = lowercase hex HMAC-SHA256 of the raw body.
 * Compared in constant time so a forger learns nothing from response timing.
 */
export const SIGNATURE_HEADER = 'x-oc-signature';

export function signBody(raw: Buffer | string, secret: string): string {
  return crypto.createHmac('sha256', secret).update(raw).digest('hex');
}

/** True when `header` is exactly the lowercase hex HMAC of `raw` under `secret`. */
export function verifySignature(raw: Buffer, header: string | string[] | undefined, secret: string): boolean {
  if (typeof header !== 'string') return false;
  const given = header.trim();
  if (!/^[0-9a-f]{64}$/.test(given)) return false;
  const expected = signBody(raw, secret);
  return crypto.timingSafeEqual(Buffer.from(given, 'ascii'), Buffer.from(expected, 'ascii'));
}

/** Constant-time string equality that does not leak the length of `b` through early exits. */
export function safeEqual(a: string, b: string): boolean {
  const ha = crypto.createHash('sha256').update(a).digest();
  const hb = crypto.createHash('sha256').update(b).digest();
  return crypto.timingSafeEqual(ha, hb) && a.length === b.length;
}
