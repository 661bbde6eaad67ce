/**
 * The app's own privileged scheme, `convoy://app/…`, instead of file://: the page and its assets
 * come from the built renderer folder only, and a row's thumbnail (of its local source or result
 * image) from `convoy://app/thumb/<itemId>/<source|result>`. Pure request → answer logic here, so it is tested
 * in plain Node; main/index.ts only hands Electron's `protocol.handle` to it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { mimeOf } from '../mime';
import { ELECTRON_CSP } from './security';

export const APP_SCHEME = 'convoy';
export const APP_HOST = 'app';
export const APP_PAGE_URL = `${APP_SCHEME}://${APP_HOST}/index.html`;
const THUMB_PREFIX = '/thumb/';

/** Privileges for `protocol.registerSchemesAsPrivileged` (standard + secure: a real origin, fetch, no mixed content). */
export const APP_SCHEME_PRIVILEGES = {
  scheme: APP_SCHEME,
  privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true },
} as const;

export type AppRequestAnswer =
  | { kind: 'file'; path: string; mime: string }
  | { kind: 'thumb'; itemId: string; of: 'source' | 'result' }
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
  if (pathname.startsWith(THUMB_PREFIX)) {
    const m = /^([\w-]{1,200})\/(source|result)$/.exec(pathname.slice(THUMB_PREFIX.length));
    return m ? { kind: 'thumb', itemId: m[1], of: m[2] as 'source' | 'result' } : { kind: 'error', status: 400 };
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

/** A row's thumbnail: what the renderer's `<img>` of that row loads. */
export function thumbUrl(itemId: string, of: 'source' | 'result'): string {
  return `${APP_SCHEME}://${APP_HOST}${THUMB_PREFIX}${encodeURIComponent(itemId)}/${of}`;
}

/**
 * Serves one request as a fetch `Response` (what `protocol.handle` wants). `thumbnailPath` finds
 * a row's thumbnail (null: unknown item, no local image, or none could be made).
 */
export async function answerAppRequest(
  request: { url: string; method: string },
  rendererDir: string,
  thumbnailPath: (itemId: string, of: 'source' | 'result') => Promise<string | null>,
): Promise<Response> {
  const answer = resolveAppRequest(request.url, request.method, rendererDir);
  const headers = { 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-cache' };
  if (answer.kind === 'error') return new Response(null, { status: answer.status, headers });
  const file = answer.kind === 'file' ? answer.path : await thumbnailPath(answer.itemId, answer.of).catch(() => null);
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
