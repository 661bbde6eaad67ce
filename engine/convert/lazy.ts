/**
 * Heavy libraries, loaded on first use: a process that only hashes, archives or lists targets does
 * not map libvips, pdf-lib and the rest (tens of MiB of resident memory), and starts sooner.
 */
import type SharpFn from 'sharp';

let sharpFn: typeof SharpFn | undefined;

/** sharp, with its operation cache kept small (finished work must not pin memory; the default keeps up to 50 MB). */
export async function loadSharp(): Promise<typeof SharpFn> {
  if (!sharpFn) {
    const loaded = (await import('sharp')).default;
    loaded.cache({ memory: 16, files: 0, items: 20 });
    sharpFn = loaded;
  }
  return sharpFn;
}

export const loadPdfLib = () => import('pdf-lib');
export const loadYazl = async () => (await import('yazl')).default;
export const loadYauzl = async () => (await import('yauzl')).default;
export const loadTarStream = async () => (await import('tar-stream')).default;
export const loadExifReader = async () => (await import('exif-reader')).default;
