/**
 * The `json` metadata target: what a file is, as a JSON report. Images: format, size, colour and
 * EXIF (sharp + exif-reader); audio and video: container, duration and streams (ffprobe); PDF:
 * pages and document info (pdfinfo). Any other file: name and size.
 */
import { stat, writeFile } from 'node:fs/promises';
import { SHARP_INPUTS } from '../image';
import { loadExifReader, loadSharp } from '../lazy';
import { runProcess } from '../run-process';
import { outputFile, type ConvertJob, type TargetDef } from '../target';
import type { Tools } from '../tools';
import { ConversionError } from '../types';
import { AUDIO_INPUTS, VIDEO_INPUTS } from '../media';
import { toolError } from './util';

type Json = Record<string, unknown>;

/** EXIF values as plain JSON (dates as ISO strings, buffers dropped). */
function plain(value: unknown): unknown {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return undefined;
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === 'object') {
    const out: Json = {};
    for (const [k, v] of Object.entries(value)) {
      const p = plain(v);
      if (p !== undefined) out[k] = p;
    }
    return out;
  }
  return typeof value === 'number' && !Number.isFinite(value) ? null : value;
}

export async function imageInfo(file: string): Promise<Json> {
  const sharp = await loadSharp();
  const meta = await sharp(file, { failOn: 'none' }).metadata();
  let exif: unknown;
  if (meta.exif) {
    try {
      const exifReader = await loadExifReader();
      exif = plain(exifReader(meta.exif));
    } catch {
      exif = null; // present but unreadable
    }
  }
  return {
    type: 'image',
    format: meta.format,
    width: meta.autoOrient?.width ?? meta.width,
    height: meta.autoOrient?.height ?? meta.height,
    channels: meta.channels,
    color_space: meta.space,
    has_alpha: meta.hasAlpha,
    density: meta.density,
    orientation: meta.orientation,
    pages: meta.pages,
    exif,
  };
}

export async function mediaInfo(job: ConvertJob, file: string, tools: Tools): Promise<Json> {
  const { stdout } = await runProcess(tools.ffprobe!, ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', file], {
    timeoutMs: 60_000,
    signal: job.signal,
  });
  const data = JSON.parse(stdout) as { format?: Json; streams?: Json[] };
  const num = (v: unknown) => (v === undefined || v === 'N/A' ? undefined : Number(v));
  return {
    type: (data.streams ?? []).some((s) => s.codec_type === 'video' && !(s.disposition as Json | undefined)?.attached_pic) ? 'video' : 'audio',
    format: data.format?.format_name,
    duration: num(data.format?.duration),
    bit_rate: num(data.format?.bit_rate),
    tags: data.format?.tags ?? {},
    streams: (data.streams ?? []).map((s) => ({
      index: s.index,
      type: s.codec_type,
      codec: s.codec_name,
      width: s.width,
      height: s.height,
      frame_rate: s.r_frame_rate,
      sample_rate: num(s.sample_rate),
      channels: s.channels,
      channel_layout: s.channel_layout,
      duration: num(s.duration),
      bit_rate: num(s.bit_rate),
    })),
  };
}

export async function pdfInfo(job: ConvertJob, file: string, tools: Tools): Promise<Json> {
  const { stdout } = await runProcess(tools.pdfinfo!, ['-isodates', file], { timeoutMs: 60_000, signal: job.signal });
  const info: Json = {};
  for (const line of stdout.split('\n')) {
    const m = /^([^:]+):\s*(.*)$/.exec(line);
    if (m) info[m[1].trim().toLowerCase().replace(/\s+/g, '_')] = m[2].trim();
  }
  return { type: 'document', format: 'pdf', pages: Number(info.pages), info };
}

export function metadataTarget(tools: Tools): TargetDef {
  const media = tools.ffprobe ? [...AUDIO_INPUTS, ...VIDEO_INPUTS] : [];
  const pdf = tools.pdfinfo ? ['pdf'] : [];
  const inputs = [...new Set([...SHARP_INPUTS, ...media, ...pdf])].sort();
  return {
    spec: { target: 'json', category: 'metadata', options: {}, inputs },
    async run(job) {
      const input = job.inputs[0];
      const { size } = await stat(input.path);
      let details: Json;
      try {
        if (SHARP_INPUTS.includes(input.ext)) details = await imageInfo(input.path);
        else if (input.ext === 'pdf') details = await pdfInfo(job, input.path, job.tools);
        else details = await mediaInfo(job, input.path, job.tools);
      } catch (err) {
        const e = toolError(err, job, 'The metadata reader', `read ${input.filename}`);
        if (e instanceof ConversionError) throw new ConversionError(`${input.filename} could not be analysed: ${e.message}`);
        throw e;
      }
      const out = outputFile(job, 'json');
      await writeFile(out.path, JSON.stringify({ filename: input.filename, size, ...details }, null, 2));
      return [out];
    },
  };
}
