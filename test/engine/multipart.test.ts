/**
 * The engine's multipart parser (engine/uploads/multipart.ts) against busboy, the parser it
 * replaced: seeded random bodies (preamble, epilogue, fields before and after, several files, data
 * full of CR LF and boundary-like strings, RFC 5987 and UTF-8 file names), fed in random chunk
 * sizes from 1 byte to 64 KiB, must give byte-identical parts, the same names and types, and the
 * same error for a truncated body.
 */
import busboy from 'busboy';
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { boundaryOf, MultipartError, MultipartParser, type PartInfo } from '../../engine/uploads/multipart';
import { sanitizeFilename } from '../../engine/util/filename';

interface Part {
  name: string | undefined;
  file: boolean;
  filename: string;
  type: string;
  sha: string;
  size: number;
}
interface Parsed {
  parts: Part[];
  error?: string;
}

/** mulberry32: a small seeded PRNG, so a failing case can be replayed. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Cuts `body` into chunks of 1 byte … 64 KiB (mostly small around the interesting sizes). */
function chunked(body: Buffer, rand: () => number): Buffer[] {
  const out: Buffer[] = [];
  for (let pos = 0; pos < body.length; ) {
    const r = rand();
    const size = r < 0.3 ? 1 + Math.floor(rand() * 8) : r < 0.6 ? 1 + Math.floor(rand() * 300) : 1 + Math.floor(rand() * 65536);
    out.push(body.subarray(pos, pos + size));
    pos += size;
  }
  return out;
}

const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');

function parseOurs(contentType: string, chunks: Buffer[]): Parsed {
  const parts: Part[] = [];
  let current: { info: PartInfo; data: Buffer[] } | undefined;
  const close = () => {
    if (!current) return;
    let data = Buffer.concat(current.data);
    const { info } = current;
    // busboy hands a field's value as a UTF-8 string: compare through the same decoding.
    if (!info.isFile) data = Buffer.from(data.toString('utf8'), 'utf8');
    parts.push({ name: info.name, file: info.isFile, filename: sanitizeFilename(info.filename), type: info.contentType, sha: sha(data), size: data.length });
    current = undefined;
  };
  try {
    const parser = new MultipartParser(
      boundaryOf(contentType),
      {
        part(info) {
          current = { info, data: [] };
          return true;
        },
        data(chunk) {
          current!.data.push(Buffer.from(chunk)); // a copy: the parser's slices must stay valid as given
        },
        partEnd: close,
      },
      { parts: 1000, headerBytes: 16 * 1024 },
    );
    for (const c of chunks) parser.push(c);
    parser.end();
  } catch (err) {
    if (!(err instanceof MultipartError)) throw err;
    return { parts, error: err.message };
  }
  return { parts };
}

function parseBusboy(contentType: string, chunks: Buffer[]): Promise<Parsed> {
  return new Promise((resolve) => {
    const parts: Part[] = [];
    let bb: busboy.Busboy;
    try {
      bb = busboy({ headers: { 'content-type': contentType }, defParamCharset: 'utf8', limits: { fieldSize: Infinity } });
    } catch (err) {
      resolve({ parts, error: (err as Error).message });
      return;
    }
    const pending: Promise<void>[] = [];
    bb.on('file', (name, stream, info) => {
      const data: Buffer[] = [];
      const slot = parts.length;
      parts.push(undefined as unknown as Part);
      pending.push(
        new Promise((done) => {
          stream.on('data', (d: Buffer) => data.push(d));
          stream.on('error', () => done());
          stream.on('end', () => {
            const all = Buffer.concat(data);
            parts[slot] = { name, file: true, filename: sanitizeFilename(info.filename), type: info.mimeType, sha: sha(all), size: all.length };
            done();
          });
        }),
      );
    });
    bb.on('field', (name, value, info) => {
      const all = Buffer.from(value, 'utf8');
      parts.push({ name, file: false, filename: 'file', type: info.mimeType, sha: sha(all), size: all.length });
    });
    let error: string | undefined;
    bb.on('error', (err) => {
      error ??= (err as Error).message;
      void Promise.all(pending).then(() => resolve({ parts: parts.filter(Boolean), error }));
    });
    bb.on('close', () => void Promise.all(pending).then(() => resolve({ parts, error })));
    for (const c of chunks) bb.write(c);
    bb.end();
  });
}

/** Random bytes full of what a parser can trip on: CR, LF, dashes, pieces of the delimiter. */
function trickyData(rand: () => number, boundary: string, size: number): Buffer {
  const pieces: Buffer[] = [];
  let n = 0;
  const tricks = [
    '\r',
    '\n',
    '\r\n',
    '\r\n-',
    '\r\n--',
    '--',
    `--${boundary}`,
    `\r\n--${boundary.slice(0, -1)}`,
    `\r\n--${boundary}`.slice(0, 5),
    '\r\r\n\r\n',
  ];
  while (n < size) {
    const r = rand();
    const piece =
      r < 0.15
        ? Buffer.from(tricks[Math.floor(rand() * tricks.length)])
        : r < 0.2
          ? Buffer.alloc(Math.floor(rand() * 40), 13)
          : crypto.randomBytes(Math.floor(rand() * 2000));
    pieces.push(piece);
    n += piece.length;
  }
  let data = Buffer.concat(pieces).subarray(0, size);
  // The delimiter itself must not occur in a part (RFC 2046); keep everything else.
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  for (let at = data.indexOf(delimiter); at >= 0; at = data.indexOf(delimiter)) data = Buffer.concat([data.subarray(0, at), data.subarray(at + 2)]);
  // Nor may a line of the part start with `--boundary`, the part's first line included.
  return data.subarray(0, boundary.length + 2).equals(delimiter.subarray(2)) ? Buffer.concat([Buffer.from('x'), data]) : data;
}

const NAMES = ['photo.jpg', 'Grüße – 写真.png', '../../etc/passwd', 'C:\\Users\\me\\report.pdf', 'with "quotes".txt', 'semi;colon.bin', ''];

function disposition(rand: () => number, field: string, filename: string | undefined): string {
  if (filename === undefined) return `form-data; name="${field}"`;
  const form = rand();
  if (form < 0.3) return `form-data; name="${field}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
  if (form < 0.4) return `form-data; name="${field}"; filename="fallback.bin"; filename*=UTF-8''${encodeURIComponent(filename)}`;
  return `form-data; name="${field}"; filename="${filename.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/** A random valid body with its Content-Type. */
function randomBody(rand: () => number): { body: Buffer; contentType: string; closing: number } {
  const boundary = `----convoy${crypto.randomBytes(1 + Math.floor(rand() * 12)).toString('hex')}`;
  const out: Buffer[] = [];
  if (rand() < 0.3) out.push(Buffer.from('This is the preamble; ignore it.\r\n-- not a boundary\r\n'));
  const count = 1 + Math.floor(rand() * 4);
  for (let i = 0; i < count; i++) {
    out.push(Buffer.from(`${i === 0 && out.length === 0 ? '' : '\r\n'}--${boundary}\r\n`));
    const r = rand();
    if (r < 0.3) {
      out.push(Buffer.from(`Content-Disposition: ${disposition(rand, `field${i}`, undefined)}\r\n\r\n`));
      out.push(Buffer.from(rand() < 0.5 ? `value ${i} – ünïcode` : ''));
    } else {
      const name = NAMES[Math.floor(rand() * NAMES.length)];
      const type = rand() < 0.7 ? `Content-Type: ${rand() < 0.5 ? 'image/jpeg' : 'Application/Octet-Stream; x=1'}\r\n` : '';
      out.push(Buffer.from(`Content-Disposition: ${disposition(rand, rand() < 0.7 ? 'file' : 'other', name)}\r\n${type}\r\n`, 'utf8'));
      const size = rand() < 0.2 ? Math.floor(rand() * 10) : Math.floor(rand() * 200_000);
      out.push(trickyData(rand, boundary, size));
    }
  }
  out.push(Buffer.from(`\r\n--${boundary}`));
  const closing = Buffer.concat(out).length; // where the final boundary's `--` starts
  out.push(Buffer.from('--'));
  if (rand() < 0.5) out.push(Buffer.from(rand() < 0.5 ? '\r\n' : '\r\nepilogue text\r\n--more\r\n'));
  return { closing, body: Buffer.concat(out), contentType: `multipart/form-data; boundary=${rand() < 0.2 ? `"${boundary}"` : boundary}` };
}

describe('multipart parser', () => {
  it('gives the same parts as busboy for random bodies in random chunk sizes (seeded)', async () => {
    for (let seed = 1; seed <= Number(process.env.FUZZ_SEEDS ?? 150); seed++) {
      const rand = rng(seed);
      const { body, contentType } = randomBody(rand);
      const chunks = chunked(body, rand);
      const ours = parseOurs(contentType, chunks);
      const theirs = await parseBusboy(contentType, chunks);
      expect({ seed, ...ours }).toEqual({ seed, ...theirs });
      expect(ours.error).toBeUndefined();
      // The same body in one piece and byte by byte at its start: the same again.
      expect(parseOurs(contentType, [body])).toEqual(ours);
    }
  });

  it('fails a truncated body with the same error as busboy, wherever it is cut', async () => {
    for (let seed = 1000; seed < 1000 + Number(process.env.FUZZ_SEEDS ?? 150); seed++) {
      const rand = rng(seed);
      const { body, contentType, closing } = randomBody(rand);
      const cut = body.subarray(0, Math.floor(rand() * (closing + 1)));
      const chunks = chunked(cut, rand);
      const ours = parseOurs(contentType, chunks);
      const theirs = await parseBusboy(contentType, chunks);
      expect(ours.error, `seed ${seed}`).toBeDefined();
      expect({ seed, error: ours.error }).toEqual({ seed, error: theirs.error });
    }
  });

  it('splits the boundary at every byte across two chunks', () => {
    const boundary = 'splitMe';
    const data = Buffer.from('abc\r\n--split\r\n--splitM\r\ndef');
    const body = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.bin"\r\n\r\n${data.toString('latin1')}\r\n--${boundary}--\r\n`,
      'latin1',
    );
    for (let i = 1; i < body.length; i++) {
      const got = parseOurs(`multipart/form-data; boundary=${boundary}`, [body.subarray(0, i), body.subarray(i)]);
      expect(got.error).toBeUndefined();
      expect(got.parts).toEqual([{ name: 'file', file: true, filename: 'a.bin', type: 'text/plain', sha: sha(data), size: data.length }]);
    }
  });

  it('reads file names and types per RFC 7578', () => {
    const one = (disp: string, type = '') => {
      const body = Buffer.from(`--b\r\nContent-Disposition: ${disp}\r\n${type}\r\nxyz\r\n--b--`, 'utf8');
      return parseOurs('multipart/form-data; boundary=b', [body]).parts[0];
    };
    expect(one(`form-data; name="file"; filename="Grüße.png"`)).toMatchObject({ filename: 'Grüße.png', file: true, type: 'text/plain' });
    expect(one(`form-data; name="file"; filename="a.png"; filename*=UTF-8''%E5%86%99%E7%9C%9F.png`)).toMatchObject({ filename: '写真.png' });
    expect(one(`form-data; name=file; filename=plain.txt`, 'Content-Type: IMAGE/PNG; q=1\r\n')).toMatchObject({ filename: 'plain.txt', type: 'image/png' });
    expect(one(`form-data; name="file"`, 'Content-Type: application/octet-stream\r\n')).toMatchObject({ file: true, filename: 'file' });
    expect(one(`form-data; name="file"`)).toMatchObject({ file: false });
    expect(one(`attachment; name="file"; filename="x"`)).toBeUndefined(); // not form-data: skipped
    expect(one(`form-data; name="file"; filename="a\\"b\\\\c.txt"`)).toMatchObject({ filename: 'c.txt' }); // a"b\c.txt: quote dropped, base name after the backslash
  });

  it('refuses malformed bodies with busboy’s messages', () => {
    const parse = (type: string, body: string) => parseOurs(type, [Buffer.from(body)]).error;
    expect(parse('multipart/form-data', '')).toBe('Multipart: Boundary not found');
    expect(parse('multipart/form-data; boundary=b', '--b\r\nno colon here\r\n\r\nx\r\n--b--')).toBe('Malformed part header');
    expect(parse('multipart/form-data; boundary=b', '--b\r\n\r\nx\r\n--b--')).toBe('Malformed part header');
    expect(parse('multipart/form-data; boundary=b', `--b\r\nX: ${'a'.repeat(17 * 1024)}\r\n\r\nx\r\n--b--`)).toBe('Malformed part header');
    expect(parse('multipart/form-data; boundary=b', '--b\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\nx')).toBe(
      'Unexpected end of form',
    );
    expect(parse('multipart/form-data; boundary=b', 'no boundary at all')).toBe('Unexpected end of form');
  });

  it('skips parts past the limit without reading their headers', () => {
    const parts = Array.from({ length: 5 }, (_, i) => `--b\r\nContent-Disposition: form-data; name="f${i}"\r\n\r\nv${i}\r\n`).join('');
    const seen: string[] = [];
    const parser = new MultipartParser('b', { part: (info) => (seen.push(info.name!), false), data() {}, partEnd() {} }, { parts: 3, headerBytes: 1024 });
    parser.push(Buffer.from(`${parts}--b--`));
    parser.end();
    expect(seen).toEqual(['f0', 'f1', 'f2']);
  });
});
