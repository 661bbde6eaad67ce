/** The header reader that spares the memory check a libvips call agrees with sharp, or steps aside. */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { imageSizeOf } from '../../engine/convert/image-header';

const base = () => sharp({ create: { width: 333, height: 217, channels: 3, background: '#336699' } });

describe('imageSizeOf', () => {
  it('reads the size of JPEGs (baseline, progressive, with EXIF and ICC) and PNGs as sharp does', async () => {
    const files = [
      await base().jpeg().toBuffer(),
      await base().jpeg({ progressive: true }).toBuffer(),
      await base()
        .jpeg()
        .withMetadata({ orientation: 6, exif: { IFD0: { Copyright: 'x'.repeat(4000) } } })
        .toBuffer(),
      await base().png().toBuffer(),
      await sharp({ create: { width: 5, height: 70_000, channels: 4, background: '#000' } })
        .png()
        .toBuffer(),
    ];
    for (const file of files) {
      const meta = await sharp(file).metadata();
      expect(imageSizeOf(file)).toEqual({ width: meta.width, height: meta.height });
    }
  });

  it('answers undefined for other formats, garbage and headers cut short (the caller then asks sharp)', async () => {
    expect(imageSizeOf(await base().webp().toBuffer())).toBeUndefined();
    expect(imageSizeOf(await base().gif().toBuffer())).toBeUndefined();
    expect(imageSizeOf(Buffer.from('not an image at all'))).toBeUndefined();
    expect(imageSizeOf((await base().jpeg().toBuffer()).subarray(0, 30))).toBeUndefined();
    expect(imageSizeOf((await base().png().toBuffer()).subarray(0, 20))).toBeUndefined();
    expect(imageSizeOf(Buffer.from([0xff, 0xd8, 0xff, 0xda, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8]))).toBeUndefined();
  });
});
