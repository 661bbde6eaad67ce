/**
 * Shared pieces of "Test connection": the failure classes the user sees, how network and TLS
 * errors are recognised, and where the probe object goes.
 */
import crypto from 'node:crypto';
import type { ConnectionTestResult } from '../../../preload/contract';
import { redact } from '../../log';

export type ProbeCode = 'ok' | 'unreachable' | 'tls' | 'auth' | 'missing_container' | 'permission' | 'invalid' | 'error';

/** A failure with a message safe to show: it names what went wrong, never a credential. */
export class ProbeFailure extends Error {
  constructor(
    readonly code: Exclude<ProbeCode, 'ok'>,
    message: string,
  ) {
    super(message);
    this.name = 'ProbeFailure';
  }
}

export interface ProbeContext {
  /** Overall deadline per network step. */
  timeoutMs: number;
  /** Known secret values of this profile, masked out of any server text we quote. */
  secrets: string[];
}

export function result(code: ProbeCode, message: string): ConnectionTestResult {
  return { ok: code === 'ok', code, message };
}

const NET_CODES: Record<string, string> = {
  ENOTFOUND: 'the host name was not found',
  EAI_AGAIN: 'the host name could not be resolved (DNS)',
  ECONNREFUSED: 'the connection was refused (nothing listens on that port)',
  ECONNRESET: 'the connection was reset',
  ETIMEDOUT: 'the connection timed out',
  EHOSTUNREACH: 'the host is unreachable',
  ENETUNREACH: 'the network is unreachable',
  EPIPE: 'the connection was closed',
  ECONNABORTED: 'the connection was aborted',
  UND_ERR_CONNECT_TIMEOUT: 'the connection timed out',
  UND_ERR_SOCKET: 'the connection was closed',
};

const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|EPROTO$|HOSTNAME_MISMATCH)/;

/** Codes of an error and of its causes (`code`, `errno`, nested `cause`). */
export function errorCodes(err: unknown): string[] {
  const codes: string[] = [];
  let cur: unknown = err;
  for (let i = 0; cur && typeof cur === 'object' && i < 6; i++) {
    const c = (cur as { code?: unknown }).code;
    if (typeof c === 'string') codes.push(c);
    const errors = (cur as { errors?: unknown }).errors;
    if (Array.isArray(errors)) for (const e of errors) codes.push(...errorCodes(e));
    cur = (cur as { cause?: unknown }).cause;
  }
  return codes;
}

/** A network or TLS failure as a ProbeFailure, or null when the error is something else. */
export function networkFailure(err: unknown, where: string): ProbeFailure | null {
  const codes = errorCodes(err);
  const tls = codes.find((c) => TLS_CODE.test(c));
  if (tls)
    return new ProbeFailure('tls', `TLS failed with ${where} (${tls}): the server's certificate is not trusted or the secure connection could not be set up`);
  const net = codes.find((c) => NET_CODES[c]);
  if (net) return new ProbeFailure('unreachable', `Cannot reach ${where}: ${NET_CODES[net]}`);
  const msg = err instanceof Error ? err.message : String(err);
  if (/timed? ?out/i.test(msg) || (err as { name?: string })?.name === 'TimeoutError') {
    return new ProbeFailure('unreachable', `Cannot reach ${where}: no answer within the time limit`);
  }
  if (/certificate|self[- ]signed|ssl|tls/i.test(msg))
    return new ProbeFailure('tls', `TLS failed with ${where}: the server's certificate is not trusted or the secure connection could not be set up`);
  return null;
}

/** A server's own words, shortened and with this profile's secrets masked. */
export function quote(text: unknown, ctx: ProbeContext, max = 200): string {
  let s = String(text ?? '')
    .replace(/\s+/g, ' ')
    .trim();
  for (const secret of ctx.secrets) if (secret && secret.length >= 4) s = s.split(secret).join('***');
  s = redact(s);
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

/** The fixed folder part of a file path template ("convoy/{date}/…" → "convoy"). */
export function staticPrefix(template: string): string {
  const brace = template.indexOf('{');
  const head = brace >= 0 ? template.slice(0, brace) : template;
  const slash = head.lastIndexOf('/');
  return slash >= 0 ? head.slice(0, slash) : '';
}

export function probeFileName(): string {
  return `.convoy-connection-test-${Date.now()}-${crypto.randomBytes(4).toString('hex')}.txt`;
}

export const PROBE_BODY = 'Convoy connection test. This file is deleted right after it is written; if you see it, delete it.\n';
