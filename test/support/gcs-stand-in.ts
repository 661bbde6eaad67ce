/**
 * The smallest faithful stand-in of Google Cloud Storage's JSON API, for tests (no emulator of GCS
 * is installable here). It speaks only what @google-cloud/storage and our engine use:
 *
 *  - OAuth 2.0 token endpoint (`POST /token`, grant type jwt-bearer): the RS256 assertion is
 *    verified against the service account's public key, as Google does; a wrong key is refused with
 *    `invalid_grant`.
 *  - `GET  /storage/v1/b/{bucket}`                 bucket metadata (404 when missing)
 *  - `GET  /storage/v1/b/{bucket}/o`               object list (prefix)
 *  - `GET  /storage/v1/b/{bucket}/o/{object}`      object metadata, or its bytes with `alt=media`
 *  - `DELETE /storage/v1/b/{bucket}/o/{object}`
 *  - `POST /upload/storage/v1/b/{bucket}/o`        `uploadType=media | multipart | resumable`
 *  - `PUT  {resumable session URI}`                chunks with `Content-Range`, 308 until complete
 *  - `ifGenerationMatch=0` (create-only) → 412 when the object exists, as GCS answers.
 *
 * Error bodies have GCS's shape: `{"error":{"code","message","errors":[{reason,…}]}}`.
 * Service accounts have a role: `admin` may do anything; `reader` gets 403 on writes.
 * Object bytes live in a temp folder (streamed in and out, never held in memory).
 */
import { createHash, createPublicKey, generateKeyPairSync, randomBytes, verify } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Crc32c } from './crc32c';

export interface GcsKeyfile {
  type: 'service_account';
  project_id: string;
  private_key_id: string;
  private_key: string;
  client_email: string;
  client_id: string;
  auth_uri: string;
  token_uri: string;
  [k: string]: string;
}

export interface GcsStandIn {
  /** For `new Storage({ apiEndpoint })` and CloudEndpoints.googlecloud. */
  apiEndpoint: string;
  /** The OAuth token endpoint the keyfiles point at. */
  tokenUri: string;
  projectId: string;
  /** api2convert-shaped credentials of an account that may read and write. */
  credentials: { keyfile: GcsKeyfile };
  /** Credentials of an account that may only read (writes answer 403). */
  readOnlyCredentials: { keyfile: GcsKeyfile };
  /** A well-formed keyfile for the admin account signed with a different key (token refused). */
  wrongKeyCredentials: { keyfile: GcsKeyfile };
  createBucket(name: string): void;
  put(bucket: string, name: string, data: Buffer | string, contentType?: string): Promise<void>;
  /** The object's bytes, or null when absent. */
  get(bucket: string, name: string): Promise<Buffer | null>;
  /** "METHOD /path?query" of every request received, oldest first. */
  requests: string[];
  close(): Promise<void>;
}

interface StoredObject {
  name: string;
  bucket: string;
  file: string;
  size: number;
  md5: string;
  crc32c: string;
  contentType: string;
  generation: number;
  created: string;
}

interface Account {
  email: string;
  role: 'admin' | 'reader';
  publicKeyPem: string;
}

interface UploadSession {
  bucket: string;
  name: string;
  contentType: string;
  ifGenerationMatch?: number;
  file: string;
  received: number;
  md5: ReturnType<typeof createHash>;
  crc: Crc32c;
  done?: StoredObject;
}

class GcsHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly reason: string,
  ) {
    super(message);
  }
}

function makeKeyfile(projectId: string, email: string, tokenUri: string, privateKeyPem: string): GcsKeyfile {
  return {
    type: 'service_account',
    project_id: projectId,
    private_key_id: randomBytes(20).toString('hex'),
    private_key: privateKeyPem,
    client_email: email,
    client_id: String(100000000000000000000n + BigInt(randomBytes(6).readUIntBE(0, 6))),
    auth_uri: 'https://accounts.google.com/o/oauth2/auth',
    token_uri: tokenUri,
  };
}

function rsaPair(): { privateKey: string; publicKey: string } {
  return generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
}

function b64urlJson(part: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
}

async function readBody(req: IncomingMessage, limit = 64 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new GcsHttpError(413, 'Request body too large for this stand-in.', 'uploadTooLarge');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Split a multipart/related body (metadata JSON part + media part). */
function parseMultipartRelated(body: Buffer, contentType: string): { metadata: Record<string, unknown>; media: Buffer; mediaType: string } {
  const m = /boundary="?([^";]+)"?/i.exec(contentType);
  if (!m) throw new GcsHttpError(400, 'Missing multipart boundary.', 'invalid');
  const delimiter = Buffer.from(`--${m[1]}`);
  const parts: Buffer[] = [];
  let pos = body.indexOf(delimiter);
  while (pos !== -1) {
    const start = pos + delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    const next = body.indexOf(delimiter, start);
    if (next === -1) break;
    parts.push(body.subarray(start, next));
    pos = next;
  }
  const parsed = parts.map((raw) => {
    const headerEnd = raw.indexOf('\r\n\r\n');
    const headers = raw.subarray(0, headerEnd).toString('utf8');
    let content = raw.subarray(headerEnd + 4);
    if (content.subarray(-2).toString() === '\r\n') content = content.subarray(0, -2);
    const type = /content-type:\s*([^\r\n]+)/i.exec(headers)?.[1]?.trim() ?? 'application/octet-stream';
    return { type, content };
  });
  if (parsed.length < 2) throw new GcsHttpError(400, 'Multipart upload needs a metadata part and a media part.', 'invalid');
  return { metadata: JSON.parse(parsed[0].content.toString('utf8')), media: parsed[1].content, mediaType: parsed[1].type };
}

export async function startGcsStandIn(opts: { projectId?: string } = {}): Promise<GcsStandIn> {
  const projectId = opts.projectId ?? 'convoy-test-project';
  const dir = await mkdtemp(path.join(os.tmpdir(), 'convoy-gcs-'));
  const buckets = new Map<string, Map<string, StoredObject>>();
  const accounts = new Map<string, Account>();
  const tokens = new Map<string, { email: string; expires: number }>();
  const sessions = new Map<string, UploadSession>();
  const requests: string[] = [];
  let generation = Date.now() * 1000;
  let fileSeq = 0;
  const sockets = new Set<import('node:net').Socket>();

  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    handle(req, res).catch((err: unknown) => {
      const e = err instanceof GcsHttpError ? err : new GcsHttpError(500, String((err as Error)?.message ?? err), 'backendError');
      if (res.headersSent) {
        res.destroy();
        return;
      }
      // Drain what the client is still sending so it reads our answer instead of EPIPE.
      req.resume();
      sendJson(res, e.status, { error: { code: e.status, message: e.message, errors: [{ message: e.message, domain: 'global', reason: e.reason }] } });
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const tokenUri = `${base}/token`;

  function addAccount(email: string, role: Account['role']): { keyfile: GcsKeyfile } {
    const pair = rsaPair();
    accounts.set(email, { email, role, publicKeyPem: pair.publicKey });
    return { keyfile: makeKeyfile(projectId, email, tokenUri, pair.privateKey) };
  }
  const credentials = addAccount(`convoy-admin@${projectId}.iam.gserviceaccount.com`, 'admin');
  const readOnlyCredentials = addAccount(`convoy-reader@${projectId}.iam.gserviceaccount.com`, 'reader');
  const wrongKeyCredentials = {
    keyfile: makeKeyfile(projectId, credentials.keyfile.client_email, tokenUri, rsaPair().privateKey),
  };

  function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json; charset=UTF-8', 'Content-Length': Buffer.byteLength(text), ...headers });
    res.end(text);
  }

  function objectResource(o: StoredObject): Record<string, unknown> {
    const enc = encodeURIComponent(o.name);
    return {
      kind: 'storage#object',
      id: `${o.bucket}/${o.name}/${o.generation}`,
      selfLink: `${base}/storage/v1/b/${o.bucket}/o/${enc}`,
      mediaLink: `${base}/download/storage/v1/b/${o.bucket}/o/${enc}?generation=${o.generation}&alt=media`,
      name: o.name,
      bucket: o.bucket,
      generation: String(o.generation),
      metageneration: '1',
      contentType: o.contentType,
      storageClass: 'STANDARD',
      size: String(o.size),
      md5Hash: o.md5,
      crc32c: o.crc32c,
      etag: createHash('sha1').update(`${o.name}${o.generation}`).digest('base64').slice(0, 14),
      timeCreated: o.created,
      updated: o.created,
    };
  }

  function authenticate(req: IncomingMessage): Account {
    const m = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
    const t = m ? tokens.get(m[1]) : undefined;
    if (!t || t.expires < Date.now()) throw new GcsHttpError(401, 'Invalid Credentials', 'authError');
    return accounts.get(t.email)!;
  }

  function bucketOf(name: string): Map<string, StoredObject> {
    const b = buckets.get(name);
    if (!b) throw new GcsHttpError(404, 'The specified bucket does not exist.', 'notFound');
    return b;
  }

  function requireWrite(account: Account, permission: string): void {
    if (account.role !== 'admin') {
      throw new GcsHttpError(
        403,
        `${account.email} does not have ${permission} access to the Google Cloud Storage object. Permission '${permission}' denied on resource (or it may not exist).`,
        'forbidden',
      );
    }
  }

  function checkPrecondition(bucket: Map<string, StoredObject>, name: string, ifGenerationMatch: string | null | undefined): void {
    if (ifGenerationMatch === null || ifGenerationMatch === undefined) return;
    const current = bucket.get(name)?.generation ?? 0;
    if (Number(ifGenerationMatch) !== current) {
      throw new GcsHttpError(412, 'At least one of the pre-conditions you specified did not hold.', 'conditionNotMet');
    }
  }

  function nextFile(): string {
    return path.join(dir, `obj-${++fileSeq}`);
  }

  /** Stream a request body into a file, hashing as it goes. */
  async function receiveInto(req: IncomingMessage, file: string, flags: 'w' | 'a', md5: ReturnType<typeof createHash>, crc: Crc32c): Promise<number> {
    const out = createWriteStream(file, { flags });
    let n = 0;
    try {
      for await (const chunk of req) {
        const buf = chunk as Buffer;
        n += buf.length;
        md5.update(buf);
        crc.update(buf);
        if (!out.write(buf)) await new Promise<void>((r) => out.once('drain', () => r()));
      }
    } finally {
      await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
    }
    return n;
  }

  function commit(bucketName: string, name: string, file: string, size: number, md5: string, crc32c: string, contentType: string): StoredObject {
    const bucket = bucketOf(bucketName);
    const previous = bucket.get(name);
    const obj: StoredObject = {
      name,
      bucket: bucketName,
      file,
      size,
      md5,
      crc32c,
      contentType,
      generation: ++generation,
      created: new Date().toISOString(),
    };
    bucket.set(name, obj);
    if (previous) void unlink(previous.file).catch(() => undefined);
    return obj;
  }

  async function handleToken(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = new URLSearchParams((await readBody(req, 1024 * 1024)).toString('utf8'));
    const refuse = (description: string) => sendJson(res, 400, { error: 'invalid_grant', error_description: description });
    if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
      return sendJson(res, 400, { error: 'unsupported_grant_type', error_description: 'Invalid grant_type.' });
    }
    const parts = (form.get('assertion') ?? '').split('.');
    if (parts.length !== 3) return refuse('Invalid JWT: Token must be a short-lived token and in a reasonable timeframe');
    let header: Record<string, unknown>;
    let claims: Record<string, unknown>;
    try {
      header = b64urlJson(parts[0]);
      claims = b64urlJson(parts[1]);
    } catch {
      return refuse('Invalid JWT.');
    }
    const account = accounts.get(String(claims.iss));
    if (!account) return refuse('Invalid grant: account not found');
    if (header.alg !== 'RS256') return refuse('Invalid JWT Signature.');
    const ok = verify('sha256', Buffer.from(`${parts[0]}.${parts[1]}`), createPublicKey(account.publicKeyPem), Buffer.from(parts[2], 'base64url'));
    if (!ok) return refuse('Invalid JWT Signature.');
    const now = Math.floor(Date.now() / 1000);
    if (typeof claims.exp !== 'number' || claims.exp < now) return refuse('Invalid JWT: Token must be a short-lived token and in a reasonable timeframe');
    if (claims.aud !== tokenUri) return refuse('Invalid JWT: audience does not match the token endpoint.');
    const token = `ya29.standin-${randomBytes(24).toString('hex')}`;
    tokens.set(token, { email: account.email, expires: Date.now() + 3600_000 });
    sendJson(res, 200, { access_token: token, expires_in: 3599, token_type: 'Bearer' });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', base);
    const p = url.pathname;
    const q = url.searchParams;

    if (req.method === 'POST' && p === '/token') return handleToken(req, res);

    // Resumable session continuation: as in GCS, the session URI itself is the credential.
    if (req.method === 'PUT' && /^\/upload\/storage\/v1\/b\/[^/]+\/o$/.test(p) && q.get('upload_id')) {
      return handleResumablePut(req, res, q.get('upload_id')!);
    }

    const account = authenticate(req);
    let m: RegExpExecArray | null;

    if ((m = /^\/upload\/storage\/v1\/b\/([^/]+)\/o$/.exec(p)) && req.method === 'POST') {
      const bucketName = decodeURIComponent(m[1]);
      const bucket = bucketOf(bucketName);
      const type = q.get('uploadType');
      if (type === 'resumable') {
        const meta = JSON.parse((await readBody(req, 1024 * 1024)).toString('utf8') || '{}') as Record<string, unknown>;
        const name = String(q.get('name') ?? meta.name ?? '');
        if (!name) throw new GcsHttpError(400, 'Required parameter: name', 'required');
        requireWrite(account, 'storage.objects.create');
        checkPrecondition(bucket, name, q.get('ifGenerationMatch'));
        const id = randomBytes(16).toString('hex');
        const file = nextFile();
        await writeFile(file, '');
        sessions.set(id, {
          bucket: bucketName,
          name,
          contentType: String(req.headers['x-upload-content-type'] ?? meta.contentType ?? 'application/octet-stream'),
          ifGenerationMatch: q.has('ifGenerationMatch') ? Number(q.get('ifGenerationMatch')) : undefined,
          file,
          received: 0,
          md5: createHash('md5'),
          crc: new Crc32c(),
        });
        res.writeHead(200, {
          Location: `${base}/upload/storage/v1/b/${encodeURIComponent(bucketName)}/o?uploadType=resumable&name=${encodeURIComponent(name)}&upload_id=${id}`,
          'Content-Length': 0,
        });
        res.end();
        return;
      }
      if (type === 'media') {
        const name = q.get('name');
        if (!name) throw new GcsHttpError(400, 'Required parameter: name', 'required');
        requireWrite(account, 'storage.objects.create');
        checkPrecondition(bucket, name, q.get('ifGenerationMatch'));
        const file = nextFile();
        const md5 = createHash('md5');
        const crc = new Crc32c();
        const size = await receiveInto(req, file, 'w', md5, crc);
        checkPrecondition(bucket, name, q.get('ifGenerationMatch'));
        const obj = commit(bucketName, name, file, size, md5.digest('base64'), crc.base64(), String(req.headers['content-type'] ?? 'application/octet-stream'));
        return sendJson(res, 200, objectResource(obj));
      }
      if (type === 'multipart') {
        // Multipart uploads are for small objects (the library streams big ones resumably).
        const { metadata, media, mediaType } = parseMultipartRelated(await readBody(req), String(req.headers['content-type'] ?? ''));
        const name = String(q.get('name') ?? metadata.name ?? '');
        if (!name) throw new GcsHttpError(400, 'Required parameter: name', 'required');
        requireWrite(account, 'storage.objects.create');
        checkPrecondition(bucket, name, q.get('ifGenerationMatch'));
        const file = nextFile();
        await writeFile(file, media);
        const obj = commit(
          bucketName,
          name,
          file,
          media.length,
          createHash('md5').update(media).digest('base64'),
          new Crc32c().update(media).base64(),
          String(metadata.contentType ?? mediaType),
        );
        return sendJson(res, 200, objectResource(obj));
      }
      throw new GcsHttpError(400, `Invalid upload type: ${type ?? '(none)'}`, 'invalidParameter');
    }

    if ((m = /^\/storage\/v1\/b\/([^/]+)$/.exec(p)) && req.method === 'GET') {
      const name = decodeURIComponent(m[1]);
      bucketOf(name);
      return sendJson(res, 200, {
        kind: 'storage#bucket',
        id: name,
        name,
        projectNumber: '123456789012',
        location: 'EU',
        storageClass: 'STANDARD',
        metageneration: '1',
      });
    }

    if ((m = /^\/storage\/v1\/b\/([^/]+)\/o$/.exec(p)) && req.method === 'GET') {
      const bucket = bucketOf(decodeURIComponent(m[1]));
      const prefix = q.get('prefix') ?? '';
      const items = [...bucket.values()]
        .filter((o) => o.name.startsWith(prefix))
        .sort((a, b) => a.name.localeCompare(b.name))
        .map(objectResource);
      return sendJson(res, 200, { kind: 'storage#objects', items });
    }

    if ((m = /^\/storage\/v1\/b\/([^/]+)\/o\/(.+)$/.exec(p))) {
      const bucketName = decodeURIComponent(m[1]);
      const bucket = bucketOf(bucketName);
      const name = decodeURIComponent(m[2]);
      const obj = bucket.get(name);
      if (req.method === 'DELETE') {
        requireWrite(account, 'storage.objects.delete');
        if (!obj) throw new GcsHttpError(404, `No such object: ${bucketName}/${name}`, 'notFound');
        bucket.delete(name);
        await unlink(obj.file).catch(() => undefined);
        res.writeHead(204);
        res.end();
        return;
      }
      if (req.method === 'GET') {
        if (!obj) throw new GcsHttpError(404, `No such object: ${bucketName}/${name}`, 'notFound');
        if (q.get('alt') !== 'media') return sendJson(res, 200, objectResource(obj));
        res.writeHead(200, {
          'Content-Type': obj.contentType,
          'Content-Length': obj.size,
          'x-goog-hash': `crc32c=${obj.crc32c},md5=${obj.md5}`,
          'x-goog-generation': String(obj.generation),
          'x-goog-stored-content-length': String(obj.size),
          'x-goog-stored-content-encoding': 'identity',
        });
        createReadStream(obj.file).pipe(res);
        return;
      }
    }
    throw new GcsHttpError(404, `Not Found: ${req.method} ${p}`, 'notFound');
  }

  async function handleResumablePut(req: IncomingMessage, res: ServerResponse, id: string): Promise<void> {
    const s = sessions.get(id);
    if (!s) throw new GcsHttpError(404, 'No such upload session.', 'notFound');
    if (s.done) return sendJson(res, 200, objectResource(s.done));
    const range = String(req.headers['content-range'] ?? '');
    const status = /^bytes \*\/(\d+|\*)$/.exec(range);
    const chunk = /^bytes (\d+)-(\d+|\*)\/(\d+|\*)$/.exec(range);
    const incomplete = () => {
      const headers: Record<string, string> = { 'Content-Length': '0' };
      if (s.received > 0) headers.Range = `bytes=0-${s.received - 1}`;
      res.writeHead(308, headers);
      res.end();
    };
    if (status) {
      req.resume();
      if (status[1] !== '*' && Number(status[1]) === s.received) return finish();
      return incomplete();
    }
    if (!chunk) throw new GcsHttpError(400, `Invalid Content-Range: ${range}`, 'invalid');
    if (Number(chunk[1]) !== s.received) {
      throw new GcsHttpError(400, `Chunk starts at ${chunk[1]}, expected ${s.received}.`, 'invalid');
    }
    s.received += await receiveInto(req, s.file, 'a', s.md5, s.crc);
    const total = chunk[3] === '*' ? undefined : Number(chunk[3]);
    // "bytes a-*/…" means this request carried the rest of the object.
    if ((total !== undefined && s.received >= total) || chunk[2] === '*') return finish();
    return incomplete();

    function finish(): void {
      const bucket = bucketOf(s!.bucket);
      if (s!.ifGenerationMatch !== undefined) checkPrecondition(bucket, s!.name, String(s!.ifGenerationMatch));
      s!.done = commit(s!.bucket, s!.name, s!.file, s!.received, s!.md5.digest('base64'), s!.crc.base64(), s!.contentType);
      sendJson(res, 200, objectResource(s!.done));
    }
  }

  return {
    apiEndpoint: base,
    tokenUri,
    projectId,
    credentials,
    readOnlyCredentials,
    wrongKeyCredentials,
    requests,
    createBucket(name: string) {
      if (!buckets.has(name)) buckets.set(name, new Map());
    },
    async put(bucketName, name, data, contentType = 'application/octet-stream') {
      const buf = typeof data === 'string' ? Buffer.from(data) : data;
      const file = nextFile();
      await writeFile(file, buf);
      commit(bucketName, name, file, buf.length, createHash('md5').update(buf).digest('base64'), new Crc32c().update(buf).base64(), contentType);
    },
    async get(bucketName, name) {
      const obj = buckets.get(bucketName)?.get(name);
      return obj ? readFile(obj.file) : null;
    },
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
      await rm(dir, { recursive: true, force: true });
    },
  };
}
