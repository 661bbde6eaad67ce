/**
 * The request bodies of the official Node SDK's documented examples (QaamGo/api2convert-nodejs
 * 10.3.1, examples/*.ts), written out here and replayed raw against the engine, with the example
 * files served from loopback instead of example-files.online-convert.com. Each job must complete
 * with the outputs the example expects.
 */
import { readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PDFDocument } from 'pdf-lib';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import yazl from 'yazl';
import { ffmpeg } from './convert-helpers';
import { startTestEngine, type TestEngine } from './support/engine';
import { photo } from './support/images';
import { specMissing } from './support/openapi';
import { startFileServer, type FileServer } from './support/servers';

const missing = specMissing();

async function zipOf(entries: Record<string, Buffer>): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const [name, data] of Object.entries(entries)) zip.addBuffer(data, name);
  zip.end();
  const chunks: Buffer[] = [];
  for await (const c of zip.outputStream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe.skipIf(!!missing)('the SDK examples, replayed raw', () => {
  let t: TestEngine;
  let files: FileServer;
  const url: Record<string, string> = {};

  beforeAll(async () => {
    files = await startFileServer();
    const jpg = await photo(640, 480);
    const doc = await PDFDocument.create();
    doc.addPage([300, 400]).drawText('example', { x: 40, y: 300, size: 24 });
    const png = await photo(120, 80, 'png');
    const wav = path.join(os.tmpdir(), `convoy-sdk-example-${process.pid}.wav`);
    await ffmpeg(['-f', 'lavfi', '-i', 'sine=frequency=440:duration=1', wav]);
    const wavData = await readFile(wav);
    await rm(wav, { force: true });
    url.jpg = files.set('/raster image/jpg/example.jpg', jpg);
    url.jpgSmall = files.set('/raster image/jpg/example_small.jpg', await sharp(jpg).resize(320, 240).jpeg().toBuffer());
    url.png = files.set('/raster image/png/example.png', png);
    url.pdf = files.set('/document/pdf/example.pdf', Buffer.from(await doc.save()));
    url.docx = files.set('/document/docx/example.docx', await zipOf({ 'word/document.xml': Buffer.from('<w:document/>'), 'word/media/image1.png': png }));
    url.zip = files.set('/archive/zip/example.zip', await zipOf({ 'a.txt': Buffer.from('a') }));
    url.wav = files.set('/audio/wav/example.wav', wavData);
    t = await startTestEngine();
  }, 30_000);
  afterAll(async () => {
    await t?.stop();
    await files?.close();
  });

  const cases: Array<[string, () => Record<string, unknown>, (outputs: any[]) => void]> = [
    [
      'add-watermark',
      () => ({
        process: true,
        input: [
          { type: 'remote', source: url.pdf },
          { type: 'remote', source: url.png },
        ],
        conversion: [{ category: 'document', target: 'pdf', options: { stamp: true, alignment: 'center' } }],
      }),
      (o) => expect(o.map((x) => x.filename)).toEqual(['example.pdf']),
    ],
    [
      'audio-operations',
      () => ({
        input: [{ type: 'remote', source: url.wav }],
        conversion: [{ category: 'audio', target: 'aac', options: { audio_codec: 'aac', audio_bitrate: 192, channels: 'stereo', frequency: 44100 } }],
      }),
      (o) => expect(o[0].filename).toBe('example.aac'),
    ],
    [
      'compare-files',
      () => ({
        process: true,
        input: [
          { type: 'remote', source: url.jpgSmall },
          { type: 'remote', source: url.jpg },
        ],
        conversion: [{ category: 'operation', target: 'compare-image', options: { method: 'ssim', threshold: 5, diff_color: 'red' } }],
      }),
      (o) => expect(o.map((x) => x.filename)).toEqual(['example_small-diff.png', 'example_small-compare.json']),
    ],
    [
      'compress-files',
      () => ({
        input: [{ type: 'remote', source: url.jpg }],
        conversion: [{ category: 'operation', target: 'compress', options: { compression_level: 'high' } }],
      }),
      (o) => expect(o[0].filename).toBe('example.jpg'),
    ],
    [
      'create-archives',
      () => ({
        process: true,
        input: [
          { type: 'remote', source: url.pdf },
          { type: 'remote', source: url.png },
        ],
        conversion: [{ category: 'archive', target: 'zip' }],
      }),
      (o) => expect(o.map((x) => x.filename)).toEqual(['archive.zip']),
    ],
    [
      'create-hashes',
      () => ({ input: [{ type: 'remote', source: url.zip }], conversion: [{ category: 'hash', target: 'sha256' }] }),
      (o) => expect(o[0].filename).toBe('example.sha256'),
    ],
    [
      'create-thumbnails',
      () => ({
        input: [{ type: 'remote', source: url.pdf }],
        conversion: [{ category: 'operation', target: 'thumbnail', options: { thumbnail_target: 'png', width: 300, pages: 'first', dpi: 150 } }],
      }),
      (o) => expect(o[0].filename).toBe('example.png'),
    ],
    [
      'extract-assets',
      () => ({ input: [{ type: 'remote', source: url.docx }], conversion: [{ category: 'operation', target: 'extract-assets' }] }),
      (o) => expect(o.map((x) => x.filename)).toEqual(['example-image1.png']),
    ],
    [
      'file-analysis',
      () => ({ input: [{ type: 'remote', source: url.jpg }], conversion: [{ category: 'metadata', target: 'json' }] }),
      (o) => expect(o[0].filename).toBe('example.json'),
    ],
    [
      'image-operations',
      () => ({
        input: [{ type: 'remote', source: url.jpg }],
        conversion: [
          { category: 'operation', target: 'resize-image', options: { width: 800, height: 600, resize_by: 'px', resize_handling: 'keep_aspect_ratio_crop' } },
        ],
      }),
      (o) => expect(o[0].filename).toBe('example.jpg'),
    ],
  ];

  it.each(cases)('%s', async (_name, body, check) => {
    const created = await t.api.post('/v2/jobs', body());
    expect(created.status, created.text).toBe(201);
    const job = await t.api.waitFor(created.body.id, { timeoutMs: 60_000 });
    expect(job.status.code, JSON.stringify(job.errors)).toBe('completed');
    check(job.output);
    for (const out of job.output) expect((await t.api.download(out.uri)).data.length).toBeGreaterThan(0);
  });

  it('presets (list video/mp4) and statistics (a month, filter all)', async () => {
    expect((await t.api.get('/v2/presets?category=video&target=mp4')).status).toBe(200);
    const stats = await t.api.get(`/v2/stats/month/${new Date().toISOString().slice(0, 7)}/all`);
    expect(stats.status).toBe(200);
    expect(stats.body[0].jobs).toBeGreaterThanOrEqual(cases.length);
  });
});
