import sharp from 'sharp';

/** A photo-like image (gradients and noise) so that quality settings change the size. */
export async function photo(width = 320, height = 240, format: 'jpeg' | 'png' = 'jpeg'): Promise<Buffer> {
  const channels = 3;
  const raw = Buffer.alloc(width * height * channels);
  let seed = 12345;
  const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * channels;
      raw[i] = (x * 255) / width + rand() * 40;
      raw[i + 1] = (y * 255) / height + rand() * 40;
      raw[i + 2] = ((x + y) * 128) / (width + height) + rand() * 40;
    }
  }
  const img = sharp(raw, { raw: { width, height, channels } });
  return format === 'jpeg' ? img.jpeg({ quality: 92 }).toBuffer() : img.png().toBuffer();
}
