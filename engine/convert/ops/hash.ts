/**
 * Hash targets (category `hash`): the digest of any file, read in 4 MiB chunks so that a file
 * of any size hashes in bounded memory. The output is a text file holding the hex digest.
 */
import crypto from 'node:crypto';
import { open, writeFile } from 'node:fs/promises';
import zlib from 'node:zlib';
import { outputFile, type TargetDef } from '../target';

export const HASHES = ['md5', 'sha1', 'sha256', 'sha512', 'crc32'] as const;

/** Hex digest of a file, read in 4 MiB chunks into one reused buffer (bounded memory, no churn). */
export async function digestFile(file: string, algorithm: (typeof HASHES)[number], signal?: AbortSignal): Promise<string> {
  const fh = await open(file, 'r');
  const buf = Buffer.allocUnsafe(4 * 1024 * 1024);
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
