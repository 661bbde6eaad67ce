/**
 * Memory for image conversions. The engine runs inside the app, and a small file can decode to a
 * huge image (a 1 MB PNG of 16000×16000 is a gigabyte of pixels), so conversions are admitted by
 * their estimated memory, not only by count:
 *
 * - a budget chosen from the machine's memory (an eighth of RAM, 256 MiB – 2 GiB; or
 *   CONVOY_IMAGE_MEMORY_MB), which all image conversions in flight share;
 * - a pixel limit from it: an image whose estimate alone exceeds the budget is refused with a
 *   clear message (also passed to sharp as `limitInputPixels`, a second fence);
 * - sharp's operation cache kept small, so finished work does not pin memory (`lazy.ts`).
 */
import os from 'node:os';
import { readImageSize } from './image-header';
import { loadSharp } from './lazy';

/** Working memory per pixel: decoded RGBA, the resized/encoded copy and libvips' tiles, with room to spare. */
export const BYTES_PER_PIXEL = 16;

export function imageMemoryBudget(env: NodeJS.ProcessEnv = process.env): number {
  const mb = Number(env.CONVOY_IMAGE_MEMORY_MB);
  if (mb > 0) return Math.floor(mb * 1024 * 1024);
  return Math.min(2 * 1024 ** 3, Math.max(256 * 1024 ** 2, Math.floor(os.totalmem() / 8)));
}

/** Largest image (pixels × frames) one conversion may decode. */
export function maxImagePixels(budgetBytes = imageMemoryBudget()): number {
  return Math.floor(budgetBytes / BYTES_PER_PIXEL);
}

/** A byte budget shared by conversions in flight; a request waits until its estimate fits. */
export class MemoryBudget {
  private used = 0;
  private waiting: Array<{ bytes: number; go: () => void }> = [];

  constructor(readonly total: number) {}

  get inUse(): number {
    return this.used;
  }

  async run<T>(bytes: number, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const want = Math.min(Math.max(0, bytes), this.total);
    await this.acquire(want, signal);
    try {
      return await fn();
    } finally {
      this.used -= want;
      this.drain();
    }
  }

  private acquire(bytes: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.used + bytes <= this.total && this.waiting.length === 0) {
      this.used += bytes;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const entry = {
        bytes,
        go: () => {
          signal?.removeEventListener('abort', onAbort);
          this.used += bytes;
          resolve();
        },
      };
      const onAbort = () => {
        this.waiting = this.waiting.filter((w) => w !== entry);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(entry);
    });
  }

  private drain(): void {
    // First come, first served: a big request is not starved by small ones behind it.
    while (this.waiting.length && this.used + this.waiting[0].bytes <= this.total) this.waiting.shift()!.go();
  }
}

/** Pixels an image will decode to (all frames of an animation), from its header only; null when unreadable. */
export async function estimatePixels(file: string): Promise<{ width: number; height: number; pixels: number } | null> {
  try {
    // JPEG and PNG (one frame each): from the header bytes, no libvips call.
    const quick = await readImageSize(file);
    if (quick) return { ...quick, pixels: quick.width * quick.height };
    const sharp = await loadSharp();
    const meta = await sharp(file, { limitInputPixels: false }).metadata();
    if (!meta.width || !meta.height) return null;
    const frames = meta.pages && meta.pages > 1 ? meta.pages : 1;
    const height = meta.pageHeight && frames > 1 ? meta.pageHeight : meta.height;
    return { width: meta.width, height, pixels: meta.width * height * frames };
  } catch {
    return null;
  }
}
