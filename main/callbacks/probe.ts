import crypto from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { signBody, SIGNATURE_HEADER } from './signature';

/** Failure classes the UI can explain: each has its own fix. */
export type ProbeCode = 'ok' | 'dns' | 'refused' | 'timeout' | 'tls' | 'forwarding' | 'network' | 'invalid_url' | 'tunnel';

export interface ProbeResult {
  ok: boolean;
  code: ProbeCode;
  /** Null when ok; otherwise one sentence naming the cause and where. */
  reason: string | null;
  at: number;
  ms: number;
}

export interface ProbeRequest {
  /** The user's public base URL (no secret in it). */
  publicUrl: string;
  pathSecret: string;
  key: string;
  localPort: number;
  timeoutMs: number;
  /**
   * Registers a nonce with the local server; resolves when that probe arrives there: 'ok', or
   * 'tampered' when it arrived without a valid signature (the tunnel dropped or changed something).
   */
  expect(nonce: string): { arrived: Promise<'ok' | 'tampered'>; cancel(): void };
  /** Lets tests resolve hostnames without any DNS traffic. */
  lookup?: LookupFunction;
}

/** `<publicUrl>/callbacks/<secret>` — the URL jobs are created with. */
export function callbackUrl(publicUrl: string, pathSecret: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/callbacks/${pathSecret}`;
}

/** Checks a user-supplied public URL; returns a reason when it cannot work, else null. */
export function publicUrlProblem(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `"${value}" is not a URL`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `The public URL must start with http:// or https:// (got ${url.protocol})`;
  if (url.search || url.hash) return 'The public URL must not contain a query string or fragment';
  if (url.username || url.password) return 'The public URL must not contain credentials';
  return null;
}

/**
 * Posts a signed probe to `<public URL>/callbacks/<secret>/probe` and waits for it to arrive at the
 * local server. Success needs both: the probe arrived and the tunnel answered 2xx. Every failure is
 * classified (DNS, refused, timeout, TLS, wrong forwarding) with a reason the user can act on.
 */
export async function runProbe(req: ProbeRequest): Promise<ProbeResult> {
  const started = Date.now();
  const done = (code: ProbeCode, reason: string | null): ProbeResult => ({
    ok: code === 'ok',
    code,
    reason,
    at: Date.now(),
    ms: Date.now() - started,
  });
  const problem = publicUrlProblem(req.publicUrl);
  if (problem) return done('invalid_url', problem);

  const target = new URL(`${callbackUrl(req.publicUrl, req.pathSecret)}/probe`);
  const shown = `${new URL(req.publicUrl).origin}`;
  const nonce = crypto.randomBytes(16).toString('hex');
  const body = JSON.stringify({ probe: nonce });
  const expectation = req.expect(nonce);
  let arrived = false;
  let tampered = false;
  void expectation.arrived.then((how) => {
    arrived = true;
    tampered = how === 'tampered';
  });
  const deadline = started + req.timeoutMs;
  const secs = `${Math.round(req.timeoutMs / 100) / 10} s`;

  try {
    const answer = await post(target, body, req.key, req.timeoutMs, req.lookup);
    await Promise.resolve(); // let an arrival that raced the answer be recorded
    if (tampered) {
      return done(
        'forwarding',
        `Wrong forwarding: the probe reached Convoy through ${shown} without its X-Oc-Signature header or with an altered body; the tunnel must pass requests through unchanged`,
      );
    }
    if (answer.kind === 'error') {
      const failure = classify(answer.error, shown, secs);
      return done(failure.code, failure.reason);
    }
    if (answer.kind === 'timeout') {
      return arrived
        ? done('timeout', `The probe reached Convoy but ${shown} sent no answer within ${secs}`)
        : done('timeout', `Timed out: ${shown} did not answer within ${secs}`);
    }
    const status = answer.status;
    if (status >= 300 && status < 400) {
      return done(
        'forwarding',
        `Wrong forwarding: ${shown} redirects (HTTP ${status}${answer.location ? ` to ${safeLocation(answer.location)}` : ''}); use a URL that forwards without redirecting`,
      );
    }
    if (status < 200 || status >= 300) {
      return arrived
        ? done('forwarding', `The probe reached Convoy but the tunnel answered HTTP ${status}`)
        : done(
            'forwarding',
            `Wrong forwarding: ${shown} answered HTTP ${status} instead of passing the probe to Convoy's callback server (127.0.0.1:${req.localPort})`,
          );
    }
    // 2xx: the probe normally arrived before the answer; allow a moment for a buffering proxy.
    if (!arrived) {
      await Promise.race([expectation.arrived, sleep(Math.max(0, Math.min(1000, deadline - Date.now())))]);
    }
    if (tampered) {
      return done('forwarding', `Wrong forwarding: the probe reached Convoy through ${shown} with an altered request`);
    }
    if (!arrived) {
      return done(
        'forwarding',
        `Wrong forwarding: ${shown} answered HTTP ${status} but the probe never reached Convoy's callback server (127.0.0.1:${req.localPort})`,
      );
    }
    return done('ok', null);
  } finally {
    expectation.cancel();
  }
}

type Answer = { kind: 'response'; status: number; location?: string } | { kind: 'error'; error: NodeJS.ErrnoException } | { kind: 'timeout' };

function post(url: URL, body: string, key: string, timeoutMs: number, lookup?: LookupFunction): Promise<Answer> {
  return new Promise<Answer>((resolve) => {
    const mod = url.protocol === 'https:' ? https : http;
    let settled = false;
    const settle = (a: Answer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(a);
    };
    const request = mod.request(
      url,
      {
        method: 'POST',
        agent: false, // a fresh connection each time: a restarted tunnel must not meet a stale socket
        lookup,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          [SIGNATURE_HEADER]: signBody(body, key),
          'user-agent': 'Convoy callback self-test',
        },
      },
      (res) => {
        res.resume();
        settle({ kind: 'response', status: res.statusCode ?? 0, location: res.headers.location });
      },
    );
    const timer = setTimeout(() => {
      settle({ kind: 'timeout' });
      request.destroy();
    }, timeoutMs);
    request.on('error', (error) => settle({ kind: 'error', error }));
    request.end(body);
  });
}

/** Maps a socket/TLS/DNS error to a code and a sentence naming the cause. */
export function classify(err: NodeJS.ErrnoException, shown: string, secs = ''): { code: ProbeCode; reason: string } {
  const code = String(err.code ?? '');
  const host = shown.replace(/^https?:\/\//, '');
  if (['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NONAME', 'ENODATA', 'ESERVFAIL'].includes(code)) {
    return { code: 'dns', reason: `DNS: the host ${host.replace(/:\d+$/, '')} could not be resolved (${code})` };
  }
  if (code === 'ECONNREFUSED') return { code: 'refused', reason: `Connection refused by ${host}: nothing listens there (is the tunnel running?)` };
  if (code === 'ETIMEDOUT' || code === 'ESOCKETTIMEDOUT') return { code: 'timeout', reason: `Timed out connecting to ${host}${secs ? ` (${secs})` : ''}` };
  if (
    code.startsWith('ERR_TLS') ||
    code.startsWith('ERR_SSL') ||
    code.startsWith('CERT_') ||
    code === 'EPROTO' ||
    code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' ||
    code === 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY' ||
    code === 'DEPTH_ZERO_SELF_SIGNED_CERT' ||
    code === 'SELF_SIGNED_CERT_IN_CHAIN' ||
    /ssl|tls|certificate/i.test(err.message)
  ) {
    return { code: 'tls', reason: `TLS: secure connection to ${host} failed (${code || 'handshake error'})` };
  }
  if (code === 'ECONNRESET' || code === 'EPIPE') {
    return { code: 'forwarding', reason: `Wrong forwarding: ${host} closed the connection without answering` };
  }
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'EADDRNOTAVAIL') {
    return { code: 'network', reason: `Network: ${host} is unreachable (${code})` };
  }
  return { code: 'network', reason: `Network error reaching ${host}: ${code || err.message}` };
}

/** A redirect target is shown without query string (it might carry tokens). */
function safeLocation(location: string): string {
  try {
    const u = new URL(location);
    return `${u.origin}${u.pathname.replace(/\/callbacks\/[^/]+/, '/callbacks/…')}`;
  } catch {
    return 'another URL';
  }
}
