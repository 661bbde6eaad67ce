/**
 * GET for remote inputs, with the guards an engine reachable from other machines needs: redirects
 * followed by hand (at most `maxRedirects`, http/https only), and — unless private addresses are
 * allowed — every connection checked against loopback, link-local, private and other
 * non-public ranges *at connect time* (the resolved address itself, so DNS rebinding gains nothing).
 */
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';

export class BlockedAddressError extends Error {
  constructor(
    readonly host: string,
    readonly address: string,
  ) {
    super(`${host} resolves to ${address}, a loopback, link-local or private address, which this engine does not fetch from`);
    this.name = 'BlockedAddressError';
  }
}

export class TooManyRedirectsError extends Error {}

const blocked = new net.BlockList();
for (const [net4, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  blocked.addSubnet(net4, bits, 'ipv4');
}
for (const [net6, bits] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  blocked.addSubnet(net6, bits, 'ipv6');
}

/** True for addresses a public-facing engine must not fetch from (IPv4-mapped IPv6 checked as IPv4). */
export function isPrivateAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return blocked.check(mapped[1], 'ipv4');
  const family = net.isIPv4(address) ? 'ipv4' : net.isIPv6(address) ? 'ipv6' : null;
  return family ? blocked.check(address, family) : true;
}

type LookupCb = (err: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void;

/** dns.lookup that refuses private results (used as the socket's lookup: checked when connecting). */
function guardedLookup(hostname: string, options: dns.LookupOptions, cb: LookupCb): void {
  dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return cb(err, '');
    const list = addresses as dns.LookupAddress[];
    const bad = list.find((a) => isPrivateAddress(a.address));
    if (bad) return cb(Object.assign(new BlockedAddressError(hostname, bad.address), { code: 'EBLOCKED' }), '');
    if (options.all) return cb(null, list);
    cb(null, list[0].address, list[0].family);
  });
}

export interface GuardedResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: http.IncomingMessage;
  /** The URL that answered (after redirects). */
  url: URL;
}

export interface GuardedGetOptions {
  allowPrivate: boolean;
  maxRedirects: number;
  signal: AbortSignal;
  headers?: Record<string, string>;
}

export async function guardedGet(start: URL, opts: GuardedGetOptions): Promise<GuardedResponse> {
  let url = start;
  for (let hop = 0; ; hop++) {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TooManyRedirectsError(`redirected to an unsupported scheme ${url.protocol}`);
    const literal = url.hostname.replace(/^\[|\]$/g, '');
    if (!opts.allowPrivate && net.isIP(literal) && isPrivateAddress(literal)) throw new BlockedAddressError(url.hostname, literal);
    const res = await once(url, opts);
    if ([301, 302, 303, 307, 308].includes(res.statusCode ?? 0) && res.headers.location) {
      res.resume();
      if (hop >= opts.maxRedirects) throw new TooManyRedirectsError(`more than ${opts.maxRedirects} redirects`);
      url = new URL(res.headers.location, url);
      continue;
    }
    return { status: res.statusCode ?? 0, headers: res.headers, body: res, url };
  }
}

function once(url: URL, opts: GuardedGetOptions): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const lib = url.protocol === 'https:' ? https : http;
    const req = lib.get(
      url,
      { headers: opts.headers, signal: opts.signal, agent: false, ...(opts.allowPrivate ? {} : { lookup: guardedLookup as never }) },
      resolve,
    );
    req.on('error', (err: Error & { code?: string }) =>
      reject(err.code === 'EBLOCKED' || err instanceof BlockedAddressError ? Object.setPrototypeOf(err, BlockedAddressError.prototype) : err),
    );
  });
}
