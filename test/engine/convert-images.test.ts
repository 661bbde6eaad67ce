/** Image conversion with sharp: every target really written, options really applied. */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { PDFDocument } from 'pdf-lib';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConversionError, convert, listTargets, normalizeOptions } from '../../engine/convert/index';
import { ffprobe, hasCommand, photo, tempDir } from './convert-helpers';

const haveHeif = (await hasCommand('heif-enc')) && ((await hasCommand('heif-convert')) || (await hasCommand('heif-dec')));
if (!haveHeif) console.warn('SKIPPED the HEIC test: libheif-examples (heif-enc, heif-convert) is not installed');

let tmp: Awaited<ReturnType<typeof tempDir>>;
let png: string; // 320×200 RGB photo-like
let alphaPng: string; // 320×200, left half opaque, right half transparent

async function run(input: string, target: string, options: Record<string, unknown> = {}, inputFilename = path.basename(input)) {
  const outDir = await tmp.sub(target);
  const files = await convert({ inputPath: input, inputFilename, target, options: normalizeOptions(target, options), outDir });
  expect(files).toHaveLength(1);
  expect(path.dirname(files[0].path)).toBe(outDir);
  return files[0];
}

beforeAll(async () => {
  tmp = await tempDir();
  png = await photo(path.join(tmp.dir, 'photo.png'));
  alphaPng = await photo(path.join(tmp.dir, 'alpha.png'), 320, 200, true);
});
afterAll(async () => {
  await tmp?.cleanup();
});

describe('image targets', () => {
  it('lists the raster targets with typed options, ranges and defaults', async () => {
    const targets = await listTargets();
    const byName = new Map(targets.map((t) => [t.target, t]));
    for (const t of ['jpg', 'png', 'webp', 'avif', 'tiff', 'gif']) {
      expect(byName.get(t)?.category).toBe('image');
      expect(byName.get(t)?.inputs).toEqual(expect.arrayContaining(['jpg', 'jpeg', 'png', 'webp', 'gif', 'tiff', 'avif']));
    }
    expect(byName.get('jpg')!.options.quality).toMatchObject({ type: 'integer', minimum: 1, maximum: 100, default: 85 });
    expect(byName.get('webp')!.options.lossless).toMatchObject({ type: 'boolean', default: false });
    expect(byName.get('png')!.options.fit).toMatchObject({ type: 'string', enum: ['inside', 'cover', 'contain', 'fill', 'outside'], default: 'inside' });
    expect(byName.get('png')!.options.width).toMatchObject({ type: 'integer', minimum: 1 });
    expect(byName.get('png')!.options).not.toHaveProperty('quality');
  });

  const formats: Array<[string, string]> = [
    ['jpg', 'jpeg'],
    ['png', 'png'],
    ['webp', 'webp'],
    ['avif', 'heif'],
    ['tiff', 'tiff'],
    ['gif', 'gif'],
  ];
  it.each(formats)('converts PNG to %s (decoded format %s, same size)', async (target, format) => {
    const out = await run(png, target);
    expect(out.filename).toBe(`photo.${target}`);
    const meta = await sharp(out.path).metadata();
    expect(meta.format).toBe(format);
    expect([meta.width, meta.height]).toEqual([320, 200]);
  });

  it('converts between formats other than PNG (jpg → webp → tiff → png)', async () => {
    const jpg = await run(png, 'jpg');
    const webp = await run(jpg.path, 'webp', {}, 'photo.jpg');
    const tiff = await run(webp.path, 'tiff', {}, 'photo.webp');
    const back = await run(tiff.path, 'png', {}, 'photo.tiff');
    expect((await sharp(back.path).metadata()).format).toBe('png');
  });

  it.each(['jpg', 'webp', 'avif'])('lower quality gives a smaller %s', async (target) => {
    const low = await run(png, target, { quality: 20 });
    const high = await run(png, target, { quality: 95 });
    expect((await stat(low.path)).size).toBeLessThan((await stat(high.path)).size * 0.8);
  });

  it('png compression_level trades size and stays lossless', async () => {
    const fast = await run(png, 'png', { compression_level: 0 });
    const small = await run(png, 'png', { compression_level: 9 });
    expect((await stat(small.path)).size).toBeLessThan((await stat(fast.path)).size);
    const a = await sharp(fast.path).raw().toBuffer();
    const b = await sharp(small.path).raw().toBuffer();
    expect(a.equals(b)).toBe(true);
  });

  it('grayscale gives one channel in jpg/png and equal R=G=B in webp', async () => {
    expect((await sharp((await run(png, 'jpg', { grayscale: true })).path).metadata()).channels).toBe(1);
    expect((await sharp((await run(png, 'png', { grayscale: true })).path).metadata()).channels).toBe(1);
    const { data, info } = await sharp((await run(png, 'webp', { grayscale: true, lossless: true })).path)
      .raw()
      .toBuffer({ resolveWithObject: true });
    for (let i = 0; i < data.length; i += info.channels * 97) {
      expect(data[i]).toBe(data[i + 1]);
      expect(data[i + 1]).toBe(data[i + 2]);
    }
    const colour = await sharp((await run(png, 'png')).path)
      .raw()
      .toBuffer();
    expect(colour[0] !== colour[1] || colour[1] !== colour[2]).toBe(true);
  });

  it('resizes: one side keeps the aspect ratio, fit decides for both sides', async () => {
    const dims = async (o: Record<string, unknown>) => {
      const m = await sharp((await run(png, 'png', o)).path).metadata();
      return [m.width, m.height];
    };
    expect(await dims({ width: 160 })).toEqual([160, 100]);
    expect(await dims({ height: 50 })).toEqual([80, 50]);
    expect(await dims({ width: 100, height: 100 })).toEqual([100, 63]); // inside (default)
    expect(await dims({ width: 100, height: 100, fit: 'cover' })).toEqual([100, 100]);
    expect(await dims({ width: 100, height: 100, fit: 'fill' })).toEqual([100, 100]);
    expect(await dims({ width: 100, height: 100, fit: 'outside' })).toEqual([160, 100]);
    expect(await dims({ width: 640, allow_enlarge: false })).toEqual([320, 200]);
    expect(await dims({ width: 640 })).toEqual([640, 400]);
  });

  it('contain pads with the background colour', async () => {
    const out = await run(png, 'png', { width: 100, height: 100, fit: 'contain', background: '#00ff00' });
    const { data, info } = await sharp(out.path).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([100, 100]);
    expect([...data.subarray(0, 3)]).toEqual([0, 255, 0]); // top-left corner is padding
  });

  it('flattens transparency onto the background for jpg', async () => {
    const out = await run(alphaPng, 'jpg', { background: 'ff0000', quality: 100 });
    const { data, info } = await sharp(out.path).raw().toBuffer({ resolveWithObject: true });
    expect(info.channels).toBe(3);
    const i = (100 * info.width + 300) * 3; // transparent half
    expect(data[i]).toBeGreaterThan(240);
    expect(data[i + 1]).toBeLessThan(15);
    expect(data[i + 2]).toBeLessThan(15);
  });

  it('keeps transparency for png and webp', async () => {
    for (const target of ['png', 'webp']) {
      const out = await run(alphaPng, target, { lossless: target === 'webp' ? true : undefined });
      const { data, info } = await sharp(out.path).raw().toBuffer({ resolveWithObject: true });
      expect(info.channels).toBe(4);
      expect(data[(100 * info.width + 300) * 4 + 3]).toBe(0);
      expect(data[(100 * info.width + 10) * 4 + 3]).toBe(255);
    }
  });

  it('rotates, flips and applies the EXIF orientation', async () => {
    const rotated = await sharp((await run(png, 'png', { rotate: 90 })).path).metadata();
    expect([rotated.width, rotated.height]).toEqual([200, 320]);

    const oriented = path.join(tmp.dir, 'oriented.jpg');
    await sharp(png).jpeg().withMetadata({ orientation: 6 }).toFile(oriented);
    const upright = await sharp((await run(oriented, 'png')).path).metadata();
    expect([upright.width, upright.height]).toEqual([200, 320]);
    expect(upright.orientation ?? 1).toBe(1);

    const flopped = await sharp((await run(png, 'png', { flop: true })).path)
      .raw()
      .toBuffer();
    const original = await sharp(png).raw().toBuffer();
    expect([...flopped.subarray(0, 3)]).toEqual([...original.subarray((320 - 1) * 3, 320 * 3)]);
  });

  it('keeps EXIF by default, strips it on request, records dpi', async () => {
    const withExif = path.join(tmp.dir, 'exif.jpg');
    await sharp(png)
      .jpeg()
      .withExif({ IFD0: { Copyright: 'Convoy test', Artist: 'Tester' } })
      .toFile(withExif);
    const kept = await sharp((await run(withExif, 'jpg')).path).metadata();
    expect(kept.exif?.toString('latin1')).toContain('Convoy test');
    const stripped = await sharp((await run(withExif, 'jpg', { strip_metadata: true })).path).metadata();
    expect(stripped.exif).toBeUndefined();
    const dense = await sharp((await run(png, 'png', { dpi: 300 })).path).metadata();
    expect(dense.density).toBe(300);
  });

  it('keeps animation from GIF to WebP', async () => {
    const frames = await Promise.all(
      [255, 0].map((r) =>
        sharp({ create: { width: 40, height: 30, channels: 3, background: { r, g: 0, b: 255 - r } } })
          .png()
          .toBuffer(),
      ),
    );
    const gif = path.join(tmp.dir, 'anim.gif');
    await sharp(frames, { join: { animated: true } })
      .gif({ delay: [100, 100], loop: 0 })
      .toFile(gif);
    expect((await sharp(gif).metadata()).pages).toBe(2);
    const webp = await sharp((await run(gif, 'webp')).path).metadata();
    expect(webp.pages).toBe(2);
    const still = await sharp((await run(gif, 'png')).path).metadata();
    expect([still.width, still.height]).toEqual([40, 30]);
  });

  it('reads and writes BMP through ffmpeg', async () => {
    const targets = await listTargets();
    expect(targets.find((t) => t.target === 'png')!.inputs).toContain('bmp');
    const bmp = await run(png, 'bmp', { width: 64 });
    const probe = await ffprobe(bmp.path);
    expect(probe.streams[0]).toMatchObject({ codec_name: 'bmp', width: 64, height: 40 });
    const back = await run(bmp.path, 'png', {}, 'from.bmp');
    const meta = await sharp(back.path).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 64, 40]);
  });

  it.skipIf(!haveHeif)('reads iPhone photos (HEIC): the primary image of a burst, its EXIF kept', async () => {
    const targets = await listTargets();
    expect(targets.find((t) => t.target === 'jpg')!.inputs).toEqual(expect.arrayContaining(['heic', 'heif']));
    // Two pictures in one file, as a burst: red (the primary, written first) and blue.
    const red = path.join(tmp.dir, 'red.jpg');
    await sharp({ create: { width: 96, height: 64, channels: 3, background: '#ff0000' } })
      .withExif({ IFD0: { Make: 'ConvoyCam' } })
      .jpeg()
      .toFile(red);
    const blue = path.join(tmp.dir, 'blue.jpg');
    await sharp({ create: { width: 96, height: 64, channels: 3, background: '#0000ff' } })
      .jpeg()
      .toFile(blue);
    const heic = path.join(tmp.dir, 'IMG_0001.HEIC');
    await promisify(execFile)('heif-enc', ['-q', '90', '-o', heic, red, blue]);
    const out = await run(heic, 'jpg', { quality: 90 });
    expect(out.filename).toBe('IMG_0001.jpg');
    const meta = await sharp(out.path).metadata();
    expect(meta).toMatchObject({ format: 'jpeg', width: 96, height: 64 });
    expect(meta.exif?.toString('latin1')).toContain('ConvoyCam');
    const { dominant } = await sharp(out.path).stats();
    expect(dominant.r).toBeGreaterThan(200);
    expect(dominant.b).toBeLessThan(60);
    // Options apply as to any image.
    expect(await sharp((await run(heic, 'webp', { width: 48 })).path).metadata()).toMatchObject({ format: 'webp', width: 48, height: 32 });
    // Known by its content when the name says nothing (a HEIF of HEVC is a HEIC, not an AVIF).
    expect(await sharp((await run(heic, 'png', {}, 'download')).path).metadata()).toMatchObject({ format: 'png', width: 96, height: 64 });
    // Not a HEIC after all: a clear error naming the file, no temp path.
    const fake = path.join(tmp.dir, 'fake.heic');
    await writeFile(fake, 'not an image');
    const err = await run(fake, 'jpg').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConversionError);
    expect((err as Error).message).toMatch(/^fake\.heic is not a readable HEIC\/HEIF image/);
    expect((err as Error).message).not.toContain(tmp.dir);
  });

  it.skipIf(!haveHeif)('operations read HEIC photos too (thumbnail, merge), archives and hashes keep their bytes, compress does not take them', async () => {
    const targets = new Map((await listTargets()).map((t) => [t.target, t]));
    for (const t of ['thumbnail', 'merge', 'pdf', 'compare-image', 'json']) expect(targets.get(t)!.inputs, t).toContain('heic');
    expect(targets.get('compress')!.inputs).not.toContain('heic');
    const green = path.join(tmp.dir, 'green.jpg');
    await sharp({ create: { width: 120, height: 80, channels: 3, background: '#00c000' } })
      .jpeg()
      .toFile(green);
    const heic = path.join(tmp.dir, 'IMG_0003.heic');
    await promisify(execFile)('heif-enc', ['-q', '90', '-o', heic, green]);
    const before = (await readdir(os.tmpdir())).filter((n) => n.startsWith('convoy-heif-')).length;
    const thumb = await run(heic, 'thumbnail', { thumbnail_target: 'png', width: 60 });
    expect(thumb.filename).toBe('IMG_0003.png');
    expect(await sharp(thumb.path).metadata()).toMatchObject({ format: 'png', width: 60, height: 40 });
    // merge: a HEIC and a PNG → one PDF of two pages.
    const outDir = await tmp.sub('merge');
    const [merged] = await convert({
      inputPath: heic,
      inputFilename: 'IMG_0003.heic',
      inputs: [
        { path: heic, filename: 'IMG_0003.heic' },
        { path: png, filename: 'photo.png' },
      ],
      target: 'merge',
      options: normalizeOptions('merge', {}),
      outDir,
    });
    expect((await PDFDocument.load(await readFile(merged.path))).getPageCount()).toBe(2);
    // The decoded copies are gone; a hash is of the HEIC's own bytes.
    expect((await readdir(os.tmpdir())).filter((n) => n.startsWith('convoy-heif-')).length).toBe(before);
    const md5 = await run(heic, 'md5');
    expect((await readFile(md5.path, 'utf8')).trim()).toBe(
      createHash('md5')
        .update(await readFile(heic))
        .digest('hex'),
    );
    await expect(run(heic, 'compress')).rejects.toThrow(/^Cannot convert \.heic files to compress/);
  });

  it('recognises an image by its content when the name has no usable extension', async () => {
    const out = await run(png, 'jpg', {}, 'download');
    expect(out.filename).toBe('download.jpg');
    expect((await sharp(out.path).metadata()).format).toBe('jpeg');
  });
});

describe('image conversion errors', () => {
  it('a corrupt image fails with a ConversionError naming the file, not our temp path', async () => {
    const bad = path.join(tmp.dir, 'corrupt-data.bin');
    await writeFile(bad, Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(500, 7)]));
    const err = await convert({ inputPath: bad, inputFilename: 'holiday.jpg', target: 'png', options: {}, outDir: await tmp.sub('bad') }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConversionError);
    expect((err as Error).message).toContain('holiday.jpg');
    expect((err as Error).message).not.toContain(tmp.dir);
  });

  it('an unsupported source extension fails clearly', async () => {
    const text = path.join(tmp.dir, 'notes.xyz');
    await writeFile(text, 'just text');
    await expect(convert({ inputPath: text, inputFilename: 'notes.xyz', target: 'png', options: {}, outDir: await tmp.sub('x') })).rejects.toThrow(
      /Cannot convert \.xyz files to png; it converts from .*jpg/,
    );
  });

  it('text content named .png is not an image', async () => {
    const text = path.join(tmp.dir, 'fake.png');
    await writeFile(text, 'this is not a png');
    await expect(convert({ inputPath: text, inputFilename: 'fake.png', target: 'webp', options: {}, outDir: await tmp.sub('f') })).rejects.toBeInstanceOf(
      ConversionError,
    );
  });

  it('an unknown target fails with the list of targets', async () => {
    await expect(convert({ inputPath: png, inputFilename: 'photo.png', target: 'psd', options: {}, outDir: await tmp.sub('u') })).rejects.toThrow(
      /Unknown target "psd".*jpg/,
    );
  });
});
