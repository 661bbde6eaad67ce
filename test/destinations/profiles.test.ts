/**
 * Destination profiles through the contract handlers: saved with non-secret fields in SQLite and
 * secrets in a real Secret Service (gnome-keyring on a private D-Bus session bus), listed, edited,
 * duplicated, removed (with their secrets), exported and imported without secrets, and turned into
 * the api2convert guide's `output_target` and cloud input shapes.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContractError, parseArgs, type Events, type Handlers, type ProfileInput } from '../../preload/contract';
import { openDatabase, type Db } from '../../main/db';
import { createDestinations, type Destinations } from '../../main/destinations';
import { EventBus } from '../../main/events';
import type { DestinationsPort } from '../../main/queue/runner';
import { createSecretStore, type SecretStore } from '../../main/secrets';
import { keyringToolsMissing, startKeyringSession, type KeyringSession } from '../secrets/keyring-session';

const missing = keyringToolsMissing();
if (missing && process.env.CI) throw new Error(`Profile tests need ${missing}`);

const FTP_PASSWORD = 'ftp-Pa55-word-7f3a9c';
const S3_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY9';
const S3_TOKEN = 'FwoGZXIvYXdzEXAMPLESESSIONTOKEN0123456789abcdef';
const AZURE_KEY = Buffer.alloc(64, 9).toString('base64');
const KEYFILE = {
  type: 'service_account',
  project_id: 'convoy-demo-1',
  private_key_id: 'abc123',
  private_key: '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCsecretbody\n-----END PRIVATE KEY-----\n',
  client_email: 'convoy@convoy-demo-1.iam.gserviceaccount.com',
  token_uri: 'https://oauth2.googleapis.com/token',
};
const ALL_SECRETS = [FTP_PASSWORD, S3_SECRET, S3_TOKEN, AZURE_KEY, 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCsecretbody'];

describe.skipIf(Boolean(missing))(`destination profiles${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let keyring: KeyringSession;
  let dataDir: string;
  let db: Db;
  let secrets: SecretStore;
  let events: EventBus;
  let dest: Destinations;
  let h: Partial<Handlers>;
  const published: Array<Events['destinations']> = [];

  /** Calls a handler the way every adapter does: validate against the contract first. */
  async function call<M extends keyof Handlers>(method: M, args: unknown): Promise<Awaited<ReturnType<Handlers[M]>>> {
    const parsed = parseArgs(method, args);
    return (h[method] as (a: unknown) => Promise<Awaited<ReturnType<Handlers[M]>>>)(parsed);
  }

  const ftp = (over: Partial<ProfileInput> = {}): ProfileInput => ({
    name: 'Office FTP',
    type: 'ftp',
    fields: { host: 'ftp.example.com', username: 'convoy' },
    secrets: { password: FTP_PASSWORD },
    ...over,
  });

  beforeAll(async () => {
    keyring = await startKeyringSession();
    // The keychain library connects to whatever bus this process names (this test file runs in
    // its own worker process, so the override stays here).
    process.env.DBUS_SESSION_BUS_ADDRESS = keyring.address;
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'convoy-profiles-'));
    db = openDatabase(dataDir);
    secrets = await createSecretStore({ service: `convoy-profiles-${process.pid}` });
    expect(secrets.status()).toEqual({ backend: 'keychain', warning: null });
    events = new EventBus();
    events.on('destinations', (p) => published.push(p));
    dest = createDestinations({ db, secrets, events });
    h = dest.handlers();
  });

  afterAll(async () => {
    db?.close();
    await keyring?.close();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('is what the queue expects (compile-time) and answers every destinations.* method', () => {
    const port: DestinationsPort = dest;
    expect(port).toBeTruthy();
    expect(Object.keys(h).sort()).toEqual([
      'cloud.browse',
      'destinations.duplicate',
      'destinations.export',
      'destinations.import',
      'destinations.list',
      'destinations.remove',
      'destinations.save',
      'destinations.test',
    ]);
  });

  it('saves a profile: defaults filled in, secrets in the keychain only, flagged in the view, event published', async () => {
    const saved = await call('destinations.save', ftp());
    expect(saved).toMatchObject({
      name: 'Office FTP',
      type: 'ftp',
      fields: { host: 'ftp.example.com', port: 21, username: 'convoy', file: 'convoy/{date}/{batch}/{folder}/{name}.{ext}' },
      secretsSet: ['password'],
    });
    expect(saved).not.toHaveProperty('secrets');
    expect(await secrets.get(`profile:${saved.id}:password`)).toBe(FTP_PASSWORD);
    const row = db.prepare('SELECT * FROM destination_profiles WHERE id = ?').get(saved.id) as Record<string, string>;
    expect(JSON.stringify(row)).not.toContain(FTP_PASSWORD);
    expect(published.at(-1)!.profiles.map((p) => p.name)).toEqual(['Office FTP']);
    expect(await call('destinations.list', undefined)).toEqual([saved]);
  });

  it('refuses invalid forms with per-field messages, unknown and misplaced fields, and duplicate names', async () => {
    const bad = call('destinations.save', {
      name: 'S3',
      type: 'amazons3',
      fields: { bucket: 'Bad_Bucket', region: 'Frankfurt', accesskeyid: 'AKIA', file: 'out/{nam}.{ext}' },
      secrets: {},
    });
    await expect(bad).rejects.toThrow(ContractError);
    const msg = await bad.catch((e: Error) => e.message);
    expect(msg).toMatch(/^Amazon S3 profile "S3": /);
    expect(msg).toMatch(/Bucket: An S3 bucket name has 3–63 lowercase letters/);
    expect(msg).toMatch(/Region: Enter an AWS region code such as eu-central-1/);
    expect(msg).toMatch(/Access key ID: An access key ID has 16–128 capital letters and digits/);
    expect(msg).toMatch(/File path: Unknown placeholder \{nam\}/);
    expect(msg).toMatch(/Secret access key: Enter the secret access key/);

    // A secret sent as a plain field would land in SQLite: refused.
    await expect(call('destinations.save', ftp({ name: 'Leaky', fields: { host: 'h.example', username: 'u', password: 'oops-plain' } }))).rejects.toThrow(
      /Password: Password is a secret: send it with the secrets, never as a plain field/,
    );
    await expect(call('destinations.save', ftp({ name: 'office ftp' }))).rejects.toMatchObject({ code: 'conflict' });
    expect(JSON.stringify(db.prepare('SELECT * FROM destination_profiles').all())).not.toContain('oops-plain');
  });

  it('edits: omitted secrets are kept, given ones replaced, an empty optional one removed; a type change drops old secrets', async () => {
    const s3 = await call('destinations.save', {
      name: 'S3 temp',
      type: 'amazons3',
      fields: { bucket: 'convoy-results', accesskeyid: 'ASIAEXAMPLEKEY0000001' },
      secrets: { secretaccesskey: S3_SECRET, sessiontoken: S3_TOKEN },
    });
    expect(s3.fields.region).toBe('eu-central-1');
    expect(s3.secretsSet).toEqual(['secretaccesskey', 'sessiontoken']);

    const edited = await call('destinations.save', {
      id: s3.id,
      name: 'S3 results',
      type: 'amazons3',
      fields: { ...s3.fields, region: 'us-east-1' },
      secrets: { sessiontoken: '' },
    });
    expect(edited).toMatchObject({ id: s3.id, name: 'S3 results', fields: { region: 'us-east-1' }, secretsSet: ['secretaccesskey'], createdAt: s3.createdAt });
    expect(await secrets.get(`profile:${s3.id}:secretaccesskey`)).toBe(S3_SECRET);
    expect(await secrets.get(`profile:${s3.id}:sessiontoken`)).toBeNull();

    const asAzure = await call('destinations.save', {
      id: s3.id,
      name: 'Now Azure',
      type: 'azure',
      fields: { container: 'results', accountname: 'convoystore' },
      secrets: { accountkey: AZURE_KEY },
    });
    expect(asAzure.secretsSet).toEqual(['accountkey']);
    expect(await secrets.get(`profile:${s3.id}:secretaccesskey`)).toBeNull();
    // Switching type without the new type's secret is refused (the old one cannot serve).
    await expect(call('destinations.save', { id: s3.id, name: 'Now FTP', type: 'ftp', fields: { host: 'h.example', username: 'u' } })).rejects.toThrow(
      /Password: Enter the password/,
    );
  });

  it('duplicates a profile with its secrets under a new name', async () => {
    const original = dest.byName('Office FTP')!;
    const copy = await call('destinations.duplicate', { id: original.id });
    expect(copy).toMatchObject({ name: 'Office FTP (copy)', type: 'ftp', fields: original.fields, secretsSet: ['password'] });
    expect(copy.id).not.toBe(original.id);
    expect(await secrets.get(`profile:${copy.id}:password`)).toBe(FTP_PASSWORD);
    const again = await call('destinations.duplicate', { id: original.id });
    expect(again.name).toBe('Office FTP (copy) (2)');
    await expect(call('destinations.duplicate', { id: original.id, name: 'office ftp (COPY)' })).rejects.toMatchObject({ code: 'conflict' });
    await call('destinations.remove', { id: again.id });
  });

  it('resolves --destination <name> case-insensitively, and names the saved profiles when it cannot', () => {
    expect(dest.destinationByName('office ftp')).toEqual({ kind: 'profile', profileId: dest.byName('Office FTP')!.id });
    expect(() => dest.destinationByName('nope')).toThrow(
      /^No destination profile named "nope"; saved profiles: "Now Azure", "Office FTP", "Office FTP \(copy\)"$/,
    );
  });

  it('removing a profile removes its secrets; removing an unknown id answers removed: false', async () => {
    const copy = dest.byName('Office FTP (copy)')!;
    expect(await call('destinations.remove', { id: copy.id })).toEqual({ removed: true });
    expect(await secrets.get(`profile:${copy.id}:password`)).toBeNull();
    expect(dest.get(copy.id)).toBeNull();
    expect(await call('destinations.remove', { id: copy.id })).toEqual({ removed: false });
  });

  it('exports JSON without any secret and imports it back (names made unique, secrets to be entered)', async () => {
    await call('destinations.save', {
      name: 'GCS',
      type: 'googlecloud',
      fields: { projectid: 'convoy-demo-1', bucket: 'convoy_results' },
      secrets: { keyfile: JSON.stringify(KEYFILE, null, 2) },
    });
    const json = await call('destinations.export', undefined);
    for (const s of ALL_SECRETS) expect(json).not.toContain(s);
    const parsed = JSON.parse(json);
    expect(parsed).toMatchObject({ format: 'convoy-destination-profiles', version: 1 });
    expect(parsed.profiles.map((p: { name: string }) => p.name)).toEqual(['GCS', 'Now Azure', 'Office FTP']);
    expect(parsed.profiles[0]).toEqual({
      name: 'GCS',
      type: 'googlecloud',
      fields: { projectid: 'convoy-demo-1', bucket: 'convoy_results', file: 'convoy/{date}/{batch}/{folder}/{name}.{ext}' },
      secretsNeeded: ['keyfile'],
    });

    // One bad entry does not sink the others; secrets smuggled into the file are not stored.
    parsed.profiles.push({ name: 'Broken', type: 'ftp', fields: { host: 'ftp://x' } });
    parsed.profiles[2].secrets = { password: 'smuggled-secret-value' };
    const r = await call('destinations.import', { json: JSON.stringify(parsed) });
    expect(r.imported.map((p) => p.name)).toEqual(['GCS (2)', 'Now Azure (2)', 'Office FTP (2)']);
    expect(r.imported.every((p) => p.secretsSet.length === 0)).toBe(true);
    expect(r.errors).toEqual([
      'Profile 3 ("Office FTP"): secrets in the file were ignored; enter them in Convoy',
      expect.stringMatching(/^Profile 4 \("Broken"\): Host: Enter only the host name, without ftp:\/\//),
    ]);
    expect(await secrets.get(`profile:${r.imported[2]!.id}:password`)).toBeNull();
    await expect(dest.resolveOutputTarget(r.imported[2]!.id, vars)).rejects.toThrow(
      /Destination "Office FTP \(2\)" has no password stored; edit the profile and enter it/,
    );

    expect(await call('destinations.import', { json: '{"profiles": []}' })).toEqual({
      imported: [],
      errors: ['This is not a Convoy destination profile export (expected "format": "convoy-destination-profiles", "version": 1)'],
    });
    for (const p of r.imported) await dest.remove(p.id);
  });

  const vars = { name: 'holiday photo', ext: 'png', target: 'png', batch: 'b-42', date: '2026-11-28', folder: 'trips/rome' };

  it("builds the guide's output_target entries with credentials from the keychain", async () => {
    expect(await dest.resolveOutputTarget(dest.byName('Office FTP')!.id, vars)).toEqual({
      type: 'ftp',
      parameters: { host: 'ftp.example.com', port: 21, file: 'convoy/2026-11-28/b-42/trips/rome/holiday photo.png' },
      credentials: { username: 'convoy', password: FTP_PASSWORD },
    });
    expect(await dest.resolveOutputTarget(dest.byName('Now Azure')!.id, { ...vars, folder: '' })).toEqual({
      type: 'azure',
      parameters: { container: 'results', file: 'convoy/2026-11-28/b-42/holiday photo.png' },
      credentials: { accountname: 'convoystore', accountkey: AZURE_KEY },
    });
    const gcs = await dest.resolveOutputTarget(dest.byName('GCS')!.id, vars);
    expect(gcs).toEqual({
      type: 'googlecloud',
      parameters: { projectid: 'convoy-demo-1', bucket: 'convoy_results', file: 'convoy/2026-11-28/b-42/trips/rome/holiday photo.png' },
      credentials: { keyfile: KEYFILE },
    });
    const s3 = await call('destinations.save', {
      name: 'S3',
      type: 'amazons3',
      fields: { bucket: 'convoy-results', accesskeyid: 'AKIAEXAMPLEKEY000001', file: '/exports/{target}/{name}.{ext}' },
      secrets: { secretaccesskey: S3_SECRET },
    });
    const target = await dest.resolveOutputTarget(s3.id, vars);
    expect(target).toEqual({
      type: 'amazons3',
      parameters: { bucket: 'convoy-results', region: 'eu-central-1', file: 'exports/png/holiday photo.png' },
      credentials: { accesskeyid: 'AKIAEXAMPLEKEY000001', secretaccesskey: S3_SECRET },
    });
    expect(dest.locationOf(target)).toBe('s3://convoy-results/exports/png/holiday photo.png');
  });

  it("builds the guide's cloud inputs from the same profiles", async () => {
    expect(await dest.resolveCloudInput(dest.byName('S3')!.id, '/pictures/mountains.jpg')).toEqual({
      type: 'cloud',
      source: 'amazons3',
      parameters: { bucket: 'convoy-results', region: 'eu-central-1', file: 'pictures/mountains.jpg' },
      credentials: { accesskeyid: 'AKIAEXAMPLEKEY000001', secretaccesskey: S3_SECRET },
      filename: 'mountains.jpg',
    });
    expect(await dest.resolveCloudInput(dest.byName('Office FTP')!.id, 'in/report.docx')).toMatchObject({
      type: 'cloud',
      source: 'ftp',
      parameters: { host: 'ftp.example.com', port: 21, file: 'in/report.docx' },
      credentials: { username: 'convoy', password: FTP_PASSWORD },
    });
    await expect(dest.resolveCloudInput('no-such-id', 'x')).rejects.toMatchObject({ code: 'not_found' });
  });

  it('never wrote a secret to the database, its WAL or the data folder', () => {
    db.pragma('wal_checkpoint(TRUNCATE)');
    const files: Buffer[] = [];
    const walk = (d: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p);
        else files.push(fs.readFileSync(p));
      }
    };
    walk(dataDir);
    expect(files.some((f) => f.includes(Buffer.from('convoy-demo-1')))).toBe(true);
    for (const s of ALL_SECRETS) for (const f of files) expect(f.includes(Buffer.from(s))).toBe(false);
  });

  it('a keychain that disappears mid-run gives a clear "unavailable" error, and the profile stays as it was', async () => {
    const before = dest.byName('Office FTP')!;
    await keyring.stopKeyring();
    const err = await call('destinations.save', { ...ftp(), id: before.id, secrets: { password: 'new-password-1' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ContractError);
    expect((err as ContractError).code).toBe('unavailable');
    expect((err as ContractError).message).toMatch(
      /^Could not read "profile:.*:password" in the keychain: no Secret Service provider \(GNOME Keyring, KWallet, KeePassXC\) is running\. Install and start/,
    );
    expect(dest.byName('Office FTP')).toEqual(before);
    await expect(dest.resolveOutputTarget(before.id, vars)).rejects.toMatchObject({ code: 'unavailable' });
  });
});
