/**
 * Delivery through destination profiles, end to end: profiles saved with their secrets in a real
 * Secret Service, a batch run by the real queue against the local engine, which uploads results to
 * real local servers (ftp-srv, s3rver) through the `output_target` entries built from the profiles.
 * One batch fails on purpose (wrong FTP password). Afterwards a byte search of the whole data
 * folder (database, WAL, logs, the engine's own state) and of every event and view finds none of
 * the secrets.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../engine';
import type { ItemView } from '../../preload/contract';
import { Api2ConvertClient } from '../../main/api';
import { openDatabase, type Db } from '../../main/db';
import { createDestinations, type Destinations } from '../../main/destinations';
import { EventBus } from '../../main/events';
import { createLogger } from '../../main/log';
import { createQueue, type Queue } from '../../main/queue';
import { createSecretStore } from '../../main/secrets';
import { startFtpServer, startS3rver, type RunningFtpServer, type RunningS3rver } from '../support/cloud-servers';
import { keyringToolsMissing, startKeyringSession, type KeyringSession } from '../secrets/keyring-session';

const missing = keyringToolsMissing();
if (missing && process.env.CI) throw new Error(`Delivery tests need ${missing}`);

const API_KEY = `key-${crypto.randomBytes(16).toString('hex')}`;
const WRONG_FTP_PASSWORD = `wrong-${crypto.randomBytes(9).toString('base64url')}`;

describe.skipIf(Boolean(missing))(`delivery to destination profiles${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let keyring: KeyringSession;
  let ftp: RunningFtpServer;
  let s3: RunningS3rver;
  let dataDir: string;
  let srcDir: string;
  let engine: Engine;
  let db: Db;
  let client: Api2ConvertClient;
  let dest: Destinations;
  let queue: Queue;
  const events = new EventBus();
  const seen: unknown[] = [];
  const secrets: string[] = [];

  beforeAll(async () => {
    [keyring, ftp, s3] = await Promise.all([startKeyringSession(), startFtpServer(), startS3rver({ buckets: ['results'] })]);
    process.env.DBUS_SESSION_BUS_ADDRESS = keyring.address;
    secrets.push(ftp.credentials.password, WRONG_FTP_PASSWORD, s3.credentials.secretaccesskey, API_KEY);

    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'convoy-delivery-'));
    srcDir = fs.mkdtempSync(path.join(os.tmpdir(), 'convoy-delivery-src-'));
    await sharp({ create: { width: 16, height: 16, channels: 3, background: { r: 200, g: 30, b: 90 } } })
      .jpeg()
      .toFile(path.join(srcDir, 'photo.jpg'));

    const log = createLogger(dataDir);
    // As the core does: the local engine keeps its state inside Convoy's data folder.
    engine = await createEngine(
      { port: 0, dataDir: path.join(dataDir, 'engine'), apiKey: API_KEY, cloudEndpoints: { amazons3: s3.endpoint } },
      { log: (m) => log.info(`[engine] ${m}`) },
    );
    db = openDatabase(dataDir);
    const store = await createSecretStore({ service: `convoy-delivery-${process.pid}`, dataDir, log });
    expect(store.status().backend).toBe('keychain');
    dest = createDestinations({ db, secrets: store, events, log, endpoints: { amazons3: s3.endpoint } });
    client = new Api2ConvertClient({ baseUrl: `${engine.baseUrl}/v2`, apiKey: API_KEY, timeoutMs: 10_000, log: (m) => log.info(m) });
    for (const e of ['items', 'batchDone', 'destinations', 'queueStatus'] as const) events.on(e, (p) => seen.push(p));
    queue = createQueue({
      db,
      client,
      events,
      dataDir,
      log,
      destinations: dest,
      outputDir: path.join(dataDir, 'out'),
      probe: { initialMs: 200, maxMs: 1000, timeoutMs: 2000 },
      poll: { firstMinMs: 50, initialMs: 100, factor: 1.5, maxMs: 500 },
      retry: { baseMs: 100 },
    });
  });

  afterAll(async () => {
    await queue?.close();
    client?.close();
    db?.close();
    await engine?.close();
    await Promise.all([keyring?.close(), ftp?.close(), s3?.close()]);
    for (const d of [dataDir, srcDir]) if (d) fs.rmSync(d, { recursive: true, force: true });
  });

  async function runBatch(profileId: string): Promise<ItemView> {
    const added = await queue.handlers()['queue.add']!({
      items: [{ source: { kind: 'file', path: path.join(srcDir, 'photo.jpg') } }],
      target: 'png',
      destination: { kind: 'profile', profileId },
    });
    expect(added.itemIds).toHaveLength(1);
    await queue.handlers()['queue.start']!({ batchId: added.batchId });
    const deadline = Date.now() + 45_000;
    for (;;) {
      const { items } = await queue.handlers()['queue.list']!({ batchId: added.batchId, offset: 0, limit: 10 });
      const item = items[0]!;
      if (['done', 'failed', 'canceled'].includes(item.state)) {
        seen.push(item);
        return item;
      }
      if (Date.now() > deadline) throw new Error(`item still ${item.state} after 45 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it('delivers a converted file to an FTP profile at the templated path', async () => {
    const p = await dest.save({
      name: 'FTP results',
      type: 'ftp',
      fields: { host: '127.0.0.1', port: ftp.port, username: ftp.credentials.username, file: 'convoy/{batch}/{name}.{ext}' },
      secrets: { password: ftp.credentials.password },
    });
    const item = await runBatch(p.id);
    expect(item.error).toBeNull();
    expect(item.state).toBe('done');
    const file = await ftp.get(`convoy/${item.batchId}/photo.png`);
    expect(file?.subarray(1, 4).toString()).toBe('PNG');
  });

  it('delivers to an S3 profile (s3rver)', async () => {
    const p = await dest.save({
      name: 'S3 results',
      type: 'amazons3',
      fields: { bucket: 'results', region: s3.region, accesskeyid: s3.credentials.accesskeyid, file: 'out/{date}/{batch}/{name}.{ext}' },
      secrets: { secretaccesskey: s3.credentials.secretaccesskey },
    });
    const item = await runBatch(p.id);
    expect(item.error).toBeNull();
    expect(item.state).toBe('done');
    const date = new Date().toISOString().slice(0, 10);
    const obj = await s3.get('results', `out/${date}/${item.batchId}/photo.png`);
    expect(obj?.subarray(1, 4).toString()).toBe('PNG');
  });

  it('reads a cloud input through the same S3 profile and converts it into a local folder', async () => {
    await s3.put('results', 'in/cloud photo.jpg', fs.readFileSync(path.join(srcDir, 'photo.jpg')));
    const outDir = path.join(dataDir, 'cloud-out');
    fs.mkdirSync(outDir);
    const added = await queue.handlers()['queue.add']!({
      items: [{ source: { kind: 'cloud', profileId: dest.byName('S3 results')!.id, file: 'in/cloud photo.jpg' } }],
      target: 'png',
      destination: { kind: 'folder', path: outDir },
    });
    await queue.handlers()['queue.start']!({ batchId: added.batchId });
    const deadline = Date.now() + 45_000;
    let item: ItemView;
    for (;;) {
      item = (await queue.handlers()['queue.list']!({ batchId: added.batchId, offset: 0, limit: 10 })).items[0]!;
      if (['done', 'failed', 'canceled'].includes(item.state) || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    seen.push(item);
    expect(item.error).toBeNull();
    expect(item.state).toBe('done');
    expect(fs.readdirSync(outDir)).toEqual(['cloud photo.png']);
  });

  it('a batch that fails on purpose (wrong FTP password) fails with a delivery error that names no secret', async () => {
    const p = await dest.save({
      name: 'FTP wrong password',
      type: 'ftp',
      fields: { host: '127.0.0.1', port: ftp.port, username: ftp.credentials.username },
      secrets: { password: WRONG_FTP_PASSWORD },
    });
    const item = await runBatch(p.id);
    expect(item.state).toBe('failed');
    // The engine's own words about the upload, passed on by the queue.
    expect(item.error?.message).toMatch(/ftp.*refused the user name or password/i);
    for (const s of secrets) expect(JSON.stringify(item)).not.toContain(s);
  });

  it('no secret appears in the data folder (db, WAL, logs, engine state) or in any event or view', async () => {
    db.pragma('wal_checkpoint(TRUNCATE)');
    const files: string[] = [];
    const walk = (d: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.isFile()) files.push(p);
      }
    };
    walk(dataDir);
    expect(files.some((f) => f.endsWith('convoy.log'))).toBe(true);
    expect(files.some((f) => f.startsWith(path.join(dataDir, 'engine')))).toBe(true);
    const haystacks: Array<[string, Buffer]> = [
      ...files.map((f): [string, Buffer] => [f, fs.readFileSync(f)]),
      ['events and views', Buffer.from(JSON.stringify(seen))],
    ];
    // Positive control: the search does see what these files hold (a profile name, the username).
    expect(haystacks.some(([, b]) => b.includes(Buffer.from('FTP wrong password')))).toBe(true);
    const found: string[] = [];
    for (const [where, bytes] of haystacks) {
      secrets.forEach((s, i) => {
        if (bytes.includes(Buffer.from(s))) found.push(`secret #${i} in ${path.relative(dataDir, where) || where}`);
      });
    }
    expect(found).toEqual([]);
  });
});
