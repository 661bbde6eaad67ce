/**
 * Cloud credentials must survive a restart (unfinished jobs continue), but never sit in the job
 * store in clear text. They are sealed with AES-256-GCM under a random key kept in the data dir
 * (mode 0600), and wiped from the job once it has finished.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export class SecretBox {
  private constructor(private key: Buffer) {}

  static open(dataDir: string): SecretBox {
    const file = path.join(dataDir, 'secret.key');
    let key: Buffer;
    try {
      key = Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64');
      if (key.length !== 32) throw new Error('bad key length');
    } catch {
      key = crypto.randomBytes(32);
      const tmp = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, key.toString('base64'), { mode: 0o600 });
      fs.renameSync(tmp, file);
    }
    return new SecretBox(key);
  }

  seal(value: unknown): string {
    const iv = crypto.randomBytes(12);
    const cipher = crypto.createCipheriv('aes-256-gcm', this.key, iv);
    const data = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
    return ['v1', iv.toString('base64'), cipher.getAuthTag().toString('base64'), data.toString('base64')].join('.');
  }

  /** Returns undefined when the value cannot be opened (e.g. the key file was replaced). */
  open<T = Record<string, unknown>>(sealed: string | undefined): T | undefined {
    if (!sealed) return undefined;
    try {
      const [v, iv, tag, data] = sealed.split('.');
      if (v !== 'v1') return undefined;
      const decipher = crypto.createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64'));
      decipher.setAuthTag(Buffer.from(tag, 'base64'));
      const plain = Buffer.concat([decipher.update(Buffer.from(data, 'base64')), decipher.final()]);
      return JSON.parse(plain.toString('utf8')) as T;
    } catch {
      return undefined;
    }
  }
}

export function sha256Hex(data: string | Buffer): string {
  return crypto.createHash('sha256').update(data).digest('hex');
}

/** Digests of the secrets used lately (the account key is checked on every request). */
const secretDigests = new Map<string, Buffer>();

/** sha256 of a secret the engine holds, kept for the 16 used most recently. */
export function secretDigest(secret: string): Buffer {
  let digest = secretDigests.get(secret);
  if (digest) {
    secretDigests.delete(secret); // most recently used last: the key outlives a run of job tokens
  } else {
    digest = crypto.createHash('sha256').update(secret).digest();
    if (secretDigests.size >= 16) secretDigests.delete(secretDigests.keys().next().value!);
  }
  secretDigests.set(secret, digest);
  return digest;
}

/** Equal strings, in time that tells nothing about where they differ or their lengths (both are hashed first). */
export function constantTimeEqual(given: string, secret: string): boolean {
  return crypto.timingSafeEqual(crypto.createHash('sha256').update(given).digest(), secretDigest(secret));
}
