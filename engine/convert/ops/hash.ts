/**
 * Hash targets (category `hash`): the digest of any file, streamed in 1 MiB chunks so that a
 * file of any size hashes in bounded memory. The output is a text file holding the hex digest.
 */
import crypto from 'node:crypto';
import { createReadStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import zlib from 'node:zlib';
import { outputFile, type TargetDef } from '../target';

export const HASHES = ['md5', 'sha1', 'sha256', 'sha512', 'crc32'] as const;

/** Hex digest of a file, streamed. */
export async function digestFile(file: string, algorithm: (typeof HASHES)[number], signal?: AbortSignal): Promise<string> {
  const stream = createReadStream(file, { highWaterMark: 1024 * 1024, signal });
  if (algorithm === 'crc32') {
    let crc = 0;
    for await (const chunk of stream) crc = zlib.crc32(chunk as Buffer, crc);
    return crc.toString(16).padStart(8, '0');
  }
  const hash = crypto.createHash(algorithm);
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
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
