/**
 * Which conversion targets fit a source. The provider's `GET /v2/conversions` lists targets with a
 * category; when it also declares the input extensions a target accepts (`inputs`, as the local
 * engine does) those decide, otherwise the source's category does.
 */
import type { ConversionTarget } from '../../../preload/contract';

/** A target as some providers send it: with the input extensions it converts from. */
export type TargetInfo = ConversionTarget & { inputs?: string[] };

const CATEGORY_EXTS: Record<string, string[]> = {
  image: [
    'jpg',
    'jpeg',
    'jfif',
    'png',
    'gif',
    'bmp',
    'tif',
    'tiff',
    'webp',
    'avif',
    'heic',
    'heif',
    'svg',
    'ico',
    'psd',
    'tga',
    'eps',
    'raw',
    'cr2',
    'nef',
    'dng',
    'arw',
    'jp2',
    'exr',
    'hdr',
  ],
  document: [
    'pdf',
    'doc',
    'docx',
    'odt',
    'rtf',
    'txt',
    'md',
    'html',
    'htm',
    'xls',
    'xlsx',
    'ods',
    'csv',
    'ppt',
    'pptx',
    'odp',
    'xps',
    'pages',
    'numbers',
    'key',
    'tex',
    'wpd',
  ],
  ebook: ['epub', 'mobi', 'azw', 'azw3', 'fb2', 'lit', 'lrf', 'pdb', 'cbz', 'cbr'],
  audio: ['mp3', 'wav', 'flac', 'ogg', 'oga', 'opus', 'aac', 'm4a', 'wma', 'aiff', 'aif', 'amr', 'mid', 'midi'],
  video: ['mp4', 'm4v', 'mkv', 'avi', 'mov', 'webm', 'wmv', 'flv', 'mpeg', 'mpg', '3gp', 'ts', 'mts', 'ogv', 'vob'],
  archive: ['zip', '7z', 'rar', 'tar', 'gz', 'tgz', 'bz2', 'xz'],
};

const EXT_CATEGORY = new Map<string, string>();
for (const [category, exts] of Object.entries(CATEGORY_EXTS)) for (const e of exts) EXT_CATEGORY.set(e, category);

/** Target categories a source category can be converted into. */
const FITS: Record<string, string[]> = {
  image: ['image', 'document'],
  document: ['document', 'image', 'ebook'],
  ebook: ['ebook', 'document'],
  audio: ['audio'],
  video: ['video', 'audio', 'image'],
  archive: ['archive'],
};
/** Categories whose targets take any input (checksums, packing into an archive, metadata). */
const ANY_INPUT = new Set(['hash', 'archive', 'metadata']);

/** Lower-case extension of a file name or URL path, or null. */
export function extensionOf(name: string | null | undefined): string | null {
  if (!name) return null;
  let base = name;
  try {
    if (/^https?:\/\//i.test(name)) base = decodeURIComponent(new URL(name).pathname);
  } catch {
    /* not a URL after all */
  }
  base = base.split(/[\\/]/).pop() ?? '';
  const dot = base.lastIndexOf('.');
  if (dot <= 0 || dot === base.length - 1) return null;
  const ext = base.slice(dot + 1).toLowerCase();
  return /^[a-z0-9]{1,10}$/.test(ext) ? ext : null;
}

export function categoryOf(ext: string | null | undefined): string | null {
  return ext ? (EXT_CATEGORY.get(ext.toLowerCase()) ?? null) : null;
}

/** Documents that may carry a preview picture (main reads it from the file's zip), and PDFs (main renders page 1). */
const DOCUMENT_PREVIEWS = new Set(['pdf', 'odt', 'ods', 'odp', 'odg', 'docx', 'docm', 'xlsx', 'xlsm', 'pptx', 'pptm']);

/**
 * Whether main may have a thumbnail of a file with this extension: an image, a video (a frame, by
 * ffmpeg), a song (its cover), a PDF (its first page, by pdftoppm) or an office file (the preview
 * saved in it). Main answers 404 when it has none after all and the row shows the type badge.
 */
export function hasPreview(ext: string | null | undefined): boolean {
  const category = categoryOf(ext);
  return category === 'image' || category === 'video' || category === 'audio' || DOCUMENT_PREVIEWS.has(ext?.toLowerCase() ?? '');
}

/** The targets that fit a source with this extension (all of them when the type is unknown). */
export function targetsFor(targets: readonly TargetInfo[], sourceExt: string | null | undefined): TargetInfo[] {
  const ext = sourceExt?.toLowerCase() ?? null;
  if (!ext) return [...targets];
  const category = categoryOf(ext);
  const fits = category ? FITS[category] : null;
  return targets.filter((t) => {
    if (t.inputs?.length) return t.inputs.includes(ext);
    if (ANY_INPUT.has(t.category)) return true;
    if (!fits) return true; // unknown source type: offer everything rather than hide what may work
    return fits.includes(t.category);
  });
}

/** Groups targets by category for `<optgroup>`s, categories and targets sorted. */
export function groupByCategory(targets: readonly TargetInfo[]): Array<{ category: string; targets: TargetInfo[] }> {
  const groups = new Map<string, TargetInfo[]>();
  for (const t of targets) {
    const list = groups.get(t.category) ?? [];
    list.push(t);
    groups.set(t.category, list);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([category, list]) => ({ category, targets: list.sort((x, y) => x.target.localeCompare(y.target)) }));
}

/** Operations named by what they do (the menu's groups); `resize-image` is "Resize". */
const OPERATION_GROUPS: Record<string, string> = { compress: 'Compress', thumbnail: 'Thumbnail', 'resize-image': 'Resize' };
/** Categories that are their own group, in the menu's order after the operations. */
const CATEGORY_GROUPS: Record<string, string> = { metadata: 'Metadata', archive: 'Archive', hash: 'Hash' };
const GROUP_ORDER = ['Compress', 'Thumbnail', 'Resize', 'Metadata', 'Archive', 'Hash', 'Other operations'];
/** Operations over several inputs: not a row's target ("Merge into one…" makes a merge). */
export const MULTI_INPUT_TARGETS = new Set(['merge', 'compare-image']);

/** The menu group of a target: "Convert to image", "Compress", …, "Hash". */
export function menuGroupOf(t: Pick<TargetInfo, 'target' | 'category'>): string {
  if (t.category === 'operation') return OPERATION_GROUPS[t.target] ?? 'Other operations';
  return CATEGORY_GROUPS[t.category] ?? `Convert to ${t.category}`;
}

/** How a target reads in the menu: formats in capitals, operations in words. */
export function targetLabel(t: Pick<TargetInfo, 'target' | 'category'>): string {
  if (t.category !== 'operation') return t.target.toUpperCase();
  const words = t.target.replace(/-/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/**
 * The target menu for one row or a selection: "Convert to …" groups first (by category), then
 * Compress · Thumbnail · Resize · Metadata · Archive · Hash. Multi-input operations are left out.
 */
export function menuGroups(targets: readonly TargetInfo[]): Array<{ category: string; targets: TargetInfo[] }> {
  const single = targets.filter((t) => !MULTI_INPUT_TARGETS.has(t.target));
  const groups = new Map<string, TargetInfo[]>();
  for (const t of single) {
    const g = menuGroupOf(t);
    const list = groups.get(g) ?? [];
    list.push(t);
    groups.set(g, list);
  }
  const rank = (g: string) => (g.startsWith('Convert to ') ? -1 : GROUP_ORDER.indexOf(g));
  return [...groups.entries()]
    .sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b))
    .map(([category, list]) => ({ category, targets: list.sort((x, y) => x.target.localeCompare(y.target)) }));
}

/** Targets every one of these sources can take (for applying one target to a selection). */
export function commonTargets(targets: readonly TargetInfo[], sourceExts: Iterable<string | null>): TargetInfo[] {
  const exts = new Set<string | null>(sourceExts);
  let result = [...targets];
  for (const ext of exts) {
    const fit = new Set(targetsFor(targets, ext).map((t) => t.target));
    result = result.filter((t) => fit.has(t.target));
  }
  return result;
}

/** Key under which the last target is remembered: the source extension, or its kind. */
export function sourceTypeKey(sourceExt: string | null | undefined, sourceKind: string): string {
  return sourceExt ? `ext:${sourceExt.toLowerCase()}` : `kind:${sourceKind}`;
}

export interface TargetMemory {
  get(key: string): string | null;
  remember(key: string, target: string): void;
}

/** Remembers the last target chosen per source type, in localStorage when there is one. */
export function createTargetMemory(storage: Pick<Storage, 'getItem' | 'setItem'> | null, name = 'convoy.lastTargets'): TargetMemory {
  let map: Record<string, string> = {};
  try {
    const raw = storage?.getItem(name);
    const parsed = raw ? (JSON.parse(raw) as unknown) : null;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
      for (const [k, v] of Object.entries(parsed)) if (typeof v === 'string') map[k] = v;
    }
  } catch {
    map = {};
  }
  return {
    get: (key) => map[key] ?? null,
    remember(key, target) {
      if (map[key] === target) return;
      map = { ...map, [key]: target };
      try {
        storage?.setItem(name, JSON.stringify(map));
      } catch {
        /* storage full or disabled: memory still works for this session */
      }
    },
  };
}
