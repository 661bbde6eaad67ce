/**
 * api2convert's operation, archive, hash and metadata targets, run as jobs through the engine's
 * API (every response validated against openapi.json), each output read back: hashes equal
 * node:crypto's, archive entries listed, thumbnails and resizes measured, merged pages counted.
 */
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { PDFDocument, PDFName, PDFDict } from 'pdf-lib';
import sharp from 'sharp';
import tarStream from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import yauzl from 'yauzl';
import yazl from 'yazl';
import { findOnPath } from '../../engine/convert/tools';
import { ffmpeg, ffprobe, hasCommand } from './convert-helpers';
import { startTestEngine, type TestEngine } from './support/engine';
import { photo } from './support/images';
import { specMissing } from './support/openapi';
import { runJob } from './support/ops';

const run = promisify(execFile);
const missing = specMissing();

/** Entries of a zip held in memory: name → content. */
async function unzip(data: Buffer): Promise<Map<string, Buffer>> {
  const zip = await new Promise<yauzl.ZipFile>((res, rej) => yauzl.fromBuffer(data, { lazyEntries: true }, (e, z) => (e ? rej(e) : res(z!))));
  const out = new Map<string, Buffer>();
  await new Promise<void>((resolve, reject) => {
    zip.on('entry', (entry: yauzl.Entry) =>
      zip.openReadStream(entry, async (err, stream) => {
        if (err) return reject(err);
        const chunks: Buffer[] = [];
        for await (const c of stream!) chunks.push(c as Buffer);
        out.set(entry.fileName, Buffer.concat(chunks));
        zip.readEntry();
      }),
    );
    zip.on('end', resolve);
    zip.on('error', reject);
    zip.readEntry();
  });
  return out;
}

async function zipOf(entries: Record<string, Buffer>): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const [name, data] of Object.entries(entries)) zip.addBuffer(data, name);
  zip.end();
  const chunks: Buffer[] = [];
  for await (const c of zip.outputStream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function pdfWith(pages: number, image?: Buffer): Promise<Buffer> {
  const doc = await PDFDocument.create();
  const jpg = image ? await doc.embedJpg(image) : undefined;
  for (let i = 0; i < pages; i++) {
    const page = doc.addPage([300, 400]);
    page.drawText(`Page ${i + 1}`, { x: 40, y: 350, size: 24 });
    if (jpg) page.drawImage(jpg, { x: 20, y: 20, width: 260, height: 200 });
  }
  return Buffer.from(await doc.save());
}

describe.skipIf(!!missing)('operations through the API', () => {
  let t: TestEngine;
  let jpg: Buffer;
  let png: Buffer;
  let pdf: Buffer;
  let work: string;

  beforeAll(async () => {
    t = await startTestEngine();
    jpg = await photo(640, 480);
    png = await photo(200, 100, 'png');
    pdf = await pdfWith(2);
    work = await mkdtemp(path.join(os.tmpdir(), 'convoy-ops-'));
  }, 60_000);
  afterAll(async () => {
    await t?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('lists the operations in GET /v2/conversions with their categories and option schemas', async () => {
    const all: any[] = [];
    for (let page = 1; ; page++) {
      const res = await t.api.get(`/v2/conversions?page=${page}`);
      expect(res.status).toBe(200);
      all.push(...res.body);
      if (all.length >= Number(res.headers.get('x-count'))) break;
    }
    const by = new Map(all.map((c) => [c.target, c]));
    for (const [target, category] of [
      ['thumbnail', 'operation'],
      ['resize-image', 'operation'],
      ['compress', 'operation'],
      ['compare-image', 'operation'],
      ['extract-assets', 'operation'],
      ['merge', 'operation'],
      ['zip', 'archive'],
      ['tar', 'archive'],
      ['md5', 'hash'],
      ['sha1', 'hash'],
      ['sha256', 'hash'],
      ['sha512', 'hash'],
      ['crc32', 'hash'],
      ['json', 'metadata'],
    ]) {
      expect(by.get(target)?.category, target).toBe(category);
    }
    expect(by.get('thumbnail').options.thumbnail_target).toMatchObject({ type: 'string', enum: ['png', 'jpg', 'webp'], default: 'png' });
    expect(by.get('resize-image').options.resize_handling.enum).toContain('keep_aspect_ratio_crop');
    expect(by.get('compress').options.compression_level).toMatchObject({ enum: ['low', 'medium', 'high'], default: 'medium' });
    expect(by.get('compare-image').options.method.enum).toEqual(['ssim', 'pixel']);
    expect(by.get('pdf').options).toMatchObject({ stamp: { type: 'boolean', default: false }, alignment: { default: 'center' } });
    expect(by.get('zip').inputs).toEqual([]); // any file
    if (await hasCommand('7z')) expect(by.get('7z')?.category).toBe('archive');
    // Filtered by category, as the API allows.
    const hashes = await t.api.get('/v2/conversions?category=hash');
    expect(hashes.body.map((c: any) => c.target).sort()).toEqual(['crc32', 'md5', 'sha1', 'sha256', 'sha512']);
  });

  it('hashes equal node:crypto and zlib.crc32 (the SDK example: sha256, category hash)', async () => {
    for (const algo of ['md5', 'sha1', 'sha256', 'sha512', 'crc32']) {
      const { outputs } = await runJob(t.api, [{ name: 'example.zip', data: jpg }], { category: 'hash', target: algo });
      expect(outputs).toHaveLength(1);
      expect(outputs[0].filename).toBe(`example.${algo}`);
      const expected = algo === 'crc32' ? zlib.crc32(jpg).toString(16).padStart(8, '0') : crypto.createHash(algo).update(jpg).digest('hex');
      expect(outputs[0].data.toString('utf8'), algo).toBe(`${expected}\n`);
    }
  });

  it('zips several inputs into one archive (the SDK example: a PDF and a PNG)', async () => {
    const { job, outputs } = await runJob(
      t.api,
      [
        { name: 'example.pdf', data: pdf },
        { name: 'example.png', data: png },
        { name: 'example.png', data: jpg },
      ],
      { category: 'archive', target: 'zip' },
    );
    expect(outputs).toHaveLength(1);
    expect(outputs[0].filename).toBe('archive.zip');
    expect(outputs[0].meta.source.input).toEqual(job.input.map((i: any) => i.id));
    const entries = await unzip(outputs[0].data);
    expect([...entries.keys()]).toEqual(['example.pdf', 'example.png', 'example (2).png']);
    expect(entries.get('example.pdf')!.equals(pdf)).toBe(true);
    expect(entries.get('example (2).png')!.equals(jpg)).toBe(true);
  });

  it('stores an archive inside an archive as a file (never unpacks it)', async () => {
    const inner = await zipOf({ 'a.txt': Buffer.from('hello'), 'nested.zip': await zipOf({ 'b.txt': Buffer.from('deep') }) });
    const { outputs } = await runJob(t.api, [{ name: 'inner.zip', data: inner }], { target: 'zip' });
    const entries = await unzip(outputs[0].data);
    expect([...entries.keys()]).toEqual(['inner.zip']);
    expect(entries.get('inner.zip')!.equals(inner)).toBe(true);
  });

  it('writes tar archives (entries read back with tar-stream)', async () => {
    const { outputs } = await runJob(
      t.api,
      [
        { name: 'a.png', data: png },
        { name: 'b.pdf', data: pdf },
      ],
      { target: 'tar' },
    );
    const extract = tarStream.extract();
    const seen = new Map<string, Buffer>();
    extract.on('entry', async (header, stream, next) => {
      const chunks: Buffer[] = [];
      for await (const c of stream) chunks.push(c as Buffer);
      seen.set(header.name, Buffer.concat(chunks));
      next();
    });
    await new Promise<void>((resolve, reject) => {
      extract.on('finish', resolve);
      extract.on('error', reject);
      Readable.from([outputs[0].data]).pipe(extract);
    });
    expect([...seen.keys()]).toEqual(['a.png', 'b.pdf']);
    expect(seen.get('b.pdf')!.equals(pdf)).toBe(true);
  });

  it.skipIf(!findOnPath(['7z', '7za']))('writes 7z archives (listed by 7z itself)', async () => {
    // Names that look like 7z syntax (a list file, a switch) are stored as names.
    const { outputs } = await runJob(
      t.api,
      [
        { name: 'a.png', data: png },
        { name: 'b.pdf', data: pdf },
        { name: '@list.txt', data: Buffer.from('x') },
        { name: '-sdel.txt', data: Buffer.from('y') },
      ],
      { target: '7z' },
    );
    const file = path.join(work, 'out.7z');
    await writeFile(file, outputs[0].data);
    const { stdout } = await run('7z', ['l', '-slt', file]);
    const names = [...stdout.matchAll(/^Path = (.+)$/gm)].map((m) => m[1]).slice(1);
    expect(names.sort()).toEqual(['-sdel.txt', '@list.txt', 'a.png', 'b.pdf']);
  });

  it('reports metadata as json: image size and EXIF, PDF pages, media duration', async () => {
    const withExif = await sharp(jpg)
      .withExif({ IFD0: { Make: 'ConvoyCam', Model: 'T1' } })
      .jpeg()
      .toBuffer();
    const img = await runJob(t.api, [{ name: 'example.jpg', data: withExif }], { category: 'metadata', target: 'json' });
    const report = JSON.parse(img.outputs[0].data.toString('utf8'));
    expect(img.outputs[0].filename).toBe('example.json');
    expect(report).toMatchObject({ filename: 'example.jpg', size: withExif.length, type: 'image', format: 'jpeg', width: 640, height: 480 });
    expect(report.exif.Image ?? report.exif.image ?? report.exif).toMatchObject({ Make: 'ConvoyCam', Model: 'T1' });

    const doc = await runJob(t.api, [{ name: 'three.pdf', data: await pdfWith(3) }], { target: 'json' });
    expect(JSON.parse(doc.outputs[0].data.toString('utf8'))).toMatchObject({ type: 'document', pages: 3 });

    const wav = path.join(work, 'tone.wav');
    await ffmpeg(['-f', 'lavfi', '-i', 'sine=frequency=440:duration=2', '-ar', '22050', wav]);
    const media = await runJob(t.api, [{ name: 'tone.wav', data: await readFile(wav) }], { target: 'json' });
    const m = JSON.parse(media.outputs[0].data.toString('utf8'));
    expect(m.duration).toBeCloseTo(2, 1);
    expect(m.streams[0]).toMatchObject({ type: 'audio', sample_rate: 22050, channels: 1 });
  });

  it('makes thumbnails of an image, the first page of a PDF and a video frame (the SDK example options)', async () => {
    const img = await runJob(t.api, [{ name: 'big.jpg', data: jpg }], {
      category: 'operation',
      target: 'thumbnail',
      options: { thumbnail_target: 'png', width: 300 },
    });
    const meta = await sharp(img.outputs[0].data).metadata();
    expect([img.outputs[0].filename, meta.format, meta.width, meta.height]).toEqual(['big.png', 'png', 300, 225]);

    const page = await runJob(t.api, [{ name: 'example.pdf', data: pdf }], {
      category: 'operation',
      target: 'thumbnail',
      options: { thumbnail_target: 'png', width: 300, pages: 'first', dpi: 150 },
    });
    const pm = await sharp(page.outputs[0].data).metadata();
    expect([pm.format, pm.width, pm.height]).toEqual(['png', 300, 400]); // 300×400 pt page, aspect kept

    const mp4 = path.join(work, 'clip.mp4');
    await ffmpeg(['-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=10:duration=2', '-pix_fmt', 'yuv420p', mp4]);
    const frame = await runJob(t.api, [{ name: 'clip.mp4', data: await readFile(mp4) }], {
      target: 'thumbnail',
      options: { thumbnail_target: 'jpg', width: 160 },
    });
    const fm = await sharp(frame.outputs[0].data).metadata();
    expect([frame.outputs[0].filename, fm.format, fm.width, fm.height]).toEqual(['clip.jpg', 'jpeg', 160, 120]);
  }, 60_000);

  it.skipIf(!findOnPath(['soffice', 'libreoffice']))(
    'makes a thumbnail of the first page of an office document (LibreOffice, then pdftoppm)',
    async () => {
      const { outputs } = await runJob(
        t.api,
        [{ name: 'notes.txt', data: Buffer.from('Hello thumbnail\n'.repeat(20)) }],
        { target: 'thumbnail', options: { width: 200 } },
        { timeoutMs: 120_000 },
      );
      const meta = await sharp(outputs[0].data).metadata();
      expect([outputs[0].filename, meta.format, meta.width]).toEqual(['notes.png', 'png', 200]);
      expect(meta.height!).toBeGreaterThan(250); // a portrait page
    },
    130_000,
  );

  it.skipIf(!findOnPath(['soffice', 'libreoffice']))(
    'writes PDF/A from an office document (the SDK README: target pdf, pdf_a: true)',
    async () => {
      const { outputs } = await runJob(
        t.api,
        [{ name: 'contract.txt', data: Buffer.from('Archive me\n') }],
        { target: 'pdf', options: { pdf_a: true } },
        { timeoutMs: 120_000 },
      );
      const text = outputs[0].data.toString('latin1');
      expect(text).toMatch(/pdfaid:part(>|=")2/);
      const plain = await runJob(t.api, [{ name: 'x.png', data: png }], { target: 'pdf', options: { pdf_a: true } }, { expect: 'failed' });
      expect(plain.job.errors[0].message).toMatch(/pdf_a is made from office documents/);
    },
    130_000,
  );

  it('resizes images by px or percent with resize_handling (the SDK example: 800×600 crop)', async () => {
    const crop = await runJob(t.api, [{ name: 'example.jpg', data: jpg }], {
      category: 'operation',
      target: 'resize-image',
      options: { width: 800, height: 600, resize_by: 'px', resize_handling: 'keep_aspect_ratio_crop' },
    });
    const cm = await sharp(crop.outputs[0].data).metadata();
    expect([crop.outputs[0].filename, cm.format, cm.width, cm.height]).toEqual(['example.jpg', 'jpeg', 800, 600]);
    const pct = await runJob(t.api, [{ name: 'small.png', data: png }], { target: 'resize-image', options: { width: 50, resize_by: 'percent' } });
    const pm = await sharp(pct.outputs[0].data).metadata();
    expect([pm.format, pm.width, pm.height]).toEqual(['png', 100, 50]);
    const bad = await t.api.post('/v2/jobs', {
      input: [{ type: 'base64', source: png.toString('base64'), filename: 'x.png' }],
      conversion: [{ target: 'resize-image', options: { resize_handling: 'squash' } }],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/resize_handling/);
  });

  it('compresses a JPEG and a PDF to smaller files that still read back', async () => {
    const big = await sharp(jpg).jpeg({ quality: 98 }).toBuffer();
    const { outputs } = await runJob(t.api, [{ name: 'example.jpg', data: big }], {
      category: 'operation',
      target: 'compress',
      options: { compression_level: 'high' },
    });
    expect(outputs[0].filename).toBe('example.jpg');
    expect(outputs[0].data.length).toBeLessThan(big.length * 0.6);
    expect((await sharp(outputs[0].data).metadata()).width).toBe(640);

    const heavy = await pdfWith(2, big);
    const small = await runJob(t.api, [{ name: 'doc.pdf', data: heavy }], { target: 'compress', options: { compression_level: 'high' } });
    expect(small.outputs[0].data.length).toBeLessThan(heavy.length * 0.7);
    expect((await PDFDocument.load(small.outputs[0].data)).getPageCount()).toBe(2);
  });

  it('compresses audio by bitrate', async () => {
    const mp3 = path.join(work, 'loud.mp3');
    await ffmpeg(['-f', 'lavfi', '-i', 'sine=frequency=440:duration=3', '-ac', '2', '-b:a', '256k', mp3]);
    const data = await readFile(mp3);
    const { outputs } = await runJob(t.api, [{ name: 'loud.mp3', data }], { target: 'compress', options: { compression_level: 'high' } });
    const out = path.join(work, 'small.mp3');
    await writeFile(out, outputs[0].data);
    const probe = await ffprobe(out);
    expect(probe.streams[0].codec_name).toBe('mp3');
    expect(outputs[0].data.length).toBeLessThan(data.length * 0.5);
  }, 30_000);

  it('compresses video by a lower quality target (same container, still readable)', async () => {
    const mp4 = path.join(work, 'big.mp4');
    await ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=15:duration=2', '-c:v', 'libx264', '-crf', '12', '-pix_fmt', 'yuv420p', mp4]);
    const data = await readFile(mp4);
    const { outputs } = await runJob(t.api, [{ name: 'big.mp4', data }], { target: 'compress', options: { compression_level: 'high' } });
    expect(outputs[0].filename).toBe('big.mp4');
    expect(outputs[0].data.length).toBeLessThan(data.length * 0.5);
    const out = path.join(work, 'small.mp4');
    await writeFile(out, outputs[0].data);
    const probe = await ffprobe(out);
    expect(probe.streams[0]).toMatchObject({ codec_type: 'video', codec_name: 'h264', width: 320, height: 240 });
    expect(probe.duration).toBeCloseTo(2, 0);
  }, 60_000);

  it('compares images: identical ones score 1, a changed one less, with a diff image (the SDK example options)', async () => {
    const same = await runJob(
      t.api,
      [
        { name: 'a.jpg', data: jpg },
        { name: 'b.jpg', data: jpg },
      ],
      { category: 'operation', target: 'compare-image', options: { method: 'ssim', threshold: 5, diff_color: 'red' } },
    );
    expect(same.outputs.map((o) => o.filename)).toEqual(['a-diff.png', 'a-compare.json']);
    const r1 = JSON.parse(same.outputs[1].data.toString('utf8'));
    expect(r1).toMatchObject({ identical: true, similarity: 1, different_pixels: 0, width: 640, height: 480, resized: false });
    expect((await sharp(same.outputs[0].data).metadata()).width).toBe(640);

    const changed = await sharp(jpg)
      .composite([{ input: { create: { width: 100, height: 100, channels: 3, background: '#00ff00' } }, left: 10, top: 10 }])
      .jpeg()
      .toBuffer();
    const diff = await runJob(
      t.api,
      [
        { name: 'a.jpg', data: jpg },
        { name: 'b.jpg', data: changed },
      ],
      { target: 'compare-image', options: { diff_color: 'red' } },
    );
    const r2 = JSON.parse(diff.outputs[1].data.toString('utf8'));
    expect(r2.identical).toBe(false);
    expect(r2.similarity).toBeLessThan(0.99);
    expect(r2.different_pixels).toBeGreaterThanOrEqual(9000);
    const { data } = await sharp(diff.outputs[0].data).raw().toBuffer({ resolveWithObject: true });
    const at = (50 * 640 + 50) * 3; // inside the changed square: painted red
    expect([data[at], data[at + 1], data[at + 2]]).toEqual([255, 0, 0]);

    // Different sizes: the second is scaled to the first, and the report says so.
    const smaller = await sharp(jpg).resize(320, 240).jpeg().toBuffer();
    const sized = await runJob(
      t.api,
      [
        { name: 'a.jpg', data: jpg },
        { name: 'b.jpg', data: smaller },
      ],
      { target: 'compare-image', options: { method: 'pixel', threshold: 20 } },
    );
    const r3 = JSON.parse(sized.outputs[1].data.toString('utf8'));
    expect(r3.resized).toEqual({ from: [320, 240], to: [640, 480] });
    expect(r3.similarity).toBeGreaterThan(0.8);

    // One image is not a comparison.
    const one = await runJob(t.api, [{ name: 'a.jpg', data: jpg }], { target: 'compare-image' }, { expect: 'failed' });
    expect(one.job.errors[0].message).toMatch(/exactly two images; this job has 1/);
  });

  it('extracts the images of a DOCX (its media folder) and of a PDF, one output each', async () => {
    const docx = await zipOf({
      '[Content_Types].xml': Buffer.from('<Types/>'),
      'word/document.xml': Buffer.from('<w:document/>'),
      'word/media/image1.png': png,
      'word/media/image2.jpeg': jpg,
    });
    const d = await runJob(t.api, [{ name: 'example.docx', data: docx }], { category: 'operation', target: 'extract-assets' });
    expect(d.outputs.map((o) => o.filename)).toEqual(['example-image1.png', 'example-image2.jpeg']);
    expect(d.outputs[0].data.equals(png)).toBe(true);
    expect(d.outputs.every((o) => o.meta.source.conversion === d.job.conversion[0].id)).toBe(true);

    const p = await runJob(t.api, [{ name: 'photos.pdf', data: await pdfWith(2, jpg) }], { target: 'extract-assets' });
    expect(p.outputs.length).toBeGreaterThanOrEqual(1);
    const first = await sharp(p.outputs[0].data).metadata();
    expect([first.width, first.height]).toEqual([640, 480]);

    const none = await runJob(
      t.api,
      [{ name: 'empty.docx', data: await zipOf({ 'word/document.xml': Buffer.from('<x/>') }) }],
      { target: 'extract-assets' },
      { expect: 'failed' },
    );
    expect(none.job.errors[0].message).toBe('empty.docx has no embedded images to extract');
  });

  it('merges images and PDFs into one PDF with one page per image and every PDF page', async () => {
    const { outputs } = await runJob(
      t.api,
      [
        { name: 'a.jpg', data: jpg },
        { name: 'b.pdf', data: pdf },
        { name: 'c.png', data: png },
      ],
      { category: 'operation', target: 'merge' },
    );
    expect(outputs).toHaveLength(1);
    expect(outputs[0].filename).toBe('merged.pdf');
    const doc = await PDFDocument.load(outputs[0].data);
    expect(doc.getPageCount()).toBe(4);
    expect(doc.getPage(0).getSize()).toEqual({ width: 640, height: 480 });
    expect(doc.getPage(3).getSize()).toEqual({ width: 200, height: 100 });
  });

  it('merges 1,000 inputs into a 1,000-page PDF', async () => {
    const dot = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#336699' } })
      .png()
      .toBuffer();
    const files = Array.from({ length: 1000 }, (_, i) => ({ name: `p${i}.png`, data: dot }));
    const { outputs } = await runJob(t.api, files, { target: 'merge' }, { timeoutMs: 120_000 });
    expect((await PDFDocument.load(outputs[0].data)).getPageCount()).toBe(1000);
  }, 150_000);

  it('stamps a PNG onto every page of a PDF (the SDK watermark example: two inputs, stamp, alignment)', async () => {
    const { job, outputs } = await runJob(
      t.api,
      [
        { name: 'example.pdf', data: pdf },
        { name: 'example.png', data: png },
      ],
      { category: 'document', target: 'pdf', options: { stamp: true, alignment: 'center' } },
    );
    expect(outputs).toHaveLength(1);
    expect(outputs[0].filename).toBe('example.pdf');
    expect(outputs[0].meta.source.input).toHaveLength(2);
    expect(job.conversion[0].options).toMatchObject({ stamp: true, alignment: 'center' });
    const doc = await PDFDocument.load(outputs[0].data);
    expect(doc.getPageCount()).toBe(2);
    for (const page of doc.getPages()) {
      const xobjects = page.node.Resources()?.lookup(PDFName.of('XObject'), PDFDict);
      expect(xobjects?.keys().length ?? 0).toBeGreaterThanOrEqual(1);
    }
    // Without a second input there is nothing to stamp.
    const lone = await runJob(t.api, [{ name: 'example.pdf', data: pdf }], { target: 'pdf', options: { stamp: true } }, { expect: 'failed' });
    expect(lone.job.errors[0].message).toMatch(/stamp needs two inputs/);
  });

  it('accepts the official audio option names (the SDK example: audio_codec, audio_bitrate, channels, frequency) and the old alias', async () => {
    const wav = path.join(work, 'mono.wav');
    await ffmpeg(['-f', 'lavfi', '-i', 'sine=frequency=440:duration=1', '-ac', '1', '-ar', '22050', wav]);
    const { job, outputs } = await runJob(t.api, [{ name: 'example.wav', data: await readFile(wav) }], {
      category: 'audio',
      target: 'aac',
      options: { audio_codec: 'aac', audio_bitrate: 192, channels: 'stereo', frequency: 44100 },
    });
    const out = path.join(work, 'out.aac');
    await writeFile(out, outputs[0].data);
    const probe = await ffprobe(out);
    expect(probe.streams[0]).toMatchObject({ codec_name: 'aac', channels: 2, sample_rate: '44100' });
    expect(job.conversion[0].options).toMatchObject({ channels: 'stereo' });
    const alias = await t.api.post('/v2/jobs', { process: false, conversion: [{ target: 'mp3', options: { channel: 'mono' } }] });
    expect(alias.status).toBe(201);
    expect(alias.body.conversion[0].options).toMatchObject({ channels: 'mono' });
    expect(alias.body.conversion[0].options).not.toHaveProperty('channel');
  }, 30_000);
});
