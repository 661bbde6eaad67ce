/**
 * `convoy destinations …` end to end: the real CLI in child processes, secrets in a real Secret
 * Service (gnome-keyring on a private D-Bus session), connection tests against ftp-srv, s3rver,
 * Azurite and the Google Cloud Storage stand-in (ours, not Google's). Afterwards a byte search of
 * the data folder (database, WAL, logs, settings) and of every CLI output finds none of the secrets.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
import { keyringToolsMissing, startKeyringSession, type KeyringSession } from '../secrets/keyring-session';

const root = path.resolve(__dirname, '../..');
const missing = keyringToolsMissing();
if (missing && process.env.CI) throw new Error(`CLI destination tests need ${missing}`);

interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
}

describe.skipIf(Boolean(missing))(`convoy destinations (CLI)${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let keyring: KeyringSession;
  let ftp: RunningFtpServer;
  let s3: RunningS3rver;
  let azurite: RunningAzurite;
  let gcs: GcsStandIn;
  let home: string;
  let keyfilePath: string;
  const outputs: string[] = [];
  const secrets: string[] = [];

  async function convoy(args: string[], stdin = '', envOverride: NodeJS.ProcessEnv = {}): Promise<Result> {
    const child = spawn(process.execPath, [path.join(root, 'bin/convoy.mjs'), 'destinations', ...args], {
      cwd: root,
      env: {
        ...keyring.env,
        ...envOverride,
        CONVOY_HOME: home,
        CONVOY_S3_ENDPOINT: s3.endpoint,
        CONVOY_AZURE_ENDPOINT: azurite.endpoint.replace(azurite.accountName, '{account}'),
        CONVOY_GCS_ENDPOINT: gcs.apiEndpoint,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    child.stdin.end(stdin);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const status = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    outputs.push(stdout, stderr);
    return { status, stdout, stderr };
  }

  /** Keyring entries of Convoy's default service, as libsecret sees them. */
  function keyringNames(): string[] {
    const r = spawnSync('secret-tool', ['search', '--all', 'service', 'Convoy'], { env: keyring.env, encoding: 'utf8' });
    return [...`${r.stdout}\n${r.stderr}`.matchAll(/attribute\.username = (.+)/g)].map((m) => m[1]!.trim()).sort();
  }

  beforeAll(async () => {
    [keyring, ftp, s3, azurite, gcs] = await Promise.all([
      startKeyringSession(),
      startFtpServer(),
      startS3rver({ buckets: ['results'] }),
      startAzurite(),
      startGcsStandIn(),
    ]);
    await azurite.createContainer('results');
    gcs.createBucket('convoy-results');
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'convoy-cli-dest-'));
    keyfilePath = path.join(keyring.dir, 'service-account.json');
    fs.writeFileSync(keyfilePath, JSON.stringify(gcs.credentials.keyfile, null, 2));
    secrets.push(ftp.credentials.password, s3.credentials.secretaccesskey, azurite.accountKey);
    // The key file's private key body (PEM lines are stored minified with \n escapes).
    secrets.push(...gcs.credentials.keyfile.private_key.split('\n').filter((l) => l.length > 40));
  });

  afterAll(async () => {
    await Promise.all([keyring?.close(), ftp?.close(), s3?.close(), azurite?.close(), gcs?.close()]);
    if (home) fs.rmSync(home, { recursive: true, force: true });
  });

  it('adds an FTP profile with the password from stdin, and "test" exits 0 after a probe write', async () => {
    const add = await convoy(
      [
        'add',
        'ftp',
        'Office FTP',
        '--host',
        '127.0.0.1',
        '--port',
        String(ftp.port),
        '--path',
        'convoy/{batch}/{name}.{ext}',
        '--username',
        ftp.credentials.username,
        '--password-stdin',
      ],
      `${ftp.credentials.password}\n`,
    );
    expect(add.stderr).toBe('');
    expect(add.status).toBe(0);
    expect(add.stdout).toMatch(/Saved FTP server profile "Office FTP": ftp:\/\/convoy@127\.0\.0\.1:\d+\/convoy\/\{batch\}\/\{name\}\.\{ext\}/);
    expect(keyringNames()).toContain(`profile:${JSON.parse((await convoy(['list', '--json'])).stdout)[0].id}:password`);

    const test = await convoy(['test', 'office ftp']);
    expect(test.status).toBe(0);
    expect(test.stdout).toMatch(/^OK: Logged in to the FTP server 127\.0\.0\.1:\d+ and stored and deleted a test file in "\/convoy"/);
  });

  it('"test" exits 3 when the password is wrong, 8 when the server is unreachable', async () => {
    await convoy(
      ['add', 'ftp', 'Bad FTP', '--host', '127.0.0.1', '--port', String(ftp.port), '--username', 'convoy', '--password-stdin'],
      'not-the-password\n',
    );
    const bad = await convoy(['test', 'Bad FTP']);
    expect(bad.status).toBe(3);
    expect(bad.stderr).toMatch(/^Failed \(auth\): Login failed/);

    await convoy(['add', 'ftp', 'Bad FTP', '--replace', '--port', '1'], '');
    const gone = await convoy(['test', 'Bad FTP']);
    expect(gone.status).toBe(8);
    expect(gone.stderr).toMatch(/^Failed \(unreachable\): Cannot reach the FTP server 127\.0\.0\.1:1/);
  });

  it('adds S3 (secret from stdin), Azure (account key from stdin) and Google Cloud (--keyfile) profiles that test OK', async () => {
    const s3add = await convoy(
      [
        'add',
        'amazons3',
        'S3 results',
        '--bucket',
        'results',
        '--region',
        'eu-central-1',
        '--access-key-id',
        s3.credentials.accesskeyid,
        '--secret-access-key-stdin',
      ],
      `${s3.credentials.secretaccesskey}\n`,
    );
    expect(s3add.status).toBe(0);
    const az = await convoy(
      ['add', 'azure', 'Azure results', '--container', 'results', '--account-name', azurite.accountName, '--account-key-stdin'],
      azurite.accountKey,
    );
    expect(az.status).toBe(0);
    const g = await convoy(['add', 'googlecloud', 'GCS results', '--project-id', gcs.projectId, '--bucket', 'convoy-results', '--keyfile', keyfilePath]);
    expect(g.status).toBe(0);

    for (const name of ['S3 results', 'Azure results', 'GCS results']) {
      const r = await convoy(['test', name]);
      expect({ name, status: r.status, out: r.stdout }).toMatchObject({ status: 0, out: expect.stringMatching(/^OK: /) });
    }
  });

  it('a missing bucket exits 1 with the reason; an invalid profile is refused with per-field messages (exit 5)', async () => {
    await convoy(
      ['add', 'amazons3', 'No bucket', '--bucket', 'does-not-exist', '--access-key-id', s3.credentials.accesskeyid, '--secret-access-key-stdin'],
      `${s3.credentials.secretaccesskey}\n`,
    );
    const r = await convoy(['test', 'No bucket']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^Failed \(missing_container\): The bucket "does-not-exist" does not exist/);

    const bad = await convoy(['add', 'ftp', 'Broken', '--host', 'ftp://x', '--port', '99999', '--username', 'u', '--password-stdin'], 'pw-for-broken\n');
    expect(bad.status).toBe(5);
    expect(bad.stderr).toMatch(/Host: Enter only the host name, without ftp:\/\//);
    expect(bad.stderr).toMatch(/Port: Port must be a whole number from 1 to 65535/);
  });

  it('never takes a secret from argv, and never echoes it', async () => {
    const r = await convoy(['add', 'ftp', 'X', '--host', 'h', '--username', 'u', '--password', 'argv-secret-123']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--password is not accepted: secrets are never read from the command line\. Use --password-stdin/);
    expect(r.stderr + r.stdout).not.toContain('argv-secret-123');
  });

  it('without a keychain, refuses to save secrets it would lose, and says why', async () => {
    const r = await convoy(['add', 'ftp', 'Lost', '--host', '127.0.0.1', '--username', 'u', '--password-stdin'], 'pw-that-would-be-lost\n', {
      DBUS_SESSION_BUS_ADDRESS: `unix:path=${path.join(home, 'no-bus')}`,
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^Warning: Secrets are kept in memory for this run only .*D-Bus session bus/m);
    expect(r.stderr).toMatch(/not saved: without a keychain the secrets would be lost when this command ends/);
    expect((await convoy(['list'])).stdout).not.toMatch(/Lost/);
  });

  it('lists profiles (table and JSON) without secrets; exports without secrets', async () => {
    const table = await convoy(['list']);
    expect(table.status).toBe(0);
    expect(table.stdout).toMatch(/^NAME\s+TYPE\s+WHERE$/m);
    expect(table.stdout).toMatch(/^GCS results\s+googlecloud\s+gs:\/\/convoy-results\/convoy\/\{date\}/m);
    const json = JSON.parse((await convoy(['list', '--json'])).stdout) as Array<{ name: string; secretsSet: string[] }>;
    expect(json.map((p) => p.name)).toEqual(['Azure results', 'Bad FTP', 'GCS results', 'No bucket', 'Office FTP', 'S3 results']);
    expect(json.find((p) => p.name === 'GCS results')!.secretsSet).toEqual(['keyfile']);
    const exp = await convoy(['export']);
    expect(JSON.parse(exp.stdout).profiles).toHaveLength(6);
  });

  it('remove deletes the profile and its keychain entries', async () => {
    const before = JSON.parse((await convoy(['list', '--json'])).stdout) as Array<{ id: string; name: string }>;
    const s3p = before.find((p) => p.name === 'S3 results')!;
    expect(keyringNames()).toContain(`profile:${s3p.id}:secretaccesskey`);
    const r = await convoy(['remove', 'S3 results']);
    expect(r.status).toBe(0);
    expect(keyringNames().some((n) => n.startsWith(`profile:${s3p.id}:`))).toBe(false);
    expect((await convoy(['remove', 'S3 results'])).status).toBe(1);
  });

  it('no secret appears anywhere in the data folder or in any CLI output', () => {
    const files: string[] = [];
    const walk = (d: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p);
        else files.push(p);
      }
    };
    walk(home);
    expect(files.some((f) => f.endsWith('convoy.db'))).toBe(true);
    expect(files.some((f) => f.endsWith('convoy.log'))).toBe(true);
    const haystacks = [...files.map((f) => fs.readFileSync(f)), ...outputs.map((o) => Buffer.from(o))];
    // Positive control: the search does see what these files and outputs hold.
    expect(haystacks.some((h) => h.includes(Buffer.from('GCS results')))).toBe(true);
    expect(haystacks.some((h) => h.includes(Buffer.from(s3.credentials.accesskeyid)))).toBe(true);
    for (const secret of [...secrets, 'not-the-password', 'pw-for-broken', 'pw-that-would-be-lost']) {
      for (const h of haystacks) expect(h.includes(Buffer.from(secret))).toBe(false);
    }
  });
});
