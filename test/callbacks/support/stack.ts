/**
 * The whole path a callback travels, real at every step: the local engine (posting signed
 * callbacks), a reverse proxy on 127.0.0.2 standing in for the tunnel, Convoy's callback server and
 * manager, and the persistent queue with its client. Shared by the callback tests and the bench.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { createEngine, type Engine, type EngineFaults } from '../../../engine/index';
import { Api2ConvertClient } from '../../../main/api';
import type { Job } from '../../../main/api';
import { createCallbackManager, type CallbackManager } from '../../../main/callbacks';
import type { CallbackServerLimits } from '../../../main/callbacks/server';
import { openDatabase, type Db } from '../../../main/db';
import { EventBus } from '../../../main/events';
import { silentLogger, type Logger } from '../../../main/log';
import { createQueue, type Queue } from '../../../main/queue';
import type { ItemView } from '../../../preload/contract';
import { FakeSettings, MemorySecrets } from './fakes';
import { TestTunnelProxy } from './proxy';

export interface StackOptions {
  /** Run the manager with the proxy as public URL (callback mode) or with none (polling). */
  callbacks: boolean;
  /** Signing secret shared by engine and Convoy (null: unsigned callbacks). */
  signingSecret?: string | null;
  faults?: Partial<EngineFaults>;
  liveStatus?: boolean;
  concurrency?: number;
  recheckMs?: number;
  retryMs?: number;
  callbackRetryBaseMs?: number;
  safetyMs?: number;
  limits?: Partial<CallbackServerLimits>;
  log?: Logger;
}

export interface Stack extends ConvoySide {
  engine: Engine;
  proxy: TestTunnelProxy;
  signingSecret: string | null;
}

export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** Convoy's side only (client, queue, callback manager), against any API base URL. */
export interface ConvoySide {
  dir: string;
  client: Api2ConvertClient;
  queue: Queue;
  manager: CallbackManager;
  events: EventBus;
  secrets: MemorySecrets;
  settings: FakeSettings;
  /** Every job id the queue created, in order. */
  jobIds: string[];
  /** When each job was first read back as terminal (epoch ms). */
  seenTerminal: Map<string, { at: number; job: Job }>;
  makeImages(n: number, prefix?: string): Promise<string[]>;
  add(files: string[]): Promise<string[]>;
  items(): Promise<ItemView[]>;
  waitAllSettled(ids: string[], timeoutMs: number): Promise<ItemView[]>;
  close(): Promise<void>;
}

export interface ConvoySideOptions extends Omit<StackOptions, 'faults' | 'callbackRetryBaseMs' | 'callbacks'> {
  dir: string;
  baseUrl: string;
  apiKey: string;
  publicUrl: string | null;
  callbackPort: number;
}

export async function startConvoySide(opts: ConvoySideOptions): Promise<ConvoySide> {
  const { dir } = opts;
  const client = new Api2ConvertClient({ baseUrl: opts.baseUrl, apiKey: opts.apiKey });
  const jobIds: string[] = [];
  const seenTerminal = new Map<string, { at: number; job: Job }>();
  const createJob = client.createJob.bind(client);
  client.createJob = async (...args) => {
    const job = await createJob(...args);
    if (!jobIds.includes(job.id)) jobIds.push(job.id);
    return job;
  };
  const noteTerminal = (job: Job) => {
    const code = job.status.code;
    if ((code === 'completed' || code === 'failed' || code === 'canceled') && !seenTerminal.has(job.id)) {
      seenTerminal.set(job.id, { at: Date.now(), job });
    }
  };
  const getJob = client.getJob.bind(client);
  client.getJob = async (...args) => {
    const job = await getJob(...args);
    noteTerminal(job);
    return job;
  };
  // A signed callback's document is taken as a read of the job.
  const acceptJob = client.acceptJob.bind(client);
  client.acceptJob = (doc) => {
    const job = acceptJob(doc);
    if (job) noteTerminal(job);
    return job;
  };

  const dataDir = path.join(dir, 'convoy');
  const db: Db = openDatabase(dataDir);
  const events = new EventBus();
  const outDir = path.join(dir, 'out');
  fs.mkdirSync(outDir, { recursive: true });
  const queue = createQueue({
    db,
    client,
    events,
    dataDir,
    concurrency: opts.concurrency ?? 8,
    outputDir: outDir,
    conflictPolicy: 'rename',
    lock: false,
    poll: opts.safetyMs ? { safetyMs: opts.safetyMs } : undefined,
    retry: { baseMs: 200 },
    probe: { initialMs: 200, maxMs: 1000 },
  });

  const secrets = new MemorySecrets();
  const settings = new FakeSettings();
  settings.value = {
    callbackPublicUrl: opts.publicUrl,
    callbackPort: opts.callbackPort,
    liveStatus: opts.liveStatus ?? true,
  };
  const manager = createCallbackManager({
    queue,
    secrets,
    events,
    settings,
    log: opts.log ?? silentLogger,
    signingSecret: opts.signingSecret ?? undefined,
    recheckMs: opts.recheckMs,
    retryMs: opts.retryMs,
    probeTimeoutMs: 2000,
    limits: opts.limits,
  });
  await manager.start();

  const handlers = queue.handlers();
  const side: ConvoySide = {
    dir,
    client,
    queue,
    manager,
    events,
    secrets,
    settings,
    jobIds,
    seenTerminal,
    async makeImages(n, prefix = 'img') {
      const srcDir = path.join(dir, 'src');
      fs.mkdirSync(srcDir, { recursive: true });
      const files: string[] = [];
      for (let i = 0; i < n; i++) {
        const file = path.join(srcDir, `${prefix}-${i}.jpg`);
        await sharp({ create: { width: 16 + (i % 7), height: 12, channels: 3, background: { r: i % 255, g: 80, b: 160 } } })
          .jpeg()
          .toFile(file);
        files.push(file);
      }
      return files;
    },
    async add(files) {
      const res = await handlers['queue.add']!({
        items: files.map((p) => ({ source: { kind: 'file' as const, path: p } })),
        target: 'png',
      });
      await handlers['queue.start']!({ batchId: res.batchId });
      return res.itemIds;
    },
    async items() {
      return (await handlers['queue.list']!({ offset: 0, limit: 100_000 })).items;
    },
    async waitAllSettled(ids, timeoutMs) {
      const want = new Set(ids);
      const until = Date.now() + timeoutMs;
      for (;;) {
        const items = (await side.items()).filter((i) => want.has(i.id));
        if (items.length === want.size && items.every((i) => ['done', 'failed', 'canceled'].includes(i.state))) return items;
        if (Date.now() > until) {
          const states = items.reduce<Record<string, number>>((m, i) => ((m[i.state] = (m[i.state] ?? 0) + 1), m), {});
          throw new Error(`items not settled within ${timeoutMs} ms: ${JSON.stringify(states)}`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async close() {
      await manager.close();
      await queue.close();
      db.close();
    },
  };
  return side;
}

export async function startStack(opts: StackOptions): Promise<Stack> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'convoy-cb-'));
  const apiKey = crypto.randomBytes(16).toString('hex');
  const signingSecret = opts.signingSecret === undefined ? crypto.randomBytes(24).toString('hex') : opts.signingSecret;
  const engine = await createEngine(
    {
      dataDir: path.join(dir, 'engine'),
      apiKey,
      callbackSecret: signingSecret ?? undefined,
      faults: opts.faults,
      callbackRetryBaseMs: opts.callbackRetryBaseMs ?? 1000,
    },
    { log: () => {} },
  );
  const port = await freePort();
  const proxy = new TestTunnelProxy({ host: '127.0.0.1', port });
  await proxy.start();
  const side = await startConvoySide({
    ...opts,
    dir,
    baseUrl: `${engine.baseUrl}/v2`,
    apiKey,
    signingSecret,
    publicUrl: opts.callbacks ? proxy.url : null,
    callbackPort: port,
  });
  return {
    ...side,
    engine,
    proxy,
    signingSecret,
    async close() {
      await side.close();
      await proxy.stop();
      await engine.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
