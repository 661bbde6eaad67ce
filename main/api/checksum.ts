/**
 * Output checksums as the API may give them: bare hex (algorithm known by length), `algo:hex`,
 * `algo=…`, or base64 of the digest. Unknown formats are reported as such (size is still verified).
 */
import crypto from 'node:crypto';

export type ChecksumAlgorithm = 'md5' | 'sha1' | 'sha256' | 'sha512';

export interface ExpectedChecksum {
  algorithm: ChecksumAlgorithm;
  /** Lower-case hex digest. */
  hex: string;
}

const BY_HEX_LENGTH: Record<number, ChecksumAlgorithm> = { 32: 'md5', 40: 'sha1', 64: 'sha256', 128: 'sha512' };
const BY_BYTES: Record<number, ChecksumAlgorithm> = { 16: 'md5', 20: 'sha1', 32: 'sha256', 64: 'sha512' };
const NAMES: Record<string, ChecksumAlgorithm> = {
  md5: 'md5',
  sha1: 'sha1',
  'sha-1': 'sha1',
  sha256: 'sha256',
  'sha-256': 'sha256',
  sha512: 'sha512',
  'sha-512': 'sha512',
};

export function parseChecksum(value: string | undefined | null): ExpectedChecksum | undefined {
  if (!value) return undefined;
  let v = value.trim();
  let named: ChecksumAlgorithm | undefined;
  const m = /^([a-z0-9-]+)\s*[:=]\s*(.+)$/i.exec(v);
  if (m) {
    named = NAMES[m[1].toLowerCase()];
    if (!named) return undefined; // e.g. crc32c: not verified here
    v = m[2].trim();
  }
  if (/^[0-9a-f]+$/i.test(v) && BY_HEX_LENGTH[v.length] && (!named || BY_HEX_LENGTH[v.length] === named)) {
    return { algorithm: named ?? BY_HEX_LENGTH[v.length], hex: v.toLowerCase() };
  }
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(v)) {
    const bytes = Buffer.from(v.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    const algo = BY_BYTES[bytes.length];
    if (algo && (!named || named === algo)) return { algorithm: algo, hex: bytes.toString('hex') };
  }
  return undefined;
}

export function createDigest(algorithm: ChecksumAlgorithm): crypto.Hash {
  return crypto.createHash(algorithm);
}
