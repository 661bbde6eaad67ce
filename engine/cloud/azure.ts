/** Azure Blob Storage input and output target (@azure/storage-blob, shared-key auth). */
import { stat } from 'node:fs/promises';
import { BlobServiceClient, RestError, StorageSharedKeyCredential, type BlockBlobClient } from '@azure/storage-blob';
import { cloudError, networkReason } from './errors';
import { saveStream, tooLarge } from './stream-file';
import type { CloudDescriptor, CloudEndpoints } from './types';

interface AzureTarget {
  container: string;
  blobName: string;
  blob: BlockBlobClient;
}

function open(d: CloudDescriptor, endpoints?: CloudEndpoints): AzureTarget {
  const account = d.credentials.accountname as string;
  const container = d.parameters.container as string;
  const blobName = (d.parameters.file as string).replace(/^\/+/, '');
  // An endpoint override may name the account as `{account}` (Azurite: http://host:port/{account}).
  const url = endpoints?.azure ? endpoints.azure.replace(/\/+$/, '').split('{account}').join(account) : `https://${account}.blob.core.windows.net`;
  const service = new BlobServiceClient(url, new StorageSharedKeyCredential(account, d.credentials.accountkey as string), {
    retryOptions: { maxTries: 3, retryDelayInMs: 500, maxRetryDelayInMs: 4000 },
  });
  return { container, blobName, blob: service.getContainerClient(container).getBlockBlobClient(blobName) };
}

function azureFailure(err: unknown, t: AzureTarget, action: 'download' | 'upload'): Error {
  if ((err as Error)?.name === 'CloudError') return err as Error;
  const rest = err instanceof RestError || (err as Error)?.name === 'RestError' ? (err as RestError) : undefined;
  const status = rest?.statusCode;
  const code = String((rest?.details as { errorCode?: string } | undefined)?.errorCode ?? rest?.code ?? '');
  const net = networkReason(err);
  // The account name is part of the credentials: messages never repeat it.
  if (net && !status) {
    const hint = net === 'could not be resolved' ? ' (check the storage account name)' : '';
    return cloudError('unreachable', `the Azure Blob Storage endpoint ${net}${hint}`);
  }
  if (code === 'ContainerNotFound') return cloudError('not_found', `the container "${t.container}" does not exist`);
  if (code === 'BlobNotFound' || (status === 404 && action === 'download')) {
    return cloudError('not_found', `the file "${t.blobName}" does not exist in container "${t.container}"`);
  }
  if (code === 'AccountIsDisabled') return cloudError('auth', 'the Azure storage account is disabled');
  // Rights that a shared key has but the network, protocol or policy denies.
  if (/^Authorization(Permission|SourceIP|Protocol|ResourceType|Service)Mismatch$/.test(code)) {
    return cloudError('permission', `permission denied to ${action} "${t.blobName}" in container "${t.container}" (${code})`);
  }
  // The account key may do everything: any other 403 means the key (or account name) is wrong.
  if (code === 'AuthenticationFailed' || code === 'InvalidAuthenticationInfo' || code === 'AuthorizationFailure' || status === 403) {
    return cloudError('auth', 'Azure refused the storage account name or account key');
  }
  if (code === 'BlobAlreadyExists' || status === 409 || status === 412) {
    return cloudError('exists', `"${t.blobName}" already exists in container "${t.container}" and is not overwritten`);
  }
  if (code === 'InvalidResourceName' || code === 'InvalidUri') return cloudError('invalid', `"${t.blobName}" is not a valid blob name`);
  return cloudError(
    'error',
    `Azure ${action} of "${t.blobName}" in container "${t.container}" failed${status ? ` (HTTP ${status}${code ? ` ${code}` : ''})` : ''}`,
  );
}

export async function fetchAzure(
  d: CloudDescriptor,
  destPath: string,
  opts: { endpoints?: CloudEndpoints; signal?: AbortSignal; maxBytes?: number },
): Promise<number> {
  const t = open(d, opts.endpoints);
  try {
    const res = await t.blob.download(0, undefined, { abortSignal: opts.signal, maxRetryRequests: 3 });
    const body = res.readableStreamBody as NodeJS.ReadableStream | undefined;
    if (!body) throw cloudError('error', `Azure sent no content for "${t.blobName}"`);
    if (opts.maxBytes !== undefined && (res.contentLength ?? 0) > opts.maxBytes) {
      (body as unknown as { destroy(): void }).destroy();
      throw tooLarge(opts.maxBytes);
    }
    return await saveStream(body as unknown as import('node:stream').Readable, destPath, opts);
  } catch (err) {
    if (opts.signal?.aborted) throw opts.signal.reason;
    throw azureFailure(err, t, 'download');
  }
}

export async function uploadAzure(
  d: CloudDescriptor,
  filePath: string,
  opts: { endpoints?: CloudEndpoints; signal?: AbortSignal; contentType?: string },
): Promise<string> {
  const t = open(d, opts.endpoints);
  try {
    // Early, clear refusal; the If-None-Match condition below makes it atomic.
    if (await t.blob.exists({ abortSignal: opts.signal })) {
      throw cloudError('exists', `"${t.blobName}" already exists in container "${t.container}" and is not overwritten`);
    }
    const { size } = await stat(filePath);
    await t.blob.uploadFile(filePath, {
      abortSignal: opts.signal,
      conditions: { ifNoneMatch: '*' },
      blobHTTPHeaders: opts.contentType ? { blobContentType: opts.contentType } : undefined,
      blockSize: size > 256 * 1024 * 1024 ? 8 * 1024 * 1024 : undefined,
      concurrency: 2,
    });
    return t.blob.url;
  } catch (err) {
    if (opts.signal?.aborted) throw opts.signal.reason;
    throw azureFailure(err, t, 'upload');
  }
}
