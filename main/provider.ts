import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { API_KEY_HEADER, IDEMPOTENCY_HEADER } from './api/client';
import type { LocalExchange } from './api/context';

/**
 * What an engine running in this process offers beyond its HTTP API (main's own reading of it;
 * engine/ and main/ share no code): a local file handed over by path instead of uploaded, an
 * output taken by path instead of downloaded, and the end of a job announced instead of polled.
 * Errors carry the HTTP `status` the matching route would have answered.
 */
export interface LocalEngineAccess {
  /** False once that engine closed (the routes of whatever answers at its address still work). */
  isOpen(): boolean;
  attachFile(jobId: string, token: string, filePath: string, filename: string): Promise<unknown>;
  outputFile(jobId: string, token: string, outputId: string): { path: string; size: number; checksum: string };
  /** Convoy has the result in place; the engine keeps no copy (it runs with deleteServedOutputs). */
  outputTaken(jobId: string, token: string, outputId: string): void;
  onJobEnd(listener: (jobId: string) => void): () => void;
  /** True (once) when the previous process ended during one of this engine's conversions (its own guard counts that). */
  endedWhileConverting?(): boolean;
  /** `POST /v2/jobs` in-process (account key, optional Idempotency-Key); errors carry the route's status. */
  createJob?(apiKey: string, body: unknown, idempotencyKey?: string): { job: Record<string, unknown>; replayed: boolean };
  /** `GET /v2/jobs/{id}` in-process. */
  getJob?(apiKey: string, jobId: string): Record<string, unknown>;
  /** `PATCH /v2/jobs/{id}` in-process. */
  patchJob?(apiKey: string, jobId: string, body: unknown): Record<string, unknown>;
}

/** A request header, whatever its case. */
function headerOf(headers: Record<string, string>, name: string): string | undefined {
  const want = name.toLowerCase();
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === want) return v;
  return undefined;
}

/**
 * The client's in-process answers for an engine in this process: creating, starting and reading a
 * job (the queue's calls for every item) skip loopback HTTP; every other call, and every call once
 * that engine has closed, goes over HTTP as before. The engine checks the key and the body as the
 * route does; the client validates the answer as it would a response.
 */
export function inProcessExchange(local: LocalEngineAccess, baseUrl: string): LocalExchange {
  const base = new URL(baseUrl.replace(/\/+$/, ''));
  const jobsPath = `${base.pathname.replace(/\/+$/, '')}/jobs`;
  return ({ method, url, headers, json }) => {
    if (!local.createJob || !local.getJob || !local.patchJob || !local.isOpen()) return undefined;
    if (url.origin !== base.origin || url.search || !url.pathname.startsWith(jobsPath)) return undefined;
    const key = headerOf(headers, API_KEY_HEADER) ?? '';
    if (url.pathname === jobsPath) {
      if (method !== 'POST') return undefined;
      const r = local.createJob(key, json, headerOf(headers, IDEMPOTENCY_HEADER));
      const answered: Record<string, string> = r.replayed ? { 'Idempotent-Replayed': 'true' } : {};
      return { status: 201, headers: answered, data: r.job };
    }
    const rest = url.pathname.slice(jobsPath.length + 1);
    if (!url.pathname.startsWith(`${jobsPath}/`) || !rest || rest.includes('/')) return undefined;
    const id = decodeURIComponent(rest);
    if (method === 'GET') return { status: 200, data: local.getJob(key, id) };
    if (method === 'PATCH') return { status: 200, data: local.patchJob(key, id, json) };
    return undefined;
  };
}

/**
 * Jobs in flight for a remote API: its latency is what parallelism hides (bench/queue-concurrency.ts:
 * 64 beat 16 and 32; 128 gained nothing). An API that allows fewer answers 429 and the queue lowers it.
 */
export const REMOTE_CONCURRENCY = 64;
/**
 * Jobs in flight for the in-process engine, where the CPU is the bottleneck: enough to keep every
 * core converting while the next items are prepared, few enough not to thrash. Measured with
 * bench/embedded-vs-sharp.ts on 2 CPUs (see README): 2×CPUs + 2, at least 4.
 */
export function localConcurrency(cpus = os.availableParallelism()): number {
  return Math.min(64, Math.max(4, 2 * cpus + 2));
}

/** Which API Convoy talks to: api2convert with the user's key, or the local engine. */
export interface Provider {
  kind: 'local' | 'api2convert';
  /** Base URL including `/v2`. */
  baseUrl: string;
  apiKey: string;
  /** Where the key came from (recorded with each batch; never the key itself). */
  keySource: 'flag' | 'env' | 'keychain' | 'local';
  /** Jobs in flight when the user has not chosen a number: the provider's own best value. */
  concurrency: number;
  /** Present when the engine runs in this process (its in-process shortcuts). */
  local?: LocalEngineAccess;
  /** Stops the in-process engine when this provider started one. */
  close(): Promise<void>;
  /** The in-process engine only: use these converter paths from now on. */
  setToolPaths?(paths: { ffmpeg?: string; soffice?: string }): void;
}

/**
 * Starts the bundled local engine in this process on a free loopback port. main/ and engine/
 * share no code: main runs the engine as a server and speaks HTTP to it like to api2convert, and
 * uses its in-process shortcuts (`local`) only for file bytes and job-end notices.
 */
export async function startLocalEngine(
  dataDir: string,
  opts: {
    apiKey: string;
    cloudEndpoints?: { amazons3?: string; azure?: string; googlecloud?: string };
    /** The same signing secret the callback server checks, so the engine's callbacks pass. */
    callbackSecret?: string;
    /** Converters set in Settings (null: the engine looks for them itself). */
    toolPaths?: { ffmpeg?: string | null; soffice?: string | null };
    /** Where the engine's log lines go (the app's own log), instead of stderr. */
    log?: { info(message: string): void };
  },
): Promise<Provider> {
  const { apiKey, cloudEndpoints, callbackSecret, toolPaths, log } = opts;
  const { createEngine } = await import('../engine/index');
  const engine = await createEngine(
    {
      port: 0,
      dataDir: path.join(dataDir, 'engine'),
      apiKey,
      cloudEndpoints,
      callbackSecret,
      toolPaths: { ffmpeg: toolPaths?.ffmpeg ?? undefined, soffice: toolPaths?.soffice ?? undefined },
      // Results live in Convoy's output folder: the engine keeps no copy of what it has served.
      deleteServedOutputs: true,
      // In-process, a converter that ends the process ends Convoy: crash messages say so.
      hostName: 'Convoy',
    },
    log ? { log: (m) => log.info(`[engine] ${m}`) } : {},
  );
  return {
    kind: 'local',
    baseUrl: `${engine.baseUrl}/v2`,
    apiKey,
    keySource: 'local',
    concurrency: localConcurrency(),
    local: engine.local,
    close: () => engine.close(),
    setToolPaths: (paths) => engine.setToolPaths(paths),
  };
}

export const LOCAL_ENGINE_KEY_NAME = 'local-engine-key';

interface KeyStore {
  get(name: string): Promise<string | null>;
  set(name: string, value: string): Promise<void>;
  status(): { backend: string };
}

/**
 * The in-process engine's account key must stay the same across restarts: the engine scopes
 * `Idempotency-Key` replays by account, and the queue relies on them after a crash. It lives in the
 * keychain; where there is none (memory-only secrets), in an owner-only file beside the engine's
 * own data — it guards nothing but that loopback engine, whose data sits in the same folder.
 */
export async function localEngineKey(secrets: KeyStore, dataDir: string): Promise<string> {
  if (secrets.status().backend !== 'memory') {
    const stored = await secrets.get(LOCAL_ENGINE_KEY_NAME).catch(() => null);
    if (stored) return stored;
    const fresh = crypto.randomBytes(24).toString('hex');
    try {
      await secrets.set(LOCAL_ENGINE_KEY_NAME, fresh);
      return fresh;
    } catch {
      // fall through to the file
    }
  }
  const file = path.join(dataDir, 'engine', 'local-api-key');
  try {
    const existing = fs.readFileSync(file, 'utf8').trim();
    if (existing) return existing;
  } catch {
    // first run
  }
  const fresh = crypto.randomBytes(24).toString('hex');
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  fs.writeFileSync(file, fresh, { mode: 0o600 });
  return fresh;
}

export function remoteProvider(kind: Provider['kind'], baseUrl: string, apiKey: string, keySource: Provider['keySource'] = 'flag'): Provider {
  return { kind, baseUrl: baseUrl.replace(/\/+$/, ''), apiKey, keySource, concurrency: REMOTE_CONCURRENCY, close: async () => {} };
}
