/**
 * Which external converters this machine has. Looked up once (PATH, the usual install folders, or
 * the paths set in Convoy's Settings: tool-locations.ts); ffmpeg's encoder list is
 * read once so that targets only advertise codecs that exist. The answer is cached for the life of
 * the process (resetToolCache() is for tests).
 */
import { execFile, execFileSync } from 'node:child_process';
import path from 'node:path';
import { executableNames, findTool, hostLookup } from './tool-locations';

export interface Tools {
  soffice?: string;
  ffmpeg?: string;
  ffprobe?: string;
  /** ffmpeg encoder names (e.g. libx264), empty without ffmpeg. */
  encoders: Set<string>;
  /** poppler-utils: PDF pages to images, embedded images, document info. */
  pdftoppm?: string;
  pdfimages?: string;
  pdfinfo?: string;
  /** p7zip: 7z archives. */
  sevenZip?: string;
  /** Headless Chromium for website capture (input engine "screenshot"). */
  chromium?: string;
  /** libheif's decoder (Debian: libheif-examples): iPhone photos (HEIC/HEIF), which sharp's libvips does not read. */
  heifConvert?: string;
}

/** The first of `names` found on PATH (with PATHEXT on Windows). */
export function findOnPath(names: string[], envPath = process.env.PATH ?? ''): string | undefined {
  for (const dir of envPath.split(path.delimiter).filter(Boolean)) {
    for (const name of names.flatMap((n) => executableNames(n, hostLookup))) {
      const candidate = path.join(dir, name);
      if (hostLookup.isExecutable(candidate)) return candidate;
    }
  }
  return undefined;
}

/** Converter paths set by the user (Convoy's Settings); unset ones are looked for. */
let overrides: { ffmpeg?: string; soffice?: string } = {};

/** Sets the user's converter paths; the next lookup uses them. */
export function setToolPaths(paths: { ffmpeg?: string; soffice?: string }): void {
  if (paths.ffmpeg === overrides.ffmpeg && paths.soffice === overrides.soffice) return;
  overrides = { ...paths };
  resetToolCache();
}

function parseEncoders(stdout: string): Set<string> {
  const names = new Set<string>();
  for (const line of stdout.split('\n')) {
    const m = /^\s[VAS][F.][S.][X.][B.][D.]\s+(\S+)/.exec(line);
    if (m) names.add(m[1]);
  }
  return names;
}

const ENCODER_ARGS = ['-hide_banner', '-encoders'];
let cached: Tools | undefined;
let pending: Promise<Tools> | undefined;

function locate(): Omit<Tools, 'encoders'> {
  const ffmpeg = findTool('ffmpeg', hostLookup, overrides.ffmpeg);
  const ffprobe = findTool('ffprobe', hostLookup, overrides.ffmpeg);
  // Media conversion needs both: ffprobe checks the input before ffmpeg converts it.
  return {
    soffice: findTool('soffice', hostLookup, overrides.soffice),
    ffmpeg: ffmpeg && ffprobe ? ffmpeg : undefined,
    ffprobe,
    pdftoppm: findOnPath(['pdftoppm']),
    pdfimages: findOnPath(['pdfimages']),
    pdfinfo: findOnPath(['pdfinfo']),
    sevenZip: findOnPath(['7z', '7za']),
    chromium: process.env.CONVOY_CHROMIUM ?? findOnPath(['chromium', 'chromium-browser', 'google-chrome']),
    heifConvert: findOnPath(['heif-dec', 'heif-convert']),
  };
}

/** Synchronous detection (used when options are validated before listTargets ran). */
export function detectToolsSync(): Tools {
  if (cached) return cached;
  const found = locate();
  let encoders = new Set<string>();
  if (found.ffmpeg) {
    try {
      encoders = parseEncoders(execFileSync(found.ffmpeg, ENCODER_ARGS, { timeout: 15_000, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
    } catch {
      // an ffmpeg that cannot list encoders offers nothing
    }
  }
  cached = { ...found, encoders };
  return cached;
}

export function detectTools(): Promise<Tools> {
  if (cached) return Promise.resolve(cached);
  pending ??= new Promise<Tools>((resolve) => {
    const found = locate();
    if (!found.ffmpeg) {
      cached ??= { ...found, encoders: new Set() };
      return resolve(cached);
    }
    execFile(found.ffmpeg, ENCODER_ARGS, { timeout: 15_000, maxBuffer: 4 * 1024 * 1024 }, (err, stdout) => {
      cached ??= { ...found, encoders: err ? new Set() : parseEncoders(stdout) };
      resolve(cached);
    });
  });
  return pending;
}

/** For tests: forget the cached answer (e.g. after changing PATH). */
export function resetToolCache(): void {
  cached = undefined;
  pending = undefined;
}
