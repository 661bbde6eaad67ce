/** Shared bits of the converter tests: temp folders, generated inputs, ffprobe. */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';

const run = promisify(execFile);

export async function tempDir(prefix = 'convoy-convert-'): Promise<{ dir: string; sub(name: string): Promise<string>; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  let n = 0;
  return {
    dir,
    async sub(name: string) {
      return mkdtemp(path.join(dir, `${name}-${++n}-`));
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/** A photo-like image: smooth gradients plus noise, so that quality settings change the size. */
export async function photo(file: string, width = 320, height = 200, alpha = false): Promise<string> {
  const channels = alpha ? 4 : 3;
  const raw = Buffer.alloc(width * height * channels);
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % 40) - 20;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * channels;
      raw[i] = Math.max(0, Math.min(255, Math.round((x / width) * 255) + rnd()));
      raw[i + 1] = Math.max(0, Math.min(255, Math.round((y / height) * 255) + rnd()));
      raw[i + 2] = Math.max(0, Math.min(255, 128 + rnd()));
      if (alpha) raw[i + 3] = x < width / 2 ? 255 : 0;
    }
  }
  await sharp(raw, { raw: { width, height, channels } }).toFile(file);
  return file;
}

export async function ffmpeg(args: string[]): Promise<void> {
  await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', ...args]);
}

export interface ProbeResult {
  format: string;
  duration: number;
  streams: Array<{ codec_type: string; codec_name: string; width?: number; height?: number; sample_rate?: string; channels?: number; r_frame_rate?: string }>;
}

export async function ffprobe(file: string): Promise<ProbeResult> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', file]);
  const data = JSON.parse(stdout) as { format: { format_name: string; duration?: string }; streams: ProbeResult['streams'] };
  return { format: data.format.format_name, duration: Number(data.format.duration ?? NaN), streams: data.streams };
}

export async function hasCommand(name: string): Promise<boolean> {
  try {
    await run('sh', ['-c', `command -v ${name}`]);
    return true;
  } catch {
    return false;
  }
}

/** A loopback port where nothing listens (bound, then released). */
export async function deadPort(): Promise<number> {
  const net = await import('node:net');
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as import('node:net').AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}
