/**
 * Listing what is in a cloud account (bucket, container or FTP folder) with each provider's
 * official client: one level with folders for the desktop's "Add from cloud…", or every object
 * under a prefix for `convoy convert --input-cloud … --input-param file=photos/` (or a wildcard).
 * Failures are ProbeFailures ('auth', 'missing_container', 'unreachable'…) whose message quotes the
 * provider's own words, with the account's secrets masked.
 */
import type { ResolvedProfile } from './descriptors';
import type { CloudEndpoints } from './probe';
import { networkFailure, ProbeFailure, quote, type ProbeContext } from './probe/common';

export interface CloudEntry {
  /** Full object key (folders end with "/"). */
  key: string;
  /** Last segment, for display. */
  name: string;
  folder: boolean;
  size: number | null;
}

export interface ListOptions {
  /** Only keys starting with this. */
  prefix: string;
  /** true: one level (objects and sub-folders); false: every object under the prefix. */
  hierarchical: boolean;
  /** Stop after this many entries (then `truncated`). */
  limit: number;
  endpoints?: CloudEndpoints;
  timeoutMs?: number;
}

export interface ListResult {
  entries: CloudEntry[];
  truncated: boolean;
}

type RawPage = { objects: Array<{ key: string; size: number | null }>; folders: string[]; next: string | null };

/** Lists a profile's objects; see ListOptions. */
export async function listObjects(p: ResolvedProfile, opts: ListOptions): Promise<ListResult> {
  const ctx: ProbeContext = { timeoutMs: opts.timeoutMs ?? 20_000, secrets: Object.values(p.secrets) };
  const prefix = p.type === 'ftp' ? opts.prefix : opts.prefix.replace(/^\/+/, '');
  try {
    const pages = await pager(p, prefix, opts, ctx);
    const entries: CloudEntry[] = [];
    const seenFolders = new Set<string>();
    let token: string | null = null;
    let truncated = false;
    do {
      const page = await pages(token);
      for (const f of page.folders) addFolder(f);
      for (const o of page.objects) {
        const rest = o.key.slice(prefix.length);
        // A server that ignores the delimiter still shows one level.
        if (opts.hierarchical && rest.includes('/')) {
          addFolder(prefix + rest.slice(0, rest.indexOf('/') + 1));
          continue;
        }
        if (o.key.endsWith('/')) continue; // a folder marker
        entries.push({ key: o.key, name: lastSegment(o.key), folder: false, size: o.size });
      }
      token = page.next;
      if (entries.length >= opts.limit) {
        truncated = entries.length > opts.limit || token !== null;
        entries.length = Math.min(entries.length, opts.limit);
        break;
      }
    } while (token);
    entries.sort((a, b) => (a.folder !== b.folder ? (a.folder ? -1 : 1) : a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return { entries, truncated };

    function addFolder(key: string): void {
      if (seenFolders.has(key) || key === prefix) return;
      seenFolders.add(key);
      entries.push({ key, name: lastSegment(key.replace(/\/+$/, '')), folder: true, size: null });
    }
  } catch (err) {
    if (err instanceof ProbeFailure) throw err;
    throw (
      networkFailure(err, providerName(p.type)) ??
      new ProbeFailure('error', `Listing ${providerName(p.type)} failed: ${quote((err as Error)?.message ?? err, ctx, 400)}`)
    );
  }
}

function lastSegment(key: string): string {
  return key.replace(/\/+$/, '').split('/').pop() || key;
}

function providerName(type: ResolvedProfile['type']): string {
  return { amazons3: 'Amazon S3', azure: 'Azure Blob Storage', googlecloud: 'Google Cloud Storage', ftp: 'the FTP server' }[type];
}

/** "… — Amazon S3 says: …" so the user reads the provider's own words too. */
function withWords(f: ProbeFailure, provider: string, err: unknown, ctx: ProbeContext): ProbeFailure {
  const words = quote(String((err as Error)?.message ?? '').split('\n')[0], ctx, 300);
  if (!words || f.message.includes(words)) return f;
  return new ProbeFailure(f.code, `${f.message} — ${provider} says: "${words}"`);
}

async function pager(p: ResolvedProfile, prefix: string, opts: ListOptions, ctx: ProbeContext): Promise<(token: string | null) => Promise<RawPage>> {
  const f = p.fields;
  const s = p.secrets;
  const pageSize = Math.min(1000, Math.max(10, opts.limit + 1));
  switch (p.type) {
    case 'amazons3': {
      const { ListObjectsV2Command } = await import('@aws-sdk/client-s3');
      const { s3Client, classify } = await import('./probe/s3');
      const input = {
        bucket: String(f.bucket),
        region: String(f.region ?? 'eu-central-1'),
        accesskeyid: String(f.accesskeyid),
        secretaccesskey: s.secretaccesskey ?? '',
        sessiontoken: s.sessiontoken,
        file: '',
      };
      const client = s3Client(input, ctx.timeoutMs, opts.endpoints?.amazons3);
      const where = opts.endpoints?.amazons3 ? `the S3 endpoint` : `Amazon S3 (${input.region})`;
      return async (token) => {
        try {
          const out = await client.send(
            new ListObjectsV2Command({
              Bucket: input.bucket,
              Prefix: prefix || undefined,
              Delimiter: opts.hierarchical ? '/' : undefined,
              ContinuationToken: token ?? undefined,
              MaxKeys: pageSize,
            }),
            { abortSignal: AbortSignal.timeout(ctx.timeoutMs) },
          );
          return {
            objects: (out.Contents ?? []).map((o) => ({ key: o.Key ?? '', size: o.Size ?? null })).filter((o) => o.key),
            folders: (out.CommonPrefixes ?? []).map((c) => c.Prefix ?? '').filter(Boolean),
            next: out.IsTruncated && out.NextContinuationToken ? out.NextContinuationToken : null,
          };
        } catch (err) {
          throw withWords(classify(err, where, input, 'list', ctx), 'Amazon S3', err, ctx);
        }
      };
    }
    case 'azure': {
      const { BlobServiceClient, StorageSharedKeyCredential } = await import('@azure/storage-blob');
      const { azureServiceUrl } = await import('./descriptors');
      const { classify } = await import('./probe/azure');
      const account = String(f.accountname);
      let credential: InstanceType<typeof StorageSharedKeyCredential>;
      try {
        credential = new StorageSharedKeyCredential(account, s.accountkey ?? '');
      } catch {
        throw new ProbeFailure('invalid', 'The account key is not valid base64; copy it again from Access keys');
      }
      const service = new BlobServiceClient(azureServiceUrl(account, opts.endpoints?.azure), credential, {
        retryOptions: { maxTries: 1, tryTimeoutInMs: ctx.timeoutMs },
      });
      const container = service.getContainerClient(String(f.container));
      const where = `Azure storage account "${account}"`;
      return async (token) => {
        try {
          const options = { prefix: prefix || undefined, abortSignal: AbortSignal.timeout(ctx.timeoutMs) };
          const iter = opts.hierarchical
            ? container.listBlobsByHierarchy('/', options).byPage({ maxPageSize: pageSize, continuationToken: token ?? undefined })
            : container.listBlobsFlat(options).byPage({ maxPageSize: pageSize, continuationToken: token ?? undefined });
          const { value, done } = await iter.next();
          if (done || !value) return { objects: [], folders: [], next: null };
          const segment = value.segment as {
            blobItems: Array<{ name: string; properties: { contentLength?: number } }>;
            blobPrefixes?: Array<{ name: string }>;
          };
          return {
            objects: segment.blobItems.map((b) => ({ key: b.name, size: b.properties.contentLength ?? null })),
            folders: (segment.blobPrefixes ?? []).map((b) => b.name),
            next: value.continuationToken || null,
          };
        } catch (err) {
          throw withWords(classify(err, where, String(f.container), 'list', ctx), 'Azure', err, ctx);
        }
      };
    }
    case 'googlecloud': {
      const { serviceAccountToken, gcsStorage, classify } = await import('./probe/gcs');
      let keyfile: { client_email: string; private_key: string; token_uri?: string };
      try {
        keyfile = JSON.parse(s.keyfile ?? '') as typeof keyfile;
      } catch {
        throw new ProbeFailure('invalid', 'The key file is not valid JSON');
      }
      const token = await serviceAccountToken(keyfile, ctx);
      const bucket = gcsStorage(String(f.projectid), token, opts.endpoints?.googlecloud).bucket(String(f.bucket));
      return async (pageToken) => {
        try {
          const [files, next, response] = await bucket.getFiles({
            prefix: prefix || undefined,
            delimiter: opts.hierarchical ? '/' : undefined,
            autoPaginate: false,
            maxResults: pageSize,
            pageToken: pageToken ?? undefined,
          });
          return {
            objects: files.map((file) => ({ key: file.name, size: file.metadata.size !== undefined ? Number(file.metadata.size) : null })),
            folders: ((response as { prefixes?: string[] } | undefined)?.prefixes ?? []).filter(Boolean),
            next: (next as { pageToken?: string } | null)?.pageToken ?? null,
          };
        } catch (err) {
          throw withWords(classify(err, keyfile.client_email, `bucket "${String(f.bucket)}"`, 'list', ctx, String(f.bucket)), 'Google Cloud Storage', err, ctx);
        }
      };
    }
    case 'ftp':
      return ftpPager(p, prefix, opts, ctx);
  }
}

/** FTP has no prefixes: list the prefix's folder (and, flat, its sub-folders) in one go. */
async function ftpPager(p: ResolvedProfile, prefix: string, opts: ListOptions, ctx: ProbeContext): Promise<(token: string | null) => Promise<RawPage>> {
  const { Client, FTPError } = await import('basic-ftp');
  const host = String(p.fields.host);
  const port = Number(p.fields.port ?? 21);
  const where = `the FTP server ${host}:${port}`;
  const client = new Client(ctx.timeoutMs);
  const dir = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/') + 1) : '';
  const objects: RawPage['objects'] = [];
  const folders: string[] = [];
  try {
    try {
      await client.access({ host, port, user: String(p.fields.username), password: p.secrets.password ?? '', secure: false });
    } catch (err) {
      if (err instanceof FTPError && (err.code === 530 || err.code === 331 || err.code === 332)) {
        throw new ProbeFailure(
          'auth',
          `Login failed on ${where}: the server rejected the username or password (${err.code} ${quote(err.message.replace(/^\d+\s*/, ''), ctx)})`,
        );
      }
      throw networkFailure(err, where) ?? new ProbeFailure('error', `Could not log in to ${where}: ${quote((err as Error).message, ctx)}`);
    }
    const walk = async (folder: string, depth: number): Promise<void> => {
      let list;
      try {
        list = await client.list(folder || undefined);
      } catch (err) {
        if (err instanceof FTPError && err.code >= 500) {
          throw new ProbeFailure(
            'missing_container',
            `The folder "${folder || '/'}" cannot be listed on ${where} (${err.code} ${quote(err.message.replace(/^\d+\s*/, ''), ctx)})`,
          );
        }
        throw err;
      }
      for (const e of list.sort((a, b) => (a.name < b.name ? -1 : 1))) {
        if (e.name === '.' || e.name === '..') continue;
        const key = `${folder}${e.name}`;
        if (e.isDirectory) {
          if (!(key + '/').startsWith(prefix) && !prefix.startsWith(key + '/')) continue;
          if (opts.hierarchical) folders.push(`${key}/`);
          else if (depth < 20 && objects.length <= opts.limit) await walk(`${key}/`, depth + 1);
        } else if (key.startsWith(prefix)) {
          objects.push({ key, size: e.size ?? null });
        }
      }
    };
    await walk(dir, 0);
  } finally {
    client.close();
  }
  return async () => ({ objects, folders, next: null });
}

// ---------------------------------------------------------------------------------------------
// Prefixes and wildcards (`file=photos/`, `file=photos/*.jpg`, `prefix=photos/`)
// ---------------------------------------------------------------------------------------------

/** What a `file` parameter asks for: one object, everything under a prefix, or a pattern. */
export function fileSelection(
  file: string,
): { kind: 'one'; key: string } | { kind: 'prefix'; prefix: string } | { kind: 'pattern'; prefix: string; match: RegExp } {
  const wild = file.search(/[*?[]/);
  if (wild >= 0) {
    const prefix = file.slice(0, wild);
    return { kind: 'pattern', prefix, match: globToRegExp(file) };
  }
  if (file === '' || file.endsWith('/')) return { kind: 'prefix', prefix: file };
  return { kind: 'one', key: file };
}

/** `*` any run without "/", `**` any run, `?` one character, `[abc]` a class. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        re += '.*';
        i++;
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        re += `[${glob.slice(i + 1, end).replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}
