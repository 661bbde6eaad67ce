/**
 * Bad input for the operations: a PNG with one bad CRC converts (lenient like viewers), an
 * unreadable file fails naming the input by its file name (never a server path), a
 * decompression bomb is refused by its pixel count, a large file is hashed streamed, a missing
 * tool is named. The engine stays up throughout.
 */
import crypto from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, open, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convert, listTargets, missingTool, normalizeOptions, resetTargets } from '../../engine/convert/index';
import { resetToolCache } from '../../engine/convert/tools';
import { startTestEngine, type TestEngine } from './support/engine';
import { specMissing } from './support/openapi';
import { runJob } from './support/ops';

const missing = specMissing();

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** A tiny PNG whose header claims width × height pixels (a decompression bomb's shape). */
function bombPng(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 1; // bit depth 1
  ihdr[9] = 0; // grayscale
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(Buffer.alloc(1024))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

describe.skipIf(!!missing)('operations: bad input', () => {
  let t: TestEngine;
  let badCrc: Buffer;

  beforeAll(async () => {
    t = await startTestEngine();
    badCrc = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#3366aa' } })
      .png()
      .toBuffer();
    const idat = badCrc.indexOf(Buffer.from('IDAT'));
    badCrc[idat + 4 + badCrc.readUInt32BE(idat - 4)] ^= 0xff; // the IDAT chunk's CRC
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('converts a PNG with one bad CRC (as browsers display it), with the format targets and the operations', async () => {
    for (const target of ['jpg', 'webp', 'thumbnail', 'resize-image']) {
      const options = target === 'resize-image' ? { width: 32 } : {};
      const { outputs } = await runJob(t.api, [{ name: 'bad-crc.png', data: badCrc }], { target, options });
      const meta = await sharp(outputs[0].data).metadata();
      expect(meta.width, target).toBe(target === 'resize-image' ? 32 : 64);
    }
  });

  it('fails an unreadable image naming it by its file name, never a server path', async () => {
    const { job } = await runJob(t.api, [{ name: 'holiday.png', data: badCrc.subarray(0, 40) }], { target: 'jpg' }, { expect: 'failed' });
    const message = job.errors[0].message as string;
    expect(message).toContain('holiday.png');
    expect(message).not.toContain(t.dataDir);
    expect(message).not.toMatch(/\/(tmp|files|inputs)\//);
    const merge = await runJob(
      t.api,
      [
        { name: 'scan.png', data: Buffer.from('not a png at all') },
        { name: 'b.png', data: badCrc },
      ],
      { target: 'merge' },
      { expect: 'failed' },
    );
    expect(merge.job.errors[0].message).toMatch(/^scan\.png is not a readable image/);
    expect(merge.job.errors[0].message).not.toContain(t.dataDir);
    // libvips' lines once each, without its loader's class names.
    const cut = await runJob(
      t.api,
      [{ name: 'cut.jpg', data: Buffer.from('\xff\xd8\xff\xe0garbage'.repeat(10), 'latin1') }],
      { target: 'webp' },
      { expect: 'failed' },
    );
    expect(cut.job.errors[0].message).toBe(
      'Could not convert cut.jpg: Input file has corrupt header: premature end of JPEG image; JPEG datastream contains no image',
    );
  });

  it('refuses decompression bombs by their pixel count (thumbnail, resize, compare, merge) and stays up', async () => {
    const bomb = bombPng(100_000, 100_000);
    expect(bomb.length).toBeLessThan(2000);
    for (const target of ['thumbnail', 'resize-image', 'merge', 'compress']) {
      const options = target === 'resize-image' ? { width: 10 } : {};
      const { job } = await runJob(t.api, [{ name: 'bomb.png', data: bomb }], { target, options }, { expect: 'failed' });
      expect(job.errors[0].message, target).toMatch(/bomb\.png/);
      expect(job.errors[0].message, target).toMatch(/pixel limit|too large|this engine converts images up to \d+ megapixels/i);
    }
    const compare = await runJob(
      t.api,
      [
        { name: 'bomb.png', data: bomb },
        { name: 'b.png', data: badCrc },
      ],
      { target: 'compare-image' },
      { expect: 'failed' },
    );
    expect(compare.job.errors[0].message).toMatch(/bomb\.png.*(pixel limit|too large to compare|this engine converts images up to)/);
    expect((await t.api.get('/v2/statuses')).status).toBe(200);
  });

  it('hashes a large (sparse) file streamed, equal to node:crypto', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'convoy-hash-'));
    try {
      const file = path.join(dir, 'big.bin');
      const size = 256 * 1024 ** 2;
      const fh = await open(file, 'w');
      await fh.write(Buffer.from('head'), 0, 4, 0);
      await fh.write(Buffer.from('tail'), 0, 4, size - 4);
      await fh.close();
      const expected = crypto.createHash('sha256');
      for await (const c of createReadStream(file)) expected.update(c as Buffer);
      const outDir = path.join(dir, 'out');
      await mkdir(outDir);
      const [out] = await convert({ inputPath: file, inputFilename: 'big.bin', target: 'sha256', options: normalizeOptions('sha256', {}), outDir });
      expect((await readFile(out.path, 'utf8')).trim()).toBe(expected.digest('hex'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('leaves a target out when its tool is missing, and names the tool when a job asks for it', async () => {
    const original = process.env.PATH;
    try {
      process.env.PATH = '/nonexistent';
      resetToolCache();
      resetTargets();
      const targets = (await listTargets()).map((t) => t.target);
      expect(targets).not.toContain('7z');
      expect(targets).not.toContain('extract-assets');
      expect(targets).toContain('zip');
      expect(missingTool('7z')).toBe('7z (Debian package p7zip-full)');
      expect(() => normalizeOptions('7z', {})).toThrow('Target "7z" needs 7z (Debian package p7zip-full), which this engine\'s machine does not have');
      // The thumbnail of a PDF needs pdftoppm: without it PDFs are not among its inputs.
      expect((await listTargets()).find((t) => t.target === 'thumbnail')!.inputs).not.toContain('pdf');
    } finally {
      process.env.PATH = original;
      resetToolCache();
      resetTargets();
    }
  });
});
