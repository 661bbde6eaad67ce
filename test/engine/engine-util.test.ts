/** Small pure helpers of the engine: file names, Content-Range, Content-Disposition, backoff-free bits. */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parseContentRange } from '../../engine/uploads/upload-routes';
import { contentDisposition, filenameFromContentDisposition, filenameFromUrl, sanitizeFilename } from '../../engine/util/filename';
import { loadSharp, shareCores } from '../../engine/convert/lazy';
import { Semaphore, eachLimited, stableStringify } from '../../engine/util/async';
import { checksumFile, digestFile } from '../../engine/util/digest';
import { checksumOf } from '../support/checksum';
import { constantTimeEqual, secretDigest } from '../../engine/util/secret-box';

describe('sanitizeFilename', () => {
  it.each([
    ['photo.jpg', 'photo.jpg'],
    ['../../etc/passwd', 'passwd'],
    ['..\\..\\windows\\system.ini', 'system.ini'],
    ['a\r\nb"c\'.png', 'abc.png'],
    ['..', 'file'],
    ['...', 'file'],
    ['', 'file'],
    ['/abs/path/', 'file'],
    ['.hidden', 'hidden'],
    ['what?<>|*.txt', 'what_____.txt'],
    ['résumé.pdf', 'résumé.pdf'],
  ])('%j → %j', (input, expected) => {
    expect(sanitizeFilename(input)).toBe(expected);
  });

  it('bounds the length and keeps the extension', () => {
    const name = sanitizeFilename(`${'x'.repeat(500)}.jpeg`);
    expect(Buffer.byteLength(name)).toBeLessThanOrEqual(200);
    expect(name.endsWith('.jpeg')).toBe(true);
  });
});

describe('file names from HTTP', () => {
  it('reads both Content-Disposition forms, preferring filename*', () => {
    expect(filenameFromContentDisposition('attachment; filename="a b.jpg"')).toBe('a b.jpg');
    expect(filenameFromContentDisposition('attachment; filename=plain.png')).toBe('plain.png');
    expect(filenameFromContentDisposition(`attachment; filename="x.jpg"; filename*=UTF-8''%C3%BC.jpg`)).toBe('ü.jpg');
    expect(filenameFromContentDisposition('inline')).toBeUndefined();
  });

  it('takes the decoded last path segment of a URL', () => {
    expect(filenameFromUrl(new URL('http://h/raster%20image/jpg/example_small.jpg?x=1'))).toBe('example_small.jpg');
    expect(filenameFromUrl(new URL('http://h/'))).toBeUndefined();
  });

  it('writes a Content-Disposition that survives any name', () => {
    expect(contentDisposition('naïve "quote".png')).toBe(`attachment; filename="na_ve _quote_.png"; filename*=UTF-8''na%C3%AFve%20%22quote%22.png`);
  });
});

describe('parseContentRange', () => {
  it('parses chunks and status queries, rejects nonsense', () => {
    expect(parseContentRange('bytes 0-99/1000')).toEqual({ start: 0, end: 99, total: 1000 });
    expect(parseContentRange('bytes */1000')).toEqual({ total: 1000 });
    expect(parseContentRange('bytes 100-99/1000')).toBeUndefined();
    expect(parseContentRange('bytes 0-1000/1000')).toBeUndefined();
    expect(parseContentRange('bytes 0-1/0')).toBeUndefined();
    expect(parseContentRange('items 0-1/2')).toBeUndefined();
  });
});

describe('stableStringify', () => {
  it('ignores key order, keeps array order', () => {
    expect(stableStringify({ b: 1, a: [2, { d: 1, c: 2 }] })).toBe(stableStringify({ a: [2, { c: 2, d: 1 }], b: 1 }));
    expect(stableStringify([1, 2])).not.toBe(stableStringify([2, 1]));
  });
});

describe('Semaphore (engine)', () => {
  it('bounds the slots, serves in order, lets an aborted waiter leave, and starts waiters when the limit grows', async () => {
    const sem = new Semaphore(1);
    const started: string[] = [];
    const first = await sem.acquire();
    const abort = new AbortController();
    const b = sem.acquire(false, abort.signal).then((release) => (started.push('b'), release));
    const c = sem.run(async () => void started.push('c'));
    const d = sem.run(async () => void started.push('d'));
    abort.abort(new Error('gone'));
    await expect(b).rejects.toThrow('gone');
    expect(sem.inUse).toBe(1);
    sem.setLimit(3);
    await Promise.all([c, d]);
    expect(started).toEqual(['c', 'd']);
    first();
    first(); // a second release is ignored
    expect(sem.inUse).toBe(0);
    await expect(sem.acquire(false, AbortSignal.abort(new Error('already')))).rejects.toThrow('already');
  });
});

describe('eachLimited', () => {
  const tick = () => new Promise((r) => setTimeout(r, 5));

  it('runs every item, never more than the limit at once', async () => {
    let running = 0;
    let peak = 0;
    const seen: number[] = [];
    await eachLimited([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      running++;
      peak = Math.max(peak, running);
      await tick();
      seen.push(n);
      running--;
    });
    expect(seen.sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(peak).toBe(3);
  });

  it('starts nothing after an error and throws it once the running calls have ended', async () => {
    const started: number[] = [];
    let ended = 0;
    const run = eachLimited([1, 2, 3, 4, 5], 2, async (n) => {
      started.push(n);
      if (n === 1) throw new Error('one failed');
      await tick();
      await tick();
      ended++;
    });
    await expect(run).rejects.toThrow('one failed');
    expect(started).toEqual([1, 2]);
    expect(ended).toBe(1); // 2 was waited for, not left running
  });
});

describe('digestFile and checksumFile', () => {
  it('give the digest and size of empty, small and multi-chunk files, as node:crypto and zlib do', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'convoy-digest-'));
    try {
      for (const size of [0, 1, 690_000, 4 * 1024 * 1024, 9 * 1024 * 1024 + 7]) {
        const data = crypto.randomBytes(size);
        const file = path.join(dir, `f${size}`);
        fs.writeFileSync(file, data);
        expect(await digestFile(file, 'sha256')).toEqual({ digest: crypto.createHash('sha256').update(data).digest('hex'), size });
        expect(await checksumFile(file)).toEqual({ digest: checksumOf(data), size });
        expect((await digestFile(file, 'md5')).digest).toBe(crypto.createHash('md5').update(data).digest('hex'));
        expect((await digestFile(file, 'crc32')).digest).toBe(zlib.crc32(data).toString(16).padStart(8, '0'));
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('constantTimeEqual', () => {
  it('tells equal from different strings, for the same secret again and again and for many secrets', () => {
    expect(constantTimeEqual('key-1', 'key-1')).toBe(true);
    expect(constantTimeEqual('key-1', 'key-1')).toBe(true);
    expect(constantTimeEqual('key-2', 'key-1')).toBe(false);
    expect(constantTimeEqual('key-1-longer', 'key-1')).toBe(false);
    expect(constantTimeEqual('', 'key-1')).toBe(false);
    for (let i = 0; i < 40; i++) {
      expect(constantTimeEqual(`token-${i}`, `token-${i}`)).toBe(true);
      expect(constantTimeEqual(`token-${i}`, `token-${i + 1}`)).toBe(false);
    }
    expect(constantTimeEqual('key-1', 'key-1')).toBe(true);
  });
});

describe('shareCores (libvips threads per image)', () => {
  it('gives an image alone every core and splits them between images converting at once', async () => {
    const before = (await loadSharp()).concurrency();
    try {
      shareCores(1, 4);
      expect((await loadSharp()).concurrency()).toBe(4);
      shareCores(2, 4);
      expect((await loadSharp()).concurrency()).toBe(2);
      shareCores(3, 2);
      expect((await loadSharp()).concurrency()).toBe(1);
    } finally {
      shareCores(1, before);
      await loadSharp();
    }
  });
});

describe('secretDigest', () => {
  it('is the sha256 of the secret, and keeps the one in steady use while many others come and go', () => {
    const key = secretDigest('account-key');
    expect(key.toString('hex')).toBe(crypto.createHash('sha256').update('account-key').digest('hex'));
    for (let i = 0; i < 100; i++) {
      expect(secretDigest(`job-token-${i}`).toString('hex')).toBe(crypto.createHash('sha256').update(`job-token-${i}`).digest('hex'));
      // The key is used between tokens, as requests with the key come between uploads.
      if (i % 5 === 0) expect(secretDigest('account-key')).toBe(key);
    }
  });
});
