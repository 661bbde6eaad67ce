/**
 * Row thumbnails (main/thumbs): small WebP files made once per file version, none for what sharp
 * cannot read or for an image over the pixel limit, and a cache that prune() keeps bounded.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createThumbnails } from '../../main/thumbs/thumbnails';

let dir: string;
let photo: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'convoy-thumbs-'));
  photo = path.join(dir, 'photo.jpg');
  await sharp({ create: { width: 1600, height: 900, channels: 3, background: '#3366cc' } })
    .jpeg()
    .toFile(photo);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

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
    await sharp({ create: { width: 300, height: 600, channels: 3, background: '#cc3333' } })
      .jpeg()
      .toFile(photo);
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
    await sharp({ create: { width: 2000, height: 2000, channels: 3, background: '#000' } })
      .png()
      .toFile(big);
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
