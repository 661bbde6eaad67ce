/**
 * Google Cloud Storage input and output target (@google-cloud/storage), authenticated with the
 * service account keyfile through its token_uri (see gcs-auth.ts).
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { Storage, type File } from '@google-cloud/storage';
import { cloudError, networkReason } from './errors';
import { TokenRefusedError, TokenUriJWT, type ServiceAccountKey } from './gcs-auth';
import { saveStream, tooLarge } from './stream-file';
import { DEFAULT_GCS_TOKEN_URI, parseKeyfile } from './validate';
import type { CloudDescriptor, CloudEndpoints } from './types';

/** Below this, one multipart request; above, a resumable session (restartable chunks). */
const RESUMABLE_FROM = 8 * 1024 * 1024;

interface GcsTarget {
  bucket: string;
  name: string;
  file: File;
  tokenUri: string;
}

function open(d: CloudDescriptor, endpoints?: CloudEndpoints, signal?: AbortSignal): GcsTarget {
  const key = parseKeyfile(d.credentials.keyfile)!;
  const sa: ServiceAccountKey = {
    client_email: key.client_email as string,
    private_key: key.private_key as string,
    private_key_id: key.private_key_id as string | undefined,
    token_uri: (key.token_uri as string | undefined) ?? DEFAULT_GCS_TOKEN_URI,
  };
  const storage = new Storage({
    projectId: d.parameters.projectid as string,
    authClient: new TokenUriJWT(sa, signal),
    ...(endpoints?.googlecloud ? { apiEndpoint: endpoints.googlecloud, useAuthWithCustomEndpoint: true } : {}),
    retryOptions: { autoRetry: true, maxRetries: 2, retryDelayMultiplier: 2, maxRetryDelay: 4, totalTimeout: 120 },
  });
  const bucket = d.parameters.bucket as string;
  const name = (d.parameters.file as string).replace(/^\/+/, '');
  return { bucket, name, file: storage.bucket(bucket).file(name), tokenUri: sa.token_uri };
}

function gcsFailure(err: unknown, t: GcsTarget, action: 'download' | 'upload'): Error {
  if ((err as Error)?.name === 'CloudError') return err as Error;
  if (err instanceof TokenRefusedError || (err as Error)?.name === 'TokenRefusedError') {
    if ((err as TokenRefusedError).status >= 500)
      return cloudError('unreachable', `the Google token endpoint failed (HTTP ${(err as TokenRefusedError).status})`);
    return cloudError(
      'auth',
      `Google refused the service account key: ${(err as Error).message.replace(/^the token endpoint refused the service account key /, '')}`,
    );
  }
  const code = Number((err as { code?: unknown }).code);
  const message = String((err as Error)?.message ?? '');
  const net = networkReason(err);
  if (net && !(code >= 400)) return cloudError('unreachable', `Google Cloud Storage ${net}`);
  if (code === 401) return cloudError('auth', 'Google Cloud Storage refused the credentials of the service account');
  if (code === 403) return cloudError('permission', `permission denied to ${action} "${t.name}" in bucket "${t.bucket}"`);
  if (code === 404) {
    if (/bucket/i.test(message) && !/object/i.test(message)) return cloudError('not_found', `the bucket "${t.bucket}" does not exist`);
    return cloudError('not_found', `the file "${t.name}" does not exist in bucket "${t.bucket}"`);
  }
  if (code === 412) return cloudError('exists', `"${t.name}" already exists in bucket "${t.bucket}" and is not overwritten`);
  if (code === 400 && /invalid/i.test(message)) return cloudError('invalid', `Google Cloud Storage refused the request for "${t.name}" as invalid`);
  return cloudError('error', `Google Cloud Storage ${action} of gs://${t.bucket}/${t.name} failed${code ? ` (HTTP ${code})` : ''}`);
}

export async function fetchGcs(
  d: CloudDescriptor,
  destPath: string,
  opts: { endpoints?: CloudEndpoints; signal?: AbortSignal; maxBytes?: number },
): Promise<number> {
  const t = open(d, opts.endpoints, opts.signal);
  try {
    const [meta] = await t.file.getMetadata();
    if (opts.maxBytes !== undefined && Number(meta.size ?? 0) > opts.maxBytes) throw tooLarge(opts.maxBytes);
    return await saveStream(t.file.createReadStream({ validation: 'crc32c' }), destPath, opts);
  } catch (err) {
    if (opts.signal?.aborted) throw opts.signal.reason;
    throw gcsFailure(err, t, 'download');
  }
}

export async function uploadGcs(
  d: CloudDescriptor,
  filePath: string,
  opts: { endpoints?: CloudEndpoints; signal?: AbortSignal; contentType?: string },
): Promise<string> {
  const t = open(d, opts.endpoints, opts.signal);
  // ifGenerationMatch=0: GCS writes only if no object of that name exists (412 otherwise).
  const preconditionOpts = { ifGenerationMatch: 0 };
  const metadata = opts.contentType ? { contentType: opts.contentType } : undefined;
  try {
    const { size } = await stat(filePath);
    let sink;
    if (size < RESUMABLE_FROM) {
      sink = t.file.createWriteStream({ resumable: false, preconditionOpts, metadata, validation: 'crc32c' });
    } else {
      // Session first (authenticated), then chunks to the session URI, which is its own credential.
      const [uri] = await t.file.createResumableUpload({ preconditionOpts, metadata });
      sink = t.file.createWriteStream({ resumable: true, uri, preconditionOpts, metadata, validation: 'crc32c', chunkSize: 8 * 1024 * 1024 });
    }
    await pipeline(createReadStream(filePath), sink, { signal: opts.signal });
    return `gs://${t.bucket}/${t.name}`;
  } catch (err) {
    if (opts.signal?.aborted) throw opts.signal.reason;
    throw gcsFailure(err, t, 'upload');
  }
}
