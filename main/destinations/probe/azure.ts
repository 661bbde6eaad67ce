/**
 * Azure Blob "Test connection" with @azure/storage-blob: write a small probe blob (create-only)
 * where results will go, then delete it.
 */
import { BlobServiceClient, RestError, StorageSharedKeyCredential } from '@azure/storage-blob';
import { azureServiceUrl } from '../descriptors';
import { networkFailure, PROBE_BODY, probeFileName, ProbeFailure, quote, staticPrefix, type ProbeContext } from './common';

export interface AzureProbeInput {
  container: string;
  accountname: string;
  accountkey: string;
  file: string;
}

export async function probeAzure(p: AzureProbeInput, ctx: ProbeContext, endpoint?: string): Promise<string> {
  const url = azureServiceUrl(p.accountname, endpoint);
  const where = `Azure storage account "${p.accountname}"`;
  let credential: StorageSharedKeyCredential;
  try {
    credential = new StorageSharedKeyCredential(p.accountname, p.accountkey);
  } catch {
    throw new ProbeFailure('invalid', 'The account key is not valid base64; copy it again from Access keys');
  }
  const service = new BlobServiceClient(url, credential, {
    retryOptions: { maxTries: 1, tryTimeoutInMs: ctx.timeoutMs },
  });
  const container = service.getContainerClient(p.container);
  const prefix = staticPrefix(p.file).replace(/^\/+/, '');
  const blobName = `${prefix ? `${prefix}/` : ''}${probeFileName()}`;
  const blob = container.getBlockBlobClient(blobName);
  const signal = AbortSignal.timeout(ctx.timeoutMs);

  try {
    await blob.upload(PROBE_BODY, Buffer.byteLength(PROBE_BODY), {
      conditions: { ifNoneMatch: '*' },
      blobHTTPHeaders: { blobContentType: 'text/plain' },
      abortSignal: signal,
    });
  } catch (err) {
    throw classify(err, where, p.container, 'write', ctx);
  }
  try {
    await blob.delete({ abortSignal: AbortSignal.timeout(ctx.timeoutMs) });
  } catch (err) {
    const f = classify(err, where, p.container, 'delete', ctx);
    if (f.code === 'permission') {
      throw new ProbeFailure('permission', `Wrote a probe blob to container "${p.container}" but may not delete it; remove ${blobName} by hand`);
    }
    throw f;
  }
  return `Signed in to ${where} and wrote and deleted a test blob in container "${p.container}"`;
}

export function classify(err: unknown, where: string, container: string, action: string, ctx: ProbeContext): ProbeFailure {
  if (err instanceof ProbeFailure) return err;
  if (err instanceof RestError && err.statusCode) {
    const code = String(err.code ?? (err.details as { errorCode?: string } | undefined)?.errorCode ?? '');
    if (code === 'ContainerNotFound' || (err.statusCode === 404 && action === 'write')) {
      return new ProbeFailure('missing_container', `The container "${container}" does not exist in ${where}; create it first`);
    }
    if (code === 'AuthenticationFailed' || err.statusCode === 401) {
      return new ProbeFailure('auth', `${where} rejected the account key (${code || err.statusCode}); copy the key again from Access keys`);
    }
    if (code === 'AuthorizationFailure') {
      // With an account key (full access) this means a wrong key (Azurite) or the account's
      // firewall refusing this network (Azure); both are about getting in, not about rights.
      return new ProbeFailure(
        'auth',
        `${where} rejected the account key or refused access from this network (AuthorizationFailure); copy the key again from Access keys and check the account's firewall settings`,
      );
    }
    if (code === 'InvalidResourceName') {
      return new ProbeFailure('invalid', `"${container}" is not a valid container name`);
    }
    if (err.statusCode === 403) {
      return new ProbeFailure('permission', `${where} does not allow this account to ${action} blobs in "${container}" (${code || 403})`);
    }
    if (err.statusCode === 409 && code === 'BlobAlreadyExists') {
      return new ProbeFailure('error', 'A probe blob with the same name already exists; try again');
    }
    return new ProbeFailure('error', `${where} answered HTTP ${err.statusCode}${code ? ` ${code}` : ''}: ${quote(err.message.split('\n')[0], ctx)}`);
  }
  if ((err as { name?: string })?.name === 'AbortError') return new ProbeFailure('unreachable', `Cannot reach ${where}: no answer within the time limit`);
  return networkFailure(err, where) ?? new ProbeFailure('error', `Azure test failed: ${quote((err as Error)?.message, ctx)}`);
}
