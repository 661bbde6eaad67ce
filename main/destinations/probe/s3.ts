/**
 * Amazon S3 "Test connection" with @aws-sdk/client-s3: put a small probe object where results
 * will go, then delete it.
 */
import { DeleteObjectCommand, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { networkFailure, PROBE_BODY, probeFileName, ProbeFailure, quote, staticPrefix, type ProbeContext } from './common';

// The SDK prints a multi-line notice about Node versions it will drop in 2027 on first use; in
// the CLI it would sit between the user's command and its answer. Electron ships a newer Node.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export interface S3ProbeInput {
  bucket: string;
  region: string;
  accesskeyid: string;
  secretaccesskey: string;
  sessiontoken?: string;
  file: string;
}

export function s3Client(p: Omit<S3ProbeInput, 'bucket' | 'file'>, timeoutMs: number, endpoint?: string): S3Client {
  return new S3Client({
    region: p.region,
    credentials: { accessKeyId: p.accesskeyid, secretAccessKey: p.secretaccesskey, sessionToken: p.sessiontoken || undefined },
    ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
    maxAttempts: 1,
    requestHandler: { connectionTimeout: timeoutMs, requestTimeout: timeoutMs },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

export async function probeS3(p: S3ProbeInput, ctx: ProbeContext, endpoint?: string): Promise<string> {
  const where = endpoint ? `the S3 endpoint ${hostOf(endpoint)}` : `Amazon S3 (${p.region})`;
  const client = s3Client(p, ctx.timeoutMs, endpoint);
  const prefix = staticPrefix(p.file).replace(/^\/+/, '');
  const key = `${prefix ? `${prefix}/` : ''}${probeFileName()}`;
  try {
    try {
      await client.send(new PutObjectCommand({ Bucket: p.bucket, Key: key, Body: PROBE_BODY, ContentType: 'text/plain' }), {
        abortSignal: AbortSignal.timeout(ctx.timeoutMs),
      });
    } catch (err) {
      throw classify(err, where, p, 'write', ctx);
    }
    try {
      await client.send(new DeleteObjectCommand({ Bucket: p.bucket, Key: key }), { abortSignal: AbortSignal.timeout(ctx.timeoutMs) });
    } catch (err) {
      const f = classify(err, where, p, 'delete', ctx);
      if (f.code === 'permission') {
        throw new ProbeFailure('permission', `Wrote a probe object to bucket "${p.bucket}" but may not delete it; remove ${key} by hand`);
      }
      throw f;
    }
    return `Signed in to ${where} and wrote and deleted a test object in bucket "${p.bucket}"`;
  } finally {
    client.destroy();
  }
}

export function classify(err: unknown, where: string, p: S3ProbeInput, action: string, ctx: ProbeContext): ProbeFailure {
  if (err instanceof ProbeFailure) return err;
  const name = (err as { name?: string; Code?: string })?.name ?? '';
  const status = (err as S3ServiceException)?.$metadata?.httpStatusCode;
  if (err instanceof S3ServiceException || status) {
    switch (name) {
      case 'NoSuchBucket':
        return new ProbeFailure('missing_container', `The bucket "${p.bucket}" does not exist; create it first (or check the name)`);
      case 'InvalidAccessKeyId':
        return new ProbeFailure('auth', `${where} does not know the access key ID ${p.accesskeyid}`);
      case 'SignatureDoesNotMatch':
        return new ProbeFailure('auth', `${where} rejected the secret access key (signature does not match); copy it again`);
      case 'InvalidToken':
      case 'ExpiredToken':
      case 'TokenRefreshRequired':
        return new ProbeFailure('auth', `${where} rejected the session token (${name}); temporary credentials expire, create new ones`);
      case 'AccessDenied':
      case 'AllAccessDisabled':
        return new ProbeFailure(
          'permission',
          `These credentials may not ${action} objects in bucket "${p.bucket}" (AccessDenied); allow s3:PutObject, s3:PutObjectAcl and s3:GetObject`,
        );
      case 'PermanentRedirect':
      case 'AuthorizationHeaderMalformed':
      case 'IllegalLocationConstraintException': {
        const region = (err as { Region?: string; $response?: { headers?: Record<string, string> } }).Region;
        return new ProbeFailure(
          'invalid',
          `The bucket "${p.bucket}" is not in region ${p.region}${region ? ` but in ${region}` : ''}; set the bucket's region`,
        );
      }
      case 'InvalidBucketName':
        return new ProbeFailure('invalid', `"${p.bucket}" is not a valid bucket name`);
    }
    if (status === 301) return new ProbeFailure('invalid', `The bucket "${p.bucket}" is in another region than ${p.region}; set the bucket's region`);
    if (status === 403) return new ProbeFailure('permission', `These credentials may not ${action} objects in bucket "${p.bucket}" (HTTP 403)`);
    if (status === 404) return new ProbeFailure('missing_container', `The bucket "${p.bucket}" was not found`);
    if (status) return new ProbeFailure('error', `${where} answered HTTP ${status} ${name}: ${quote((err as Error).message, ctx)}`);
  }
  if (name === 'AbortError' || name === 'TimeoutError') return new ProbeFailure('unreachable', `Cannot reach ${where}: no answer within the time limit`);
  return networkFailure(err, where) ?? new ProbeFailure('error', `S3 test failed: ${quote((err as Error)?.message, ctx)}`);
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
