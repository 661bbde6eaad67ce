/**
 * The app's own privileged scheme, `convoy://app/…`, instead of file://: the page and its assets
 * come from the built renderer folder only, and a finished item's local result (thumbnails, the
 * preview) from `convoy://app/result/<itemId>`. Pure request → answer logic here, so it is tested
 * in plain Node; main/index.ts only hands Electron's `protocol.handle` to it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { ELECTRON_CSP } from './security';

export const APP_SCHEME = 'convoy';
export const APP_HOST = 'app';
export const APP_PAGE_URL = `${APP_SCHEME}://${APP_HOST}/index.html`;
const RESULT_PREFIX = '/result/';

/** Privileges for `protocol.registerSchemesAsPrivileged` (standard + secure: a real origin, fetch, no mixed content). */
export const APP_SCHEME_PRIVILEGES = {
  scheme: APP_SCHEME,
  privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true },
} as const;

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.bmp': 'image/bmp',
  '.tif': 'image/tiff',
  '.tiff': 'image/tiff',
  '.pdf': 'application/pdf',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.mp3': 'audio/mpeg',
  '.mp4': 'video/mp4',
  '.webm': 'video/webm',
};

export function mimeOf(file: string): string {
  return MIME[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

export type AppRequestAnswer =
  | { kind: 'file'; path: string; mime: string }
  | { kind: 'result'; itemId: string }
  | { kind: 'error'; status: 400 | 403 | 404 | 405 };

/**
 * Decides what a `convoy://` request gets. Only GET/HEAD on host `app`; a page path must resolve
 * to a regular file inside `rendererDir` (no `..`, no encoded separators, no symlink escape).
 */
export function resolveAppRequest(rawUrl: string, method: string, rendererDir: string): AppRequestAnswer {
  if (method !== 'GET' && method !== 'HEAD') return { kind: 'error', status: 405 };
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    return { kind: 'error', status: 400 };
  }
  if (url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST) return { kind: 'error', status: 403 };
  let pathname: string;
  try {
    pathname = decodeURIComponent(url.pathname);
  } catch {
    return { kind: 'error', status: 400 };
  }
  if (pathname.includes('\0') || pathname.includes('\\')) return { kind: 'error', status: 400 };
  if (pathname.startsWith(RESULT_PREFIX)) {
    const itemId = pathname.slice(RESULT_PREFIX.length);
    return /^[\w-]{1,200}$/.test(itemId) ? { kind: 'result', itemId } : { kind: 'error', status: 400 };
  }
  const rel = pathname === '/' ? 'index.html' : pathname.replace(/^\/+/, '');
  if (rel.split('/').some((seg) => seg === '..' || seg === '.')) return { kind: 'error', status: 400 };
  const root = path.resolve(rendererDir);
  const file = path.resolve(root, rel);
  if (!file.startsWith(root + path.sep)) return { kind: 'error', status: 403 };
  try {
    const real = fs.realpathSync(file);
    if (!real.startsWith(fs.realpathSync(root) + path.sep) || !fs.statSync(real).isFile()) return { kind: 'error', status: 404 };
    return { kind: 'file', path: real, mime: mimeOf(real) };
  } catch {
    return { kind: 'error', status: 404 };
  }
}

/** The renderer's URL for a finished item's local result. */
export function resultUrl(itemId: string): string {
  return `${APP_SCHEME}://${APP_HOST}${RESULT_PREFIX}${encodeURIComponent(itemId)}`;
}

/**
 * Serves one request as a fetch `Response` (what `protocol.handle` wants). `resultPath` looks a
 * finished item's local file up in the queue (null: unknown, not done, or not local).
 */
export async function answerAppRequest(
  request: { url: string; method: string },
  rendererDir: string,
  resultPath: (itemId: string) => Promise<string | null>,
): Promise<Response> {
  const answer = resolveAppRequest(request.url, request.method, rendererDir);
  const headers = { 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-cache' };
  if (answer.kind === 'error') return new Response(null, { status: answer.status, headers });
  const file = answer.kind === 'file' ? answer.path : await resultPath(answer.itemId).catch(() => null);
  if (!file) return new Response(null, { status: 404, headers });
  try {
    const stat = await fs.promises.stat(file);
    if (!stat.isFile()) return new Response(null, { status: 404, headers });
    // Streamed: a large result is never read into memory.
    const body = request.method === 'HEAD' ? null : (Readable.toWeb(fs.createReadStream(file)) as unknown as BodyInit);
    const type = mimeOf(file);
    const out: Record<string, string> = { ...headers, 'Content-Type': type, 'Content-Length': String(stat.size) };
    if (answer.kind === 'file' && type.startsWith('text/html')) out['Content-Security-Policy'] = ELECTRON_CSP;
    return new Response(body, { status: 200, headers: out });
  } catch {
    return new Response(null, { status: 404, headers });
  }
}
