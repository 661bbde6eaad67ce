/**
 * Hostile inputs against the real tools: an HLS playlist or a concat list named like a media file
 * must not make ffmpeg read another host file; every tool runs under CPU-time and memory limits;
 * LibreOffice runs without network (a linked image is never fetched).
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConversionError, convert, normalizeOptions } from '../../engine/convert/index';
import { ProcessFailure, runProcess } from '../../engine/convert/run-process';
import { canIsolateNetwork } from '../../engine/convert/sandbox';
import { ffmpeg, hasCommand, tempDir } from './convert-helpers';

const haveFfmpeg = (await hasCommand('ffmpeg')) && (await hasCommand('ffprobe'));
const haveSoffice = await hasCommand('soffice');
const havePython = await hasCommand('python3');
let tmp: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  tmp = await tempDir();
});
afterAll(async () => {
  await tmp?.cleanup();
});

async function convertFile(input: string, name: string, target: string) {
  const outDir = await tmp.sub(`${target}-${Math.random().toString(36).slice(2)}`);
  return convert({ inputPath: input, inputFilename: name, target, options: normalizeOptions(target, {}), outDir });
}

describe.runIf(haveFfmpeg)('ffmpeg reads only the input it is given', () => {
  it('an HLS playlist named evil.mp4 that points at a host file converts to an error, not to that file’s audio', async () => {
    const secret = path.join(tmp.dir, 'host-secret.mp3');
    await ffmpeg(['-f', 'lavfi', '-i', 'sine=frequency=440:duration=1', secret]);
    const evil = path.join(tmp.dir, 'evil.mp4');
    await writeFile(evil, `#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:1,\n${secret}\n#EXT-X-ENDLIST\n`);
    // Without the guard this ffmpeg would turn the playlist into the host file's audio:
    const raw = path.join(tmp.dir, 'unguarded.mp3');
    const unguarded = await promisify(execFile)('ffmpeg', ['-v', 'error', '-y', '-i', evil, '-f', 'mp3', raw]).then(
      () => true,
      () => false,
    );
    await expect(convertFile(evil, 'evil.mp4', 'mp3')).rejects.toThrow(ConversionError);
    await expect(convertFile(evil, 'evil.mp4', 'mp3')).rejects.toThrow(/not a readable audio or video file/);
    console.info(`convert-sandbox: unguarded ffmpeg ${unguarded ? 'DID read the host file (the attack is real here)' : 'refused by itself'}`);
  });

  it('a concat list named like a wav converts to an error', async () => {
    const dir = await tmp.sub('concat');
    await ffmpeg(['-f', 'lavfi', '-i', 'sine=frequency=440:duration=1', path.join(dir, 'neighbour.wav')]);
    const evil = path.join(dir, 'evil.wav');
    await writeFile(evil, "ffconcat version 1.0\nfile 'neighbour.wav'\n");
    await expect(convertFile(evil, 'evil.wav', 'mp3')).rejects.toThrow(ConversionError);
  });

  it('real media still converts under the guard', async () => {
    const clip = path.join(tmp.dir, 'clip.mp4');
    await ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=440:duration=1',
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=64x48:rate=5:duration=1',
      '-shortest',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-pix_fmt',
      'yuv420p',
      '-c:a',
      'aac',
      clip,
    ]);
    const [out] = await convertFile(clip, 'clip.mp4', 'mp3');
    expect(out.path.endsWith('.mp3')).toBe(true);
  });
});

describe('every tool runs under a CPU-time and a memory limit', () => {
  it('a busy loop is stopped by its CPU limit long before the wall-clock timeout', async () => {
    const started = Date.now();
    const err = await runProcess('sh', ['-c', 'while :; do :; done'], { timeoutMs: 60_000, limits: { cpuSeconds: 1 } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProcessFailure);
    expect((err as ProcessFailure).message).toMatch(/CPU time limit/);
    expect((err as ProcessFailure).timedOut).toBe(false);
    expect(Date.now() - started).toBeLessThan(20_000);
  }, 30_000);

  it.runIf(havePython)('an allocation over the memory limit fails; under it, succeeds', async () => {
    const alloc = ['-c', 'b = bytearray(400 * 1024 * 1024); b[-1] = 1'];
    await expect(runProcess('python3', alloc, { timeoutMs: 30_000, limits: { memoryBytes: 150 * 1024 * 1024 } })).rejects.toBeInstanceOf(ProcessFailure);
    await expect(runProcess('python3', alloc, { timeoutMs: 30_000, limits: { memoryBytes: 1024 * 1024 * 1024 } })).resolves.toBeTruthy();
  });
});

describe.runIf(canIsolateNetwork() && havePython)('LibreOffice runs without network', () => {
  it('a tool run with noNetwork cannot reach a server on this machine; without it, it can', async () => {
    const server = http.createServer((_req, res) => res.end('hi'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as { port: number }).port;
      const dial = ['-c', `import socket; socket.create_connection(("127.0.0.1", ${port}), timeout=3).close()`];
      await expect(runProcess('python3', dial, { timeoutMs: 20_000 })).resolves.toBeTruthy();
      await expect(runProcess('python3', dial, { timeoutMs: 20_000, noNetwork: true })).rejects.toBeInstanceOf(ProcessFailure);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it.runIf(haveSoffice)(
    'documents still convert in the sandbox (HTML → PDF)',
    async () => {
      const doc = path.join(tmp.dir, 'hello.html');
      await writeFile(doc, '<!doctype html><html><body><p>Hello</p></body></html>');
      const [out] = await convertFile(doc, 'hello.html', 'pdf');
      expect(out.path.endsWith('.pdf')).toBe(true);
    },
    120_000,
  );
});
