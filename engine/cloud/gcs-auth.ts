/**
 * Service-account authentication for Google Cloud Storage that honours the keyfile's `token_uri`
 * (google-auth-library's JWT always posts to its own hard-coded Google URL). The flow is the
 * standard OAuth 2.0 JWT-bearer grant: sign an RS256 assertion with the key, trade it for an
 * access token at `token_uri`.
 */
import { createPrivateKey, sign } from 'node:crypto';
import { JWT, type Credentials } from 'google-auth-library';

export const GCS_SCOPE = 'https://www.googleapis.com/auth/devstorage.read_write';
const TOKEN_TIMEOUT_MS = 30_000;

export interface ServiceAccountKey {
  client_email: string;
  private_key: string;
  private_key_id?: string;
  token_uri: string;
}

/** The token endpoint's refusal, kept apart so the caller can call it an auth failure. */
export class TokenRefusedError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'TokenRefusedError';
  }
}

export class TokenUriJWT extends JWT {
  constructor(
    private readonly sa: ServiceAccountKey,
    private readonly abortSignal?: AbortSignal,
  ) {
    super({ email: sa.client_email, key: sa.private_key, keyId: sa.private_key_id, scopes: [GCS_SCOPE] });
  }

  protected override async refreshTokenNoCache(): Promise<{ res: null; tokens: Credentials }> {
    const now = Math.floor(Date.now() / 1000);
    const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const header = enc({ alg: 'RS256', typ: 'JWT', ...(this.sa.private_key_id ? { kid: this.sa.private_key_id } : {}) });
    const claims = enc({ iss: this.sa.client_email, scope: GCS_SCOPE, aud: this.sa.token_uri, iat: now, exp: now + 3600 });
    const signature = sign('sha256', Buffer.from(`${header}.${claims}`), createPrivateKey(this.sa.private_key)).toString('base64url');

    const signals = [AbortSignal.timeout(TOKEN_TIMEOUT_MS), ...(this.abortSignal ? [this.abortSignal] : [])];
    const res = await fetch(this.sa.token_uri, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
        assertion: `${header}.${claims}.${signature}`,
      }),
      signal: AbortSignal.any(signals),
    });
    const text = await res.text();
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // A non-JSON answer is reported by status below.
    }
    if (!res.ok || typeof body.access_token !== 'string') {
      const why = [body.error, body.error_description].filter((x) => typeof x === 'string').join(': ') || `HTTP ${res.status}`;
      throw new TokenRefusedError(`the token endpoint refused the service account key (${why})`, res.status);
    }
    const expiresIn = typeof body.expires_in === 'number' ? body.expires_in : 3600;
    const tokens: Credentials = { access_token: body.access_token, token_type: 'Bearer', expiry_date: Date.now() + expiresIn * 1000 };
    this.emit('tokens', tokens);
    return { res: null, tokens };
  }
}
