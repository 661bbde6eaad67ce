/**
 * A first look at a PDF (its first page, by poppler's pdftoppm), a video (a frame one second in,
 * else its first, by ffmpeg) or a song (its cover picture, by ffmpeg) as small PNG bytes, and a
 * HEIC photo decoded to a PNG file (libheif), for the queue list's thumbnails.
 *
 * These tools parse files the user dropped, which may be hostile. Each runs with a time limit and,
 * where a shell can set them, a CPU and memory limit; its output is capped; ffmpeg reads local
 * files only, with the demuxers of the file's extension only, so no playlist inside a "video"
 * reaches the network or another file; what the tools print is dropped.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export type FrameKind = 'pdf' | 'video' | 'audio';

/** Where the tools are; a missing one means no thumbnail of that kind. */
export interface FrameTools {
  pdftoppm?: string;
  ffmpeg?: string;
  /** libheif's decoder (heif-dec or heif-convert). */
  heif?: string;
}

export interface FrameOptions {
  /** Longest side of the rendered frame in pixels (the thumbnail is scaled from it). */
  size: number;
  timeoutMs: number;
}

/**
 * The videos and songs (audio that carries a cover picture) thumbnailed, with the only demuxers
 * ffmpeg may read each with (`-format_whitelist`): a playlist or a concat list named `x.mp4` is
 * refused, not followed, and the demuxers exposed to a hostile file are few.
 */
export const MEDIA: Record<string, { kind: 'video' | 'audio'; demuxers: string }> = {
  mp4: { kind: 'video', demuxers: 'mov' },
  m4v: { kind: 'video', demuxers: 'mov' },
  mov: { kind: 'video', demuxers: 'mov' },
  '3gp': { kind: 'video', demuxers: 'mov' },
  mkv: { kind: 'video', demuxers: 'matroska' },
  webm: { kind: 'video', demuxers: 'matroska' },
  avi: { kind: 'video', demuxers: 'avi' },
  wmv: { kind: 'video', demuxers: 'asf' },
  flv: { kind: 'video', demuxers: 'flv' },
  mpg: { kind: 'video', demuxers: 'mpeg,mpegvideo' },
  mpeg: { kind: 'video', demuxers: 'mpeg,mpegvideo' },
  ts: { kind: 'video', demuxers: 'mpegts' },
  mts: { kind: 'video', demuxers: 'mpegts' },
  m2ts: { kind: 'video', demuxers: 'mpegts' },
  ogv: { kind: 'video', demuxers: 'ogg' },
  mp3: { kind: 'audio', demuxers: 'mp3' },
  m4a: { kind: 'audio', demuxers: 'mov' },
  flac: { kind: 'audio', demuxers: 'flac' },
  ogg: { kind: 'audio', demuxers: 'ogg' },
  opus: { kind: 'audio', demuxers: 'ogg' },
  aac: { kind: 'audio', demuxers: 'aac' },
  wma: { kind: 'audio', demuxers: 'asf' },
};

/** A frame is a small PNG: more than this is not a frame, and the tool is stopped. */
const MAX_FRAME_BYTES = 8 * 1024 * 1024;
/** Memory a tool may take (KiB, `ulimit -d`): a page or a frame at thumbnail size needs far less. */
const MEMORY_KIB = 1024 * 1024;

/** The PNG bytes of `file`'s first look, or null when the tool made none (or is missing). */
export async function firstFrame(file: string, kind: FrameKind, tools: FrameTools, opts: FrameOptions): Promise<Buffer | null> {
  if (kind === 'pdf') {
    if (!tools.pdftoppm) return null;
    return stdoutOf(tools.pdftoppm, ['-f', '1', '-l', '1', '-singlefile', '-scale-to', String(opts.size), '-png', file], opts);
  }
  if (!tools.ffmpeg) return null;
  // `-ss` before `-i` seeks without decoding what comes before; a video shorter than that gives no
  // frame, so the first one is tried next. A song's cover is a picture at the start: no seeking.
  for (const seek of kind === 'video' ? [['-ss', '1'], []] : [[]]) {
    const frame = await stdoutOf(
      tools.ffmpeg,
      [
        ...['-v', 'error', '-nostdin', '-threads', '1', '-protocol_whitelist', 'file'],
        ...['-format_whitelist', MEDIA[path.extname(file).slice(1).toLowerCase()]?.demuxers ?? 'none'],
        ...[...seek, '-i', file, '-an', '-frames:v', '1', '-vf', `scale=${opts.size}:${opts.size}:force_original_aspect_ratio=decrease`],
        ...['-f', 'image2pipe', '-c:v', 'png', 'pipe:1'],
      ],
      opts,
    );
    if (frame) return frame;
  }
  return null;
}

/** What a tool wrote on stdout when it exited 0 (and wrote something), else null. */
async function stdoutOf(tool: string, args: string[], opts: FrameOptions): Promise<Buffer | null> {
  const r = await run(tool, args, opts);
  return r?.code === 0 && r.stdout.length > 0 ? r.stdout : null;
}

/**
 * The primary image of a HEIC/HEIF file (iPhone photos) as a PNG file in `workDir`, by libheif's
 * decoder (heif-dec, or heif-convert before libheif 1.17); null when there is none. The PNG is full
 * size (too big to pass through memory as a frame): the caller reads it and removes `workDir`.
 */
export async function heifImage(file: string, tool: string | undefined, workDir: string, opts: FrameOptions): Promise<string | null> {
  if (!tool) return null;
  const out = path.join(workDir, 'decoded.png');
  const r = await run(tool, [file, out], opts);
  if (r?.code !== 0) return null;
  // A burst (several images) is written as decoded-1.png, decoded-2.png…: the first is the primary.
  for (const candidate of [out, path.join(workDir, 'decoded-1.png')]) if (await fileExists(candidate)) return candidate;
  return null;
}

/** Whether `file` exists, asked without blocking (thumbnails are made on the app's main thread). */
export function fileExists(file: string): Promise<boolean> {
  return fs.promises.access(file).then(
    () => true,
    () => false,
  );
}

/** Runs a tool under the limits; its exit code and stdout (null when stopped: too slow, too much output, not startable). */
function run(tool: string, args: string[], opts: FrameOptions): Promise<{ code: number | null; stdout: Buffer } | null> {
  return new Promise((resolve) => {
    const cpuSeconds = Math.max(1, Math.ceil(opts.timeoutMs / 1000));
    // Through a shell where there is one, to set the limits for the tool alone.
    const child =
      process.platform === 'win32'
        ? spawn(tool, args, { stdio: ['ignore', 'pipe', 'ignore'], windowsHide: true })
        : spawn('/bin/sh', ['-c', `ulimit -t ${cpuSeconds} 2>/dev/null; ulimit -d ${MEMORY_KIB} 2>/dev/null; exec "$0" "$@"`, tool, ...args], {
            stdio: ['ignore', 'pipe', 'ignore'],
          });
    const chunks: Buffer[] = [];
    let bytes = 0;
    let settled = false;
    const finish = (value: { code: number | null; stdout: Buffer } | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(value);
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish(null);
    }, opts.timeoutMs);
    child.stdout!.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > MAX_FRAME_BYTES) {
        child.kill('SIGKILL');
        return finish(null);
      }
      chunks.push(chunk);
    });
    child.on('error', () => finish(null));
    child.on('close', (code) => finish({ code, stdout: Buffer.concat(chunks) }));
  });
}

/** The first executable called `name` on PATH (with Windows' extensions), else undefined. */
export function findOnPath(name: string, envPath = process.env.PATH ?? ''): string | undefined {
  const exts = process.platform === 'win32' ? ['.exe', '.cmd', ''] : [''];
  for (const dir of envPath.split(path.delimiter).filter(Boolean)) {
    for (const ext of exts) {
      const candidate = path.join(dir, name + ext);
      try {
        fs.accessSync(candidate, fs.constants.X_OK);
        if (fs.statSync(candidate).isFile()) return candidate;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}
