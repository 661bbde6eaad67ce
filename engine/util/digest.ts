/**
 * The digest of a file on disk (input and output checksums, the hash targets): read in chunks of
 * up to 4 MiB into one reused buffer, so a file of any size hashes in bounded memory; a small
 * file gets a buffer of its size (a 4 MiB one would only feed the GC) and one read.
 */
import crypto from 'node:crypto';
import { open } from 'node:fs/promises';
import zlib from 'node:zlib';

export const HASHES = ['md5', 'sha1', 'sha256', 'sha512', 'crc32'] as const;
export type HashAlgorithm = (typeof HASHES)[number];

/** Hex digest and size in bytes of `file`. */
export async function digestFile(file: string, algorithm: HashAlgorithm = 'sha256', signal?: AbortSignal): Promise<{ digest: string; size: number }> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(Math.max(1, Math.min(4 * 1024 * 1024, (await fh.stat()).size + 1)));
    const hash = algorithm === 'crc32' ? undefined : crypto.createHash(algorithm);
    let crc = 0;
    let size = 0;
    for (;;) {
      if (signal?.aborted) throw signal.reason;
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      const chunk = buf.subarray(0, bytesRead);
      if (hash) hash.update(chunk);
      else crc = zlib.crc32(chunk, crc);
      size += bytesRead;
      // A regular file reads short only at its end: no read just to learn that.
      if (bytesRead < buf.length) break;
    }
    return { digest: hash ? hash.digest('hex') : crc.toString(16).padStart(8, '0'), size };
  } finally {
    await fh.close();
  }
}
