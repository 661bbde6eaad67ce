/**
 * Hash targets (category `hash`): the digest of any file, read in bounded memory (util/digest).
 * The output is a text file: the hex digest and a newline (the official SDK's example trims it;
 * `cat` and scripts reading a line want the newline).
 */
import { writeFile } from 'node:fs/promises';
import { HASHES, digestFile } from '../../util/digest';
import { outputFile, type TargetDef } from '../target';

export function hashTargets(): TargetDef[] {
  return HASHES.map((algorithm) => ({
    spec: { target: algorithm, category: 'hash', options: {}, inputs: [] },
    async run(job) {
      const { digest } = await digestFile(job.inputPath, algorithm, job.signal);
      const out = outputFile(job, algorithm);
      await writeFile(out.path, `${digest}\n`);
      return [out];
    },
  }));
}
