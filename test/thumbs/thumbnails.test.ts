/**
 * Row thumbnails (main/thumbs): small WebP files made once per file version, none for what sharp
 * cannot read or for an image over the pixel limit, and a cache that prune() keeps bounded; a PDF's
 * first page and a video's frame through pdftoppm and ffmpeg, which are stopped when they hang,
 * flood their output or are pointed at the network.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { PDFDocument, rgb } from 'pdf-lib';
import sharp from 'sharp';
import yazl from 'yazl';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findOnPath } from '../../main/thumbs/frame';
import { createThumbnails } from '../../main/thumbs/thumbnails';

let dir: string;
let photo: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'convoy-thumbs-'));
  photo = path.join(dir, 'photo.jpg');
  await solid(photo, 1600, 900, '#3366cc');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A picture of one colour, written to `file` (its extension picks the format); its path. */
async function solid(file: string, width: number, height: number, color: string): Promise<string> {
  await sharp({ create: { width, height, channels: 3, background: color } }).toFile(file);
  return file;
}

describe('thumbnails', () => {
  it('makes a 64 px WebP once, and again only when the file changes', async () => {
    const logs: string[] = [];
    const thumbs = createThumbnails({ dir: path.join(dir, 'cache-a'), log: (m) => logs.push(m) });
    // Two rows asking at once make one file.
    const [a, b] = await Promise.all([thumbs.of(photo), thumbs.of(photo)]);
    expect(a).toBe(b);
    const meta = await sharp(a!).metadata();
    expect(meta).toMatchObject({ format: 'webp', width: 64, height: 36 });
    expect(fs.statSync(a!).size).toBeLessThan(4000);
    const made = fs.statSync(a!).mtimeMs;
    await new Promise((r) => setTimeout(r, 20));
    expect(await thumbs.of(photo)).toBe(a);
    expect(fs.statSync(a!).mtimeMs).toBe(made);
    // The source changed: a new thumbnail.
    await solid(photo, 300, 600, '#cc3333');
    const c = await thumbs.of(photo);
    expect(c).not.toBe(a);
    expect(await sharp(c!).metadata()).toMatchObject({ width: 32, height: 64 });
    expect(logs).toEqual([]);
  });

  it('has none for a document, a missing file, a broken image or one over the pixel limit, and says why in the log', async () => {
    const logs: string[] = [];
    const thumbs = createThumbnails({ dir: path.join(dir, 'cache-b'), maxPixels: 1_000_000, log: (m) => logs.push(m) });
    const text = path.join(dir, 'notes.txt');
    fs.writeFileSync(text, 'hello');
    const broken = path.join(dir, 'broken.jpg');
    fs.writeFileSync(broken, 'not a jpeg at all');
    const big = path.join(dir, 'big.png');
    await solid(big, 2000, 2000, '#000');
    expect(await thumbs.of(text)).toBeNull();
    expect(await thumbs.of(path.join(dir, 'gone.jpg'))).toBeNull();
    expect(await thumbs.of(broken)).toBeNull();
    expect(await thumbs.of(big)).toBeNull();
    expect(logs).toHaveLength(2);
    expect(logs[0]).toMatch(/^thumbnail: broken\.jpg: /);
    expect(logs[1]).toMatch(/^thumbnail: big\.png: .*pixel limit/i);
    // Not tried again while unchanged; no half-written file is left.
    expect(await thumbs.of(broken)).toBeNull();
    expect(logs).toHaveLength(2);
    expect(fs.readdirSync(path.join(dir, 'cache-b'))).toEqual([]);
  });

  it('prune keeps the newest thumbnails and drops leftover temporary files', async () => {
    const cache = path.join(dir, 'cache-c');
    fs.mkdirSync(cache);
    for (let i = 0; i < 5; i++) {
      const f = path.join(cache, `t${i}.webp`);
      fs.writeFileSync(f, 'x');
      fs.utimesSync(f, 1000 + i, 1000 + i);
    }
    fs.writeFileSync(path.join(cache, 'x.webp.123.tmp'), 'half');
    const thumbs = createThumbnails({ dir: cache, keep: 2 });
    expect(await thumbs.prune()).toBe(4);
    expect(fs.readdirSync(cache).sort()).toEqual(['t3.webp', 't4.webp']);
    // Nothing at creation (a CLI run never shows a thumbnail); the first thumbnail asked for prunes.
    const later = createThumbnails({ dir: cache, keep: 1 });
    await new Promise((r) => setTimeout(r, 50));
    expect(fs.readdirSync(cache)).toHaveLength(2);
    expect(await later.of(path.join(dir, 'notes.txt'))).toBeNull();
    await expect.poll(() => fs.readdirSync(cache)).toEqual(['t4.webp']);
  });

  it('keeps the cache bounded during a long session too (a prune after every keep ÷ 10 made)', async () => {
    const cache = path.join(dir, 'cache-d');
    const thumbs = createThumbnails({ dir: cache, keep: 10 });
    const sources = path.join(dir, 'many');
    fs.mkdirSync(sources);
    for (let i = 0; i < 25; i++) {
      const f = path.join(sources, `p${i}.png`);
      await sharp({ create: { width: 80, height: 60, channels: 3, background: { r: i * 10, g: 0, b: 0 } } })
        .png()
        .toFile(f);
      expect(await thumbs.of(f)).not.toBeNull();
    }
    await new Promise((r) => setTimeout(r, 100));
    expect(fs.readdirSync(cache).length).toBeLessThanOrEqual(10);
  });
});

describe('thumbnails of PDFs and videos (pdftoppm, ffmpeg)', () => {
  const pdftoppm = findOnPath('pdftoppm');
  const ffmpeg = findOnPath('ffmpeg');
  if (!pdftoppm) console.warn('SKIPPED PDF thumbnail test: pdftoppm is not installed (apt-get install poppler-utils)');
  if (!ffmpeg) console.warn('SKIPPED video thumbnail tests: ffmpeg is not installed (apt-get install ffmpeg)');
  const run = promisify(execFile);

  it.skipIf(!pdftoppm)("shows a PDF's first page", async () => {
    const pdf = path.join(dir, 'two pages.pdf');
    // Page 1 red and landscape, page 2 green and portrait: the thumbnail is page 1's.
    const doc = await PDFDocument.create();
    doc.addPage([800, 400]).drawRectangle({ x: 0, y: 0, width: 800, height: 400, color: rgb(1, 0, 0) });
    doc.addPage([400, 800]).drawRectangle({ x: 0, y: 0, width: 400, height: 800, color: rgb(0, 1, 0) });
    fs.writeFileSync(pdf, await doc.save());
    const thumbs = createThumbnails({ dir: path.join(dir, 'cache-pdf') });
    const thumb = await thumbs.of(pdf);
    expect(await sharp(thumb!).metadata()).toMatchObject({ format: 'webp', width: 64, height: 32 });
    const { dominant } = await sharp(thumb!).stats();
    expect(dominant.r).toBeGreaterThan(200);
    expect(dominant.g).toBeLessThan(60);
    // Not a PDF after all: none.
    const fake = path.join(dir, 'fake.pdf');
    fs.writeFileSync(fake, 'this is no PDF');
    expect(await thumbs.of(fake)).toBeNull();
  });

  it.skipIf(!ffmpeg)('shows a frame of a video, also of one shorter than a second', async () => {
    const long = path.join(dir, 'clip.mp4');
    const short = path.join(dir, 'short.webm');
    const lavfi = (color: string, seconds: number, size: string) => ['-v', 'error', '-f', 'lavfi', '-i', `color=c=${color}:s=${size}:d=${seconds}:r=10`];
    await run(ffmpeg!, [...lavfi('blue', 3, '320x180'), '-pix_fmt', 'yuv420p', '-y', long]);
    await run(ffmpeg!, [...lavfi('yellow', 0.3, '180x320'), '-y', short]);
    const thumbs = createThumbnails({ dir: path.join(dir, 'cache-video') });
    const a = await thumbs.of(long);
    expect(await sharp(a!).metadata()).toMatchObject({ format: 'webp', width: 64, height: 36 });
    expect((await sharp(a!).stats()).dominant.b).toBeGreaterThan(150);
    const b = await thumbs.of(short);
    expect(await sharp(b!).metadata()).toMatchObject({ format: 'webp', width: 36, height: 64 });
  });

  it.skipIf(!ffmpeg)("shows a video's frame past its sound track, a song's cover, and none for a song without one", async () => {
    const av = path.join(dir, 'with sound.mkv');
    await run(ffmpeg!, ['-v', 'error', '-f', 'lavfi', '-i', 'color=c=green:s=200x100:d=2:r=10', '-f', 'lavfi', '-i', 'sine=d=2', '-shortest', '-y', av]);
    const plain = path.join(dir, 'plain.mp3');
    await run(ffmpeg!, ['-v', 'error', '-f', 'lavfi', '-i', 'sine=d=2', '-y', plain]);
    const cover = await solid(path.join(dir, 'cover.png'), 300, 300, '#ff0000');
    const song = path.join(dir, 'song.mp3');
    await run(ffmpeg!, ['-v', 'error', '-i', plain, '-i', cover, '-map', '0:a', '-map', '1', '-c', 'copy', '-disposition:v', 'attached_pic', '-y', song]);
    const logs: string[] = [];
    const thumbs = createThumbnails({ dir: path.join(dir, 'cache-audio'), log: (m) => logs.push(m) });
    expect(await sharp((await thumbs.of(av))!).metadata()).toMatchObject({ width: 64, height: 32 });
    const a = await thumbs.of(song);
    expect(await sharp(a!).metadata()).toMatchObject({ format: 'webp', width: 64, height: 64 });
    expect((await sharp(a!).stats()).dominant.r).toBeGreaterThan(200);
    expect(await thumbs.of(plain)).toBeNull();
    expect(logs.join('\n')).toMatch(/plain\.mp3: no cover picture/);
  });

  it('tells ffmpeg to read local files only, with the demuxer of the extension, so no playlist inside a "video" is followed', async () => {
    // (Debian's ffmpeg already keeps a local playlist off the network; other builds may not.)
    const record = path.join(dir, 'record-ffmpeg.sh');
    const argsFile = path.join(dir, 'ffmpeg-args.txt');
    fs.writeFileSync(record, `#!/bin/sh\nprintf '%s\\n' "$@" >> '${argsFile}'\nexit 1\n`, { mode: 0o755 });
    const video = path.join(dir, 'playlist.mp4');
    fs.writeFileSync(video, '#EXTM3U\n#EXTINF:1,\nhttp://127.0.0.1:9/segment.ts\n');
    const thumbs = createThumbnails({ dir: path.join(dir, 'cache-args'), ffmpegPath: () => record });
    expect(await thumbs.of(video)).toBeNull();
    const args = fs.readFileSync(argsFile, 'utf8').trim().split('\n');
    const input = args.indexOf('-i');
    expect(args[input + 1]).toBe(video);
    expect(args.slice(0, input).join(' ')).toContain('-protocol_whitelist file');
    // Only the demuxer an .mp4 stands for: the playlist is refused, not followed.
    expect(args.slice(0, input).join(' ')).toContain('-format_whitelist mov');
    expect(args.slice(0, input)).toContain('-nostdin');
  });

  it.skipIf(!ffmpeg)('a "video" that is a playlist of another file on disk is refused, not followed', async () => {
    const other = path.join(dir, 'elsewhere.ts');
    await run(ffmpeg!, ['-v', 'error', '-f', 'lavfi', '-i', 'color=c=red:s=160x90:d=2:r=10', '-f', 'mpegts', '-y', other]);
    const playlist = path.join(dir, 'holiday.mp4');
    fs.writeFileSync(playlist, `#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\n${other}\n#EXT-X-ENDLIST\n`);
    const logs: string[] = [];
    const thumbs = createThumbnails({ dir: path.join(dir, 'cache-playlist'), log: (m) => logs.push(m) });
    expect(await thumbs.of(playlist)).toBeNull();
    expect(logs.join('\n')).toMatch(/holiday\.mp4: no frame/);
  });

  it('stops a tool that hangs or floods its output, and keeps the badge', async () => {
    const hang = path.join(dir, 'hang-ffmpeg.sh');
    fs.writeFileSync(hang, '#!/bin/sh\nsleep 30\n', { mode: 0o755 });
    const flood = path.join(dir, 'flood-ffmpeg.sh');
    fs.writeFileSync(flood, '#!/bin/sh\nexec cat /dev/zero\n', { mode: 0o755 });
    const video = path.join(dir, 'any.mp4');
    fs.writeFileSync(video, 'whatever');
    for (const [tool, what] of [
      [hang, 'hang'],
      [flood, 'flood'],
    ]) {
      const logs: string[] = [];
      const thumbs = createThumbnails({ dir: path.join(dir, `cache-${what}`), ffmpegPath: () => tool, frameTimeoutMs: 500, log: (m) => logs.push(m) });
      const started = Date.now();
      expect(await thumbs.of(video), what).toBeNull();
      // Two tries (1 s in, then the first frame), each stopped at the limit at the latest.
      expect(Date.now() - started, what).toBeLessThan(5_000);
      expect(logs.join('\n'), what).toMatch(/any\.mp4: no frame/);
    }
  });
});

describe('thumbnails of HEIC photos (libheif)', () => {
  const heifEnc = findOnPath('heif-enc');
  const heifDec = findOnPath('heif-dec') ?? findOnPath('heif-convert');
  if (!heifEnc || !heifDec) console.warn('SKIPPED the HEIC thumbnail test: libheif-examples is not installed');

  it.skipIf(!heifEnc || !heifDec)('shows an iPhone photo (the primary image of a burst), and leaves no decoded file behind', async () => {
    const orange = await solid(path.join(dir, 'orange.jpg'), 400, 300, '#ff8000');
    const teal = await solid(path.join(dir, 'teal.jpg'), 400, 300, '#008080');
    const heic = path.join(dir, 'IMG_0002.HEIC');
    await promisify(execFile)(heifEnc!, ['-q', '80', '-o', heic, orange, teal]);
    const before = fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith('convoy-heif-')).length;
    const thumbs = createThumbnails({ dir: path.join(dir, 'cache-heic') });
    const thumb = await thumbs.of(heic);
    expect(await sharp(thumb!).metadata()).toMatchObject({ format: 'webp', width: 64, height: 48 });
    const { dominant } = await sharp(thumb!).stats();
    expect(dominant.r).toBeGreaterThan(200);
    expect(dominant.b).toBeLessThan(80);
    expect(fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith('convoy-heif-')).length).toBe(before);
    const fake = path.join(dir, 'fake.heic');
    fs.writeFileSync(fake, 'no photo');
    expect(await thumbs.of(fake)).toBeNull();
  });
});

describe('thumbnails of office files (the preview picture saved inside)', () => {
  /** A zip with these entries, as yazl writes it. */
  const zipOf = (file: string, entries: Record<string, Buffer>) =>
    new Promise<void>((resolve, reject) => {
      const zip = new yazl.ZipFile();
      for (const [name, data] of Object.entries(entries)) zip.addBuffer(data, name);
      zip.end();
      zip.outputStream.pipe(fs.createWriteStream(file)).on('close', resolve).on('error', reject);
    });
  const picture = (color: string, format: 'png' | 'jpeg') =>
    sharp({ create: { width: 200, height: 280, channels: 3, background: color } })
      .toFormat(format)
      .toBuffer();

  it('shows the picture of an OpenDocument file and of an Office file that has one, and none otherwise', async () => {
    const odt = path.join(dir, 'letter.odt');
    await zipOf(odt, { mimetype: Buffer.from('application/vnd.oasis.opendocument.text'), 'Thumbnails/thumbnail.png': await picture('#00ff00', 'png') });
    const pptx = path.join(dir, 'slides.pptx');
    await zipOf(pptx, { '[Content_Types].xml': Buffer.from('<Types/>'), 'docProps/thumbnail.jpeg': await picture('#0000ff', 'jpeg') });
    const bare = path.join(dir, 'bare.docx');
    await zipOf(bare, { '[Content_Types].xml': Buffer.from('<Types/>'), 'word/document.xml': Buffer.from('<w:document/>') });
    const notZip = path.join(dir, 'not a zip.xlsx');
    fs.writeFileSync(notZip, 'plain text');
    // A picture over the size limit (4 MiB) is not read, though it is a good PNG.
    const noise = await sharp({ create: { width: 1400, height: 1200, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 60 } } })
      .png()
      .toBuffer();
    expect(noise.length).toBeGreaterThan(4 * 1024 * 1024);
    const huge = path.join(dir, 'huge.odp');
    await zipOf(huge, { 'Thumbnails/thumbnail.png': noise });
    const logs: string[] = [];
    const thumbs = createThumbnails({ dir: path.join(dir, 'cache-office'), log: (m) => logs.push(m) });
    const a = await thumbs.of(odt);
    expect(await sharp(a!).metadata()).toMatchObject({ format: 'webp', width: 46, height: 64 });
    expect((await sharp(a!).stats()).dominant.g).toBeGreaterThan(200);
    const b = await thumbs.of(pptx);
    expect((await sharp(b!).stats()).dominant.b).toBeGreaterThan(200);
    expect(await thumbs.of(bare)).toBeNull();
    expect(await thumbs.of(notZip)).toBeNull();
    expect(await thumbs.of(huge)).toBeNull();
    expect(logs.join('\n')).toMatch(/bare\.docx: no preview picture inside/);
  });

  const soffice = findOnPath('soffice');
  if (!soffice) console.warn('SKIPPED the LibreOffice document thumbnail test: soffice is not installed');
  it.skipIf(!soffice)(
    'shows the preview LibreOffice saves in a document it writes',
    async () => {
      const out = path.join(dir, 'lo');
      fs.mkdirSync(out, { recursive: true });
      const text = path.join(out, 'memo.txt');
      fs.writeFileSync(text, 'A memo');
      const profile = `file://${path.join(out, 'profile')}`;
      await promisify(execFile)(soffice!, [`-env:UserInstallation=${profile}`, '--headless', '--convert-to', 'odt', '--outdir', out, text], {
        timeout: 60_000,
      });
      const thumbs = createThumbnails({ dir: path.join(dir, 'cache-lo') });
      const thumb = await thumbs.of(path.join(out, 'memo.odt'));
      expect(await sharp(thumb!).metadata()).toMatchObject({ format: 'webp', height: 64 });
    },
    90_000,
  );
});

describe('findOnPath', () => {
  it('finds an executable on PATH, not a plain file or a folder', () => {
    const bin = path.join(dir, 'bin');
    fs.mkdirSync(path.join(bin, 'folder-tool'), { recursive: true });
    fs.writeFileSync(path.join(bin, 'tool'), '#!/bin/sh\n', { mode: 0o755 });
    fs.writeFileSync(path.join(bin, 'plain'), 'x', { mode: 0o644 });
    const envPath = ['/nonexistent', bin].join(path.delimiter);
    expect(findOnPath('tool', envPath)).toBe(path.join(bin, 'tool'));
    expect(findOnPath('plain', envPath)).toBeUndefined();
    expect(findOnPath('folder-tool', envPath)).toBeUndefined();
    expect(findOnPath('tool', '')).toBeUndefined();
  });
});
