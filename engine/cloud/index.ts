/**
 * Cloud inputs and output targets: Amazon S3, Azure Blob Storage, FTP and Google Cloud Storage,
 * as the api2convert guide defines their fields. Files are streamed, never held in memory; an
 * existing remote file is never overwritten; every failure is a CloudError whose message names
 * what was wrong and never contains a credential.
 */
import path from 'node:path';
import { fetchAzure, uploadAzure } from './azure';
import { cloudError, scrubbed } from './errors';
import { fetchFtp, uploadFtp } from './ftp';
import { fetchGcs, uploadGcs } from './gcs';
import { fetchS3, uploadS3 } from './s3';
import { CloudError, type CloudDescriptor, type CloudEndpoints } from './types';
import { validateCloudDescriptor } from './validate';

export { CloudError } from './types';
export type { CloudDescriptor, CloudEndpoints, CloudSource } from './types';
export { validateCloudDescriptor } from './validate';

const PROVIDER_NAMES = { amazons3: 'Amazon S3', azure: 'Azure Blob Storage', ftp: 'FTP', googlecloud: 'Google Cloud Storage' } as const;

function ensureValid(d: CloudDescriptor): void {
  const problem = validateCloudDescriptor(d);
  if (problem) throw cloudError('invalid', `invalid ${PROVIDER_NAMES[d?.provider as keyof typeof PROVIDER_NAMES] ?? 'cloud'} descriptor: ${problem}`);
}

/** Whatever escaped the provider's own mapping still becomes a CloudError without secrets. */
function finalError(err: unknown, d: CloudDescriptor, action: string): unknown {
  const cloud =
    err instanceof CloudError || (err as Error)?.name === 'CloudError'
      ? (err as CloudError)
      : cloudError('error', `${PROVIDER_NAMES[d.provider] ?? d.provider} ${action} failed: ${String((err as Error)?.message ?? err).slice(0, 300)}`);
  return scrubbed(cloud, d.credentials);
}

function isAbort(err: unknown, signal?: AbortSignal): boolean {
  return !!signal?.aborted && (err === signal.reason || (err as Error)?.name === 'AbortError');
}

/**
 * Downloads the descriptor's file to destPath (streamed). `filename` is the remote base name.
 * Rejects with CloudError, or with signal.reason when aborted; never leaves a partial destPath.
 */
export async function fetchCloudInput(
  d: CloudDescriptor,
  destPath: string,
  opts: { endpoints?: CloudEndpoints; signal?: AbortSignal; maxBytes?: number } = {},
): Promise<{ filename: string; size: number }> {
  try {
    ensureValid(d);
    if (opts.signal?.aborted) throw opts.signal.reason;
    let size: number;
    switch (d.provider) {
      case 'amazons3':
        size = await fetchS3(d, destPath, opts);
        break;
      case 'azure':
        size = await fetchAzure(d, destPath, opts);
        break;
      case 'ftp':
        size = await fetchFtp(d, destPath, opts);
        break;
      case 'googlecloud':
        size = await fetchGcs(d, destPath, opts);
        break;
    }
    return { filename: path.posix.basename(d.parameters.file as string), size };
  } catch (err) {
    if (isAbort(err, opts.signal)) throw err;
    throw finalError(err, d, 'download');
  }
}

/**
 * Uploads filePath to the descriptor's file (streamed). Refuses (CloudError kind 'exists') when a
 * file of that name is already there. `location` names the stored file, without credentials.
 */
export async function uploadToTarget(
  d: CloudDescriptor,
  filePath: string,
  opts: { endpoints?: CloudEndpoints; signal?: AbortSignal; contentType?: string } = {},
): Promise<{ location: string }> {
  try {
    ensureValid(d);
    if (opts.signal?.aborted) throw opts.signal.reason;
    switch (d.provider) {
      case 'amazons3':
        return { location: await uploadS3(d, filePath, opts) };
      case 'azure':
        return { location: await uploadAzure(d, filePath, opts) };
      case 'ftp':
        return { location: await uploadFtp(d, filePath, opts) };
      case 'googlecloud':
        return { location: await uploadGcs(d, filePath, opts) };
    }
    throw cloudError('invalid', `unknown cloud provider`);
  } catch (err) {
    if (isAbort(err, opts.signal)) throw err;
    throw finalError(err, d, 'upload');
  }
}
