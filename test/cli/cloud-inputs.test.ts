/**
 * `convoy convert --input-cloud … --input-param … --input-credentials-file …` (the official CLI's
 * flags) against s3rver, Azurite, the Google Cloud Storage stand-in and ftp-srv, converted by the
 * in-process local engine: one object, a prefix of five, a wrong secret (exit 3, the provider's
 * words), credentials nowhere in the data folder, the logs or `ps`; `--output-target`;
 * `--filename` for a URL input.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AZURITE_KEY,
  startAzurite,
  startFtpServer,
  startGcsStandIn,
  startS3rver,
  type GcsStandIn,
  type RunningAzurite,
  type RunningFtpServer,
  type RunningS3rver,
} from '../support/cloud-servers';
import { photo } from '../engine/support/images';
import { isPng, serveFolder, tmpDir } from '../queue/helpers';
import { keyringToolsMissing, startKeyringSession } from '../secrets/keyring-session';
import { cliEnv, runCli, startCli } from './cli-helpers';

let s3: RunningS3rver;
let azure: RunningAzurite;
let ftp: RunningFtpServer;
let gcs: GcsStandIn;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  [s3, azure, ftp, gcs] = await Promise.all([startS3rver({ buckets: ['inbox', 'outbox'] }), startAzurite(), startFtpServer(), startGcsStandIn()]);
  await azure.createContainer('box');
  gcs.createBucket('gbucket');
  const jpg = await photo(48, 32);
  const puts: Array<Promise<unknown>> = [];
  for (const name of ['one.jpg', ...[0, 1, 2, 3, 4].map((i) => `batch/p${i}.jpg`)]) {
    puts.push(s3.put('inbox', name, jpg), azure.put('box', name, jpg), ftp.put(name, jpg));
    puts.push(gcs.put('gbucket', name, jpg));
  }
  puts.push(s3.put('inbox', 'batch/notes.txt', 'not an image'));
  await Promise.all(puts);
  env = cliEnv({
    CONVOY_SECRETS: 'memory',
    CONVOY_S3_ENDPOINT: s3.endpoint,
    // The documented form: the account name goes into {account}.
    CONVOY_AZURE_ENDPOINT: azure.endpoint.replace(/\/[^/]+$/, '/{account}'),
    CONVOY_GCS_ENDPOINT: gcs.apiEndpoint,
  });
}, 120_000);
afterAll(async () => {
  await Promise.all([s3?.close(), azure?.close(), ftp?.close(), gcs?.close()]);
});

interface Provider {
  name: string;
  params: () => string[];
  credentials: () => Record<string, unknown>;
  wrong: () => Record<string, unknown>;
  /** The secret that must never be stored or printed. */
  secret: () => string;
  /** The provider's own words for a refused secret. */
  words: RegExp;
}

const providers: Provider[] = [
  {
    name: 'amazons3',
    params: () => ['bucket=inbox', 'region=eu-central-1'],
    credentials: () => s3.credentials,
    wrong: () => ({ ...s3.credentials, secretaccesskey: 'wrong-secret-access-key-0123456789' }),
    secret: () => s3.credentials.secretaccesskey,
    words: /signature we calculated does not match/i,
  },
  {
    name: 'azure',
    params: () => ['container=box'],
    credentials: () => azure.credentials,
    wrong: () => ({ ...azure.credentials, accountkey: Buffer.from('not the account key at all, sorry').toString('base64') }),
    secret: () => AZURITE_KEY,
    words: /AuthorizationFailure|Server failed to authenticate|authenticat/i,
  },
  {
    name: 'googlecloud',
    params: () => [`projectid=${gcs.projectId}`, 'bucket=gbucket'],
    credentials: () => gcs.credentials,
    wrong: () => gcs.wrongKeyCredentials,
    secret: () => (gcs.credentials.keyfile as unknown as { private_key: string }).private_key.split('\n')[1]!,
    words: /invalid_grant|refused the service account key/i,
  },
  {
    name: 'ftp',
    params: () => [`host=${ftp.host}`, `port=${ftp.port}`],
    credentials: () => ftp.credentials,
    wrong: () => ({ ...ftp.credentials, password: 'wrong-password' }),
    secret: () => ftp.credentials.password,
    words: /Login incorrect|530/,
  },
];

function credsFile(dir: string, name: string, creds: Record<string, unknown>): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, JSON.stringify(creds), { mode: 0o600 });
  return file;
}

/** Every file under dir (data folder: queue database, WAL, logs, the in-process engine's state). */
function allFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...allFiles(p));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

function expectNowhere(dir: string, secret: string): void {
  expect(secret.length).toBeGreaterThan(8);
  for (const f of allFiles(dir)) expect(fs.readFileSync(f).includes(secret), `${secret.slice(0, 4)}… found in ${f}`).toBe(false);
}

const inputArgs = (p: Provider, file: string, creds: string) => [
  '--input-cloud',
  p.name,
  ...p.params().flatMap((kv) => ['--input-param', kv]),
  '--input-param',
  file,
  '--input-credentials-file',
  creds,
];

describe.each(providers)('convoy convert --input-cloud $name', (p) => {
  it('converts one object and a prefix of five (one item per object); a wrong secret exits 3 in the provider’s words; credentials stay out of the data folder', async () => {
    const work = tmpDir(`cloud-cli-${p.name}`);
    const data = path.join(work, 'data');
    const creds = credsFile(work, 'creds.json', p.credentials());

    const one = await runCli(
      ['convert', ...inputArgs(p, 'file=one.jpg', creds), '--to', 'png', '--out-dir', path.join(work, 'one'), '--data-dir', data, '--json'],
      { env },
    );
    expect(one.code, one.stderr + one.stdout).toBe(0);
    expect(await isPng(path.join(work, 'one', 'one.png'))).toBe(true);
    const doc = JSON.parse(one.stdout);
    expect(doc.items[0].source).toMatch(/(inbox|box|gbucket|127\.0\.0\.1)\/one\.jpg$/);

    const prefixFlag = p.name === 'ftp' ? 'prefix=batch/' : p.name === 'azure' ? 'file=batch/*.jpg' : 'file=batch/';
    const many = await runCli(
      ['convert', ...inputArgs(p, prefixFlag, creds), '--to', 'png', '--out-dir', path.join(work, 'many'), '--data-dir', data, '--json'],
      { env },
    );
    const manyDoc = JSON.parse(many.stdout);
    const images = manyDoc.items.filter((i: { source: string }) => i.source.endsWith('.jpg'));
    expect(images).toHaveLength(5);
    for (let i = 0; i < 5; i++) expect(await isPng(path.join(work, 'many', `p${i}.png`))).toBe(true);
    // S3's prefix also holds a text file, which fails on its own (exit 6, conversion failed); the others are all images.
    expect(many.code, many.stderr).toBe(p.name === 'amazons3' ? 6 : 0);

    const wrong = credsFile(work, 'wrong.json', p.wrong());
    const refused = await runCli(['convert', ...inputArgs(p, 'file=one.jpg', wrong), '--to', 'png', '--out-dir', path.join(work, 'x'), '--data-dir', data], {
      env,
    });
    expect(refused.code, refused.stderr + refused.stdout).toBe(3);
    expect(refused.stderr).toMatch(p.words);

    expectNowhere(data, p.secret());
    expect(one.stdout + one.stderr + many.stdout + many.stderr + refused.stdout + refused.stderr).not.toContain(p.secret());
  }, 120_000);
});

describe('cloud.browse (what "Add from cloud…" lists) for every provider', () => {
  it('lists one level (folders first) and, recursively, every object under a folder', async () => {
    const { createCore } = await import('../../main/core');
    const core = await createCore({ shell: 'browser', dataDir: tmpDir('cloud-browse'), env });
    try {
      const forms = {
        amazons3: {
          fields: { bucket: 'inbox', region: 'eu-central-1', accesskeyid: s3.credentials.accesskeyid },
          secrets: { secretaccesskey: s3.credentials.secretaccesskey },
        },
        azure: { fields: { container: 'box', accountname: azure.accountName }, secrets: { accountkey: azure.accountKey } },
        googlecloud: { fields: { projectid: gcs.projectId, bucket: 'gbucket' }, secrets: { keyfile: JSON.stringify(gcs.credentials.keyfile) } },
        ftp: { fields: { host: ftp.host, port: ftp.port, username: ftp.credentials.username }, secrets: { password: ftp.credentials.password } },
      } as const;
      for (const [type, form] of Object.entries(forms)) {
        const p = await core.handlers['destinations.save']({
          name: type,
          type: type as keyof typeof forms,
          fields: { ...form.fields },
          secrets: { ...form.secrets },
        });
        const top = await core.handlers['cloud.browse']({ profileId: p.id, prefix: '' });
        expect(
          top.entries.slice(0, 2).map((e) => [e.key, e.folder]),
          type,
        ).toEqual([
          ['batch/', true],
          ['one.jpg', false],
        ]);
        const inside = await core.handlers['cloud.browse']({ profileId: p.id, prefix: 'batch/', recursive: true });
        expect(
          inside.entries.filter((e) => e.key.endsWith('.jpg')).map((e) => e.name),
          type,
        ).toEqual(['p0.jpg', 'p1.jpg', 'p2.jpg', 'p3.jpg', 'p4.jpg']);
      }
      const wrong = await core.handlers['destinations.save']({
        name: 'wrong',
        type: 'ftp',
        fields: { ...forms.ftp.fields },
        secrets: { password: 'nope-nope' },
      });
      await expect(core.handlers['cloud.browse']({ profileId: wrong.id, prefix: '' })).rejects.toMatchObject({
        code: 'cloud_auth',
        message: expect.stringMatching(/Login incorrect/),
      });
    } finally {
      await core.close();
    }
  }, 90_000);
});

describe.skipIf(Boolean(keyringToolsMissing()))('convoy convert --input-profile (a saved profile, secrets in a real keyring)', () => {
  it('reads every object under a prefix through the profile', async () => {
    const keyring = await startKeyringSession();
    try {
      const home = tmpDir('cloud-cli-profile');
      const penv: NodeJS.ProcessEnv = { ...env, ...keyring.env, CONVOY_HOME: home };
      delete penv.CONVOY_SECRETS;
      const { spawn } = await import('node:child_process');
      const { repoRoot } = await import('../queue/helpers');
      const add = spawn(
        process.execPath,
        [
          path.join(repoRoot, 'bin/convoy.mjs'),
          'destinations',
          'add',
          'amazons3',
          'Inbox',
          '--bucket',
          'inbox',
          '--access-key-id',
          s3.credentials.accesskeyid,
          '--secret-access-key-stdin',
        ],
        { env: penv, stdio: ['pipe', 'ignore', 'pipe'] },
      );
      add.stdin!.end(`${s3.credentials.secretaccesskey}\n`);
      expect(await new Promise((r) => add.once('exit', r))).toBe(0);
      const out = path.join(home, 'out');
      const r = await runCli(['convert', '--input-profile', 'inbox', '--input-param', 'file=batch/*.jpg', '--to', 'png', '--out-dir', out, '--json'], {
        env: penv,
      });
      expect(r.code, r.stderr + r.stdout).toBe(0);
      const doc = JSON.parse(r.stdout);
      expect(doc.items.map((i: { source: string }) => i.source)).toEqual([0, 1, 2, 3, 4].map((i) => `inbox/batch/p${i}.jpg`));
      expect(fs.readdirSync(out).sort()).toEqual(['p0.png', 'p1.png', 'p2.png', 'p3.png', 'p4.png']);
      expectNowhere(home, s3.credentials.secretaccesskey);
      const unknown = await runCli(['convert', '--input-profile', 'Nope', '--input-param', 'file=a.jpg', '--to', 'png'], { env: penv });
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toMatch(/no profile named "Nope" \(saved: "Inbox"\)/);
    } finally {
      await keyring.close();
    }
  }, 120_000);
});

describe('cloud inputs: credentials sources, outputs, suggested names', () => {
  it('reads A2C_INPUT_CREDENTIALS, never shows the secret in ps, and delivers with --output-target', async () => {
    const work = tmpDir('cloud-cli-env');
    const data = path.join(work, 'data');
    const outCreds = credsFile(work, 'out.json', s3.credentials);
    const run = startCli(
      [
        'convert',
        '--input-cloud',
        'amazons3',
        '--input-param',
        'bucket=inbox',
        '--input-param',
        'file=batch/p*.jpg',
        '--to',
        'webp',
        '--data-dir',
        data,
        '--output-target',
        'amazons3',
        '--output-param',
        'bucket=outbox',
        '--output-param',
        'file=results/{batch}/{name}.{ext}',
        '--output-credentials-file',
        outCreds,
      ],
      { env: { ...env, A2C_INPUT_CREDENTIALS: JSON.stringify(s3.credentials) } },
    );
    let psSeen = '';
    while (run.child.exitCode === null) {
      psSeen += execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
      await new Promise((r) => setTimeout(r, 150));
    }
    const r = await run.done;
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(psSeen).toContain('--input-cloud');
    expect(psSeen).not.toContain(s3.credentials.secretaccesskey);
    const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: 'outbox', Prefix: 'results/' }));
    expect((listed.Contents ?? []).map((o) => path.basename(o.Key!)).sort()).toEqual(['p0.webp', 'p1.webp', 'p2.webp', 'p3.webp', 'p4.webp']);
    expectNowhere(data, s3.credentials.secretaccesskey);
  }, 90_000);

  it('reads the credentials when a job is created: a missing A2C_INPUT_CREDENTIALS fails the items clearly; convoy resume continues cloud items', async () => {
    const { createCore } = await import('../../main/core');
    const { runCli: runInProcess } = await import('../../main/shells/cli');
    const { PassThrough } = await import('node:stream');
    const { waitFor } = await import('../queue/helpers');
    const data = tmpDir('cloud-cli-resume');
    const out = path.join(data, 'out');
    const account = {
      type: 'amazons3' as const,
      parameters: { bucket: 'inbox' },
      credentialsFrom: { kind: 'env' as const, name: 'A2C_INPUT_CREDENTIALS' as const },
    };
    const items = ['batch/p0.jpg', 'batch/p1.jpg'].map((file) => ({ source: { kind: 'cloud' as const, account, file } }));

    // The variable is gone when the jobs are built (e.g. a resume in another shell): a clear failure per item.
    const bare = await createCore({ shell: 'cli', dataDir: data, env: { ...env }, queue: { outputDir: out, autoResume: false } });
    const first = await bare.handlers['queue.add']({ items, target: 'png' });
    await bare.handlers['queue.start']({ batchId: first.batchId });
    const failed = await waitFor(async () => {
      const l = await bare.handlers['queue.list']({ batchId: first.batchId, offset: 0, limit: 10 });
      return l.items.every((i) => i.state === 'failed') ? l.items : null;
    });
    expect(failed[0]!.error).toMatchObject({ code: 'input', message: expect.stringMatching(/the environment variable A2C_INPUT_CREDENTIALS is not set/) });
    await bare.close();

    // Added and started with the variable, then the process ends at once; resume finishes them.
    const withCreds = { ...env, A2C_INPUT_CREDENTIALS: JSON.stringify(s3.credentials) };
    const core = await createCore({ shell: 'cli', dataDir: data, env: withCreds, queue: { outputDir: out, autoResume: false } });
    const second = await core.handlers['queue.add']({ items, target: 'png' });
    await core.handlers['queue.start']({ batchId: second.batchId });
    await core.close();
    const stdout = new PassThrough();
    let text = '';
    stdout.on('data', (d) => (text += d));
    const code = await runInProcess(['resume', '--data-dir', data, '--json'], { stdout, stderr: new PassThrough(), stdin: new PassThrough(), env: withCreds });
    expect(code, text.slice(0, 1500)).toBe(0);
    expect(fs.readdirSync(out).sort()).toEqual(['p0.png', 'p1.png']);
    expectNowhere(data, s3.credentials.secretaccesskey);
  }, 90_000);

  it('explains missing credentials, unknown parameters, a missing object and stray flags (exit 2 or 5)', async () => {
    const data = tmpDir('cloud-cli-usage');
    const noCreds = await runCli(
      ['convert', '--input-cloud', 'amazons3', '--input-param', 'bucket=inbox', '--input-param', 'file=one.jpg', '--to', 'png', '--data-dir', data],
      { env },
    );
    expect(noCreds.code).toBe(2);
    expect(noCreds.stderr).toMatch(/--input-credentials-file <json>, env A2C_INPUT_CREDENTIALS, or --input-profile <name>/);
    const creds = credsFile(data, 'c.json', s3.credentials);
    const badParam = await runCli(
      [
        'convert',
        '--input-cloud',
        'amazons3',
        '--input-param',
        'bukket=inbox',
        '--input-param',
        'file=one.jpg',
        '--input-credentials-file',
        creds,
        '--to',
        'png',
        '--data-dir',
        data,
      ],
      { env },
    );
    expect(badParam.code).toBe(2);
    expect(badParam.stderr).toMatch(/--input-param bukket: Amazon S3 inputs take bucket, region, file, prefix/);
    const s3url = await runCli(['convert', 's3://inbox/one.jpg', '--to', 'png', '--data-dir', data], { env });
    expect(s3url.stdout).toMatch(/Not an http\(s\) URL \(s3\); read cloud storage with "Add from cloud…" or convoy convert --input-cloud/);
    const gdrive = await runCli(['convert', '--input-cloud', 'gdrive', '--to', 'png', '--data-dir', data], { env });
    expect(gdrive.code).toBe(2);
    const missing = await runCli(
      [
        'convert',
        '--input-cloud',
        'amazons3',
        '--input-param',
        'bucket=inbox',
        '--input-param',
        'file=batch',
        '--input-credentials-file',
        creds,
        '--to',
        'png',
        '--data-dir',
        data,
      ],
      { env },
    );
    expect(missing.code).toBe(5);
    expect(missing.stderr).toMatch(/"batch" was not found; it is a folder: end it with \/ to convert every object in it/);
  }, 90_000);

  it('saves a URL input under the engine’s name for a suggested filename with path parts (--filename)', async () => {
    const src = tmpDir('cloud-cli-url');
    fs.writeFileSync(path.join(src, 'pic.jpg'), await photo(20, 20));
    const server = await serveFolder(src);
    try {
      const out = tmpDir('cloud-cli-url-out');
      const r = await runCli(
        ['convert', `${server.url}/pic.jpg`, '--filename', '../../evil name.png', '--to', 'webp', '--out-dir', out, '--data-dir', tmpDir('cloud-cli-url-data')],
        { env },
      );
      expect(r.code, r.stderr + r.stdout).toBe(0);
      expect(fs.readdirSync(out)).toEqual(['evil name.webp']);
    } finally {
      await server.close();
    }
  }, 60_000);
});
