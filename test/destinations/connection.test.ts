/**
 * "Test connection" against real local servers: ftp-srv, Azurite and s3rver, and Google Cloud
 * Storage against the stand-in in test/support/gcs-stand-in.ts (no GCS emulator is installable
 * here: it is our own faithful stand-in, not Google's service). Each failure gets the right code
 * and a message that says which step failed, and never contains a secret.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionTestResult, ProfileInput } from '../../preload/contract';
import { openDatabase, type Db } from '../../main/db';
import { createDestinations, type Destinations } from '../../main/destinations';
import { EventBus } from '../../main/events';
import { createSecretStore } from '../../main/secrets';
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

let dataDir: string;
let db: Db;
let dest: Destinations;
let ftp: RunningFtpServer;
let azurite: RunningAzurite;
let s3: RunningS3rver;
let gcs: GcsStandIn;
/** Every secret handed to the profiles, to check that no answer ever repeats one. */
const secretsUsed: string[] = [];

function expectClean(r: ConnectionTestResult): void {
  for (const s of secretsUsed) expect(r.message).not.toContain(s);
}

async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

function ftpProfile(over: { username?: string; password?: string; port?: number; file?: string } = {}): ProfileInput {
  const password = over.password ?? ftp.credentials.password;
  secretsUsed.push(password);
  return {
    name: 'ftp test',
    type: 'ftp',
    fields: { host: '127.0.0.1', port: over.port ?? ftp.port, username: over.username ?? ftp.credentials.username, ...(over.file ? { file: over.file } : {}) },
    secrets: { password },
  };
}

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'convoy-dest-conn-'));
  [ftp, azurite, s3, gcs] = await Promise.all([startFtpServer(), startAzurite(), startS3rver({ buckets: ['results'] }), startGcsStandIn()]);
  await azurite.createContainer('results');
  gcs.createBucket('convoy-results');
  secretsUsed.push(azurite.accountKey, s3.credentials.secretaccesskey, gcs.credentials.keyfile.private_key, gcs.readOnlyCredentials.keyfile.private_key);
  db = openDatabase(dataDir);
  dest = createDestinations({
    db,
    secrets: await createSecretStore({ backend: 'memory' }),
    events: new EventBus(),
    endpoints: { amazons3: s3.endpoint, azure: azurite.endpoint, googlecloud: gcs.apiEndpoint },
    testTimeoutMs: 5000,
  });
});

afterAll(async () => {
  db?.close();
  await Promise.all([ftp?.close(), azurite?.close(), s3?.close(), gcs?.close()]);
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('FTP (ftp-srv)', () => {
  it("logs in, writes and deletes a probe in the template's folder, and leaves nothing behind", async () => {
    const r = await dest.test(ftpProfile({ file: 'incoming/convoy/{batch}/{name}.{ext}' }));
    expect(r).toMatchObject({ ok: true, code: 'ok' });
    expect(r.message).toMatch(/stored and deleted a test file in "\/incoming\/convoy"/);
    // The folders the probe had to create are removed again.
    expect(fs.readdirSync(ftp.root)).toEqual([]);
    expectClean(r);
  });

  it('keeps existing folders and removes only the probe file', async () => {
    await ftp.put('/keep/existing.txt', 'x');
    const r = await dest.test(ftpProfile({ file: 'keep/{name}.{ext}' }));
    expect(r.ok).toBe(true);
    expect(fs.readdirSync(path.join(ftp.root, 'keep'))).toEqual(['existing.txt']);
  });

  it('wrong password → auth, naming the login', async () => {
    const r = await dest.test(ftpProfile({ password: 'definitely-wrong-password' }));
    expect(r).toMatchObject({ ok: false, code: 'auth' });
    expect(r.message).toMatch(/Login failed on the FTP server 127\.0\.0\.1:\d+: the server rejected the username or password \(530/);
    expectClean(r);
  });

  it('read-only account → permission (login works, storing is refused)', async () => {
    const r = await dest.test(ftpProfile({ username: ftp.readOnlyCredentials.username, password: ftp.readOnlyCredentials.password, file: '{name}.{ext}' }));
    expect(r).toMatchObject({ ok: false, code: 'permission' });
    expect(r.message).toMatch(/may not store files in "\/"/);
    const r2 = await dest.test(ftpProfile({ username: ftp.readOnlyCredentials.username, password: ftp.readOnlyCredentials.password }));
    expect(r2).toMatchObject({ ok: false, code: 'permission' });
    expect(r2.message).toMatch(/may not create the folder "convoy"/);
    expectClean(r2);
  });

  it('nothing listening → unreachable', async () => {
    const r = await dest.test(ftpProfile({ port: await closedPort() }));
    expect(r).toMatchObject({ ok: false, code: 'unreachable' });
    expect(r.message).toMatch(/Cannot reach the FTP server 127\.0\.0\.1:\d+: the connection was refused/);
  });
});

describe('Azure Blob (Azurite)', () => {
  const profile = (over: { container?: string; accountkey?: string } = {}): ProfileInput => ({
    name: 'azure test',
    type: 'azure',
    fields: { container: over.container ?? 'results', accountname: azurite.accountName },
    secrets: { accountkey: over.accountkey ?? azurite.accountKey },
  });

  it('writes and deletes a probe blob', async () => {
    const r = await dest.test(profile());
    expect(r).toMatchObject({ ok: true, code: 'ok' });
    expect(r.message).toMatch(/wrote and deleted a test blob in container "results"/);
    expectClean(r);
  });

  it('wrong account key → auth', async () => {
    const wrong = Buffer.alloc(64, 7).toString('base64');
    secretsUsed.push(wrong);
    const r = await dest.test(profile({ accountkey: wrong }));
    expect(r).toMatchObject({ ok: false, code: 'auth' });
    expect(r.message).toMatch(/rejected the account key/);
    expectClean(r);
  });

  it('missing container → missing_container', async () => {
    const r = await dest.test(profile({ container: 'no-such-container' }));
    expect(r).toMatchObject({ ok: false, code: 'missing_container' });
    expect(r.message).toMatch(/container "no-such-container" does not exist/);
  });
});

describe('Amazon S3 (s3rver)', () => {
  const profile = (over: { bucket?: string; secret?: string; keyId?: string } = {}): ProfileInput => ({
    name: 's3 test',
    type: 'amazons3',
    fields: { bucket: over.bucket ?? 'results', region: s3.region, accesskeyid: over.keyId ?? s3.credentials.accesskeyid, file: 'out/{batch}/{name}.{ext}' },
    secrets: { secretaccesskey: over.secret ?? s3.credentials.secretaccesskey },
  });

  it('writes and deletes a probe object', async () => {
    const r = await dest.test(profile());
    expect(r).toMatchObject({ ok: true, code: 'ok' });
    expect(r.message).toMatch(/wrote and deleted a test object in bucket "results"/);
  });

  it('wrong secret access key → auth', async () => {
    const wrong = 'wrongSecretAccessKey0123456789abcdefghij';
    secretsUsed.push(wrong);
    const r = await dest.test(profile({ secret: wrong }));
    expect(r).toMatchObject({ ok: false, code: 'auth' });
    expect(r.message).toMatch(/rejected the secret access key/);
    expectClean(r);
  });

  it('unknown access key id → auth', async () => {
    const r = await dest.test(profile({ keyId: 'AKIAUNKNOWNKEY000000' }));
    expect(r).toMatchObject({ ok: false, code: 'auth' });
    expect(r.message).toMatch(/does not know the access key ID AKIAUNKNOWNKEY000000/);
  });

  it('missing bucket → missing_container', async () => {
    const r = await dest.test(profile({ bucket: 'no-such-bucket' }));
    expect(r).toMatchObject({ ok: false, code: 'missing_container' });
    expect(r.message).toMatch(/bucket "no-such-bucket" does not exist/);
  });
});

describe("Google Cloud Storage (our stand-in, not Google's service)", () => {
  const profile = (over: { bucket?: string; keyfile?: object } = {}): ProfileInput => ({
    name: 'gcs test',
    type: 'googlecloud',
    fields: { projectid: gcs.projectId, bucket: over.bucket ?? 'convoy-results' },
    secrets: { keyfile: JSON.stringify(over.keyfile ?? gcs.credentials.keyfile) },
  });

  it('signs in with the key file and writes and deletes a probe object', async () => {
    const r = await dest.test(profile());
    expect(r).toMatchObject({ ok: true, code: 'ok' });
    expect(r.message).toMatch(/Signed in as convoy-admin@.* and wrote and deleted a test object in bucket "convoy-results"/);
    expect(gcs.requests.some((l) => l.startsWith('DELETE /storage/v1/b/convoy-results/o/'))).toBe(true);
  });

  it('a key signed with the wrong private key → auth', async () => {
    const r = await dest.test(profile({ keyfile: gcs.wrongKeyCredentials.keyfile }));
    expect(r).toMatchObject({ ok: false, code: 'auth' });
    expect(r.message).toMatch(/Google refused the service account key \(invalid_grant\)/);
    expectClean(r);
  });

  it('a read-only service account → permission', async () => {
    const r = await dest.test(profile({ keyfile: gcs.readOnlyCredentials.keyfile }));
    expect(r).toMatchObject({ ok: false, code: 'permission' });
    expect(r.message).toMatch(/convoy-reader@.* may not create objects in bucket "convoy-results"/);
  });

  it('missing bucket → missing_container', async () => {
    const r = await dest.test(profile({ bucket: 'no-such-bucket' }));
    expect(r).toMatchObject({ ok: false, code: 'missing_container' });
  });
});

describe('TLS', () => {
  it('an endpoint whose certificate is not trusted → tls (S3 and Azure)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'convoy-tls-'));
    const gen = spawnSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-subj',
        '/CN=127.0.0.1',
        '-days',
        '1',
        '-keyout',
        path.join(dir, 'key.pem'),
        '-out',
        path.join(dir, 'cert.pem'),
      ],
      { encoding: 'utf8' },
    );
    expect(gen.status, `openssl (Debian package openssl) is needed to make a self-signed certificate: ${gen.stderr}`).toBe(0);
    const server = https.createServer({ key: fs.readFileSync(path.join(dir, 'key.pem')), cert: fs.readFileSync(path.join(dir, 'cert.pem')) }, (_req, res) =>
      res.end('{}'),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `https://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    try {
      const tlsDest = createDestinations({
        db,
        secrets: await createSecretStore({ backend: 'memory' }),
        events: new EventBus(),
        endpoints: { amazons3: url, azure: `${url}/{account}` },
        testTimeoutMs: 5000,
      });
      const s3r = await tlsDest.test({
        name: 's3',
        type: 'amazons3',
        fields: { bucket: 'results', accesskeyid: s3.credentials.accesskeyid },
        secrets: { secretaccesskey: s3.credentials.secretaccesskey },
      });
      expect(s3r).toMatchObject({ ok: false, code: 'tls' });
      expect(s3r.message).toMatch(/^TLS failed with the S3 endpoint 127\.0\.0\.1:\d+ \(DEPTH_ZERO_SELF_SIGNED_CERT\)/);
      const az = await tlsDest.test({
        name: 'az',
        type: 'azure',
        fields: { container: 'results', accountname: azurite.accountName },
        secrets: { accountkey: azurite.accountKey },
      });
      expect(az).toMatchObject({ ok: false, code: 'tls' });
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('testing saved profiles', () => {
  it('tests a saved profile by id with its stored secrets, and a form that edits it with them too', async () => {
    const saved = await dest.save({ ...ftpProfile(), name: 'Saved FTP' });
    expect(saved.secretsSet).toEqual(['password']);
    expect(await dest.test({ id: saved.id })).toMatchObject({ ok: true });
    // The edit form leaves the password out ("keep"): the stored one is used.
    const form = { ...ftpProfile(), id: saved.id, secrets: undefined };
    expect(await dest.test(form)).toMatchObject({ ok: true });
  });

  it('an invalid form is answered with code "invalid" and the per-field messages, without a network call', async () => {
    const r = await dest.test({ name: 'x', type: 'ftp', fields: { host: 'ftp://example.com', port: 70000, username: 'u' }, secrets: { password: 'p' } });
    expect(r.ok).toBe(false);
    expect(r.code).toBe('invalid');
    expect(r.message).toMatch(/Host: Enter only the host name, without ftp:\/\//);
    expect(r.message).toMatch(/Port: Port must be a whole number from 1 to 65535/);
  });

  it('a profile imported without its secrets says which one to enter', async () => {
    const { imported } = await dest.importJson(dest.exportJson([dest.byName('Saved FTP')!.id]));
    const r = await dest.test({ id: imported[0]!.id });
    expect(r).toMatchObject({ ok: false, code: 'invalid' });
    expect(r.message).toMatch(
      /Destination "Saved FTP \(2\)" has no password stored \(secrets are kept in memory only this run\); edit the profile and enter it/,
    );
  });
});
