/**
 * Heavy libraries, loaded on first use: a process that only hashes, archives or lists targets does
 * not map libvips, pdf-lib and the rest (tens of MiB of resident memory), and starts sooner.
 */
import type SharpFn from 'sharp';

let sharpFn: typeof SharpFn | undefined;
/** libvips threads for the next image pipeline (see shareCores), and what sharp was last told. */
let threadsWanted = 0;
let threadsSet = 0;

/**
 * sharp, with its operation cache kept small (finished work must not pin memory; the default keeps
 * up to 50 MB) and its threads per image as shareCores last said.
 */
export async function loadSharp(): Promise<typeof SharpFn> {
  if (!sharpFn) {
    const loaded = (await import('sharp')).default;
    loaded.cache({ memory: 16, files: 0, items: 20 });
    sharpFn = loaded;
  }
  if (threadsWanted > 0 && threadsWanted !== threadsSet) {
    sharpFn.concurrency(threadsWanted);
    threadsSet = threadsWanted;
  }
  return sharpFn;
}

/**
 * Splits the cores between the images converting at once: an image alone gets every core (libvips
 * works on its tiles in parallel), N at once get cores ÷ N threads each, so side-by-side conversions
 * do not oversubscribe the CPU with N × cores threads. Read when a pipeline is built (loadSharp).
 */
export function shareCores(running: number, cores: number): void {
  threadsWanted = Math.max(1, Math.floor(cores / Math.max(1, running)));
}

export const loadPdfLib = () => import('pdf-lib');
export const loadYazl = async () => (await import('yazl')).default;
export const loadYauzl = async () => (await import('yauzl')).default;
export const loadTarStream = async () => (await import('tar-stream')).default;
export const loadExifReader = async () => (await import('exif-reader')).default;
