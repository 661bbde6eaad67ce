/**
 * The shared cloud test harness itself: each server starts on 127.0.0.1, speaks its protocol to the
 * official client library, keeps accounts apart, and closes cleanly.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client as FtpClient } from 'basic-ftp';
import { Readable, Writable } from 'node:stream';
import { Storage } from '@google-cloud/storage';
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { S3Client, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { TokenUriJWT } from '../../engine/cloud/gcs-auth';
import {
  startAzurite,
  startFtpServer,
  startGcsStandIn,
  startS3rver,
  type GcsStandIn,
  type RunningAzurite,
  type RunningFtpServer,
  type RunningS3rver,
} from '../support/cloud-servers';

function sink(): { stream: Writable; bytes: () => Buffer } {
  const chunks: Buffer[] = [];
  return {
    stream: new Writable({
      write(c, _e, cb) {
        chunks.push(c as Buffer);
        cb();
      },
    }),
    bytes: () => Buffer.concat(chunks),
  };
}

describe('startFtpServer (ftp-srv)', () => {
  let ftp: RunningFtpServer;
  beforeAll(async () => {
    ftp = await startFtpServer();
  });
  afterAll(async () => {
    await ftp?.close();
  });

  it('serves the temp root to the main account over passive mode', async () => {
    await ftp.put('/in/hello.txt', 'hello ftp');
    const client = new FtpClient(10_000);
    try {
      await client.access({ host: ftp.host, port: ftp.port, user: ftp.credentials.username, password: ftp.credentials.password });
      const out = sink();
      await client.downloadTo(out.stream, '/in/hello.txt');
      expect(out.bytes().toString()).toBe('hello ftp');
      await client.ensureDir('/out/deep');
      await client.uploadFrom(Readable.from([Buffer.from('uploaded')]), 'x.bin');
    } finally {
      client.close();
    }
    expect((await ftp.get('/out/deep/x.bin'))?.toString()).toBe('uploaded');
  });

  it('refuses a wrong password with 530', async () => {
    const client = new FtpClient(10_000);
    try {
      await expect(client.access({ host: ftp.host, port: ftp.port, user: ftp.credentials.username, password: 'nope' })).rejects.toMatchObject({ code: 530 });
    } finally {
      client.close();
    }
  });

  it('lets the read-only account read but not store', async () => {
    await ftp.put('/ro.txt', 'readable');
    const client = new FtpClient(10_000);
    try {
      await client.access({ host: ftp.host, port: ftp.port, user: ftp.readOnlyCredentials.username, password: ftp.readOnlyCredentials.password });
      const out = sink();
      await client.downloadTo(out.stream, '/ro.txt');
      expect(out.bytes().toString()).toBe('readable');
      await expect(client.uploadFrom(Readable.from([Buffer.from('x')]), '/nope.txt')).rejects.toMatchObject({ code: 550 });
    } finally {
      client.close();
    }
    expect(await ftp.get('/nope.txt')).toBeNull();
  });
});

describe('startS3rver (s3rver)', () => {
  let s3: RunningS3rver;
  beforeAll(async () => {
    s3 = await startS3rver({ buckets: ['preset'] });
  });
  afterAll(async () => {
    await s3?.close();
  });

  it('creates buckets and round-trips objects with its own random keys', async () => {
    await s3.createBucket('made');
    await s3.put('made', 'a/b.txt', 'hello s3');
    expect((await s3.get('made', 'a/b.txt'))?.toString()).toBe('hello s3');
    expect(await s3.get('made', 'missing')).toBeNull();
    await s3.put('preset', 'k', 'v');
    expect((await s3.get('preset', 'k'))?.toString()).toBe('v');
  });

  it('rejects a wrong secret key (signature mismatch)', async () => {
    const bad = new S3Client({
      endpoint: s3.endpoint,
      region: s3.region,
      forcePathStyle: true,
      credentials: { accessKeyId: s3.credentials.accesskeyid, secretAccessKey: 'wrong-secret' },
    });
    const err = await bad.send(new ListObjectsV2Command({ Bucket: 'made' })).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'SignatureDoesNotMatch' });
    bad.destroy();
  });

  it('rejects an unknown access key id', async () => {
    const bad = new S3Client({
      endpoint: s3.endpoint,
      region: s3.region,
      forcePathStyle: true,
      credentials: { accessKeyId: 'AKIAUNKNOWN', secretAccessKey: s3.credentials.secretaccesskey },
    });
    await expect(bad.send(new ListObjectsV2Command({ Bucket: 'made' }))).rejects.toMatchObject({ name: 'InvalidAccessKeyId' });
    bad.destroy();
  });
});

describe('startAzurite (Azurite blob)', () => {
  let az: RunningAzurite;
  beforeAll(async () => {
    az = await startAzurite();
  });
  afterAll(async () => {
    await az?.close();
  });

  it('listens on an OS-chosen port with the development account', async () => {
    expect(az.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1$/);
    await az.createContainer('box');
    await az.put('box', 'dir/file.txt', 'hello azure');
    expect((await az.get('box', 'dir/file.txt'))?.toString()).toBe('hello azure');
    expect(await az.get('box', 'nothing')).toBeNull();
  });

  it('refuses a wrong account key (403 AuthenticationFailed)', async () => {
    const wrongKey = Buffer.alloc(64, 7).toString('base64');
    const service = new BlobServiceClient(az.endpoint, new StorageSharedKeyCredential(az.accountName, wrongKey));
    await expect(service.getContainerClient('box').getProperties()).rejects.toMatchObject({ statusCode: 403 });
  });

  it('exits when closed', async () => {
    const other = await startAzurite();
    await other.close();
    await expect(fetch(other.endpoint)).rejects.toThrow();
  });
});

describe('startGcsStandIn — the smallest faithful stand-in of Google Cloud Storage JSON API', () => {
  let gcs: GcsStandIn;
  const storageFor = (keyfile: GcsStandIn['credentials']['keyfile']) =>
    new Storage({
      projectId: gcs.projectId,
      apiEndpoint: gcs.apiEndpoint,
      useAuthWithCustomEndpoint: true,
      authClient: new TokenUriJWT(keyfile),
      retryOptions: { autoRetry: false },
    });

  beforeAll(async () => {
    gcs = await startGcsStandIn();
    gcs.createBucket('bucket');
  });
  afterAll(async () => {
    await gcs?.close();
  });

  it('trades a signed assertion at token_uri for a token and serves bucket metadata', async () => {
    const [meta] = await storageFor(gcs.credentials.keyfile).bucket('bucket').getMetadata();
    expect(meta.name).toBe('bucket');
    expect(gcs.requests.some((r) => r.startsWith('POST /token'))).toBe(true);
  });

  it('answers 404 for a missing bucket and a missing object', async () => {
    const storage = storageFor(gcs.credentials.keyfile);
    await expect(storage.bucket('nope').getMetadata()).rejects.toMatchObject({ code: 404 });
    await expect(storage.bucket('bucket').file('missing').getMetadata()).rejects.toMatchObject({ code: 404 });
  });

  it('stores with multipart and resumable uploads, and downloads with hash validation', async () => {
    const storage = storageFor(gcs.credentials.keyfile);
    const small = Buffer.from('small object');
    await storage.bucket('bucket').file('multi/part.txt').save(small, { resumable: false, contentType: 'text/plain' });
    const big = Buffer.alloc(3 * 1024 * 1024 + 17, 'abc');
    // The library only authenticates a custom endpoint's session *creation* (createResumableUpload);
    // the chunks then go to the session URI, which GCS (and the stand-in) accept without a token.
    const file = storage.bucket('bucket').file('resum/able.bin');
    const [uri] = await file.createResumableUpload();
    await file.save(big, { resumable: true, uri, chunkSize: 1024 * 1024 });
    expect(gcs.requests.some((r) => r.includes('uploadType=multipart'))).toBe(true);
    expect(gcs.requests.some((r) => r.includes('uploadType=resumable'))).toBe(true);
    expect((await gcs.get('bucket', 'multi/part.txt'))?.equals(small)).toBe(true);
    expect((await gcs.get('bucket', 'resum/able.bin'))?.equals(big)).toBe(true);
    const [downloaded] = await storage.bucket('bucket').file('resum/able.bin').download();
    expect(downloaded.equals(big)).toBe(true);
  });

  it('enforces ifGenerationMatch=0 (create only) with 412', async () => {
    const storage = storageFor(gcs.credentials.keyfile);
    await gcs.put('bucket', 'exists.txt', 'old');
    await expect(
      storage
        .bucket('bucket')
        .file('exists.txt')
        .save('new', { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } }),
    ).rejects.toMatchObject({ code: 412 });
    await expect(
      storage
        .bucket('bucket')
        .file('exists.txt')
        .createResumableUpload({ preconditionOpts: { ifGenerationMatch: 0 } }),
    ).rejects.toMatchObject({
      code: 412,
    });
    expect((await gcs.get('bucket', 'exists.txt'))?.toString()).toBe('old');
  });

  it('refuses a key that does not match the account, and writes from a reader', async () => {
    await expect(storageFor(gcs.wrongKeyCredentials.keyfile).bucket('bucket').getMetadata()).rejects.toThrow(/Invalid JWT Signature/);
    const reader = storageFor(gcs.readOnlyCredentials.keyfile);
    await gcs.put('bucket', 'r.txt', 'readable');
    const [buf] = await reader.bucket('bucket').file('r.txt').download();
    expect(buf.toString()).toBe('readable');
    await expect(reader.bucket('bucket').file('w.txt').save('x', { resumable: false })).rejects.toMatchObject({ code: 403 });
  });

  it('takes simple media uploads, with the create-only precondition, and only with a token', async () => {
    const { token } = await new TokenUriJWT(gcs.credentials.keyfile).getAccessToken();
    const url = `${gcs.apiEndpoint}/upload/storage/v1/b/bucket/o?uploadType=media&name=${encodeURIComponent('media/m 1.txt')}&ifGenerationMatch=0`;
    const post = (auth?: string) =>
      fetch(url, { method: 'POST', body: 'media body', headers: { 'Content-Type': 'text/plain', ...(auth ? { Authorization: `Bearer ${auth}` } : {}) } });
    const first = await post(token!);
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({ name: 'media/m 1.txt', size: '10', contentType: 'text/plain' });
    expect((await post(token!)).status).toBe(412);
    const anonymous = await post();
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ error: { code: 401, errors: [{ reason: 'authError' }] } });
    expect((await gcs.get('bucket', 'media/m 1.txt'))?.toString()).toBe('media body');
  });

  it('deletes objects', async () => {
    const storage = storageFor(gcs.credentials.keyfile);
    await gcs.put('bucket', 'gone.txt', 'x');
    await storage.bucket('bucket').file('gone.txt').delete();
    expect(await gcs.get('bucket', 'gone.txt')).toBeNull();
  });
});
