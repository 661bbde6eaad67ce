/**
 * HEIC/HEIF (iPhone photos), which sharp's libvips does not read: libheif's decoder (`heif-dec`,
 * or `heif-convert` before libheif 1.17) writes the primary image to a PNG, rotated as stored and
 * with its EXIF, which the image targets and operations then read like any PNG.
 */
import { rename, stat } from 'node:fs/promises';
import path from 'node:path';
import { ProcessFailure, runProcess } from './run-process';
import { ConversionError } from './types';

export const HEIF_INPUTS = ['heic', 'heif'];

/**
 * Operations whose result does not take the input's format, so a HEIC input can be read as the PNG
 * it decodes to (compress and resize-image keep the input's format: a HEIC would come back as a far
 * larger PNG, so they do not take one).
 */
export const HEIF_OPERATIONS = new Set(['thumbnail', 'merge', 'pdf', 'compare-image', 'json']);

/** Decodes `from` (shown to users as `displayName`) to the PNG `to`. */
export async function decodeHeif(
  tool: string,
  from: string,
  to: string,
  displayName: string,
  opts: { timeoutMs: number; signal?: AbortSignal },
): Promise<void> {
  try {
    await runProcess(tool, [from, to], { timeoutMs: opts.timeoutMs, signal: opts.signal, cwd: path.dirname(to) });
  } catch (err) {
    if (err instanceof ProcessFailure) {
      const last = err.stderr.trim().split('\n').pop() ?? '';
      throw new ConversionError(
        `${displayName} is not a readable HEIC/HEIF image${last ? ` (${last.split(from).join('input').split(to).join('output')})` : ''}`,
      );
    }
    throw err;
  }
  // A file of several images (a burst) is written as decoded-1.png, decoded-2.png…: the first is the primary.
  const many = to.replace(/\.png$/, '-1.png');
  if (await stat(many).catch(() => null)) await rename(many, to);
}
