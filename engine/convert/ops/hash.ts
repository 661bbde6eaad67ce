/**
 * Hash targets (category `hash`): the digest of any file, read in 4 MiB chunks so that a file
 * of any size hashes in bounded memory. The output is a text file holding the hex digest.
 */
import crypto from 'node:crypto';
import { open, writeFile } from 'node:fs/promises';
import zlib from 'node:zlib';
import { outputFile, type TargetDef } from '../target';

export const HASHES = ['md5', 'sha1', 'sha256', 'sha512', 'crc32'] as const;

/**
 * Hex digest of a file, read in chunks of up to 4 MiB into one reused buffer (bounded memory, no
 * churn); a small file gets a buffer of its size, not 4 MiB (which would only feed the GC).
 */
export async function digestFile(file: string, algorithm: (typeof HASHES)[number], signal?: AbortSignal): Promise<string> {
  const fh = await open(file, 'r');
  let buf: Buffer;
  try {
    buf = Buffer.allocUnsafe(Math.max(1, Math.min(4 * 1024 * 1024, (await fh.stat()).size + 1)));
  } catch (err) {
    await fh.close();
    throw err;
  }
  const hash = algorithm === 'crc32' ? undefined : crypto.createHash(algorithm);
  let crc = 0;
  try {
    for (;;) {
      if (signal?.aborted) throw signal.reason;
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      const chunk = buf.subarray(0, bytesRead);
      if (hash) hash.update(chunk);
      else crc = zlib.crc32(chunk, crc);
    }
  } finally {
    await fh.close();
  }
  return hash ? hash.digest('hex') : crc.toString(16).padStart(8, '0');
}

export function hashTargets(): TargetDef[] {
  return HASHES.map((algorithm) => ({
    spec: { target: algorithm, category: 'hash', options: {}, inputs: [] },
    async run(job) {
      const digest = await digestFile(job.inputPath, algorithm, job.signal);
      const out = outputFile(job, algorithm);
      await writeFile(out.path, digest);
      return [out];
    },
  }));
}
