/**
 * The engine's converters: the targets this machine can produce (images always; documents with
 * LibreOffice; audio and video with ffmpeg), option validation, and bounded, cancellable
 * conversion.
 */
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { documentTargets } from './document';
import { imageTargets } from './image';
import { Limiter } from './limiter';
import { mediaTargets } from './media';
import { validateOptions, type OptionValues } from './options';
import { runProcess } from './run-process';
import { ffmpegSniffGuard } from './sandbox';
import { BYTES_PER_PIXEL, MemoryBudget, estimatePixels, imageMemoryBudget, maxImagePixels } from './memory-budget';
import type { ConvertJob, TargetDef } from './target';
import { detectTools, detectToolsSync, setToolPaths, type Tools } from './tools';
import { ConversionError, type ConvertedFile, type ConvertRequest, type TargetSpec } from './types';

export { ConversionError } from './types';
export type { ConvertedFile, ConvertRequest, OptionSpec, TargetSpec } from './types';

export interface ConvertSettings {
  /** Conversions running at once (default: CONVOY_CONVERT_CONCURRENCY, else the number of CPUs). */
  concurrency: number;
  /** Limit for one ffmpeg/LibreOffice run, in ms; null restores the defaults (1 h for media, 10 min for documents). */
  processTimeoutMs: number | null;
  /** Converter paths set by the user (a file or its folder); unset ones are looked for. */
  toolPaths: { ffmpeg?: string; soffice?: string };
}

export const DEFAULT_CONCURRENCY = Math.max(1, Number(process.env.CONVOY_CONVERT_CONCURRENCY) || os.availableParallelism());
const limiter = new Limiter(DEFAULT_CONCURRENCY);
let processTimeoutMs: number | undefined;

/** Changes how many conversions run at once and how long an external converter may run. */
export function configureConvert(settings: Partial<ConvertSettings>): void {
  if (settings.concurrency !== undefined) limiter.setMax(settings.concurrency);
  if (settings.toolPaths) {
    setToolPaths(settings.toolPaths);
    registry = undefined;
  }
  if (settings.processTimeoutMs !== undefined) processTimeoutMs = settings.processTimeoutMs ?? undefined;
}

/** Conversions running right now (for monitoring and tests). */
export function runningConversions(): number {
  return limiter.running;
}

let registry: Map<string, TargetDef> | undefined;

function build(tools: Tools): Map<string, TargetDef> {
  const defs = [...imageTargets(tools), ...documentTargets(tools), ...mediaTargets(tools)];
  return new Map(defs.map((d) => [d.spec.target, d]));
}

function registrySync(): Map<string, TargetDef> {
  registry ??= build(detectToolsSync());
  return registry;
}

async function registryAsync(): Promise<Map<string, TargetDef>> {
  if (!registry) {
    const tools = await detectTools();
    registry ??= build(tools);
  }
  return registry;
}

/** For tests: rebuild the target list on next use (after resetToolCache()). */
export function resetTargets(): void {
  registry = undefined;
}

export async function listTargets(): Promise<TargetSpec[]> {
  const defs = [...(await registryAsync()).values()];
  const order = ['image', 'document', 'audio', 'video'];
  return defs
    .map((d) => structuredClone(d.spec))
    .sort((a, b) => order.indexOf(a.category) - order.indexOf(b.category) || a.target.localeCompare(b.target));
}

function targetDef(target: string): TargetDef {
  const def = typeof target === 'string' ? registrySync().get(target.toLowerCase()) : undefined;
  if (!def) {
    const known = [...registrySync().keys()].sort().join(', ');
    throw new ConversionError(`Unknown target "${String(target)}": this engine converts to ${known}`);
  }
  return def;
}

export function normalizeOptions(target: string, options: unknown): OptionValues {
  const def = targetDef(target);
  const values = validateOptions(def.spec.target, def.spec.options, options);
  const problem = def.check?.(values);
  if (problem) throw new ConversionError(`Invalid options for target ${def.spec.target}: ${problem}`);
  return values;
}

// ─── Conversion ────────────────────────────────────────────────────────────────────────────────

function safeBaseName(filename: string): string {
  const base = path.basename(String(filename).replace(/\\/g, '/'));
  const ext = path.extname(base);
  const name = (ext ? base.slice(0, -ext.length) : base)
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f/\\:*?"<>|]/g, '_')
    .replace(/^[.\s]+|[.\s]+$/g, '')
    .slice(0, 200);
  return name || 'file';
}

function extensionOf(filename: string): string {
  return path.extname(String(filename)).slice(1).toLowerCase();
}

const SHARP_FORMAT_EXT: Record<string, string> = { jpeg: 'jpg', png: 'png', webp: 'webp', gif: 'gif', tiff: 'tiff', svg: 'svg', heif: 'avif' };
const FFPROBE_FORMAT_EXT: Array<[RegExp, string]> = [
  [/^mov,mp4/, 'mp4'],
  [/^matroska/, 'mkv'],
  [/^mp3$/, 'mp3'],
  [/^wav$/, 'wav'],
  [/^ogg$/, 'ogg'],
  [/^flac$/, 'flac'],
  [/^aac$/, 'aac'],
  [/^avi$/, 'avi'],
  [/^asf$/, 'wma'],
  [/^gif$/, 'gif'],
];

/** What the content is, when the name does not say: images by sharp, media by ffprobe. */
async function sniff(def: TargetDef, inputPath: string, tools: Tools, signal?: AbortSignal): Promise<string | undefined> {
  if (def.spec.category === 'image') {
    try {
      const meta = await sharp(inputPath).metadata();
      return meta.format ? SHARP_FORMAT_EXT[meta.format] : undefined;
    } catch {
      return undefined;
    }
  }
  if ((def.spec.category === 'audio' || def.spec.category === 'video') && tools.ffprobe) {
    try {
      const { stdout } = await runProcess(tools.ffprobe, ['-v', 'error', ...ffmpegSniffGuard(), '-print_format', 'json', '-show_entries', 'format=format_name', inputPath], {
        timeoutMs: 30_000,
        signal,
      });
      const name = (JSON.parse(stdout) as { format?: { format_name?: string } }).format?.format_name ?? '';
      return FFPROBE_FORMAT_EXT.find(([re]) => re.test(name))?.[1];
    } catch {
      return undefined;
    }
  }
  return undefined;
}

const imageBudget = new MemoryBudget(imageMemoryBudget());

/** Refuses an image too large for this machine; otherwise runs it once its estimated memory fits the budget. */
async function admitImage<T>(job: ConvertJob, run: () => Promise<T>): Promise<T> {
  const size = await estimatePixels(job.inputPath);
  const limit = maxImagePixels(imageBudget.total);
  if (size && size.pixels > limit) {
    const mp = (n: number) => `${Math.round(n / 1e6)} megapixels`;
    throw new ConversionError(
      `${job.baseName}.${job.inputExt} is ${size.width}×${size.height}${size.pixels > size.width * size.height ? ' per frame' : ''} (${mp(size.pixels)}); this engine converts images up to ${mp(limit)} (set by its memory)`,
    );
  }
  // Unknown size (read by ffmpeg first): counted as a modest 4096×4096.
  return imageBudget.run((size?.pixels ?? 4096 * 4096) * BYTES_PER_PIXEL, run, job.signal);
}

function timeoutFor(def: TargetDef): number {
  if (processTimeoutMs !== undefined) return processTimeoutMs;
  return def.spec.category === 'document' ? 10 * 60_000 : 60 * 60_000;
}

/**
 * Converts one input to one target. Throws ConversionError when the input cannot be converted;
 * when `signal` aborts, stops the work (killing any converter process) and throws its reason.
 */
export async function convert(req: ConvertRequest): Promise<ConvertedFile[]> {
  const def = targetDef(req.target);
  const options = normalizeOptions(def.spec.target, req.options);
  const tools = await detectTools();
  return limiter.run(async () => {
    let ext = extensionOf(req.inputFilename);
    if (!def.spec.inputs.includes(ext)) {
      const sniffed = await sniff(def, req.inputPath, tools, req.signal);
      if (req.signal?.aborted) throw req.signal.reason;
      if (!sniffed || !def.spec.inputs.includes(sniffed)) {
        const what = ext ? `.${ext} files` : `${req.inputFilename} (no file extension, format not recognised)`;
        throw new ConversionError(`Cannot convert ${what} to ${def.spec.target}; it converts from ${def.spec.inputs.join(', ')}`);
      }
      ext = sniffed;
    }
    const job: ConvertJob = {
      inputPath: req.inputPath,
      inputExt: ext,
      baseName: safeBaseName(req.inputFilename),
      options,
      outDir: req.outDir,
      signal: req.signal,
      tools,
      timeoutMs: timeoutFor(def),
    };
    const files = def.spec.category === 'image' ? await admitImage(job, () => def.run(job)) : await def.run(job);
    if (req.signal?.aborted) throw req.signal.reason;
    return files;
  }, req.signal);
}
