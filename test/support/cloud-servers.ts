/**
 * Real local cloud servers for tests: Azurite (Azure Blob), ftp-srv, s3rver (Amazon S3) and a
 * Google Cloud Storage stand-in. Each starts on 127.0.0.1 with an OS-chosen port, keeps its data in
 * a temp folder, and is gone after `close()` (call it in afterAll).
 *
 * `credentials` are always in api2convert's field names, ready for a cloud descriptor.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import FtpSrv, { FileSystem } from 'ftp-srv';

import { sigV4Mismatch, signatureDoesNotMatchXml } from './s3-sigv4';

export { startGcsStandIn, type GcsStandIn, type GcsKeyfile } from './gcs-stand-in';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

// ───────────────────────────────────────────── Azurite ─────────────────────────────────────────────

/** Azurite's default development account: public, documented values, not secrets. */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface RunningAzurite {
  /** Blob endpoint including the account: `http://127.0.0.1:<port>/devstoreaccount1`. */
  endpoint: string;
  host: string;
  port: number;
  accountName: string;
  accountKey: string;
  credentials: { accountname: string; accountkey: string };
  connectionString: string;
  createContainer(name: string): Promise<void>;
  put(container: string, blob: string, data: Buffer | string): Promise<void>;
  /** The blob's bytes, or null when absent. */
  get(container: string, blob: string): Promise<Buffer | null>;
  close(): Promise<void>;
}

const liveChildren = new Set<ChildProcess>();
process.once('exit', () => {
  // Last resort if a test run dies before afterAll: never leave Azurite behind.
  for (const c of liveChildren) c.kill('SIGKILL');
});

export async function startAzurite(opts: { startTimeoutMs?: number } = {}): Promise<RunningAzurite> {
  const location = await mkdtemp(path.join(os.tmpdir(), 'convoy-azurite-'));
  const main = path.join(repoRoot, 'node_modules', 'azurite', 'dist', 'src', 'blob', 'main.js');
  const child = spawn(
    process.execPath,
    [main, '--blobHost', '127.0.0.1', '--blobPort', '0', '--location', location, '--disableTelemetry', '--silent', '--skipApiVersionCheck', '--loose'],
    { cwd: location, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, AZURITE_ACCOUNTS: '' } },
  );
  liveChildren.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => liveChildren.delete(child));

  let output = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`Azurite did not start within ${opts.startTimeoutMs ?? 30000} ms:\n${output}`)),
      opts.startTimeoutMs ?? 30000,
    );
    const onData = (d: Buffer) => {
      output += d.toString();
      const m = /successfully listens on http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Azurite exited (${code}) before listening:\n${output}`));
    });
  }).catch(async (err) => {
    child.kill('SIGKILL');
    await exited;
    await rm(location, { recursive: true, force: true });
    throw err;
  });
  // Keep reading so a full pipe never blocks the child.
  child.stdout!.resume();
  child.stderr!.resume();

  const endpoint = `http://127.0.0.1:${port}/${AZURITE_ACCOUNT}`;
  const service = new BlobServiceClient(endpoint, new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY));
  return {
    endpoint,
    host: '127.0.0.1',
    port,
    accountName: AZURITE_ACCOUNT,
    accountKey: AZURITE_KEY,
    credentials: { accountname: AZURITE_ACCOUNT, accountkey: AZURITE_KEY },
    connectionString: `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};BlobEndpoint=${endpoint};`,
    async createContainer(name) {
      await service.getContainerClient(name).createIfNotExists();
    },
    async put(container, blob, data) {
      const buf = typeof data === 'string' ? Buffer.from(data) : data;
      await service.getContainerClient(container).getBlockBlobClient(blob).uploadData(buf);
    },
    async get(container, blob) {
      const client = service.getContainerClient(container).getBlobClient(blob);
      if (!(await client.exists())) return null;
      return client.downloadToBuffer();
    },
    async close() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      await rm(location, { recursive: true, force: true });
    },
  };
}

// ───────────────────────────────────────────── FTP ─────────────────────────────────────────────────

export interface RunningFtpServer {
  host: string;
  port: number;
  /** The folder the accounts see as `/`. */
  root: string;
  credentials: { username: string; password: string };
  /** An account that can list and download but not store, delete, rename or create folders. */
  readOnlyCredentials: { username: string; password: string };
  put(remotePath: string, data: Buffer | string): Promise<void>;
  /** The file's bytes, or null when absent. */
  get(remotePath: string): Promise<Buffer | null>;
  close(): Promise<void>;
}

/** Silent logger with the bunyan surface ftp-srv calls. */
function quietLogger(): unknown {
  const log: Record<string, unknown> = {};
  for (const level of ['trace', 'debug', 'info', 'warn', 'error', 'fatal']) log[level] = () => undefined;
  log.child = () => log;
  return log;
}

function withinRoot(root: string, remotePath: string): string {
  const full = path.resolve(root, `.${path.posix.resolve('/', remotePath)}`);
  if (!full.startsWith(root)) throw new Error(`Path escapes the FTP root: ${remotePath}`);
  return full;
}

export async function startFtpServer(opts: { readOnly?: boolean } = {}): Promise<RunningFtpServer> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'convoy-ftp-'));
  const credentials = { username: 'convoy', password: `pw-${randomBytes(9).toString('base64url')}` };
  const readOnlyCredentials = { username: 'reader', password: `ro-${randomBytes(9).toString('base64url')}` };

  // ftp-srv registers SIGTERM/SIGINT/SIGQUIT handlers per instance; remove ours on close.
  const signals = ['SIGTERM', 'SIGINT', 'SIGQUIT'] as const;
  const before = new Map(signals.map((s) => [s, new Set(process.listeners(s))]));

  const server = new FtpSrv({
    url: 'ftp://127.0.0.1:0',
    pasv_url: '127.0.0.1',
    // A range of one "port 0": every passive data connection gets an OS-chosen free port.
    pasv_min: 0,
    pasv_max: 0,
    anonymous: false,
    greeting: 'Convoy test FTP server',
    log: quietLogger() as never,
  });
  const added = new Map(signals.map((s) => [s, process.listeners(s).filter((l) => !before.get(s)!.has(l))]));

  class ReadOnlyFileSystem extends FileSystem {
    override write(): never {
      throw new Error('Permission denied');
    }
    override mkdir(): never {
      throw new Error('Permission denied');
    }
    override delete(): never {
      throw new Error('Permission denied');
    }
    override rename(): never {
      throw new Error('Permission denied');
    }
    override chmod(): never {
      throw new Error('Permission denied');
    }
  }

  server.on('login', ({ connection, username, password }, resolve, reject) => {
    if (!opts.readOnly && username === credentials.username && password === credentials.password) {
      return resolve({ root });
    }
    if (username === readOnlyCredentials.username && password === readOnlyCredentials.password) {
      return resolve({ fs: new ReadOnlyFileSystem(connection, { root, cwd: '/' }) });
    }
    if (opts.readOnly && username === credentials.username && password === credentials.password) {
      return resolve({ fs: new ReadOnlyFileSystem(connection, { root, cwd: '/' }) });
    }
    reject(new Error('Login incorrect.'));
  });
  server.on('client-error', () => undefined);
  await server.listen();
  const port = ((server as unknown as { server: import('node:net').Server }).server.address() as AddressInfo).port;

  return {
    host: '127.0.0.1',
    port,
    root,
    credentials,
    readOnlyCredentials,
    async put(remotePath, data) {
      const full = withinRoot(root, remotePath);
      await mkdir(path.dirname(full), { recursive: true });
      await writeFile(full, data);
    },
    async get(remotePath) {
      try {
        return await readFile(withinRoot(root, remotePath));
      } catch {
        return null;
      }
    },
    async close() {
      await server.close();
      for (const [s, listeners] of added) for (const l of listeners) process.removeListener(s, l as never);
      await rm(root, { recursive: true, force: true });
    },
  };
}

// ───────────────────────────────────────────── S3 ──────────────────────────────────────────────────

export interface RunningS3rver {
  /** For CloudEndpoints.amazons3 (path-style requests). */
  endpoint: string;
  host: string;
  port: number;
  region: string;
  /** Fresh random keys, registered for this server only. */
  credentials: { accesskeyid: string; secretaccesskey: string };
  createBucket(name: string): Promise<void>;
  put(bucket: string, key: string, data: Buffer | string): Promise<void>;
  /** The object's bytes, or null when absent. */
  get(bucket: string, key: string): Promise<Buffer | null>;
  /** A client already pointed at this server with these credentials. */
  client: S3Client;
  close(): Promise<void>;
}

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  httpServer?: import('node:http').Server;
  /** Koa's middleware stack (composed when the server starts). */
  middleware: Array<(ctx: KoaContext, next: () => Promise<void>) => Promise<void> | void>;
}

interface KoaContext {
  req: import('node:http').IncomingMessage;
  status: number;
  type: string;
  body: unknown;
}

export async function startS3rver(opts: { buckets?: string[] } = {}): Promise<RunningS3rver> {
  const directory = await mkdtemp(path.join(os.tmpdir(), 'convoy-s3rver-'));
  const { default: S3rver } = (await import('s3rver')) as unknown as { default: new (o: object) => S3rverInstance };
  const { default: AWSAccount } = (await import('s3rver/lib/models/account.js')) as unknown as {
    default: {
      DUMMY_ACCOUNT: { createKeyPair(id: string, secret: string): void; revokeAccessKey(id: string): void };
      registry: Map<string, { accessKeys: Map<string, string> }>;
    };
  };
  const credentials = {
    accesskeyid: `AKIA${randomBytes(8).toString('hex').toUpperCase()}`,
    secretaccesskey: randomBytes(30).toString('base64url'),
  };
  AWSAccount.DUMMY_ACCOUNT.createKeyPair(credentials.accesskeyid, credentials.secretaccesskey);

  const s3rver = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: (opts.buckets ?? []).map((name) => ({ name, configs: [] })),
  });
  // s3rver does not check V4 signatures; verify them first so a wrong secret key fails as on S3.
  s3rver.middleware.unshift(async (ctx, next) => {
    const id = /Credential=([^/]+)\//.exec(String(ctx.req.headers.authorization ?? ''))?.[1] ?? '';
    const mismatch = sigV4Mismatch({ method: ctx.req.method ?? 'GET', url: ctx.req.url ?? '/', headers: ctx.req.headers }, (keyId) =>
      AWSAccount.registry.get(keyId)?.accessKeys.get(keyId),
    );
    if (!mismatch) return next();
    ctx.status = 403;
    ctx.type = 'application/xml';
    ctx.body = signatureDoesNotMatchXml(id);
  });
  const address = await s3rver.run();
  const endpoint = `http://127.0.0.1:${address.port}`;
  const region = 'eu-central-1';
  const client = new S3Client({
    endpoint,
    region,
    forcePathStyle: true,
    credentials: { accessKeyId: credentials.accesskeyid, secretAccessKey: credentials.secretaccesskey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });

  return {
    endpoint,
    host: '127.0.0.1',
    port: address.port,
    region,
    credentials,
    client,
    async createBucket(name) {
      await client.send(new CreateBucketCommand({ Bucket: name }));
    },
    async put(bucket, key, data) {
      const body = typeof data === 'string' ? Buffer.from(data) : data;
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    },
    async get(bucket, key) {
      try {
        const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return Buffer.from(await out.Body!.transformToByteArray());
      } catch (err) {
        if ((err as { name?: string }).name === 'NoSuchKey') return null;
        throw err;
      }
    },
    async close() {
      client.destroy();
      s3rver.httpServer?.closeAllConnections();
      await s3rver.close();
      AWSAccount.DUMMY_ACCOUNT.revokeAccessKey(credentials.accesskeyid);
      await rm(directory, { recursive: true, force: true });
    },
  };
}
