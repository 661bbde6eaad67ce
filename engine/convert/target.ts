/** What each converter family (image, media, document) provides for one target. */
import path from 'node:path';
import type { OptionValues } from './options';
import type { Tools } from './tools';
import type { ConvertedFile, TargetSpec } from './types';

export interface ConvertJob {
  inputPath: string;
  /** Lower-case source extension without the dot (from the name, or sniffed from content). */
  inputExt: string;
  /** Output file name without extension. */
  baseName: string;
  options: OptionValues;
  outDir: string;
  signal?: AbortSignal;
  tools: Tools;
  /** Upper bound for an external process. */
  timeoutMs: number;
  /** Every input (with its extension) when the target takes them all at once; else just this one. */
  inputs: JobInput[];
}

export interface JobInput {
  path: string;
  /** The user's file name (for messages and output names), never a server path. */
  filename: string;
  ext: string;
  baseName: string;
}

export interface TargetDef {
  spec: TargetSpec;
  /** A problem with a combination of options, or null. */
  check?(options: OptionValues): string | null;
  /** 'all': one run over every input of the job (archives, merge, compare); default 'each'. */
  inputMode?(options: OptionValues): 'each' | 'all';
  /** Older or other names of options, mapped to the official one (accepted, never listed). */
  aliases?: Record<string, string>;
  run(job: ConvertJob): Promise<ConvertedFile[]>;
}

export const CONTENT_TYPES: Record<string, string> = {
  jpg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  avif: 'image/avif',
  tiff: 'image/tiff',
  gif: 'image/gif',
  bmp: 'image/bmp',
  pdf: 'application/pdf',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  doc: 'application/msword',
  odt: 'application/vnd.oasis.opendocument.text',
  rtf: 'application/rtf',
  txt: 'text/plain; charset=utf-8',
  html: 'text/html; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  xls: 'application/vnd.ms-excel',
  ods: 'application/vnd.oasis.opendocument.spreadsheet',
  csv: 'text/csv; charset=utf-8',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  ppt: 'application/vnd.ms-powerpoint',
  odp: 'application/vnd.oasis.opendocument.presentation',
  mp3: 'audio/mpeg',
  wav: 'audio/wav',
  ogg: 'audio/ogg',
  opus: 'audio/ogg; codecs=opus',
  flac: 'audio/flac',
  aac: 'audio/aac',
  m4a: 'audio/mp4',
  wma: 'audio/x-ms-wma',
  mp4: 'video/mp4',
  webm: 'video/webm',
  mkv: 'video/x-matroska',
  mov: 'video/quicktime',
  avi: 'video/x-msvideo',
  json: 'application/json',
  zip: 'application/zip',
  tar: 'application/x-tar',
  '7z': 'application/x-7z-compressed',
  md5: 'text/plain; charset=utf-8',
  sha1: 'text/plain; charset=utf-8',
  sha256: 'text/plain; charset=utf-8',
  sha512: 'text/plain; charset=utf-8',
  crc32: 'text/plain; charset=utf-8',
};

export function outputFile(job: Pick<ConvertJob, 'baseName' | 'outDir'>, ext: string, baseName = job.baseName): ConvertedFile {
  const filename = `${baseName}.${ext}`;
  return { path: path.join(job.outDir, filename), filename, contentType: CONTENT_TYPES[ext] ?? 'application/octet-stream' };
}
