/**
 * Uploads to `{job.server}/upload-file/{job.id}`: multipart with the job token, resumable chunked
 * uploads (X-Oc-Upload-Uuid + Content-Range), and the ways clients get them wrong.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { checkUploadResponse, fetchChecked } from './support/api';
import { photo } from './support/images';
import { specMissing } from './support/openapi';
import { startTestEngine, type TestEngine } from './support/engine';
import { checksumOf } from '../support/checksum';
import { waitFor } from '../queue/helpers';

const missing = specMissing();
if (missing) console.warn(`SKIPPED engine upload tests: ${missing}`);

/** Sends a raw HTTP request and returns the raw response text (or '' if the server closed). */
function rawRequest(baseUrl: string, head: string, body: Buffer | string, opts: { endAfterMs?: number } = {}): Promise<string> {
  const { port } = new URL(baseUrl);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), '127.0.0.1');
    let data = '';
    socket.on('data', (d) => (data += d.toString()));
    socket.on('close', () => resolve(data));
    socket.on('error', () => resolve(data));
    socket.write(head + '\r\n\r\n');
    socket.write(body);
    if (opts.endAfterMs !== undefined) setTimeout(() => socket.destroy(), opts.endAfterMs);
  });
}

function multipart(filename: string, data: Buffer, field = 'file', rawDisposition?: string): { body: Buffer; type: string } {
  const boundary = `----convoy${crypto.randomBytes(6).toString('hex')}`;
  const disposition = rawDisposition ?? `form-data; name="${field}"; filename="${filename}"`;
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\nContent-Type: application/octet-stream\r\n\r\n`),
    data,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return { body, type: `multipart/form-data; boundary=${boundary}` };
}

async function postChunk(
  job: { id: string; token: string; server: string },
  uuid: string,
  data: Buffer,
  start: number,
  total: number,
  filename = 'big.bin',
): Promise<{ status: number; body: any; headers: Headers }> {
  const { body, type } = multipart(filename, data);
  const res = await fetchChecked(`${job.server}/upload-file/${job.id}`, {
    method: 'POST',
    body: new Uint8Array(body),
    headers: {
      'Content-Type': type,
      'X-Oc-Token': job.token,
      'X-Oc-Upload-Uuid': uuid,
      'Content-Range': `bytes ${start}-${start + data.length - 1}/${total}`,
    },
  });
  const json = await res.json();
  if (res.status === 201 || res.status >= 400) checkUploadResponse(res.status, json);
  return { status: res.status, body: json, headers: res.headers };
}

async function uploadStatus(job: { id: string; token: string; server: string }, uuid: string) {
  const res = await fetchChecked(`${job.server}/upload-file/${job.id}`, { headers: { 'X-Oc-Token': job.token, 'X-Oc-Upload-Uuid': uuid } });
  return { status: res.status, body: await res.json(), headers: res.headers };
}

describe.skipIf(!!missing)('engine uploads', () => {
  let t: TestEngine;
  let jpg: Buffer;

  beforeAll(async () => {
    t = await startTestEngine({ limits: { maxInputBytes: 4 * 1024 ** 3 } });
    jpg = await photo(80, 60);
  });
  afterAll(async () => {
    await t?.stop();
  });

  const newJob = async (body: object = { process: false, conversion: [{ target: 'png' }] }) => (await t.api.post('/v2/jobs', body)).body;

  it('accepts a multipart upload authorised by the job token and converts it', async () => {
    const job = await newJob();
    const up = await t.api.upload(job, jpg, 'holiday.jpg');
    expect(up.status).toBe(201);
    expect(up.body).toMatchObject({ type: 'upload', status: 'ready', filename: 'holiday.jpg', size: jpg.length });
    expect(up.body.checksum).toBe(checksumOf(jpg));
    await t.api.patch(`/v2/jobs/${job.id}`, { process: true });
    const done = await t.api.waitFor(job.id);
    expect(done.status.code).toBe('completed');
    const out = await t.api.download(done.output[0].uri);
    expect(await sharp(out.data).metadata()).toMatchObject({ format: 'png', width: 80, height: 60 });
  });

  it('refuses the account key, a missing or wrong token, and unknown jobs', async () => {
    const job = await newJob();
    const withKey = await t.api.upload(job, jpg, 'a.jpg', { token: null, headers: { 'X-Oc-Api-Key': t.api.apiKey } });
    expect(withKey.status).toBe(401);
    expect(withKey.body.message).toMatch(/job token/);
    expect((await t.api.upload(job, jpg, 'a.jpg', { token: null })).status).toBe(401);
    expect((await t.api.upload(job, jpg, 'a.jpg', { token: 'nope' })).status).toBe(401);
    const ghost = { ...job, id: crypto.randomUUID() };
    expect((await t.api.upload(ghost, jpg, 'a.jpg')).status).toBe(404);
    expect((await t.api.get(`/v2/jobs/${job.id}/input`)).body).toEqual([]);
  });

  it('starts a process:true job on its first upload and then accepts no more files (409)', async () => {
    const job = await newJob({ conversion: [{ target: 'png' }] });
    expect(job.status.code).toBe('incomplete');
    expect((await t.api.upload(job, jpg, 'one.jpg')).status).toBe(201);
    const second = await t.api.upload(job, jpg, 'two.jpg');
    expect(second.status).toBe(409);
    const done = await t.api.waitFor(job.id);
    expect(done.input.map((i: any) => i.filename)).toEqual(['one.jpg']);
  });

  it('keeps only a safe base name from the uploaded file name', async () => {
    const job = await newJob();
    // RFC 5987 form, so CR, LF and quotes really reach the engine.
    const { body, type } = multipart('', jpg, 'file', `form-data; name="file"; filename*=UTF-8''..%2F..%2F..%2F..%2Ftmp%2Fevil%0D%0A%22name%22.jpg`);
    const res = await fetchChecked(`${job.server}/upload-file/${job.id}`, {
      method: 'POST',
      body: new Uint8Array(body),
      headers: { 'Content-Type': type, 'X-Oc-Token': job.token },
    });
    const input = await res.json();
    expect(res.status).toBe(201);
    expect(input.filename).toBe('evilname.jpg');
    const stored = path.join(t.dataDir, 'files', job.id, `${input.id}-evilname.jpg`);
    expect(fs.existsSync(stored)).toBe(true);
    const traversal = await newJob();
    const dots = multipart('..\\..\\..', jpg);
    const res2 = await fetchChecked(`${traversal.server}/upload-file/${traversal.id}`, {
      method: 'POST',
      body: new Uint8Array(dots.body),
      headers: { 'Content-Type': dots.type, 'X-Oc-Token': traversal.token },
    });
    expect((await res2.json()).filename).toBe('file');
  });

  it('answers 400 when the multipart body has no file field', async () => {
    const job = await newJob();
    const { body, type } = multipart('a.jpg', jpg, 'other');
    const res = await fetchChecked(`${job.server}/upload-file/${job.id}`, {
      method: 'POST',
      body: new Uint8Array(body),
      headers: { 'Content-Type': type, 'X-Oc-Token': job.token },
    });
    expect(res.status).toBe(400);
    expect((await res.json()).message).toMatch(/'file'/);
  });

  it('refuses a 5 GB Content-Length at once, and survives a body that stops early', async () => {
    const job = await newJob();
    const url = new URL(`${job.server}/upload-file/${job.id}`);
    const { body, type } = multipart('a.jpg', jpg);
    const started = Date.now();
    const lie = await rawRequest(
      t.engine.baseUrl,
      `POST ${url.pathname} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Oc-Token: ${job.token}\r\nContent-Type: ${type}\r\nContent-Length: ${5 * 1024 ** 3}`,
      body.subarray(0, 200),
    );
    expect(lie).toMatch(/^HTTP\/1.1 413/);
    expect(lie).toMatch(/too large/);
    expect(Date.now() - started).toBeLessThan(5000);
    // Claims 100 kB, sends 2 kB, hangs up: no input, no leftover temp file, engine fine.
    await rawRequest(
      t.engine.baseUrl,
      `POST ${url.pathname} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Oc-Token: ${job.token}\r\nContent-Type: ${type}\r\nContent-Length: 100000`,
      body.subarray(0, 2000),
      { endAfterMs: 100 },
    );
    // The cut upload's partial file goes once the server sees the connection end (polled: load may delay it).
    await vi.waitFor(() => expect(fs.readdirSync(path.join(t.dataDir, 'tmp')).filter((n) => n.startsWith('upload-'))).toEqual([]), {
      timeout: 5000,
      interval: 50,
    });
    expect((await t.api.get(`/v2/jobs/${job.id}/input`)).body).toEqual([]);
    expect((await t.api.upload(job, jpg, 'after.jpg')).status).toBe(201);
  });

  it('streams a large upload to disk without holding it in memory', async () => {
    const job = await newJob({ process: false, conversion: [{ target: 'png' }] });
    const size = 160 * 1024 * 1024;
    const chunk = crypto.randomBytes(1024 * 1024);
    const boundary = 'convoyBigBoundary';
    const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\n\r\n`);
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(head);
      },
      pull(c) {
        if (sent >= size) {
          c.enqueue(tail);
          c.close();
          return;
        }
        c.enqueue(chunk);
        sent += chunk.length;
      },
    });
    global.gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    const res = await fetchChecked(`${job.server}/upload-file/${job.id}`, {
      method: 'POST',
      body: stream,
      duplex: 'half',
      headers: {
        'Content-Type': `multipart/form-data; boundary=${boundary}`,
        'Content-Length': String(head.length + size + tail.length),
        'X-Oc-Token': job.token,
      },
    } as RequestInit);
    clearInterval(sampler);
    const input = await res.json();
    expect(res.status).toBe(201);
    expect(input.size).toBe(size);
    // Client and engine share this process; buffering the file would add >= 160 MB.
    expect(peak - before).toBeLessThan(100 * 1024 * 1024);
  });

  it('writes the file as its bytes arrive, not once the body has ended', async () => {
    const job = await newJob();
    const boundary = 'convoyTrickle';
    const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="slow.bin"\r\n\r\n`);
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
    const data = crypto.randomBytes(8 * 1024 * 1024);
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const stream = new ReadableStream<Uint8Array>({
      async start(c) {
        c.enqueue(head);
        c.enqueue(data.subarray(0, 6 * 1024 * 1024));
        await held; // the rest only once the first 6 MiB are seen on disk
        c.enqueue(data.subarray(6 * 1024 * 1024));
        c.enqueue(tail);
        c.close();
      },
    });
    const answer = fetchChecked(`${job.server}/upload-file/${job.id}`, {
      method: 'POST',
      body: stream,
      duplex: 'half',
      headers: {
        'Content-Type': `multipart/form-data; boundary=${boundary}`,
        'Content-Length': String(head.length + data.length + tail.length),
        'X-Oc-Token': job.token,
      },
    } as RequestInit);
    const tmp = path.join(t.dataDir, 'tmp');
    const onDisk = () =>
      fs
        .readdirSync(tmp)
        .filter((n) => n.startsWith('upload-'))
        .reduce((n, f) => n + (fs.statSync(path.join(tmp, f), { throwIfNoEntry: false })?.size ?? 0), 0);
    const deadline = Date.now() + 20_000;
    while (onDisk() < 4 * 1024 * 1024 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(onDisk()).toBeGreaterThanOrEqual(4 * 1024 * 1024);
    release();
    const res = await answer;
    const input = await res.json();
    expect(res.status).toBe(201);
    expect(input).toMatchObject({ filename: 'slow.bin', size: data.length, checksum: checksumOf(data) });
  });

  it('takes the first file part in the field `file` from a body with preamble, other parts and epilogue, sent in small pieces', async () => {
    const job = await newJob();
    const boundary = 'b0undary';
    // CR LF, dashes and most of the delimiter inside the file itself.
    const data = Buffer.concat([crypto.randomBytes(50_000), Buffer.from(`\r\n--${boundary.slice(0, 5)}\r\n--\r\r\n`), crypto.randomBytes(50_000)]);
    const body = Buffer.concat([
      Buffer.from(`preamble\r\n--${boundary}\r\nContent-Disposition: form-data; name="note"\r\n\r\nhello\r\n`),
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="other"; filename="not-me.bin"\r\n\r\nnope\r\n`),
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename*=UTF-8''Gr%C3%BC%C3%9Fe.bin\r\nContent-Type: application/x-test\r\n\r\n`,
      ),
      data,
      Buffer.from(`\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="second.bin"\r\n\r\nsecond\r\n`),
      Buffer.from(`--${boundary}--\r\nepilogue\r\n`),
    ]);
    const url = new URL(`${job.server}/upload-file/${job.id}`);
    const { port } = new URL(t.engine.baseUrl);
    const answer = await new Promise<string>((resolve) => {
      const socket = net.connect(Number(port), '127.0.0.1');
      socket.setNoDelay(true);
      let text = '';
      socket.on('data', (d) => (text += d.toString()));
      socket.on('close', () => resolve(text));
      socket.on('error', () => resolve(text));
      socket.write(
        `POST ${url.pathname} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nX-Oc-Token: ${job.token}\r\n` +
          `Content-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${body.length}\r\n\r\n`,
      );
      let pos = 0;
      let size = 1;
      const next = () => {
        if (pos >= body.length) return;
        socket.write(body.subarray(pos, pos + size));
        pos += size;
        size = size >= 4096 ? 1 : size * 3;
        setImmediate(next);
      };
      next();
    });
    expect(answer).toMatch(/^HTTP\/1.1 201/);
    const input = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4));
    expect(input).toMatchObject({ filename: 'Grüße.bin', size: data.length, checksum: checksumOf(data) });
    const stored = fs.readFileSync(path.join(t.dataDir, 'files', job.id, `${input.id}-Grüße.bin`));
    expect(stored.equals(data)).toBe(true);
  });

  it('answers 400 for a multipart body without its final boundary, and keeps nothing', async () => {
    const job = await newJob();
    const { body, type } = multipart('cut.jpg', jpg);
    const res = await fetchChecked(`${job.server}/upload-file/${job.id}`, {
      method: 'POST',
      body: new Uint8Array(body.subarray(0, body.length - 10)),
      headers: { 'Content-Type': type, 'X-Oc-Token': job.token },
    });
    expect(res.status).toBe(400);
    expect((await res.json()).message).toBe('Malformed multipart body: Unexpected end of form');
    const noBoundary = await fetchChecked(`${job.server}/upload-file/${job.id}`, {
      method: 'POST',
      body: new Uint8Array(body),
      headers: { 'Content-Type': 'multipart/form-data', 'X-Oc-Token': job.token },
    });
    expect(noBoundary.status).toBe(400);
    expect((await noBoundary.json()).message).toMatch(/^Malformed multipart body: .*[Bb]oundary/);
    expect((await t.api.get(`/v2/jobs/${job.id}/input`)).body).toEqual([]);
    expect(fs.readdirSync(path.join(t.dataDir, 'tmp')).filter((n) => n.startsWith('upload-'))).toEqual([]);
  });

  describe('resumable chunked uploads', () => {
    it('a new chunk takes over from one whose connection hangs half-open, and the upload completes', async () => {
      const job = await newJob();
      const data = crypto.randomBytes(1_000_000);
      const uuid = crypto.randomUUID();
      expect((await postChunk(job, uuid, data.subarray(0, 100_000), 0, data.length, 'hang.bin')).status).toBe(200);
      // The second chunk sends part of its bytes (enough to reach the disk) and then nothing, its
      // connection left open.
      const url = new URL(`${job.server}/upload-file/${job.id}`);
      const part = multipart('hang.bin', data.subarray(100_000, 700_000));
      const hanging = rawRequest(
        t.engine.baseUrl,
        `POST ${url.pathname} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Oc-Token: ${job.token}\r\nX-Oc-Upload-Uuid: ${uuid}\r\nContent-Range: bytes 100000-699999/1000000\r\nContent-Type: ${part.type}\r\nContent-Length: ${part.body.length}`,
        part.body.subarray(0, 400_000),
      );
      await waitFor(async () => (await uploadStatus(job, uuid)).body.received > 100_000, 10_000, 'the hanging chunk to write its first bytes');
      // The client gives up on it and resends the chunk: taken at once, not 409 until a timeout.
      const again = await postChunk(job, uuid, data.subarray(100_000, 700_000), 100_000, data.length, 'hang.bin');
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({ received: 700_000, complete: false });
      expect(await hanging).toBe(''); // the hanging connection was closed, unanswered
      const last = await postChunk(job, uuid, data.subarray(700_000), 700_000, data.length, 'hang.bin');
      expect(last.status).toBe(201);
      expect(last.body).toMatchObject({ filename: 'hang.bin', size: 1_000_000, checksum: checksumOf(data) });
    });

    it('assembles chunks, reports progress, and resumes after a broken connection', async () => {
      const job = await newJob();
      const data = crypto.randomBytes(300_000);
      const uuid = crypto.randomUUID();
      const c1 = await postChunk(job, uuid, data.subarray(0, 100_000), 0, data.length, 'movie.bin');
      expect(c1.status).toBe(200);
      expect(c1.body).toMatchObject({ uuid, received: 100_000, total: 300_000, complete: false });
      expect(c1.headers.get('range')).toBe('bytes=0-99999');

      // The second chunk breaks off after part of its bytes.
      const url = new URL(`${job.server}/upload-file/${job.id}`);
      const part = multipart('movie.bin', data.subarray(100_000, 200_000));
      await rawRequest(
        t.engine.baseUrl,
        `POST ${url.pathname} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Oc-Token: ${job.token}\r\nX-Oc-Upload-Uuid: ${uuid}\r\nContent-Range: bytes 100000-199999/300000\r\nContent-Type: ${part.type}\r\nContent-Length: ${part.body.length}`,
        part.body.subarray(0, 40_000),
        { endAfterMs: 150 },
      );
      const status = await uploadStatus(job, uuid);
      expect(status.status).toBe(200);
      expect(status.body.received).toBeGreaterThanOrEqual(100_000);
      expect(status.body.received).toBeLessThan(200_000);
      expect(status.headers.get('range')).toBe(`bytes=0-${status.body.received - 1}`);

      // A chunk that skips ahead is refused with what to send next. (It takes over from the broken
      // chunk if the engine has not seen that one end yet, so it says where that one stopped.)
      const gap = await postChunk(job, uuid, data.subarray(250_000), 250_000, data.length);
      expect(gap.status).toBe(416);
      const received = Number(/continue from byte (\d+)/.exec(gap.body.message)?.[1]);
      expect(received).toBeGreaterThanOrEqual(status.body.received);
      expect(received).toBeLessThan(200_000);
      expect(gap.headers.get('range')).toBe(`bytes=0-${received - 1}`);

      const c2 = await postChunk(job, uuid, data.subarray(received, 200_000), received, data.length, 'movie.bin');
      expect(c2.status).toBe(200);
      const c3 = await postChunk(job, uuid, data.subarray(200_000), 200_000, data.length, 'movie.bin');
      expect(c3.status).toBe(201);
      expect(c3.body).toMatchObject({ type: 'upload', status: 'ready', filename: 'movie.bin', size: 300_000 });
      expect(c3.body.checksum).toBe(checksumOf(data));

      // The final chunk again (its answer was lost): the same input, not a second one.
      const again = await postChunk(job, uuid, data.subarray(200_000), 200_000, data.length, 'movie.bin');
      expect(again.status).toBe(201);
      expect(again.body.id).toBe(c3.body.id);
      expect((await t.api.get(`/v2/jobs/${job.id}/input`)).body).toHaveLength(1);
      const stored = fs.readFileSync(path.join(t.dataDir, 'files', job.id, `${c3.body.id}-movie.bin`));
      expect(stored.equals(data)).toBe(true);
    });

    it('accepts raw (non-multipart) chunks and answers a `bytes */total` status query', async () => {
      const job = await newJob();
      const uuid = 'raw-upload-1';
      const send = (buf: Buffer, start: number) =>
        fetchChecked(`${job.server}/upload-file/${job.id}`, {
          method: 'POST',
          body: new Uint8Array(buf),
          headers: {
            'Content-Type': 'application/octet-stream',
            'Content-Disposition': 'attachment; filename="photo.jpg"',
            'X-Oc-Token': job.token,
            'X-Oc-Upload-Uuid': uuid,
            'Content-Range': `bytes ${start}-${start + buf.length - 1}/${jpg.length}`,
          },
        });
      expect((await send(jpg.subarray(0, 1000), 0)).status).toBe(200);
      const q = await fetchChecked(`${job.server}/upload-file/${job.id}`, {
        method: 'POST',
        headers: { 'X-Oc-Token': job.token, 'X-Oc-Upload-Uuid': uuid, 'Content-Range': `bytes */${jpg.length}` },
      });
      expect((await q.json()).received).toBe(1000);
      const last = await send(jpg.subarray(1000), 1000);
      expect(last.status).toBe(201);
      expect((await last.json()).filename).toBe('photo.jpg');
    });

    it('refuses a chunk longer than its Content-Range (413) without writing the bytes past it', async () => {
      const job = await newJob();
      const uuid = crypto.randomUUID();
      const data = crypto.randomBytes(3000);
      expect((await postChunk(job, uuid, data.subarray(0, 1000), 0, 3000)).status).toBe(200);
      const { body, type } = multipart('x.bin', data.subarray(1000, 3000));
      const res = await fetchChecked(`${job.server}/upload-file/${job.id}`, {
        method: 'POST',
        body: new Uint8Array(body),
        headers: { 'Content-Type': type, 'X-Oc-Token': job.token, 'X-Oc-Upload-Uuid': uuid, 'Content-Range': 'bytes 1000-1999/3000' },
      });
      expect(res.status).toBe(413);
      const status = await uploadStatus(job, uuid);
      expect(status.body.received).toBeGreaterThanOrEqual(1000);
      expect(status.body.received).toBeLessThanOrEqual(2000);
      const c2 = await postChunk(job, uuid, data.subarray(status.body.received), status.body.received, 3000);
      expect(c2.status).toBe(201);
      expect(c2.body.checksum).toBe(checksumOf(data));
    });

    it('validates chunk headers', async () => {
      const job = await newJob();
      const noUuid = await fetchChecked(`${job.server}/upload-file/${job.id}`, {
        method: 'POST',
        body: 'abc',
        headers: { 'X-Oc-Token': job.token, 'Content-Range': 'bytes 0-2/3' },
      });
      expect(noUuid.status).toBe(400);
      const badRange = await fetchChecked(`${job.server}/upload-file/${job.id}`, {
        method: 'POST',
        body: 'abc',
        headers: { 'X-Oc-Token': job.token, 'X-Oc-Upload-Uuid': 'u1', 'Content-Range': 'bytes 5-2/3' },
      });
      expect(badRange.status).toBe(400);
      expect((await badRange.json()).message).toMatch(/Content-Range/);
      const tooBig = await fetchChecked(`${job.server}/upload-file/${job.id}`, {
        method: 'POST',
        body: 'abc',
        headers: { 'X-Oc-Token': job.token, 'X-Oc-Upload-Uuid': 'u1', 'Content-Range': `bytes 0-2/${10 * 1024 ** 4}` },
      });
      expect(tooBig.status).toBe(413);
      const short = await postChunk(job, 'u2', Buffer.from('abc'), 0, 10);
      expect(short.status).toBe(200);
      const unknown = await uploadStatus(job, 'never-started');
      expect(unknown.status).toBe(404);
    });
  });
});
