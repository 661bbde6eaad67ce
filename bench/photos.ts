/**
 * Photo-like JPEGs for the benches: grain over a colour gradient, so they compress like photos and
 * not like flat test cards. sharp is imported on use: a bench's child processes that import this
 * module without calling it stay small.
 */
import path from 'node:path';

/** `count` files `photo-<i>.jpg` of width × height in `dir` (which must exist); their paths. */
export async function makePhotos(
  dir: string,
  count: number,
  width: number,
  height: number,
  { grain = 30, quality = 92 }: { grain?: number; quality?: number } = {},
): Promise<string[]> {
  const sharp = (await import('sharp')).default;
  const files: string[] = [];
  for (let i = 0; i < count; i++) {
    const file = path.join(dir, `photo-${i}.jpg`);
    const gradient = `<svg width="${width}" height="${height}"><defs><linearGradient id="g"><stop offset="0" stop-color="#${((i * 40) % 200) + 16}3050"/><stop offset="1" stop-color="#f0c020"/></linearGradient></defs><rect width="100%" height="100%" fill="url(#g)" opacity="0.8"/></svg>`;
    await sharp({ create: { width, height, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: grain } } })
      .composite([{ input: Buffer.from(gradient) }])
      .jpeg({ quality })
      .toFile(file);
    files.push(file);
  }
  return files;
}
