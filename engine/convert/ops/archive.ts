/**
 * Archive targets (category `archive`): every input of the job into one archive, streamed from
 * disk (zip with yazl, tar with tar-stream, 7z with p7zip when installed). Inputs are stored as
 * they are: an archive inside an archive is just a file, never unpacked.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, link, mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { loadTarStream, loadYazl } from '../lazy';
import { runProcess } from '../run-process';
import { outputFile, type ConvertJob, type TargetDef } from '../target';
import type { Tools } from '../tools';
import type { ConvertedFile, OptionSpec } from '../types';
import { toolError, uniqueNames } from './util';

/** Entry names: the inputs' file names, made unique. */
function entryNames(job: ConvertJob): string[] {
  const unique = uniqueNames();
  return job.inputs.map((i) => unique(i.filename));
}

/** One input: named after it; several: "archive". */
function archiveFile(job: ConvertJob, ext: string): ConvertedFile {
  return outputFile(job, ext, job.inputs.length === 1 ? job.inputs[0].baseName : 'archive');
}

async function writeZip(job: ConvertJob): Promise<ConvertedFile[]> {
  const out = archiveFile(job, 'zip');
  const level = job.options.compression_level as number;
  const yazl = await loadYazl();
  const zip = new yazl.ZipFile();
  const names = entryNames(job);
  for (const [i, input] of job.inputs.entries()) {
    const { size, mtime } = await stat(input.path);
    zip.addReadStream(createReadStream(input.path), names[i], { size, mtime, compress: level > 0, compressionLevel: level });
  }
  zip.end();
  await pipeline(zip.outputStream, createWriteStream(out.path), { signal: job.signal });
  return [out];
}

async function writeTar(job: ConvertJob): Promise<ConvertedFile[]> {
  const out = archiveFile(job, 'tar');
  const tarStream = await loadTarStream();
  const pack = tarStream.pack();
  const names = entryNames(job);
  const writing = pipeline(pack, createWriteStream(out.path), { signal: job.signal });
  try {
    for (const [i, input] of job.inputs.entries()) {
      const { size, mtime } = await stat(input.path);
      const entry = pack.entry({ name: names[i], size, mtime, mode: 0o644 });
      await pipeline(createReadStream(input.path), entry, { signal: job.signal });
    }
    pack.finalize();
  } catch (err) {
    pack.destroy(err as Error);
  }
  await writing;
  return [out];
}

async function write7z(job: ConvertJob): Promise<ConvertedFile[]> {
  const out = archiveFile(job, '7z');
  const staging = path.join(job.outDir, '.7z-in');
  await mkdir(staging, { recursive: true });
  try {
    // 7z stores names as given: stage each input under its user-facing name (a hard link, no copy).
    const names = entryNames(job);
    for (const [i, input] of job.inputs.entries()) {
      const target = path.join(staging, names[i]);
      await link(input.path, target).catch(() => copyFile(input.path, target));
    }
    const level = Math.min(9, Math.max(0, Math.round(job.options.compression_level as number)));
    // "./" keeps a name like "@list.txt" from being read as 7z's list-file syntax.
    await runProcess(job.tools.sevenZip!, ['a', '-t7z', `-mx=${level}`, '-bd', '-y', out.path, '--', ...names.map((n) => `./${n}`)], {
      cwd: staging,
      timeoutMs: job.timeoutMs,
      signal: job.signal,
    });
    return [out];
  } catch (err) {
    throw toolError(err, job, '7z', 'create the archive');
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

const level = (def: number, max: number): OptionSpec => ({
  type: 'integer',
  minimum: 0,
  maximum: max,
  default: def,
  description: `Compression level, 0 (store only) to ${max} (smallest).`,
});

export function archiveTargets(tools: Tools): { defs: TargetDef[]; missing: Map<string, string> } {
  const all = () => 'all' as const;
  const defs: TargetDef[] = [
    { spec: { target: 'zip', category: 'archive', options: { compression_level: level(6, 9) }, inputs: [] }, inputMode: all, run: writeZip },
    { spec: { target: 'tar', category: 'archive', options: {}, inputs: [] }, inputMode: all, run: writeTar },
  ];
  const missing = new Map<string, string>();
  if (tools.sevenZip) {
    defs.push({ spec: { target: '7z', category: 'archive', options: { compression_level: level(5, 9) }, inputs: [] }, inputMode: all, run: write7z });
  } else {
    missing.set('7z', '7z (Debian package p7zip-full)');
  }
  return { defs, missing };
}
