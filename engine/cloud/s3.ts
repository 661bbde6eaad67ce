/** Amazon S3 input and output target (@aws-sdk/client-s3; multipart uploads via lib-storage). */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, S3Client, type S3ServiceException } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { cloudError, networkReason } from './errors';
import { saveStream, tooLarge } from './stream-file';
import { DEFAULT_S3_REGION } from './validate';
import type { CloudDescriptor, CloudEndpoints } from './types';

interface S3Target {
  bucket: string;
  key: string;
  region: string;
  client: S3Client;
  where: string;
}

function open(d: CloudDescriptor, endpoints?: CloudEndpoints): S3Target {
  const p = d.parameters;
  const c = d.credentials;
  const region = (p.region as string | undefined) || DEFAULT_S3_REGION;
  const client = new S3Client({
    region,
    credentials: {
      accessKeyId: c.accesskeyid as string,
      secretAccessKey: c.secretaccesskey as string,
      sessionToken: (c.sessiontoken as string | undefined) || undefined,
    },
    ...(endpoints?.amazons3 ? { endpoint: endpoints.amazons3, forcePathStyle: true } : {}),
    // Checksums only where S3 requires them: S3-compatible servers reject aws-chunked trailers.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 15_000, requestTimeout: 0 },
  });
  const bucket = p.bucket as string;
  const key = (p.file as string).replace(/^\/+/, '');
  return { bucket, key, region, client, where: `s3://${bucket}/${key}` };
}

function s3Failure(err: unknown, t: S3Target, action: 'download' | 'upload'): Error {
  if ((err as Error)?.name === 'CloudError') return err as Error;
  const net = networkReason(err);
  const status = (err as S3ServiceException)?.$metadata?.httpStatusCode;
  const name = (err as Error)?.name ?? '';
  if (net && !status) return cloudError('unreachable', `Amazon S3 (region ${t.region}) ${net}`);
  switch (name) {
    case 'NoSuchBucket':
      return cloudError('not_found', `the bucket "${t.bucket}" does not exist`);
    case 'NoSuchKey':
      return cloudError('not_found', `the file "${t.key}" does not exist in bucket "${t.bucket}"`);
    case 'InvalidAccessKeyId':
      return cloudError('auth', 'Amazon S3 does not know this access key id');
    case 'SignatureDoesNotMatch':
      return cloudError('auth', 'Amazon S3 refused the secret access key (signature does not match)');
    case 'ExpiredToken':
    case 'TokenRefreshRequired':
    case 'InvalidToken':
      return cloudError('auth', 'Amazon S3 refused the session token (expired or invalid)');
    case 'AccessDenied':
      return cloudError('permission', `permission denied to ${action} "${t.key}" in bucket "${t.bucket}"`);
    case 'PreconditionFailed':
      return cloudError('exists', `"${t.key}" already exists in bucket "${t.bucket}" and is not overwritten`);
    case 'PermanentRedirect':
    case 'AuthorizationHeaderMalformed':
      return cloudError('invalid', `the bucket "${t.bucket}" is not in region ${t.region}; set parameters.region to the bucket's region`);
  }
  if (status === 404) return cloudError('not_found', `the file "${t.key}" does not exist in bucket "${t.bucket}"`);
  if (status === 403) return cloudError('permission', `permission denied to ${action} "${t.key}" in bucket "${t.bucket}"`);
  if (status === 301) return cloudError('invalid', `the bucket "${t.bucket}" is not in region ${t.region}; set parameters.region to the bucket's region`);
  if (status === 412) return cloudError('exists', `"${t.key}" already exists in bucket "${t.bucket}" and is not overwritten`);
  return cloudError('error', `Amazon S3 ${action} of ${t.where} failed${status ? ` (HTTP ${status}${name && name !== 'Error' ? ` ${name}` : ''})` : ''}`);
}

export async function fetchS3(
  d: CloudDescriptor,
  destPath: string,
  opts: { endpoints?: CloudEndpoints; signal?: AbortSignal; maxBytes?: number },
): Promise<number> {
  const t = open(d, opts.endpoints);
  try {
    const res = await t.client.send(new GetObjectCommand({ Bucket: t.bucket, Key: t.key }), { abortSignal: opts.signal });
    const body = res.Body as Readable | undefined;
    if (!body) throw cloudError('error', `Amazon S3 sent no content for ${t.where}`);
    if (opts.maxBytes !== undefined && (res.ContentLength ?? 0) > opts.maxBytes) {
      body.destroy();
      throw tooLarge(opts.maxBytes);
    }
    return await saveStream(body, destPath, opts);
  } catch (err) {
    if (opts.signal?.aborted) throw opts.signal.reason;
    throw s3Failure(err, t, 'download');
  } finally {
    t.client.destroy();
  }
}

export async function uploadS3(
  d: CloudDescriptor,
  filePath: string,
  opts: { endpoints?: CloudEndpoints; signal?: AbortSignal; contentType?: string },
): Promise<string> {
  const t = open(d, opts.endpoints);
  try {
    // Not overwriting: check first (clear message early), and let S3 enforce it atomically with
    // If-None-Match on the final write.
    const exists = await t.client
      .send(new HeadObjectCommand({ Bucket: t.bucket, Key: t.key }), { abortSignal: opts.signal })
      .then(() => true)
      .catch((err: unknown) => {
        const status = (err as S3ServiceException)?.$metadata?.httpStatusCode;
        if (status === 404 && (err as Error).name !== 'NoSuchBucket') return false;
        // A HEAD answer has no body to tell a bad key from a missing s3:GetObject right: let the
        // write answer (If-None-Match still protects an existing object).
        if (status === 403) return false;
        throw err;
      });
    if (exists) throw cloudError('exists', `"${t.key}" already exists in bucket "${t.bucket}" and is not overwritten`);
    const { size } = await stat(filePath);
    if (opts.signal?.aborted) throw opts.signal.reason;
    const controller = new AbortController();
    const onAbort = () => controller.abort(opts.signal!.reason);
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const upload = new Upload({
        client: t.client,
        params: {
          Bucket: t.bucket,
          Key: t.key,
          Body: createReadStream(filePath),
          ContentLength: size,
          ContentType: opts.contentType,
          IfNoneMatch: '*',
        },
        queueSize: 2,
        partSize: 8 * 1024 * 1024,
        leavePartsOnError: false,
        abortController: controller,
      });
      await upload.done();
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
    }
    const base = opts.endpoints?.amazons3 ? opts.endpoints.amazons3.replace(/\/+$/, '') : `https://s3.${t.region}.amazonaws.com`;
    return `${base}/${t.bucket}/${t.key.split('/').map(encodeURIComponent).join('/')}`;
  } catch (err) {
    if (opts.signal?.aborted) throw opts.signal.reason;
    throw s3Failure(err, t, 'upload');
  } finally {
    t.client.destroy();
  }
}
