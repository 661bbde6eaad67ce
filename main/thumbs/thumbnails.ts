/**
 * Small thumbnails of local files (a row's source, or its result) for the queue list: 64 px WebP
 * files made with sharp, cached on disk by path, size and modification time, so a list of 12 MP
 * photos shows a few KB per row instead of making the window decode every photo in full.
 * Images are read by sharp; a PDF's first page, a video's frame, a song's cover and a HEIC photo
 * come from pdftoppm, ffmpeg and libheif's decoder when this machine has them (frame.ts); an
 * office file shows the preview picture saved inside it, if any (embedded-thumbnail.ts). A file
 * with none (a text file, a broken image, one over the pixel limit, a PDF without pdftoppm) has no
 * thumbnail: `of` answers null and the row keeps its type badge.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Semaphore } from '../queue/runner';
import { embeddedThumbnail } from './embedded-thumbnail';
import { fileExists, findOnPath, firstFrame, heifImage, MEDIA, type FrameKind, type FrameTools } from './frame';

export interface ThumbnailsOptions {
  /** The cache folder (made on first use). */
  dir: string;
  /** Longest side in pixels. */
  size?: number;
  /** Thumbnails made at once: conversions keep the rest of the CPU. */
  concurrency?: number;
  /** Images with more pixels than this are not read (a decompression bomb ends here). */
  maxPixels?: number;
  /** Cached thumbnails kept; the oldest beyond this are removed by prune() (on first use, and after every `keep ÷ 10` made). */
  keep?: number;
  /** How long pdftoppm or ffmpeg may take for one page or frame (default 20 s). */
  frameTimeoutMs?: number;
  /** ffmpeg as the settings name it (else it is looked for on PATH, as pdftoppm is). */
  ffmpegPath?: () => string | null | undefined;
  log?: (message: string) => void;
}

export interface Thumbnails {
  /** The thumbnail file of `file`, made now if needed; null when it has none. */
  of(file: string): Promise<string | null>;
  /** Removes the oldest cached thumbnails beyond `keep`; returns how many went. */
  prune(): Promise<number>;
}

/** Extensions sharp reads here (its prebuilt libvips). */
const IMAGES = new Set(['jpg', 'jpeg', 'jfif', 'png', 'webp', 'gif', 'avif', 'tif', 'tiff', 'svg']);

/** Office files whose zip may hold a preview picture (embedded-thumbnail.ts). */
const OFFICE = new Set(['odt', 'ods', 'odp', 'odg', 'docx', 'docm', 'xlsx', 'xlsm', 'pptx', 'pptm']);
type Kind = 'image' | 'heif' | 'office' | FrameKind;

/** Why a file of each kind has no thumbnail, for the log. */
const NONE: Record<Exclude<Kind, 'image'>, string> = {
  heif: 'not decoded (heif-dec or heif-convert missing, or it could not read the file)',
  office: 'no preview picture inside',
  pdf: 'no page (pdftoppm missing, or it could not read the file)',
  video: 'no frame (ffmpeg missing, or it could not read the file)',
  audio: 'no cover picture (ffmpeg missing, or the file has none)',
};

/** How a file's thumbnail is made; undefined: it has none (anything else is not even tried). */
function kindOf(file: string): Kind | undefined {
  const ext = path.extname(file).slice(1).toLowerCase();
  if (IMAGES.has(ext)) return 'image';
  if (ext === 'heic' || ext === 'heif') return 'heif';
  if (OFFICE.has(ext)) return 'office';
  if (ext === 'pdf') return 'pdf';
  return MEDIA[ext]?.kind;
}

export function createThumbnails(opts: ThumbnailsOptions): Thumbnails {
  const size = opts.size ?? 64;
  const maxPixels = opts.maxPixels ?? 100_000_000;
  const keep = opts.keep ?? 5000;
  const slots = new Semaphore(opts.concurrency ?? 2);
  /** Thumbnails being made, by cache file: two rows of the same file make it once. */
  const making = new Map<string, Promise<string | null>>();
  /** Files that had no thumbnail, by cache key: not tried again while they are unchanged. */
  const failed = new Set<string>();
  /** Made since the last prune: a long session keeps the cache bounded too. */
  let madeSincePrune = 0;
  let pruned: Promise<number> = Promise.resolve(0);
  /** The first thumbnail asked for prunes the cache (not start-up: the CLI never shows one). */
  let used = false;
  /** The frame tools, looked for once (a PATH search per thumbnail would be waste). */
  let onPath: FrameTools | undefined;
  const tools = (): FrameTools => {
    onPath ??= { pdftoppm: findOnPath('pdftoppm'), ffmpeg: findOnPath('ffmpeg'), heif: findOnPath('heif-dec') ?? findOnPath('heif-convert') };
    return { ...onPath, ffmpeg: opts.ffmpegPath?.() || onPath.ffmpeg };
  };

  async function make(file: string, kind: Kind, out: string): Promise<string | null> {
    const release = await slots.acquire();
    try {
      if (await fileExists(out)) return out;
      // Anything but an image gives a picture first (a page or a frame rendered at twice the size,
      // a document's own preview, a HEIC photo decoded to a file), then scaled down like an image.
      const toolOptions = { size: size * 2, timeoutMs: opts.frameTimeoutMs ?? 20_000 };
      const work = kind === 'heif' ? await fs.promises.mkdtemp(path.join(os.tmpdir(), 'convoy-heif-')) : undefined;
      try {
        let picture: Buffer | string = file;
        if (kind !== 'image') {
          const got =
            kind === 'office'
              ? await embeddedThumbnail(file)
              : kind === 'heif'
                ? await heifImage(file, tools().heif, work!, toolOptions)
                : await firstFrame(file, kind, tools(), toolOptions);
          if (!got) throw new Error(NONE[kind]);
          picture = got;
        }
        return await scaled(picture, out);
      } finally {
        if (work) await fs.promises.rm(work, { recursive: true, force: true });
      }
    } finally {
      release();
    }
  }

  /** Writes the thumbnail of an image (a file or its bytes) to `out`. */
  async function scaled(image: Buffer | string, out: string): Promise<string> {
    const sharp = (await import('sharp')).default;
    await fs.promises.mkdir(opts.dir, { recursive: true });
    const tmp = `${out}.${process.pid}.tmp`;
    try {
      await sharp(image, { failOn: 'none', limitInputPixels: maxPixels, sequentialRead: true, autoOrient: true })
        .timeout({ seconds: 20 })
        .resize(size, size, { fit: 'inside', withoutEnlargement: true })
        .webp({ quality: 70 })
        .toFile(tmp);
      await fs.promises.rename(tmp, out);
      if (++madeSincePrune >= Math.max(1, Math.floor(keep / 10))) void prune();
    } catch (err) {
      await fs.promises.rm(tmp, { force: true });
      throw err;
    }
    return out;
  }

  return {
    async of(file) {
      if (!used) {
        used = true;
        void prune();
      }
      const kind = kindOf(file);
      if (!kind) return null;
      const stat = await fs.promises.stat(file).catch(() => null);
      if (!stat?.isFile()) return null;
      const key = crypto
        .createHash('sha256')
        .update(`${path.resolve(file)}\0${stat.size}\0${stat.mtimeMs}\0${size}`)
        .digest('hex')
        .slice(0, 32);
      if (failed.has(key)) return null;
      const out = path.join(opts.dir, `${key}.webp`);
      if (await fileExists(out)) return out;
      let pending = making.get(out);
      if (!pending) {
        pending = make(file, kind, out)
          .catch((err: Error) => {
            failed.add(key);
            opts.log?.(`thumbnail: ${path.basename(file)}: ${err.message.split('\n')[0]}`);
            return null;
          })
          .finally(() => making.delete(out));
        making.set(out, pending);
      }
      return pending;
    },

    prune,
  };

  /** Removes the oldest thumbnails beyond `keep`, and temporary files not being written now. */
  function prune(): Promise<number> {
    madeSincePrune = 0;
    // One at a time; one asked for meanwhile runs after it (it must see the files made since).
    const run = pruned.then(pruneNow);
    pruned = run.catch(() => 0);
    return run;
  }

  async function pruneNow(): Promise<number> {
    const names = await fs.promises.readdir(opts.dir).catch(() => [] as string[]);
    const files = await Promise.all(
      names.map(async (name) => {
        const p = path.join(opts.dir, name);
        const stat = await fs.promises.stat(p).catch(() => null);
        return { p, name, at: stat?.mtimeMs ?? 0 };
      }),
    );
    const thumbs = files.filter((f) => f.name.endsWith('.webp')).sort((a, b) => b.at - a.at);
    // A temporary file is left over unless its thumbnail is being made right now.
    const leftovers = files.filter((f) => f.name.endsWith('.tmp') && !making.has(f.p.slice(0, f.p.indexOf('.webp') + 5)));
    const gone = [...leftovers, ...thumbs.slice(keep)];
    await Promise.all(gone.map((f) => fs.promises.rm(f.p, { force: true })));
    return gone.length;
  }
}
