/**
 * AWS Signature Version 4 check for s3rver, which only looks up the access key id of a V4 request
 * and never checks its signature. With this in front, a wrong secret access key is refused with
 * 403 SignatureDoesNotMatch, as S3 does. Header-signed requests only (what the SDK sends); the
 * payload hash is taken as declared in x-amz-content-sha256, as S3 does for streaming uploads.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();
const rfc3986 = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

function canonicalQuery(rawQuery: string): string {
  if (!rawQuery) return '';
  return rawQuery
    .split('&')
    .filter(Boolean)
    .map((pair) => {
      const i = pair.indexOf('=');
      const k = decodeURIComponent((i === -1 ? pair : pair.slice(0, i)).replace(/\+/g, '%20'));
      const v = i === -1 ? '' : decodeURIComponent(pair.slice(i + 1).replace(/\+/g, '%20'));
      return [rfc3986(k), rfc3986(v)] as const;
    })
    .sort((a, b) => (a[0] === b[0] ? (a[1] < b[1] ? -1 : 1) : a[0] < b[0] ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

export interface SigV4Request {
  method: string;
  /** Path and query exactly as received. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
}

/** null when the request is not header-signed with V4 or the signature is right; else why not. */
export function sigV4Mismatch(req: SigV4Request, secretFor: (accessKeyId: string) => string | undefined): string | null {
  const auth = String(req.headers.authorization ?? '');
  const m = /^AWS4-HMAC-SHA256\s+Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request,\s*SignedHeaders=([^,]+),\s*Signature=([0-9a-f]+)$/.exec(auth);
  if (!m) return null;
  const [, accessKeyId, date, region, service, signedHeaders, signature] = m;
  const secret = secretFor(accessKeyId);
  if (secret === undefined) return null; // s3rver answers InvalidAccessKeyId itself
  const q = req.url.indexOf('?');
  const path = q === -1 ? req.url : req.url.slice(0, q);
  const query = q === -1 ? '' : req.url.slice(q + 1);
  const names = signedHeaders.split(';');
  const headerLines = names.map((n) => {
    const v = req.headers[n];
    const value = Array.isArray(v) ? v.join(',') : String(v ?? '');
    return `${n}:${value.trim().replace(/\s+/g, ' ')}\n`;
  });
  const payloadHash = String(req.headers['x-amz-content-sha256'] ?? 'UNSIGNED-PAYLOAD');
  const canonical = [req.method, path, canonicalQuery(query), headerLines.join(''), signedHeaders, payloadHash].join('\n');
  const amzDate = String(req.headers['x-amz-date'] ?? '');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, createHash('sha256').update(canonical).digest('hex')].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');
  const expected = hmac(key, toSign);
  const given = Buffer.from(signature, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected) ? null : 'signature mismatch';
}

export function signatureDoesNotMatchXml(accessKeyId: string): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SignatureDoesNotMatch</Code>' +
    '<Message>The request signature we calculated does not match the signature you provided. Check your key and signing method.</Message>' +
    `<AWSAccessKeyId>${accessKeyId}</AWSAccessKeyId></Error>`
  );
}
