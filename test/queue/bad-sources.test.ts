/**
 * Bad sources fail alone with a clear message and are not retried; the rest of the batch succeeds:
 * missing file, unreadable file, empty file, malformed URL, unreachable URL, URL answering 404,
 * unsupported target, a target the source cannot be converted to.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { isPng, makeImages, openQueue, serveFolder, startEngine, tmpDir, waitForBatches, type TestEngine } from './helpers';

let te: TestEngine | undefined;
let server: Awaited<ReturnType<typeof serveFolder>> | undefined;
afterAll(async () => {
  await server?.close();
  await te?.engine.close();
});

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/**
 * A file the process cannot read. Root reads any file whatever its mode, so there a FIFO stands in
 * (it cannot be read as a file either).
 */
function unreadableFile(dir: string): string {
  const file = path.join(dir, 'locked.jpg');
  if (process.getuid?.() === 0) {
    execFileSync('mkfifo', [file]);
  } else {
    fs.writeFileSync(file, 'x');
    fs.chmodSync(file, 0o000);
  }
  return file;
}

it('fails each bad source alone with a clear reason and converts the rest', async () => {
  te = await startEngine({ faults: { latencyMs: 2 } });
  const src = tmpDir('bad-src');
  const good = await makeImages(src, 4);
  const empty = path.join(src, 'empty.jpg');
  fs.writeFileSync(empty, '');
  const notAnImage = path.join(src, 'notes.txt');
  fs.writeFileSync(notAnImage, 'plain text, not an image');
  const locked = unreadableFile(src);
  server = await serveFolder(src);
  const dead = await closedPort();
  const data = tmpDir('bad-data');
  const q = openQueue(te, data, { retry: { baseMs: 50, maxAttempts: 3 } });
  try {
    await q.queue.handlers()['conversions.list']!(undefined);
    const created = te.engine.stats().jobsCreated;
    const r = await q.queue.add({
      items: [
        { source: { kind: 'file', path: good[0] } },
        { source: { kind: 'file', path: path.join(src, 'missing.jpg') } },
        { source: { kind: 'file', path: locked } },
        { source: { kind: 'file', path: empty } },
        { source: { kind: 'url', url: 'http//no-scheme.example/a.jpg' } },
        { source: { kind: 'url', url: `http://127.0.0.1:${dead}/gone.jpg` } },
        { source: { kind: 'url', url: `${server.url}/missing/nothing.jpg` } },
        { source: { kind: 'file', path: good[1] }, target: 'xyz' },
        { source: { kind: 'file', path: notAnImage } },
        { source: { kind: 'url', url: `${server.url}/img-002.jpg` } },
        { source: { kind: 'file', path: good[3] } },
      ],
      target: 'png',
    });
    expect(r.rejected).toEqual([{ input: 'http//no-scheme.example/a.jpg', reason: 'Not a valid URL' }]);
    q.queue.start({ batchId: r.batchId });
    await waitForBatches(q.queue, [r.batchId]);
    const byLabel = new Map(q.queue.list({ batchId: r.batchId, offset: 0, limit: 100 }).items.map((i) => [i.label, i]));
    if (process.env.DEBUG_BAD) console.log([...byLabel.values()].map((i) => `${i.label}: ${i.state} ${JSON.stringify(i.error)}`).join('\n'));
    const failure = (label: string) => {
      const item = [...byLabel.entries()].find(([l]) => l.includes(label))?.[1];
      expect(item, label).toBeDefined();
      expect(item!.state, label).toBe('failed');
      return item!.error!;
    };
    expect(failure('missing.jpg')).toMatchObject({ code: 'input', message: expect.stringMatching(/^File not found: /) });
    expect(failure('locked.jpg')).toMatchObject({ code: 'input', message: expect.stringMatching(/Not a regular file|permission denied/) });
    expect(failure('empty.jpg')).toMatchObject({ code: 'input', message: expect.stringMatching(/^The file is empty/) });
    expect(failure('gone.jpg')).toMatchObject({ code: 'input' });
    expect(failure('gone.jpg').message.length).toBeGreaterThan(10);
    expect(failure('nothing.jpg')).toMatchObject({ code: 'input', message: expect.stringMatching(/404|not found/i) });
    expect(failure('img-001.jpg')).toMatchObject({ code: 'validation', message: 'Unsupported target format "xyz"' });
    expect(failure('notes.txt').code).toMatch(/validation|conversion|input/);
    for (const label of ['img-000.jpg', 'img-002.jpg', 'img-003.jpg']) {
      const item = [...byLabel.entries()].find(([l]) => l.endsWith(label))![1];
      expect(item.state, label).toBe('done');
      expect(await isPng(item.outputs[0])).toBe(true);
    }
    // Local problems never reached the API: 3 good + 2 bad URLs + the text file.
    expect(te.engine.stats().jobsCreated - created).toBe(6);
    // Permanent failures are not retried.
    const retried = q.queue.list({ batchId: r.batchId, offset: 0, limit: 100 }).items.filter((i) => i.error?.code === 'server');
    expect(retried).toEqual([]);

    // A failed item can be retried once its cause is fixed.
    fs.copyFileSync(good[2], path.join(src, 'missing.jpg'));
    const missing = [...byLabel.values()].find((i) => i.label === 'missing.jpg')!;
    expect(q.queue.retry({ itemIds: [missing.id] })).toEqual({ updated: 1 });
    await waitForBatches(q.queue, [r.batchId]);
    const again = q.queue.list({ batchId: r.batchId, offset: 0, limit: 100 }).items.find((i) => i.id === missing.id)!;
    expect(again.state).toBe('done');
    expect(again.error).toBeNull();
  } finally {
    await q.close();
  }
}, 60_000);
