/**
 * Row thumbnails (main/thumbs) against what a row would cost without them: the window loading the
 * full photo into a 32 px box.
 *
 *   npx tsx bench/thumbnails.ts [--photos 20] [--size 4000x3000]
 *
 * Prints, from one run: the time to make a thumbnail (first view) and to find it cached (every
 * later view); bytes the window loads per row, photo vs thumbnail; and, in Chromium (Debian's,
 * skipped with a message when absent), the time until every row's image is decoded, photo vs
 * thumbnail, with the ratio. Then the time to make a thumbnail of a PDF, a video, a song and an
 * office file, against a photo's.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { PDFDocument } from 'pdf-lib';
import yazl from 'yazl';
import { findOnPath } from '../main/thumbs/frame';
import { createThumbnails } from '../main/thumbs/thumbnails';
import { CHROMIUM_PATH, hasChromium, launchChromium } from '../test/support/chromium';
import { makePhotos } from './photos';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i !== -1 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const count = Number(arg('photos', '20'));
const [width, height] = arg('size', '4000x3000').split('x').map(Number);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'convoy-bench-thumbs-'));

try {
  const photos = await makePhotos(dir, count, width, height, { grain: 25, quality: 88 });

  const thumbs = createThumbnails({ dir: path.join(dir, 'thumbs') });
  let t = performance.now();
  const made = await Promise.all(photos.map((p) => thumbs.of(p)));
  const makeMs = (performance.now() - t) / count;
  t = performance.now();
  for (const p of photos) await thumbs.of(p);
  const cachedMs = (performance.now() - t) / count;
  const size = (files: string[]) => files.reduce((n, f) => n + fs.statSync(f).size, 0) / files.length;
  const photoBytes = size(photos);
  const thumbBytes = size(made as string[]);
  console.log(
    `${count} photos ${width}×${height}: thumbnail made in ${makeMs.toFixed(1)} ms per photo (2 at a time), found cached in ${cachedMs.toFixed(2)} ms · ` +
      `bytes per row: photo ${(photoBytes / 1024).toFixed(0)} KiB, thumbnail ${(thumbBytes / 1024).toFixed(1)} KiB (÷${(photoBytes / thumbBytes).toFixed(0)})`,
  );

  await otherKinds(makeMs);

  if (!hasChromium) console.log(`Chromium part skipped: no Chromium at ${CHROMIUM_PATH}`);
  else {
    // One page per kind, each row a 32 px image, as the queue list draws it.
    const files = new Map<string, string>();
    photos.forEach((p, i) => {
      files.set(`/photo/${i}`, p);
      files.set(`/thumb/${i}`, made[i]!);
    });
    const page = (kind: string) =>
      `<!doctype html><body>${photos.map((_, i) => `<img src="/${kind}/${i}" width="32" height="32" style="object-fit:cover">`).join('')}</body>`;
    const server = http.createServer((req, res) => {
      const file = files.get(req.url ?? '');
      if (req.url === '/photo.html' || req.url === '/thumb.html')
        return void res.writeHead(200, { 'Content-Type': 'text/html' }).end(page(req.url.slice(1, -5)));
      if (!file) return void res.writeHead(404).end();
      res.writeHead(200, { 'Content-Type': file.endsWith('.webp') ? 'image/webp' : 'image/jpeg', 'Cache-Control': 'no-store' });
      fs.createReadStream(file).pipe(res);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as import('node:net').AddressInfo).port}`;
    const browser = await launchChromium();
    const timeKind = async (kind: string) => {
      const tab = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      const started = performance.now();
      await tab.goto(`${base}/${kind}.html`);
      await tab.evaluate(() => Promise.all([...document.images].map((img) => img.decode())));
      const ms = performance.now() - started;
      await tab.close();
      return ms;
    };
    const rounds = 3;
    const photoMs: number[] = [];
    const thumbMs: number[] = [];
    for (let r = 0; r < rounds; r++) {
      photoMs.push(await timeKind('photo'));
      thumbMs.push(await timeKind('thumb'));
    }
    const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
    console.log(
      `Chromium, ${count} rows until every image is decoded (median of ${rounds}): photos ${median(photoMs).toFixed(0)} ms, thumbnails ${median(thumbMs).toFixed(0)} ms ` +
        `(thumbnails ${(median(photoMs) / median(thumbMs)).toFixed(1)}× faster)`,
    );
    await browser.close();
    server.close();
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}

/**
 * Thumbnails of what is not an image, where the tools are: a 10-page PDF (pdftoppm), a 30 s 1080p
 * video with sound and a song with its cover (ffmpeg), an office file's saved preview (its zip);
 * each made cold, against the photo thumbnail's time above.
 */
async function otherKinds(photoMs: number): Promise<void> {
  const ffmpeg = findOnPath('ffmpeg');
  const run = promisify(execFile);
  const files: Array<[string, string]> = [];
  if (findOnPath('pdftoppm')) {
    const pdf = await PDFDocument.create();
    const jpg = await pdf.embedJpg(fs.readFileSync(path.join(dir, 'photo-0.jpg')));
    for (let i = 0; i < 10; i++) pdf.addPage([595, 842]).drawImage(jpg, { x: 40, y: 300, width: 515, height: 386 });
    fs.writeFileSync(path.join(dir, 'report.pdf'), await pdf.save());
    files.push(['10-page PDF with a photo per page', path.join(dir, 'report.pdf')]);
  } else console.log('PDF thumbnail skipped: no pdftoppm (poppler-utils)');
  if (ffmpeg) {
    const video = path.join(dir, 'clip.mp4');
    const lavfi = '-v error -f lavfi -i testsrc2=s=1920x1080:r=30:d=30 -f lavfi -i sine=d=30 -shortest';
    await run(ffmpeg, [...lavfi.split(' '), ...'-c:v libx264 -preset ultrafast -pix_fmt yuv420p -y'.split(' '), video]);
    files.push(['30 s 1080p video with sound', video]);
    const song = path.join(dir, 'song.mp3');
    const cover = ['-i', path.join(dir, 'photo-1.jpg'), ...'-map 0:a -map 1 -c:a libmp3lame -c:v copy -disposition:v attached_pic -y'.split(' ')];
    await run(ffmpeg, ['-v', 'error', '-f', 'lavfi', '-i', 'sine=d=180', ...cover, song]);
    files.push(['3 min song with a 4000×3000 cover', song]);
  } else console.log('video and song thumbnails skipped: no ffmpeg');
  const odt = path.join(dir, 'letter.odt');
  const preview = await sharp(path.join(dir, 'photo-2.jpg')).resize(256).png().toBuffer();
  await new Promise<void>((resolve, reject) => {
    const zip = new yazl.ZipFile();
    zip.addBuffer(Buffer.from('application/vnd.oasis.opendocument.text'), 'mimetype');
    zip.addFile(path.join(dir, 'photo-2.jpg'), 'Pictures/photo.jpg');
    zip.addBuffer(preview, 'Thumbnails/thumbnail.png');
    zip.end();
    zip.outputStream.pipe(fs.createWriteStream(odt)).on('close', resolve).on('error', reject);
  });
  files.push(['office file with its saved preview', odt]);
  const thumbs = createThumbnails({ dir: path.join(dir, 'thumbs-other') });
  for (const [what, file] of files) {
    const t = performance.now();
    const thumb = await thumbs.of(file);
    const ms = performance.now() - t;
    console.log(
      `${what}: thumbnail made in ${ms.toFixed(0)} ms (${(ms / photoMs).toFixed(1)}× a photo's, which are made 2 at a time) · bytes per row: file ${(fs.statSync(file).size / 1024).toFixed(0)} KiB, thumbnail ${thumb ? (fs.statSync(thumb).size / 1024).toFixed(1) : '—'} KiB`,
    );
  }
}
