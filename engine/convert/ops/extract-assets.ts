/**
 * The `extract-assets` operation: the images embedded in a file, each one an output of the same
 * conversion. PDFs through pdfimages (poppler-utils); office documents (docx, xlsx, pptx, odt, …)
 * are zip files whose media folder holds the images: read with yauzl, bounded in count and size.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type * as yauzl from 'yauzl';
import { loadYauzl } from '../lazy';
import { runProcess } from '../run-process';
import { CONTENT_TYPES, type ConvertJob, type TargetDef } from '../target';
import type { Tools } from '../tools';
import { ConversionError, type ConvertedFile } from '../types';
import { toolError, uniqueNames } from './util';

const OFFICE = ['docx', 'docm', 'xlsx', 'xlsm', 'pptx', 'pptm', 'odt', 'ods', 'odp', 'odg'];
/** Folders of an office zip that hold embedded media. */
const MEDIA_DIRS = /^(word|xl|ppt)\/media\/|^Pictures\//;
const MAX_ASSETS = 1000;
const MAX_TOTAL_BYTES = 2 * 1024 ** 3;

function contentType(name: string): string {
  const ext = path.extname(name).slice(1).toLowerCase();
  return CONTENT_TYPES[ext === 'jpeg' ? 'jpg' : ext] ?? 'application/octet-stream';
}

async function fromPdf(job: ConvertJob): Promise<ConvertedFile[]> {
  const work = path.join(job.outDir, '.assets');
  await mkdir(work, { recursive: true });
  try {
    // -all keeps JPEGs as JPEG and writes the rest as PNG.
    await runProcess(job.tools.pdfimages!, ['-all', job.inputPath, path.join(work, 'img')], {
      timeoutMs: Math.min(job.timeoutMs, 10 * 60_000),
      signal: job.signal,
    });
    const files = (await readdir(work)).sort().slice(0, MAX_ASSETS);
    const out: ConvertedFile[] = [];
    for (const [i, f] of files.entries()) {
      const filename = `${job.baseName}-${String(i + 1).padStart(3, '0')}${path.extname(f).replace('.jpeg', '.jpg')}`;
      await rename(path.join(work, f), path.join(job.outDir, filename));
      out.push({ path: path.join(job.outDir, filename), filename, contentType: contentType(filename) });
    }
    return out;
  } catch (err) {
    throw toolError(err, job, 'pdfimages', `extract the images of ${job.inputs[0].filename}`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function openZip(file: string): Promise<yauzl.ZipFile> {
  const yauzl = await loadYauzl();
  return new Promise((resolve, reject) => yauzl.open(file, { lazyEntries: true, autoClose: true }, (err, zip) => (err ? reject(err) : resolve(zip!))));
}

async function fromOffice(job: ConvertJob): Promise<ConvertedFile[]> {
  let zip: yauzl.ZipFile;
  try {
    zip = await openZip(job.inputPath);
  } catch (err) {
    throw new ConversionError(`${job.inputs[0].filename} is not a readable .${job.inputExt} document (${(err as Error).message})`);
  }
  const out: ConvertedFile[] = [];
  const unique = uniqueNames();
  let total = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      zip.on('error', reject);
      zip.on('end', resolve);
      zip.on('entry', (entry: yauzl.Entry) => {
        if (job.signal?.aborted) return reject(job.signal.reason);
        if (!MEDIA_DIRS.test(entry.fileName) || entry.fileName.endsWith('/')) return zip.readEntry();
        if (out.length >= MAX_ASSETS) return reject(new ConversionError(`${job.inputs[0].filename} holds more than ${MAX_ASSETS} embedded files`));
        const filename = unique(`${job.baseName}-${path.basename(entry.fileName)}`);
        const dest = path.join(job.outDir, filename);
        zip.openReadStream(entry, (err, stream) => {
          if (err) return reject(err);
          // Count what really comes out: the sizes in the zip's directory can lie.
          const limit = new Transform({
            transform(chunk: Buffer, _enc, cb) {
              total += chunk.length;
              if (total > MAX_TOTAL_BYTES)
                cb(new ConversionError(`The embedded files of ${job.inputs[0].filename} unpack to more than ${MAX_TOTAL_BYTES / 1024 ** 3} GiB`));
              else cb(null, chunk);
            },
          });
          pipeline(stream, limit, createWriteStream(dest), { signal: job.signal }).then(() => {
            out.push({ path: dest, filename, contentType: contentType(filename) });
            zip.readEntry();
          }, reject);
        });
      });
      zip.readEntry();
    });
  } catch (err) {
    zip.close();
    if (job.signal?.aborted) throw job.signal.reason;
    if (err instanceof ConversionError) throw err;
    throw new ConversionError(`Could not read the embedded files of ${job.inputs[0].filename}: ${(err as Error).message}`);
  }
  return out;
}

async function extract(job: ConvertJob): Promise<ConvertedFile[]> {
  const files = job.inputExt === 'pdf' ? await fromPdf(job) : await fromOffice(job);
  if (files.length === 0) throw new ConversionError(`${job.inputs[0].filename} has no embedded images to extract`);
  return files;
}

export function extractAssetsTarget(tools: Tools): TargetDef {
  return {
    spec: { target: 'extract-assets', category: 'operation', options: {}, inputs: [...(tools.pdfimages ? ['pdf'] : []), ...OFFICE].sort() },
    run: extract,
  };
}
