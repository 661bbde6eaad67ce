/**
 * Google Cloud Storage "Test connection" with @google-cloud/storage: sign in as the service
 * account, create a small probe object where results will go (create-only), then delete it.
 *
 * The access token is obtained from the key file's own `token_uri` (RFC 7523 JWT bearer grant),
 * which is what Google's key files specify; the client library would always use its built-in
 * Google endpoint instead, so it gets the token through an OAuth2Client.
 */
import crypto from 'node:crypto';
import { type ApiError, Storage } from '@google-cloud/storage';
import { OAuth2Client } from 'google-auth-library';
import { withTimeout } from '../../api/backoff';
import { networkFailure, PROBE_BODY, probeFileName, ProbeFailure, quote, staticPrefix, type ProbeContext } from './common';

export interface GcsProbeInput {
  projectid: string;
  bucket: string;
  /** Minified service-account key JSON. */
  keyfile: string;
  file: string;
}

interface Keyfile {
  client_email: string;
  private_key: string;
  private_key_id?: string;
  token_uri?: string;
}

const DEFAULT_TOKEN_URI = 'https://oauth2.googleapis.com/token';
const SCOPE = 'https://www.googleapis.com/auth/devstorage.read_write';

/** An access token for the service account, from the key file's token endpoint. */
export async function serviceAccountToken(keyfile: Keyfile, ctx: ProbeContext): Promise<{ token: string; expiresAt: number }> {
  const tokenUri = keyfile.token_uri || DEFAULT_TOKEN_URI;
  const now = Math.floor(Date.now() / 1000);
  const header = { alg: 'RS256', typ: 'JWT', ...(keyfile.private_key_id ? { kid: keyfile.private_key_id } : {}) };
  const claims = { iss: keyfile.client_email, scope: SCOPE, aud: tokenUri, iat: now, exp: now + 3600 };
  const unsigned = `${b64(JSON.stringify(header))}.${b64(JSON.stringify(claims))}`;
  let signature: string;
  try {
    signature = crypto.sign('sha256', Buffer.from(unsigned), keyfile.private_key).toString('base64url');
  } catch {
    throw new ProbeFailure('invalid', "The key file's private key cannot be used to sign (damaged or not an RSA key); download a new key");
  }
  const where = `Google's token service (${hostOf(tokenUri)})`;
  let res: Response;
  try {
    res = await fetch(tokenUri, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: `${unsigned}.${signature}` }),
      redirect: 'error',
      signal: AbortSignal.timeout(ctx.timeoutMs),
    });
  } catch (err) {
    throw networkFailure(err, where) ?? new ProbeFailure('unreachable', `Cannot reach ${where}`);
  }
  const body = (await res.json().catch(() => ({}))) as { access_token?: string; expires_in?: number; error?: string; error_description?: string };
  if (!res.ok || !body.access_token) {
    if (res.status === 400 || res.status === 401) {
      const why = body.error_description ? `: ${quote(body.error_description, ctx)}` : '';
      throw new ProbeFailure(
        'auth',
        `Google refused the service account key (${body.error ?? res.status})${why}; the key may be deleted or disabled: create a new one`,
      );
    }
    throw new ProbeFailure('error', `${where} answered HTTP ${res.status}`);
  }
  return { token: body.access_token, expiresAt: Date.now() + (body.expires_in ?? 3600) * 1000 };
}

export function gcsStorage(projectId: string, token: { token: string; expiresAt: number }, endpoint?: string): Storage {
  const auth = new OAuth2Client();
  auth.setCredentials({ access_token: token.token, expiry_date: token.expiresAt, token_type: 'Bearer' });
  return new Storage({
    projectId,
    authClient: auth,
    ...(endpoint ? { apiEndpoint: endpoint.replace(/\/+$/, ''), useAuthWithCustomEndpoint: true } : {}),
    retryOptions: { autoRetry: false },
  });
}

export async function probeGcs(p: GcsProbeInput, ctx: ProbeContext, endpoint?: string): Promise<string> {
  let keyfile: Keyfile;
  try {
    keyfile = JSON.parse(p.keyfile) as Keyfile;
  } catch {
    throw new ProbeFailure('invalid', 'The key file is not valid JSON');
  }
  const token = await serviceAccountToken(keyfile, ctx);
  const storage = gcsStorage(p.projectid, token, endpoint);
  const prefix = staticPrefix(p.file).replace(/^\/+/, '');
  const name = `${prefix ? `${prefix}/` : ''}${probeFileName()}`;
  const file = storage.bucket(p.bucket).file(name);
  const where = `bucket "${p.bucket}"`;
  try {
    await withTimeout(
      file.save(PROBE_BODY, { resumable: false, contentType: 'text/plain', preconditionOpts: { ifGenerationMatch: 0 }, validation: false }),
      ctx.timeoutMs,
      noAnswer(ctx.timeoutMs),
    );
  } catch (err) {
    throw classify(err, keyfile.client_email, where, 'create', ctx, p.bucket);
  }
  try {
    await withTimeout(file.delete(), ctx.timeoutMs, noAnswer(ctx.timeoutMs));
  } catch (err) {
    const f = classify(err, keyfile.client_email, where, 'delete', ctx, p.bucket);
    if (f.code === 'permission') {
      throw new ProbeFailure('permission', `Created a probe object in ${where} but may not delete it; remove ${name} by hand`);
    }
    throw f;
  }
  return `Signed in as ${keyfile.client_email} and wrote and deleted a test object in ${where}`;
}

export function classify(err: unknown, account: string, where: string, action: string, ctx: ProbeContext, bucket: string): ProbeFailure {
  if (err instanceof ProbeFailure) return err;
  const code = (err as ApiError)?.code;
  if (typeof code === 'number') {
    const reason = (err as ApiError).errors?.[0]?.reason ?? '';
    if (code === 404) return new ProbeFailure('missing_container', `The bucket "${bucket}" does not exist (or this account cannot see it); create it first`);
    if (code === 401) return new ProbeFailure('auth', `Google Cloud Storage rejected the credentials of ${account}`);
    if (code === 403) {
      return new ProbeFailure('permission', `${account} may not ${action} objects in ${where}; grant it the "Storage Object Admin" role on the bucket`);
    }
    if (code === 412) return new ProbeFailure('error', 'A probe object with the same name already exists; try again');
    return new ProbeFailure('error', `Google Cloud Storage answered HTTP ${code}${reason ? ` ${reason}` : ''}: ${quote((err as Error).message, ctx)}`);
  }
  return networkFailure(err, 'Google Cloud Storage') ?? new ProbeFailure('error', `Google Cloud Storage test failed: ${quote((err as Error)?.message, ctx)}`);
}

/** The probe's time limit as a ProbeFailure (the client's own calls take no signal). */
function noAnswer(ms: number): () => ProbeFailure {
  return () => new ProbeFailure('unreachable', `Cannot reach Google Cloud Storage: no answer within ${Math.round(ms / 1000)} s`);
}

function b64(s: string): string {
  return Buffer.from(s).toString('base64url');
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
