/**
 * The local engine: an api2convert v2-compatible server that really converts. Convoy's default
 * provider without an API key, and the server every client test and bench runs against.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CallbackOutbox } from './callbacks/outbox';
import { Faults } from './faults';
import { registerApiRoutes, type Handler } from './http/api';
import { serveOutput } from './http/download';
import { Router } from './http/router';
import { createHttpServer } from './http/server';
import { loadCloudModule, loadConvertModule, type CloudModule, type ConvertModule } from './jobs/modules';
import { JobRunner } from './jobs/runner';
import { JobService } from './jobs/service';
import { openDb } from './store/db';
import { JobStore } from './store/job-store';
import { acquireDataDirLock } from './store/lock';
import { Sweeper } from './store/sweeper';
import { defaultLimits, type Engine, type EngineOptions, type EngineStats } from './types';
import { createLocalAccess } from './uploads/local-access';
import { UploadHandler } from './uploads/upload-routes';
import { SecretBox } from './util/secret-box';

export type { Engine, EngineFaults, EngineLimits, EngineLocalAccess, EngineOptions, EngineStats } from './types';

const DEFAULT_OUTPUT_TTL_MS = 24 * 3600_000;
/** The path segment of `job.server`, like api2convert's `/v2/dl/web7`. */
const SERVER_NAME = 'web1';

/** Internal seams for tests: replace the converter or cloud connectors. */
export interface EngineInternals {
  convert?: ConvertModule;
  cloud?: CloudModule;
  log?: (msg: string) => void;
}

function emptyStats(): EngineStats {
  return {
    requests: 0,
    byRoute: {},
    jobsCreated: 0,
    idempotentReplays: 0,
    callbacksSent: 0,
    callbacksFailed: 0,
    callbacksDropped: 0,
    rejected429: 0,
    injected5xx: 0,
  };
}

/** 127.x, ::1 and localhost: nothing outside this machine can reach the engine. */
function isLoopbackBind(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export async function createEngine(options: EngineOptions, internals: EngineInternals = {}): Promise<Engine> {
  if (!options.dataDir) throw new Error('createEngine: dataDir is required');
  if (!options.apiKey) throw new Error('createEngine: apiKey is required');
  const log = internals.log ?? ((msg: string) => process.stderr.write(`[engine] ${msg}\n`));
  const limits = { ...defaultLimits, ...options.limits };
  const dataDir = path.resolve(options.dataDir);
  fs.mkdirSync(dataDir, { recursive: true });
  const releaseLock = acquireDataDirLock(dataDir);

  const faults = new Faults(options.faults);
  const stats = emptyStats();
  const convert = internals.convert ?? loadConvertModule();
  if (options.maxConcurrentConversions) convert.configureConvert?.({ concurrency: options.maxConcurrentConversions });
  if (options.toolPaths) convert.configureConvert?.({ toolPaths: options.toolPaths });
  const targets = await convert.listTargets();
  const loadCloud = internals.cloud ? async () => internals.cloud! : loadCloudModule;
  const outputTtlMs = options.outputTtlMs ?? DEFAULT_OUTPUT_TTL_MS;

  const db = openDb(dataDir);
  const store = new JobStore(db, (err) => log(`could not save job state: ${err.message}`));
  const box = SecretBox.open(dataDir);
  const outbox = new CallbackOutbox(db, {
    secret: options.callbackSecret,
    retryBaseMs: options.callbackRetryBaseMs ?? 1000,
    faults: () => faults.get(),
    stats,
  });

  const router = new Router<Handler>();
  const server = createHttpServer({ router, faults, stats, log, beforeAnswer: () => store.flush() });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const urlHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  const baseUrl = `http://${urlHost}:${port}`;
  const publicUrl = (options.publicUrl ?? baseUrl).replace(/\/+$/, '');
  const ctx = { server: `${publicUrl}/v2/dl/${SERVER_NAME}` };

  const service = new JobService({
    db,
    store,
    box,
    outbox,
    convert,
    targets,
    ctx,
    dataDir,
    maxInputBytes: limits.maxInputBytes,
    outputTtlMs,
    stats,
    deleteServedOutputs: options.deleteServedOutputs,
  });
  const runner = new JobRunner(service, {
    convert,
    loadCloud,
    cloudEndpoints: options.cloudEndpoints,
    maxConcurrentConversions: Math.max(1, options.maxConcurrentConversions ?? os.availableParallelism()),
    maxActiveJobs: 32,
    maxConcurrentDownloads: limits.maxConcurrentDownloads,
    maxInputBytes: limits.maxInputBytes,
    remoteTimeoutMs: limits.remoteTimeoutMs,
    remoteConnectTimeoutMs: limits.remoteConnectTimeoutMs,
    allowPrivateFetch: options.allowPrivateFetch ?? isLoopbackBind(options.host ?? '127.0.0.1'),
    outputTtlMs,
    faults: () => faults.get(),
    log,
    hostName: options.hostName ?? 'the engine',
  });
  service.hooks = runner;
  const uploads = new UploadHandler(service, db, path.join(dataDir, 'tmp'), limits.maxInputBytes);

  registerApiRoutes(router, {
    service,
    apiKey: options.apiKey,
    targets,
    maxJsonBytes: limits.maxJsonBytes,
    faults: () => faults.get(),
  });
  const uploadKey = 'POST /upload-file/:id';
  const uploadStatusKey = 'GET /upload-file/:id';
  const downloadKey = 'GET /download-file/:id';
  router.add('POST', '/v2/dl/:server/upload-file/:id', (c) => uploads.post(c.req, c.res, c.params.id), uploadKey);
  router.add('POST', '/upload-file/:id', (c) => uploads.post(c.req, c.res, c.params.id), uploadKey);
  router.add('GET', '/v2/dl/:server/upload-file/:id', (c) => uploads.status(c.req, c.res, c.params.id), uploadStatusKey);
  router.add('GET', '/upload-file/:id', (c) => uploads.status(c.req, c.res, c.params.id), uploadStatusKey);
  router.add('GET', '/v2/dl/:server/download-file/:id/:oid', (c) => serveOutput(service, c.req, c.res, c.params.id, c.params.oid), downloadKey);

  const sweeper = new Sweeper({ service, store, uploads, outbox, jobTtlMs: limits.jobTtlMs, outputTtlMs, log });
  let endedWhileConverting = runner.resume(store.unfinished());
  outbox.start();
  sweeper.start();
  // One line that tells, in whatever log keeps the engine's lines, what this engine can convert.
  const categories = [...new Set(targets.map((t) => t.category))].sort().join(', ');
  log(`ready at ${baseUrl}: ${targets.length} targets (${categories || 'none'})`);

  let closed: Promise<void> | undefined;
  return {
    baseUrl,
    local: createLocalAccess({
      service,
      store,
      tmpDir: path.join(dataDir, 'tmp'),
      maxBytes: limits.maxInputBytes,
      isOpen: () => !closed,
      apiKey: options.apiKey,
      maxJsonBytes: limits.maxJsonBytes,
      faults: () => faults.get(),
      stats,
      endedWhileConverting: () => {
        const ended = endedWhileConverting;
        endedWhileConverting = false;
        return ended;
      },
    }),
    setFaults: (f) => faults.set(f),
    setToolPaths: (paths) => convert.configureConvert?.({ toolPaths: paths }),
    stats: () => structuredClone(stats),
    resetStats: () => Object.assign(stats, emptyStats()),
    close: () =>
      (closed ??= (async () => {
        sweeper.stop();
        const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const socket of server.sockets) socket.destroy();
        faults.set({ stall: false }); // stalled requests see their socket gone and stop
        await runner.close();
        await outbox.close();
        await serverClosed;
        store.close();
        db.close();
        releaseLock();
      })()),
  };
}
