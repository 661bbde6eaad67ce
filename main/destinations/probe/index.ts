/**
 * "Test connection": proves login and write permission by writing and deleting a small probe
 * object where results will go, with each provider's official client library. The answer says
 * which step failed (host unreachable, TLS, auth failed, container/bucket missing, permission).
 */
import type { ConnectionTestResult } from '../../../preload/contract';
import type { ResolvedProfile } from '../descriptors';
import { ProbeFailure, quote, result, type ProbeContext } from './common';

/** Where S3, Azure and Google Cloud live; unset in production. Dev/test servers only. */
export interface CloudEndpoints {
  amazons3?: string;
  azure?: string;
  googlecloud?: string;
}

export async function testConnection(p: ResolvedProfile, opts: { endpoints?: CloudEndpoints; timeoutMs?: number } = {}): Promise<ConnectionTestResult> {
  const ctx: ProbeContext = { timeoutMs: opts.timeoutMs ?? 20_000, secrets: Object.values(p.secrets) };
  const f = p.fields;
  const s = p.secrets;
  const file = String(f.file ?? '');
  try {
    let message: string;
    switch (p.type) {
      case 'ftp':
        message = await (await import('./ftp')).probeFtp(
          { host: String(f.host), port: Number(f.port ?? 21), username: String(f.username), password: s.password ?? '', file },
          ctx,
        );
        break;
      case 'azure':
        message = await (await import('./azure')).probeAzure(
          { container: String(f.container), accountname: String(f.accountname), accountkey: s.accountkey ?? '', file },
          ctx,
          opts.endpoints?.azure,
        );
        break;
      case 'googlecloud':
        message = await (await import('./gcs')).probeGcs(
          { projectid: String(f.projectid), bucket: String(f.bucket), keyfile: s.keyfile ?? '', file },
          ctx,
          opts.endpoints?.googlecloud,
        );
        break;
      case 'amazons3':
        message = await (await import('./s3')).probeS3(
          {
            bucket: String(f.bucket),
            region: String(f.region ?? 'eu-central-1'),
            accesskeyid: String(f.accesskeyid),
            secretaccesskey: s.secretaccesskey ?? '',
            sessiontoken: s.sessiontoken,
            file,
          },
          ctx,
          opts.endpoints?.amazons3,
        );
        break;
    }
    return result('ok', message);
  } catch (err) {
    if (err instanceof ProbeFailure) return result(err.code, quote(err.message, ctx, 600));
    return result('error', `Connection test failed: ${quote((err as Error)?.message ?? err, ctx)}`);
  }
}

export type { ProbeCode } from './common';
