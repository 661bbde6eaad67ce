/**
 * Audio and video conversion with ffmpeg, checked with ffprobe. Inputs are generated with
 * ffmpeg's lavfi sources, so they are tiny and the tests fast.
 */
import { execFile } from 'node:child_process';
import { readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConversionError, DEFAULT_CONCURRENCY, configureConvert, convert, listTargets, normalizeOptions, runningConversions } from '../../engine/convert/index';
import { ffmpeg, ffprobe, hasCommand, tempDir } from './convert-helpers';

const haveFfmpeg = (await hasCommand('ffmpeg')) && (await hasCommand('ffprobe'));
if (!haveFfmpeg) console.warn('convert-media: SKIPPED — ffmpeg/ffprobe are not on PATH (apt-get install ffmpeg)');

let tmp: Awaited<ReturnType<typeof tempDir>>;
let clip: string; // 2 s, 160×120, 10 fps, stereo 44.1 kHz sine
let silentClip: string; // video only
let tone: string; // 3 s stereo wav

async function run(input: string, target: string, options: Record<string, unknown> = {}, signal?: AbortSignal) {
  const outDir = await tmp.sub(target);
  const files = await convert({ inputPath: input, inputFilename: path.basename(input), target, options: normalizeOptions(target, options), outDir, signal });
  expect(files).toHaveLength(1);
  return files[0];
}

describe.runIf(haveFfmpeg)('audio and video with ffmpeg', () => {
  beforeAll(async () => {
    tmp = await tempDir();
    clip = path.join(tmp.dir, 'clip.mp4');
    silentClip = path.join(tmp.dir, 'silent.mp4');
    tone = path.join(tmp.dir, 'tone.wav');
    await ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=160x120:rate=10:duration=2',
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=440:duration=2:sample_rate=44100',
      '-ac',
      '2',
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
    await ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=160x120:rate=10:duration=1',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-pix_fmt',
      'yuv420p',
      silentClip,
    ]);
    await ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=440:duration=3:sample_rate=44100',
      '-f',
      'lavfi',
      '-i',
      'anoisesrc=duration=3:amplitude=0.3:sample_rate=44100',
      '-filter_complex',
      'amerge=inputs=2',
      '-ac',
      '2',
      tone,
    ]);
  });
  afterAll(async () => {
    await tmp?.cleanup();
  });

  it('lists audio and video targets with their options', async () => {
    const targets = new Map((await listTargets()).map((t) => [t.target, t]));
    for (const t of ['mp3', 'wav', 'ogg', 'flac', 'aac', 'm4a', 'opus']) expect(targets.get(t)?.category).toBe('audio');
    for (const t of ['mp4', 'webm', 'mkv', 'mov', 'avi']) expect(targets.get(t)?.category).toBe('video');
    expect(targets.get('mp3')!.options.audio_bitrate).toMatchObject({ type: 'integer', minimum: 32, maximum: 320, default: 192 });
    expect(targets.get('mp3')!.options.channels).toMatchObject({ enum: ['mono', 'stereo'] });
    expect(targets.get('mp3')!.options.frequency.enum).toContain(22050);
    expect(targets.get('mp4')!.options.video_codec).toMatchObject({ type: 'string', default: 'h264' });
    expect(targets.get('mp4')!.options.video_codec.enum).toContain('h264');
    expect(targets.get('mp3')!.inputs).toEqual(expect.arrayContaining(['wav', 'mp4', 'flac']));
  });

  const audio: Array<[string, string, string]> = [
    ['mp3', 'mp3', 'mp3'],
    ['wav', 'wav', 'pcm_s16le'],
    ['ogg', 'ogg', 'vorbis'],
    ['opus', 'ogg', 'opus'],
    ['flac', 'flac', 'flac'],
    ['aac', 'aac', 'aac'],
    ['m4a', 'mov,mp4,m4a,3gp,3g2,mj2', 'aac'],
  ];
  it.each(audio)('extracts audio from a video to %s (%s / %s)', async (target, format, codec) => {
    const out = await run(clip, target);
    expect(out.filename).toBe(`clip.${target}`);
    const p = await ffprobe(out.path);
    expect(p.format).toBe(format);
    expect(p.streams.map((s) => s.codec_type)).toEqual(['audio']);
    expect(p.streams[0].codec_name).toBe(codec);
    expect(p.duration).toBeGreaterThan(1.8);
  });

  it('a lower bitrate gives a smaller mp3', async () => {
    const low = await run(tone, 'mp3', { audio_bitrate: 64 });
    const high = await run(tone, 'mp3', { audio_bitrate: 256 });
    expect((await stat(low.path)).size).toBeLessThan((await stat(high.path)).size / 2);
  });

  it('applies sample rate and channels', async () => {
    const out = await run(tone, 'mp3', { frequency: 22050, channel: 'mono' });
    const s = (await ffprobe(out.path)).streams[0];
    expect([s.sample_rate, s.channels]).toEqual(['22050', 1]);
    const stereo = (await ffprobe((await run(tone, 'flac')).path)).streams[0];
    expect([stereo.sample_rate, stereo.channels]).toEqual(['44100', 2]);
  });

  it('trims to trim_start … trim_end', async () => {
    const out = await run(tone, 'wav', { trim_start: 0.5, trim_end: 2 });
    expect((await ffprobe(out.path)).duration).toBeCloseTo(1.5, 1);
  });

  it('refuses trim_start past the end of the input', async () => {
    await expect(run(tone, 'wav', { trim_start: 10 })).rejects.toThrow(/trim_start \(10 s\) is at or past the end of the input \(3\.00 s\)/);
  });

  const video: Array<[string, string, string, string]> = [
    ['mp4', 'mov,mp4,m4a,3gp,3g2,mj2', 'h264', 'aac'],
    ['webm', 'matroska,webm', 'vp9', 'opus'],
    ['mkv', 'matroska,webm', 'h264', 'aac'],
    ['mov', 'mov,mp4,m4a,3gp,3g2,mj2', 'h264', 'aac'],
    ['avi', 'avi', 'mpeg4', 'mp3'],
  ];
  it.each(video)('converts video to %s', async (target, format, vcodec, acodec) => {
    const out = await run(clip, target, { speed: 'fast' });
    const p = await ffprobe(out.path);
    expect(p.format).toBe(format);
    const v = p.streams.find((s) => s.codec_type === 'video')!;
    expect([v.codec_name, v.width, v.height]).toEqual([vcodec, 160, 120]);
    expect(p.streams.find((s) => s.codec_type === 'audio')?.codec_name).toBe(acodec);
  });

  it('scales keeping the aspect ratio, changes codec and frame rate, drops audio', async () => {
    const out = await run(clip, 'mkv', { width: 81, video_codec: 'vp9', frame_rate: 5, no_audio: true, speed: 'fast' });
    const p = await ffprobe(out.path);
    expect(p.streams).toHaveLength(1);
    expect(p.streams[0]).toMatchObject({ codec_type: 'video', codec_name: 'vp9', width: 80, height: 60, r_frame_rate: '5/1' });
  });

  it('a lower video bitrate gives a smaller file', async () => {
    const low = await run(clip, 'mp4', { video_bitrate: 50, speed: 'fast', no_audio: true });
    const high = await run(clip, 'mp4', { video_bitrate: 2000, speed: 'fast', no_audio: true });
    expect((await stat(low.path)).size).toBeLessThan((await stat(high.path)).size);
  });

  it('an animated GIF becomes a video', async () => {
    const gif = path.join(tmp.dir, 'anim.gif');
    await ffmpeg(['-f', 'lavfi', '-i', 'testsrc=size=64x48:rate=5:duration=1', gif]);
    const p = await ffprobe((await run(gif, 'mp4', { speed: 'fast' })).path);
    expect(p.streams[0]).toMatchObject({ codec_name: 'h264', width: 64, height: 48 });
  });

  it('a video becomes an animated GIF: its own palette, 10 fps, trimmed, scaled, looping', async () => {
    const targets = new Map((await listTargets()).map((t) => [t.target, t]));
    expect(targets.get('gif')!.inputs).toEqual(expect.arrayContaining(['mp4', 'webm', 'png', 'jpg']));
    expect(targets.get('gif')!.options.frame_rate).toMatchObject({ type: 'number', default: 10 });
    const whole = await run(clip, 'gif');
    expect(whole.filename).toBe('clip.gif');
    // sharp reads every frame of a GIF: 2 s at 10 fps, the size of the 160×120 clip, looping.
    const meta = await sharp(whole.path, { animated: true }).metadata();
    expect(meta).toMatchObject({ format: 'gif', width: 160, pageHeight: 120, pages: 20, loop: 0 });
    const part = await run(clip, 'gif', { trim_start: 0.5, trim_end: 1.5, frame_rate: 4, width: 80, grayscale: true });
    const small = await sharp(part.path, { animated: true }).metadata();
    expect(small).toMatchObject({ width: 80, pageHeight: 60, pages: 4 });
    // Gray: every pixel's channels are equal.
    const { data, info } = await sharp(part.path).raw().toBuffer({ resolveWithObject: true });
    let colored = 0;
    for (let i = 0; i < data.length; i += info.channels) if (data[i] !== data[i + 1] || data[i + 1] !== data[i + 2]) colored++;
    expect(colored).toBe(0);
    // Without grayscale the test pattern's colours are there.
    const color = await sharp(whole.path).raw().toBuffer({ resolveWithObject: true });
    let differ = 0;
    for (let i = 0; i < color.data.length; i += color.info.channels) if (color.data[i] !== color.data[i + 2]) differ++;
    expect(differ).toBeGreaterThan(1000);
  });

  it('a GIF of more than a minute of video asks for a trim; fit other than inside is refused', async () => {
    const long = path.join(tmp.dir, 'long.mp4');
    await ffmpeg(['-f', 'lavfi', '-i', 'testsrc=size=64x48:rate=1:duration=61', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', long]);
    await expect(run(long, 'gif')).rejects.toThrow('long.mp4 is 61 s long; a GIF holds at most 60 s of video: choose trim_start and trim_end');
    await expect(run(long, 'gif', { trim_start: 0, trim_end: 61 })).rejects.toThrow(/^The part asked for is 61 s long/);
    expect((await sharp((await run(long, 'gif', { trim_start: 50 })).path, { animated: true }).metadata()).pages).toBe(110);
    await expect(run(clip, 'gif', { width: 50, height: 50, fit: 'cover' })).rejects.toThrow("fit 'cover' applies to images");
    await expect(run(clip, 'gif', { trim_start: 2, trim_end: 1 })).rejects.toThrow('trim_end (1) must be after trim_start (2)');
  });

  it('a video without audio cannot become mp3', async () => {
    const err = await run(silentClip, 'mp3').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConversionError);
    expect((err as Error).message).toBe('silent.mp4 has no audio stream to convert to mp3');
  });

  it('a corrupt media file fails with a clear message and leaves no output', async () => {
    const bad = path.join(tmp.dir, 'broken.mp4');
    await writeFile(bad, Buffer.alloc(4096, 0x42));
    const outDir = await tmp.sub('broken');
    const err = await convert({ inputPath: bad, inputFilename: 'broken.mp4', target: 'mp3', options: {}, outDir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConversionError);
    expect((err as Error).message).toMatch(/^broken\.mp4 is not a readable audio or video file/);
    expect(await readdir(outDir)).toEqual([]);
  });

  it('an audio-only input cannot become a video', async () => {
    await expect(run(tone, 'mp4')).rejects.toThrow(/^Cannot convert \.wav files to mp4; it converts from /);
    const voice = path.join(tmp.dir, 'voice.mp4');
    await ffmpeg(['-f', 'lavfi', '-i', 'sine=duration=1', '-c:a', 'aac', voice]);
    await expect(run(voice, 'webm')).rejects.toThrow('voice.mp4 has no video stream to convert to webm');
  });

  it('abort kills ffmpeg and rejects with the abort reason', async () => {
    const long = path.join(tmp.dir, 'long.wav');
    await ffmpeg(['-f', 'lavfi', '-i', 'anoisesrc=duration=600:sample_rate=48000', '-ac', '1', long]);
    const controller = new AbortController();
    const outDir = await tmp.sub('abort');
    const ffmpegRunning = async () =>
      (await promisify(execFile)('ps', ['-eo', 'args'])).stdout.split('\n').some((l) => l.startsWith('/') && l.includes('ffmpeg') && l.includes(long));
    const pending = convert({ inputPath: long, inputFilename: 'long.wav', target: 'opus', options: { normalize: true }, outDir, signal: controller.signal });
    pending.catch(() => undefined);
    // Abort only once ffmpeg is really converting.
    for (let i = 0; i < 100 && !(await ffmpegRunning()); i++) await new Promise((r) => setTimeout(r, 50));
    expect(await ffmpegRunning()).toBe(true);
    const abortedAt = Date.now();
    controller.abort(new Error('user canceled'));
    await expect(pending).rejects.toThrow('user canceled');
    expect(Date.now() - abortedAt).toBeLessThan(3000);
    expect(await ffmpegRunning()).toBe(false);
    expect(await readdir(outDir)).toEqual([]);
  });

  it('runs at most `concurrency` conversions at once; queued ones can be aborted', async () => {
    configureConvert({ concurrency: 2 });
    try {
      let peak = 0;
      const sampler = setInterval(() => (peak = Math.max(peak, runningConversions())), 5);
      const queued = new AbortController();
      const jobs = [1, 2, 3, 4].map(() => run(tone, 'flac', { compression_level: 12 }));
      const cancelled = run(tone, 'flac', {}, queued.signal);
      queued.abort(new Error('dequeued'));
      await expect(cancelled).rejects.toThrow('dequeued');
      await Promise.all(jobs);
      clearInterval(sampler);
      expect(peak).toBe(2);
    } finally {
      configureConvert({ concurrency: DEFAULT_CONCURRENCY });
    }
  });
});
