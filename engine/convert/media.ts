/**
 * Audio and video targets, converted by ffmpeg as a child process (reads and writes files itself:
 * nothing passes through this process's memory). ffprobe checks the input first so that a file
 * without the needed stream, or not a media file at all, gets a clear message.
 */
import { rm } from 'node:fs/promises';
import { ProcessFailure, runProcess } from './run-process';
import { ffmpegInputGuard } from './sandbox';
import { outputFile, type ConvertJob, type TargetDef } from './target';
import type { Tools } from './tools';
import { ConversionError, type ConvertedFile, type OptionSpec } from './types';

export const AUDIO_INPUTS = ['aac', 'ac3', 'aif', 'aiff', 'amr', 'flac', 'm4a', 'mka', 'mp2', 'mp3', 'oga', 'ogg', 'opus', 'wav', 'weba', 'wma'];
export const VIDEO_INPUTS = ['3gp', 'avi', 'flv', 'm2ts', 'm4v', 'mkv', 'mov', 'mp4', 'mpeg', 'mpg', 'mts', 'ogv', 'ts', 'webm', 'wmv'];

interface Probe {
  duration?: number;
  hasAudio: boolean;
  hasVideo: boolean;
}

// ─── Options ───────────────────────────────────────────────────────────────────────────────────

const bitrate = (min: number, max: number, def: number): OptionSpec => ({
  type: 'integer',
  minimum: min,
  maximum: max,
  default: def,
  description: `Audio bitrate in kbit/s (${min}–${max}).`,
});

const frequency = (values: number[]): OptionSpec => ({
  type: 'integer',
  enum: values,
  description: 'Sample rate in Hz (default: as the input, where the codec allows).',
});
const COMMON_RATES = [8000, 11025, 16000, 22050, 24000, 32000, 44100, 48000];

const audioCommon: Record<string, OptionSpec> = {
  channels: { type: 'string', enum: ['mono', 'stereo'], description: 'Mix down to mono or stereo (default: as the input).' },
  normalize: { type: 'boolean', default: false, description: 'Normalise loudness (EBU R128).' },
  trim_start: { type: 'number', minimum: 0, description: 'Start at this many seconds into the input.' },
  trim_end: { type: 'number', minimum: 0, description: 'Stop at this many seconds into the input.' },
};

interface AudioTarget {
  target: string;
  codec: string;
  muxer: string;
  options: Record<string, OptionSpec>;
}

const AUDIO: AudioTarget[] = [
  {
    target: 'mp3',
    codec: 'libmp3lame',
    muxer: 'mp3',
    options: { audio_bitrate: bitrate(32, 320, 192), frequency: frequency([8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000]) },
  },
  { target: 'wav', codec: 'pcm_s16le', muxer: 'wav', options: { frequency: frequency(COMMON_RATES.concat([88200, 96000])) } },
  {
    target: 'flac',
    codec: 'flac',
    muxer: 'flac',
    options: {
      frequency: frequency(COMMON_RATES.concat([88200, 96000])),
      compression_level: {
        type: 'integer',
        minimum: 0,
        maximum: 12,
        default: 5,
        description: 'FLAC compression level, 0 (fastest) to 12 (smallest); lossless either way.',
      },
    },
  },
  { target: 'ogg', codec: 'libvorbis', muxer: 'ogg', options: { audio_bitrate: bitrate(48, 480, 160), frequency: frequency(COMMON_RATES) } },
  {
    target: 'opus',
    codec: 'libopus',
    muxer: 'opus',
    options: { audio_bitrate: bitrate(6, 510, 128), frequency: frequency([8000, 12000, 16000, 24000, 48000]) },
  },
  { target: 'aac', codec: 'aac', muxer: 'adts', options: { audio_bitrate: bitrate(32, 512, 160), frequency: frequency(COMMON_RATES.concat([88200, 96000])) } },
  { target: 'm4a', codec: 'aac', muxer: 'ipod', options: { audio_bitrate: bitrate(32, 512, 160), frequency: frequency(COMMON_RATES.concat([88200, 96000])) } },
  { target: 'wma', codec: 'wmav2', muxer: 'asf', options: { audio_bitrate: bitrate(32, 320, 128), frequency: frequency([22050, 32000, 44100, 48000]) } },
];

interface VideoCodec {
  name: string;
  encoder: string;
  args(o: Record<string, unknown>): string[];
  /** Needs even width and height (4:2:0 chroma). */
  even: boolean;
}

const SPEED = { fast: 0, medium: 1, slow: 2 } as const;
const pick = <T>(o: Record<string, unknown>, values: [T, T, T]): T => values[SPEED[(o.speed as keyof typeof SPEED) ?? 'medium']];
const vb = (o: Record<string, unknown>) => (o.video_bitrate ? ['-b:v', `${o.video_bitrate}k`] : []);

const VIDEO_CODECS: VideoCodec[] = [
  {
    name: 'h264',
    encoder: 'libx264',
    even: true,
    args: (o) => ['-c:v', 'libx264', '-preset', pick(o, ['veryfast', 'medium', 'slow']), ...(o.video_bitrate ? vb(o) : ['-crf', '23']), '-pix_fmt', 'yuv420p'],
  },
  {
    name: 'h265',
    encoder: 'libx265',
    even: true,
    args: (o) => [
      '-c:v',
      'libx265',
      '-preset',
      pick(o, ['veryfast', 'medium', 'slow']),
      ...(o.video_bitrate ? vb(o) : ['-crf', '28']),
      '-pix_fmt',
      'yuv420p',
      '-x265-params',
      'log-level=error',
    ],
  },
  {
    name: 'vp9',
    encoder: 'libvpx-vp9',
    even: true,
    args: (o) => [
      '-c:v',
      'libvpx-vp9',
      '-deadline',
      'good',
      '-cpu-used',
      pick(o, ['5', '2', '1']),
      '-row-mt',
      '1',
      ...(o.video_bitrate ? vb(o) : ['-crf', '32', '-b:v', '0']),
      '-pix_fmt',
      'yuv420p',
    ],
  },
  {
    name: 'vp8',
    encoder: 'libvpx',
    even: true,
    args: (o) => [
      '-c:v',
      'libvpx',
      '-deadline',
      'good',
      '-cpu-used',
      pick(o, ['5', '2', '1']),
      ...(o.video_bitrate ? vb(o) : ['-crf', '10', '-b:v', '2M']),
      '-pix_fmt',
      'yuv420p',
    ],
  },
  {
    name: 'av1',
    encoder: 'libsvtav1',
    even: true,
    args: (o) => ['-c:v', 'libsvtav1', '-preset', pick(o, ['10', '8', '5']), ...(o.video_bitrate ? vb(o) : ['-crf', '35']), '-pix_fmt', 'yuv420p'],
  },
  { name: 'mpeg4', encoder: 'mpeg4', even: true, args: (o) => ['-c:v', 'mpeg4', ...(o.video_bitrate ? vb(o) : ['-q:v', '4']), '-pix_fmt', 'yuv420p'] },
];

interface VideoTarget {
  target: string;
  muxer: string;
  codecs: string[];
  audio: { encoder: string; bitrate: OptionSpec; rates: number[] };
  extra?: (codec: string) => string[];
}

const VIDEO: VideoTarget[] = [
  {
    target: 'mp4',
    muxer: 'mp4',
    codecs: ['h264', 'h265', 'av1', 'mpeg4'],
    audio: { encoder: 'aac', bitrate: bitrate(32, 512, 160), rates: COMMON_RATES },
    extra: (c) => ['-movflags', '+faststart', ...(c === 'h265' ? ['-tag:v', 'hvc1'] : [])],
  },
  {
    target: 'webm',
    muxer: 'webm',
    codecs: ['vp9', 'vp8', 'av1'],
    audio: { encoder: 'libopus', bitrate: bitrate(6, 510, 128), rates: [8000, 12000, 16000, 24000, 48000] },
  },
  { target: 'mkv', muxer: 'matroska', codecs: ['h264', 'h265', 'vp9', 'av1'], audio: { encoder: 'aac', bitrate: bitrate(32, 512, 160), rates: COMMON_RATES } },
  {
    target: 'mov',
    muxer: 'mov',
    codecs: ['h264', 'h265', 'mpeg4'],
    audio: { encoder: 'aac', bitrate: bitrate(32, 512, 160), rates: COMMON_RATES },
    extra: (c) => ['-movflags', '+faststart', ...(c === 'h265' ? ['-tag:v', 'hvc1'] : [])],
  },
  {
    target: 'avi',
    muxer: 'avi',
    codecs: ['mpeg4', 'h264'],
    audio: { encoder: 'libmp3lame', bitrate: bitrate(32, 320, 192), rates: [22050, 32000, 44100, 48000] },
    extra: (c) => (c === 'mpeg4' ? ['-tag:v', 'XVID'] : []),
  },
];

// ─── Running ───────────────────────────────────────────────────────────────────────────────────

async function probe(job: ConvertJob, displayName: string): Promise<Probe> {
  try {
    const { stdout } = await runProcess(
      job.tools.ffprobe!,
      ['-v', 'error', ...ffmpegInputGuard(job.inputExt), '-print_format', 'json', '-show_entries', 'format=duration:stream=codec_type', job.inputPath],
      { timeoutMs: Math.min(job.timeoutMs, 60_000), signal: job.signal },
    );
    const data = JSON.parse(stdout) as { format?: { duration?: string }; streams?: Array<{ codec_type?: string }> };
    const types = new Set((data.streams ?? []).map((s) => s.codec_type));
    const duration = Number(data.format?.duration);
    return { duration: Number.isFinite(duration) ? duration : undefined, hasAudio: types.has('audio'), hasVideo: types.has('video') };
  } catch (err) {
    if (job.signal?.aborted) throw job.signal.reason;
    if (err instanceof ProcessFailure) {
      throw new ConversionError(`${displayName} is not a readable audio or video file${err.stderr ? ` (${clean(err.stderr, job)})` : ''}`);
    }
    throw err;
  }
}

/** The last meaningful ffmpeg line, without our temp paths. */
function clean(stderr: string, job: ConvertJob): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const last = lines.slice(-2).join('; ');
  return last.split(job.inputPath).join('input').split(job.outDir).join('output').slice(0, 300);
}

function trimArgs(job: ConvertJob, info: Probe): { before: string[]; after: string[] } {
  const start = job.options.trim_start as number | undefined;
  const end = job.options.trim_end as number | undefined;
  if (start !== undefined && info.duration !== undefined && start >= info.duration) {
    throw new ConversionError(`trim_start (${start} s) is at or past the end of the input (${info.duration.toFixed(2)} s)`);
  }
  const before = start ? ['-ss', String(start)] : [];
  const after = end !== undefined ? ['-t', String(end - (start ?? 0))] : [];
  return { before, after };
}

/** The input part of an ffmpeg command: the seek to trim_start (before -i: fast), the guard, the file. */
function inputArgs(job: ConvertJob, trim: { before: string[] }): string[] {
  return [...trim.before, ...ffmpegInputGuard(job.inputExt), '-i', job.inputPath];
}

function audioArgs(o: Record<string, unknown>, encoder: string): string[] {
  const args = ['-c:a', encoder];
  if (o.audio_bitrate !== undefined) args.push('-b:a', `${o.audio_bitrate}k`);
  if (o.frequency !== undefined) args.push('-ar', String(o.frequency));
  if (o.channels !== undefined) args.push('-ac', o.channels === 'mono' ? '1' : '2');
  if (o.compression_level !== undefined) args.push('-compression_level', String(o.compression_level));
  if (o.normalize) args.push('-af', 'loudnorm');
  // Opus only takes these rates; ffmpeg would otherwise refuse e.g. 44.1 kHz inputs.
  if (encoder === 'libopus' && o.frequency === undefined) args.push('-ar', '48000');
  return args;
}

async function runFfmpeg(job: ConvertJob, args: string[], out: ConvertedFile): Promise<ConvertedFile[]> {
  try {
    await runProcess(job.tools.ffmpeg!, ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', ...args, out.path], {
      timeoutMs: job.timeoutMs,
      signal: job.signal,
    });
    return [out];
  } catch (err) {
    await rm(out.path, { force: true });
    if (job.signal?.aborted) throw job.signal.reason;
    if (err instanceof ProcessFailure) {
      throw new ConversionError(`ffmpeg could not convert ${job.baseName}.${job.inputExt} (${err.message}${err.stderr ? `: ${clean(err.stderr, job)}` : ''})`);
    }
    throw err;
  }
}

async function convertAudio(job: ConvertJob, t: AudioTarget): Promise<ConvertedFile[]> {
  const display = `${job.baseName}.${job.inputExt}`;
  const info = await probe(job, display);
  if (!info.hasAudio) throw new ConversionError(`${display} has no audio stream to convert to ${t.target}`);
  const trim = trimArgs(job, info);
  const out = outputFile(job, t.target);
  return runFfmpeg(job, [...inputArgs(job, trim), ...trim.after, '-map', '0:a:0', '-vn', '-sn', '-dn', ...audioArgs(job.options, t.codec), '-f', t.muxer], out);
}

function even(n: number): number {
  return Math.max(2, n - (n % 2));
}

async function convertVideo(job: ConvertJob, t: VideoTarget): Promise<ConvertedFile[]> {
  const o = job.options;
  const display = `${job.baseName}.${job.inputExt}`;
  const info = await probe(job, display);
  if (!info.hasVideo) throw new ConversionError(`${display} has no video stream to convert to ${t.target}`);
  const codec = VIDEO_CODECS.find((c) => c.name === o.video_codec)!;
  const trim = trimArgs(job, info);
  const filters: string[] = [];
  const w = o.width as number | undefined;
  const h = o.height as number | undefined;
  if (w !== undefined || h !== undefined) {
    const fw = w !== undefined ? String(codec.even ? even(w) : w) : '-2';
    const fh = h !== undefined ? String(codec.even ? even(h) : h) : '-2';
    filters.push(`scale=${fw}:${fh}`);
  } else if (codec.even) {
    // 4:2:0 needs even sizes: trim an odd pixel rather than fail.
    filters.push('scale=trunc(iw/2)*2:trunc(ih/2)*2');
  }
  if (o.frame_rate !== undefined) filters.push(`fps=${o.frame_rate}`);
  const audio = info.hasAudio && !o.no_audio ? ['-map', '0:a:0', ...audioArgs(o, t.audio.encoder)] : ['-an'];
  const out = outputFile(job, t.target);
  return runFfmpeg(
    job,
    [
      ...inputArgs(job, trim),
      ...trim.after,
      '-map',
      '0:v:0',
      '-sn',
      '-dn',
      ...(filters.length ? ['-vf', filters.join(',')] : []),
      ...codec.args(o),
      ...audio,
      ...(t.extra?.(codec.name) ?? []),
      '-f',
      t.muxer,
    ],
    out,
  );
}

/** A GIF holds at most this much of a video: longer ones need trim_start/trim_end. */
export const MAX_GIF_SECONDS = 60;
/** A video's GIF is at most this wide unless width or height is given (GIFs grow fast with size). */
const GIF_DEFAULT_WIDTH = 480;

/** Options of the `gif` target that only a video input uses. */
export const GIF_FROM_VIDEO_OPTIONS: Record<string, OptionSpec> = {
  frame_rate: { type: 'number', minimum: 1, maximum: 50, default: 10, description: 'Frames per second of a GIF made from a video.' },
  trim_start: { type: 'number', minimum: 0, description: 'For a video: start at this many seconds into it.' },
  trim_end: {
    type: 'number',
    minimum: 0,
    description: `For a video: stop at this many seconds into it (a GIF holds at most ${MAX_GIF_SECONDS} s).`,
  },
};

/**
 * An animated GIF of a video (or part of it): one palette made for the whole clip
 * (`palettegen`), then every frame mapped to it (`paletteuse`), which looks far better than
 * ffmpeg's default fixed palette. The image options that mean something for a video apply:
 * width/height (fit inside), rotate, flip, flop, grayscale, colors, dither.
 */
export async function videoToGif(job: ConvertJob): Promise<ConvertedFile[]> {
  const o = job.options;
  const display = `${job.baseName}.${job.inputExt}`;
  const info = await probe(job, display);
  if (!info.hasVideo) throw new ConversionError(`${display} has no video stream to make a GIF of`);
  if (o.fit !== undefined && o.fit !== 'inside') {
    throw new ConversionError(`fit '${o.fit}' applies to images; a GIF of a video keeps its aspect ratio (fit inside)`);
  }
  const trim = trimArgs(job, info);
  const start = (o.trim_start as number | undefined) ?? 0;
  const end = (o.trim_end as number | undefined) ?? info.duration;
  if (end !== undefined && end - start > MAX_GIF_SECONDS) {
    const what = o.trim_end === undefined ? `${display} is ${Math.round(end - start)} s long` : `The part asked for is ${Math.round(end - start)} s long`;
    throw new ConversionError(`${what}; a GIF holds at most ${MAX_GIF_SECONDS} s of video: choose trim_start and trim_end`);
  }
  const filters = [`fps=${o.frame_rate ?? 10}`];
  const w = o.width as number | undefined;
  const h = o.height as number | undefined;
  if (w !== undefined && h !== undefined) filters.push(`scale=${w}:${h}:force_original_aspect_ratio=decrease:flags=lanczos`);
  else if (w !== undefined || h !== undefined) filters.push(`scale=${w ?? -1}:${h ?? -1}:flags=lanczos`);
  else filters.push(`scale='min(${GIF_DEFAULT_WIDTH},iw)':-1:flags=lanczos`);
  if (o.rotate === 90) filters.push('transpose=clock');
  if (o.rotate === 180) filters.push('hflip,vflip');
  if (o.rotate === 270) filters.push('transpose=cclock');
  if (o.flip) filters.push('vflip');
  if (o.flop) filters.push('hflip');
  if (o.grayscale) filters.push('format=gray');
  const colors = (o.colors as number | undefined) ?? 256;
  const dither = (o.dither as number | undefined) === 0 ? 'none' : 'floyd_steinberg';
  const graph = `[0:v:0]${filters.join(',')},split[a][b];[a]palettegen=max_colors=${colors}:stats_mode=diff[p];[b][p]paletteuse=dither=${dither}`;
  const out = outputFile(job, 'gif');
  return runFfmpeg(
    job,
    [
      ...inputArgs(job, trim),
      // No end asked for and the length unknown: at most the limit, not the whole stream.
      ...(trim.after.length ? trim.after : o.trim_end === undefined && info.duration === undefined ? ['-t', String(MAX_GIF_SECONDS)] : []),
      '-filter_complex',
      graph,
      '-an',
      '-sn',
      '-dn',
      '-loop',
      '0',
      '-f',
      'gif',
    ],
    out,
  );
}

/** api2convert's `audio_codec` names for our encoders; the engine's old `channel` is an alias. */
const CODEC_NAME: Record<string, string> = {
  libmp3lame: 'mp3',
  libvorbis: 'vorbis',
  libopus: 'opus',
  aac: 'aac',
  flac: 'flac',
  pcm_s16le: 'pcm_s16le',
  wmav2: 'wmav2',
};
const audioCodec = (encoder: string): OptionSpec => ({
  type: 'string',
  enum: [CODEC_NAME[encoder]],
  default: CODEC_NAME[encoder],
  description: 'Audio codec.',
});
const ALIASES = { channel: 'channels' };

export function trimCheck(o: Record<string, unknown>): string | null {
  if (o.trim_start !== undefined && o.trim_end !== undefined && (o.trim_end as number) <= (o.trim_start as number)) {
    return `trim_end (${o.trim_end}) must be after trim_start (${o.trim_start})`;
  }
  return null;
}

export function mediaTargets(tools: Tools): TargetDef[] {
  if (!tools.ffmpeg || !tools.ffprobe) return [];
  const defs: TargetDef[] = [];
  for (const t of AUDIO) {
    if (!tools.encoders.has(t.codec)) continue;
    defs.push({
      spec: {
        target: t.target,
        category: 'audio',
        options: { audio_codec: audioCodec(t.codec), ...t.options, ...audioCommon },
        inputs: [...AUDIO_INPUTS, ...VIDEO_INPUTS].sort(),
      },
      check: trimCheck,
      aliases: ALIASES,
      run: (job) => convertAudio(job, t),
    });
  }
  for (const t of VIDEO) {
    const codecs = t.codecs.filter((c) => tools.encoders.has(VIDEO_CODECS.find((v) => v.name === c)!.encoder));
    if (codecs.length === 0 || !tools.encoders.has(t.audio.encoder)) continue;
    const options: Record<string, OptionSpec> = {
      video_codec: { type: 'string', enum: codecs, default: codecs[0], description: 'Video codec.' },
      video_bitrate: { type: 'integer', minimum: 50, maximum: 200_000, description: 'Video bitrate in kbit/s (default: constant quality).' },
      width: {
        type: 'integer',
        minimum: 16,
        maximum: 7680,
        description: 'Frame width in pixels (rounded down to even). With only width or height given, the other follows the aspect ratio.',
      },
      height: {
        type: 'integer',
        minimum: 16,
        maximum: 4320,
        description: 'Frame height in pixels (rounded down to even). With only width or height given, the other follows the aspect ratio.',
      },
      frame_rate: { type: 'number', minimum: 1, maximum: 120, description: 'Frames per second (default: as the input).' },
      speed: {
        type: 'string',
        enum: ['fast', 'medium', 'slow'],
        default: 'medium',
        description: 'Encoder speed: slower gives smaller files at the same quality.',
      },
      no_audio: { type: 'boolean', default: false, description: 'Drop the audio track.' },
      audio_codec: audioCodec(t.audio.encoder),
      audio_bitrate: t.audio.bitrate,
      frequency: frequency(t.audio.rates),
      ...audioCommon,
    };
    defs.push({
      spec: { target: t.target, category: 'video', options, inputs: [...VIDEO_INPUTS, 'gif'].sort() },
      check: trimCheck,
      aliases: ALIASES,
      run: (job) => convertVideo(job, t),
    });
  }
  return defs;
}
