/**
 * The engine's converters: the targets this machine can produce (images always; documents with
 * LibreOffice; audio and video with ffmpeg), option validation, and bounded, cancellable
 * conversion.
 */
import os from 'node:os';
import path from 'node:path';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { documentTargets } from './document';
import { decodeHeif, HEIF_INPUTS, HEIF_OPERATIONS } from './heif';
import { imageTargets, SHARP_INPUTS } from './image';
import { loadSharp, shareCores } from './lazy';
import { mediaTargets, VIDEO_INPUTS } from './media';
import { operationTargets } from './ops/index';
import { validateOptions, type OptionValues } from './options';
import { runProcess } from './run-process';
import { ffmpegSniffGuard } from './sandbox';
import { BYTES_PER_PIXEL, MemoryBudget, estimatePixels, imageMemoryBudget, maxImagePixels } from './memory-budget';
import type { ConvertJob, JobInput, TargetDef } from './target';
import { detectTools, detectToolsSync, setToolPaths, type Tools } from './tools';
import { ConversionError, type ConvertedFile, type ConvertRequest, type TargetSpec } from './types';
import { Semaphore } from '../util/async';

export { ConversionError } from './types';
export type { ConvertedFile, ConvertInput, ConvertRequest, OptionSpec, TargetSpec } from './types';

export interface ConvertSettings {
  /** Conversions running at once (default: CONVOY_CONVERT_CONCURRENCY, else the number of CPUs). */
  concurrency: number;
  /** Limit for one ffmpeg/LibreOffice run, in ms; null restores the defaults (1 h for media, 10 min for documents). */
  processTimeoutMs: number | null;
  /** Converter paths set by the user (a file or its folder); unset ones are looked for. */
  toolPaths: { ffmpeg?: string; soffice?: string };
}

export const DEFAULT_CONCURRENCY = Math.max(1, Number(process.env.CONVOY_CONVERT_CONCURRENCY) || os.availableParallelism());
const limiter = new Semaphore(DEFAULT_CONCURRENCY);
let processTimeoutMs: number | undefined;

/** Changes how many conversions run at once and how long an external converter may run. */
export function configureConvert(settings: Partial<ConvertSettings>): void {
  if (settings.concurrency !== undefined) limiter.setLimit(settings.concurrency);
  if (settings.toolPaths) {
    setToolPaths(settings.toolPaths);
    registry = undefined;
  }
  if (settings.processTimeoutMs !== undefined) processTimeoutMs = settings.processTimeoutMs ?? undefined;
}

/** Conversions running right now (for monitoring and tests). */
export function runningConversions(): number {
  return limiter.inUse;
}

let registry: Map<string, TargetDef> | undefined;
/** Targets this machine cannot offer, with the tool each one lacks. */
let missingTools = new Map<string, string>();

function build(tools: Tools): Map<string, TargetDef> {
  const base = [...imageTargets(tools), ...documentTargets(tools), ...mediaTargets(tools)];
  const ops = operationTargets(tools, new Map(base.map((d) => [d.spec.target, d])));
  missingTools = ops.missing;
  // An operation may extend a format target of the same name (pdf: stamp, PDF and image inputs).
  const byName = new Map(base.map((d) => [d.spec.target, d]));
  for (const d of ops.defs) byName.set(d.spec.target, d);
  // Operations that read images read a HEIC photo as the PNG it decodes to (see convert()).
  if (tools.heifConvert) {
    for (const name of HEIF_OPERATIONS) {
      const d = byName.get(name);
      if (d?.spec.inputs.includes('png') && !d.spec.inputs.includes('heic')) d.spec.inputs = [...d.spec.inputs, ...HEIF_INPUTS].sort();
    }
  }
  return byName;
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
  const order = ['image', 'document', 'audio', 'video', 'operation', 'archive', 'hash', 'metadata'];
  return defs.map((d) => structuredClone(d.spec)).sort((a, b) => order.indexOf(a.category) - order.indexOf(b.category) || a.target.localeCompare(b.target));
}

/** The tool a target needs and this machine lacks (e.g. "ffmpeg"), or undefined. */
export function missingTool(target: string): string | undefined {
  registrySync();
  return typeof target === 'string' ? missingTools.get(target.toLowerCase()) : undefined;
}

function targetDef(target: string): TargetDef {
  const def = typeof target === 'string' ? registrySync().get(target.toLowerCase()) : undefined;
  if (!def) {
    const lacking = missingTool(target);
    if (lacking) throw new ConversionError(`Target "${target}" needs ${lacking}, which this engine's machine does not have`);
    const known = [...registrySync().keys()].sort().join(', ');
    throw new ConversionError(`Unknown target "${String(target)}": this engine converts to ${known}`);
  }
  return def;
}

/** Renames alias options (older names) to the official one; the official name wins when both are given. */
function applyAliases(def: TargetDef, options: unknown): unknown {
  if (!def.aliases || !options || typeof options !== 'object' || Array.isArray(options)) return options;
  const out: Record<string, unknown> = { ...(options as Record<string, unknown>) };
  for (const [alias, official] of Object.entries(def.aliases)) {
    if (!(alias in out)) continue;
    if (out[official] === undefined || out[official] === null) out[official] = out[alias];
    delete out[alias];
  }
  return out;
}

/** Whether a conversion runs once per input ('each') or once over all of a job's inputs ('all'). */
export function inputMode(target: string, options: OptionValues): 'each' | 'all' {
  const def = typeof target === 'string' ? registrySync().get(target.toLowerCase()) : undefined;
  return def?.inputMode?.(options) ?? 'each';
}

export function normalizeOptions(target: string, options: unknown): OptionValues {
  const def = targetDef(target);
  const values = validateOptions(def.spec.target, def.spec.options, applyAliases(def, options));
  const problem = def.check?.(values);
  if (problem) throw new ConversionError(`Invalid options for target ${def.spec.target}: ${problem}`);
  return values;
}

// ─── Conversion ────────────────────────────────────────────────────────────────────────────────

function safeBaseName(filename: string): string {
  const base = path.basename(String(filename).replace(/\\/g, '/'));
  const ext = path.extname(base);
  const name = (ext ? base.slice(0, -ext.length) : base)
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
  if (def.spec.category === 'image' || def.spec.inputs.includes('png')) {
    try {
      const sharp = await loadSharp();
      const meta = await sharp(inputPath).metadata();
      // A HEIF container holds AV1 (an AVIF, which sharp reads) or HEVC (a HEIC, which it does not).
      if (meta.format === 'heif' && meta.compression === 'hevc') return 'heic';
      return meta.format ? SHARP_FORMAT_EXT[meta.format] : undefined;
    } catch {
      return undefined;
    }
  }
  if ((def.spec.category === 'audio' || def.spec.category === 'video') && tools.ffprobe) {
    try {
      const { stdout } = await runProcess(
        tools.ffprobe,
        ['-v', 'error', ...ffmpegSniffGuard(), '-print_format', 'json', '-show_entries', 'format=format_name', inputPath],
        {
          timeoutMs: 30_000,
          signal,
        },
      );
      const name = (JSON.parse(stdout) as { format?: { format_name?: string } }).format?.format_name ?? '';
      return FFPROBE_FORMAT_EXT.find(([re]) => re.test(name))?.[1];
    } catch {
      return undefined;
    }
  }
  return undefined;
}

const imageBudget = new MemoryBudget(imageMemoryBudget());

/**
 * Refuses an image too large for this machine; otherwise runs the conversion once its estimated
 * memory fits the budget. Operations on several images (merge, compare, archives of photos) check
 * each one and reserve for the largest.
 */
async function admitImages<T>(job: ConvertJob, images: JobInput[], run: () => Promise<T>): Promise<T> {
  const limit = maxImagePixels(imageBudget.total);
  let largest = 0;
  for (const input of images) {
    const size = await estimatePixels(input.path);
    if (size && size.pixels > limit) {
      const mp = (n: number) => `${Math.round(n / 1e6)} megapixels`;
      throw new ConversionError(
        `${input.baseName}.${input.ext} is ${size.width}×${size.height}${size.pixels > size.width * size.height ? ' per frame' : ''} (${mp(size.pixels)}); this engine converts images up to ${mp(limit)} (set by its memory)`,
      );
    }
    // Unknown size (read by ffmpeg first): counted as a modest 4096×4096.
    largest = Math.max(largest, size?.pixels ?? 4096 * 4096);
  }
  return imageBudget.run(largest * BYTES_PER_PIXEL, run, job.signal);
}

const IMAGE_EXTENSIONS = new Set([...SHARP_INPUTS, 'bmp']);

/** The source format: by the name's extension, else sniffed from the content; throws when the target cannot take it. */
async function sourceExtension(def: TargetDef, inputPath: string, filename: string, tools: Tools, signal?: AbortSignal): Promise<string> {
  const ext = extensionOf(filename);
  // An empty input list means any file (hashes, archives).
  if (def.spec.inputs.length === 0 || def.spec.inputs.includes(ext)) return ext;
  const sniffed = await sniff(def, inputPath, tools, signal);
  if (signal?.aborted) throw signal.reason;
  if (!sniffed || !def.spec.inputs.includes(sniffed)) {
    const what = ext ? `.${ext} files` : `${displayName(filename)} (no file extension, format not recognised)`;
    throw new ConversionError(`Cannot convert ${what} to ${def.spec.target}; it converts from ${def.spec.inputs.join(', ')}`);
  }
  return sniffed;
}

/** The user's file name without any folder part (messages never show a path). */
function displayName(filename: string): string {
  return path.basename(String(filename).replace(/\\/g, '/')) || 'file';
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
  const all = def.inputMode?.(options) === 'all' && req.inputs && req.inputs.length > 0;
  const given = all ? req.inputs! : [{ path: req.inputPath, filename: req.inputFilename }];
  return limiter.run(async () => {
    shareCores(limiter.inUse, os.availableParallelism());
    const inputs: JobInput[] = [];
    for (const input of given) {
      const ext = await sourceExtension(def, input.path, input.filename, tools, req.signal);
      inputs.push({ path: input.path, filename: displayName(input.filename), ext, baseName: safeBaseName(input.filename) });
    }
    // A HEIC photo given to an operation is read as the PNG it decodes to (the image targets decode
    // it themselves, keeping their own temp files): decoded here, removed when the run ends.
    // (Not for hashes and archives, which take the file's own bytes.)
    const heif =
      HEIF_OPERATIONS.has(def.spec.target) && inputs.some((i) => HEIF_INPUTS.includes(i.ext))
        ? await mkdtemp(path.join(os.tmpdir(), 'convoy-heif-'))
        : undefined;
    try {
      if (heif) {
        for (const [n, input] of inputs.entries()) {
          if (!HEIF_INPUTS.includes(input.ext)) continue;
          const png = path.join(heif, String(n), 'decoded.png');
          await mkdir(path.dirname(png));
          await decodeHeif(tools.heifConvert!, input.path, png, input.filename, { timeoutMs: timeoutFor(def), signal: req.signal });
          inputs[n] = { ...input, path: png, ext: 'png' };
        }
      }
      return await runConversion(def, inputs, options, tools, req);
    } finally {
      if (heif) await rm(heif, { recursive: true, force: true });
    }
  }, req.signal);
}

/** Runs `def` over the inputs (already named and, for HEIC, decoded), within the image memory budget. */
async function runConversion(def: TargetDef, inputs: JobInput[], options: OptionValues, tools: Tools, req: ConvertRequest): Promise<ConvertedFile[]> {
  const job: ConvertJob = {
    inputPath: inputs[0].path,
    inputExt: inputs[0].ext,
    baseName: inputs[0].baseName,
    options,
    outDir: req.outDir,
    signal: req.signal,
    tools,
    timeoutMs: timeoutFor(def),
    inputs,
  };
  // Hashes and archives read bytes, never pixels: no header probe, no memory reservation; nor
  // does a video made into a GIF (ffmpeg decodes it frame by frame, in its own process).
  const images =
    def.spec.category === 'hash' || def.spec.category === 'archive'
      ? []
      : def.spec.category === 'image'
        ? inputs.filter((i) => !VIDEO_INPUTS.includes(i.ext))
        : inputs.filter((i) => IMAGE_EXTENSIONS.has(i.ext));
  const files = images.length ? await admitImages(job, images, () => def.run(job)) : await def.run(job);
  if (req.signal?.aborted) throw req.signal.reason;
  return files;
}
