/**
 * Website capture for remote inputs with `engine: "screenshot"` (PNG) or `"screenshot_pdf"`
 * (PDF): Debian's Chromium in headless mode renders the page at `screen_width` × `screen_height`.
 * The URL is checked first with a plain request (bounded time, at most 10 redirects) so that a
 * page that hangs or redirects forever fails with a clear message instead of a blank capture.
 */
import dns from 'node:dns/promises';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { findOnPath } from '../convert/tools';
import { ProcessFailure, runProcess } from '../convert/run-process';
import { checksumFile } from '../util/digest';
import { InputFetchError } from './fetch-remote';
import { BlockedAddressError, guardedGet, isPrivateAddress, TooManyRedirectsError } from './guarded-get';

export const SCREENSHOT_ENGINES = ['screenshot', 'screenshot_pdf'] as const;
const MAX_REDIRECTS = 10;

export interface CaptureOptions {
  /** Input options as given (screen_width, screen_height, device_scale_factor). */
  options?: Record<string, unknown>;
  pdf: boolean;
  connectTimeoutMs: number;
  /** Limit for the whole render. */
  timeoutMs: number;
  signal?: AbortSignal;
  suggestedFilename?: string;
  /** A folder for Chromium's profile (removed afterwards). */
  workDir: string;
  /** Pages on loopback, link-local and private addresses (default: refused, as for any remote input). */
  allowPrivate?: boolean;
}

function intOption(options: Record<string, unknown> | undefined, name: string, def: number, min: number, max: number): number {
  const raw = options?.[name];
  if (raw === undefined || raw === null || raw === '') return def;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || n > max) throw new InputFetchError(`Input option ${name} must be a number between ${min} and ${max}`, 400);
  return n;
}

/**
 * Follows redirects by hand (to count them) and gives up on a server that does not answer. An
 * engine that may not fetch private addresses checks every hop where it connects (guardedGet).
 */
async function preflight(url: URL, opts: CaptureOptions): Promise<URL> {
  if (!opts.allowPrivate) {
    const signal = AbortSignal.any([AbortSignal.timeout(opts.connectTimeoutMs), ...(opts.signal ? [opts.signal] : [])]);
    try {
      const res = await guardedGet(url, { allowPrivate: false, maxRedirects: MAX_REDIRECTS, signal, headers: { 'User-Agent': 'convoy-engine' } });
      res.body.resume();
      if (res.status >= 400) throw new InputFetchError(`The page ${url.host} answered ${res.status}`, res.status === 404 ? 404 : 502);
      return res.url;
    } catch (err) {
      if (opts.signal?.aborted) throw opts.signal.reason;
      if (err instanceof InputFetchError) throw err;
      if (err instanceof BlockedAddressError) throw new InputFetchError(`The page ${url.host} cannot be captured: ${err.message}`, 403);
      if (err instanceof TooManyRedirectsError) throw new InputFetchError(`The page ${url.host} redirects more than ${MAX_REDIRECTS} times`, 508);
      if (signal.aborted) throw new InputFetchError(`The page ${url.host} did not answer within ${Math.round(opts.connectTimeoutMs / 1000)} s`, 408);
      throw new InputFetchError(`The page ${url.host} could not be reached`, 503);
    }
  }
  let current = url;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const signals = [AbortSignal.timeout(opts.connectTimeoutMs), ...(opts.signal ? [opts.signal] : [])];
    let res: Response;
    try {
      res = await fetch(current, { redirect: 'manual', signal: AbortSignal.any(signals), headers: { 'User-Agent': 'convoy-engine' } });
    } catch (err) {
      if (opts.signal?.aborted) throw opts.signal.reason;
      if ((err as Error)?.name === 'TimeoutError')
        throw new InputFetchError(`The page ${current.host} did not answer within ${Math.round(opts.connectTimeoutMs / 1000)} s`, 408);
      throw new InputFetchError(`The page ${current.host} could not be reached`, 503);
    }
    await res.body?.cancel().catch(() => {});
    if (res.status >= 300 && res.status < 400 && res.headers.get('location')) {
      current = new URL(res.headers.get('location')!, current);
      if (current.protocol !== 'http:' && current.protocol !== 'https:')
        throw new InputFetchError(`The page redirects to an unsupported URL scheme ${current.protocol}`, 400);
      continue;
    }
    if (res.status >= 400) throw new InputFetchError(`The page ${url.host} answered ${res.status}`, res.status === 404 ? 404 : 502);
    return current;
  }
  throw new InputFetchError(`The page ${url.host} redirects more than ${MAX_REDIRECTS} times`, 508);
}

async function pinnedHost(url: URL): Promise<string> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const { address } = await dns.lookup(host).catch(() => ({ address: '' }));
  if (!address || isPrivateAddress(address)) throw new InputFetchError(`The page ${url.host} cannot be captured: it resolves to ${address || 'nothing'}`, 403);
  return `MAP ${host} ${address}, MAP * ~NOTFOUND`;
}

function captureName(url: URL, pdf: boolean, suggested?: string): string {
  const ext = pdf ? 'pdf' : 'png';
  if (suggested) return suggested.replace(/\.[^.]*$/, '') + `.${ext}`;
  return `${url.hostname.replace(/[^a-zA-Z0-9.-]/g, '_') || 'website'}.${ext}`;
}

export async function captureWebsite(
  source: string,
  dest: string,
  opts: CaptureOptions,
): Promise<{ filename: string; size: number; checksum: string; contentType: string }> {
  const chromium = process.env.CONVOY_CHROMIUM ?? findOnPath(['chromium', 'chromium-browser', 'google-chrome']);
  if (!chromium) throw new InputFetchError("Website capture needs Chromium (Debian package chromium), which this engine's machine does not have", 99);
  let url: URL;
  try {
    url = new URL(source);
  } catch {
    throw new InputFetchError('The source is not a valid URL', 400);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InputFetchError(`Unsupported URL scheme ${url.protocol} (only http and https)`, 400);
  const width = intOption(opts.options, 'screen_width', 1280, 100, 7680);
  const height = intOption(opts.options, 'screen_height', 1024, 100, 7680);
  const scale = intOption(opts.options, 'device_scale_factor', 1, 1, 4);
  const finalUrl = await preflight(url, opts);
  // Chromium resolves names itself: pin the checked page's host to a public address and resolve
  // nothing else, so neither DNS rebinding nor the page's own requests reach a private address.
  const pin = opts.allowPrivate ? [] : [`--host-resolver-rules=${await pinnedHost(finalUrl)}`];
  const profile = path.join(opts.workDir, 'chromium-profile');
  await mkdir(profile, { recursive: true });
  // Chromium picks the image format by the file's extension.
  const rendered = path.join(opts.workDir, opts.pdf ? 'capture.pdf' : 'capture.png');
  const args = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-quic',
    '--no-first-run',
    '--hide-scrollbars',
    '--mute-audio',
    `--user-data-dir=${profile}`,
    `--window-size=${width},${height}`,
    `--force-device-scale-factor=${scale}`,
    ...pin,
    '--virtual-time-budget=5000',
    opts.pdf ? `--print-to-pdf=${rendered}` : `--screenshot=${rendered}`,
    ...(opts.pdf ? ['--no-pdf-header-footer'] : []),
    finalUrl.href,
  ];
  try {
    await runProcess(chromium, args, { timeoutMs: opts.timeoutMs, signal: opts.signal, env: { ...process.env, HOME: opts.workDir } });
    const { size } = await stat(rendered).catch(() => ({ size: 0 }));
    if (size === 0) throw new InputFetchError(`Chromium could not capture ${url.host}`, 502);
    await rename(rendered, dest);
  } catch (err) {
    if (opts.signal?.aborted) throw opts.signal.reason;
    if (err instanceof ProcessFailure) {
      throw new InputFetchError(
        err.timedOut
          ? `Capturing ${url.host} took longer than ${Math.round(opts.timeoutMs / 1000)} s`
          : `Chromium could not capture ${url.host} (${err.message})`,
        err.timedOut ? 408 : 502,
      );
    }
    throw err;
  } finally {
    await rm(profile, { recursive: true, force: true });
    await rm(rendered, { force: true });
  }
  const { size } = await stat(dest);
  return {
    filename: captureName(url, opts.pdf, opts.suggestedFilename),
    size,
    checksum: (await checksumFile(dest)).digest,
    contentType: opts.pdf ? 'application/pdf' : 'image/png',
  };
}
