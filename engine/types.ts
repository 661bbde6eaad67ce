/**
 * The engine's public interface. Other parts of Convoy (main/provider.ts, the client's tests and
 * benches) depend on these shapes exactly; extend only with optional fields.
 */
import type { CloudEndpoints } from './cloud/types';

export interface EngineLimits {
  /** Largest accepted upload or remote/cloud input, in bytes (default 4 GiB). */
  maxInputBytes: number;
  /** Largest JSON request body, in bytes (default 32 MiB; base64 inputs count against it). */
  maxJsonBytes: number;
  /** Total time allowed for one remote download (default 10 min). */
  remoteTimeoutMs: number;
  /** Time to wait for a remote server's response headers (default 30 s). */
  remoteConnectTimeoutMs: number;
  /** Remote/cloud inputs fetched at once (default 8). */
  maxConcurrentDownloads: number;
  /** Finished jobs are forgotten (record and files) this long after they end (default 7 days). */
  jobTtlMs: number;
}

export interface EngineOptions {
  port?: number; // 0 = free port (default 0)
  host?: string; // default '127.0.0.1'
  dataDir: string; // state lives here; survives restart
  apiKey: string; // account key; requests with another → 401
  callbackSecret?: string; // when set, X-Oc-Signature on callbacks
  outputTtlMs?: number;
  cloudEndpoints?: CloudEndpoints;
  faults?: Partial<EngineFaults>;
  maxConcurrentConversions?: number;
  /** Base for the URLs the engine hands out (job.server, output uri); default http://host:port. */
  publicUrl?: string;
  limits?: Partial<EngineLimits>;
  /** First callback retry waits this long, doubling per attempt (default 1000 ms, cap 60 s). */
  callbackRetryBaseMs?: number;
  /** Converter paths (a file or its folder) to use before looking on PATH and in the usual install folders. */
  toolPaths?: { ffmpeg?: string; soffice?: string };
  /**
   * Fetch remote inputs from loopback, link-local and private addresses. Default: only when bound
   * to loopback (a local engine may read local servers; one reachable from a network may not).
   */
  allowPrivateFetch?: boolean;
  /** Delete each output once served to its last byte, and inputs when their job ends (the in-process engine). */
  deleteServedOutputs?: boolean;
  /** The process the engine runs in, as crash messages name it: the host app when in-process (default "the engine"). */
  hostName?: string;
}

export interface EngineFaults {
  latencyMs: number; // added to every request
  conversionDelayMs: number; // added to every conversion
  maxConcurrentJobs: number; // more processing jobs than this → POST/PATCH that would start one answers 429 + Retry-After (0 = unlimited)
  retryAfterSeconds: number;
  transient5xxRate: number; // 0..1 share of requests answered 503 (before doing anything), spread evenly
  callbackDropRate: number; // 0..1
  callbackDuplicateRate: number; // 0..1
  stall: boolean; // accept connections but never answer (until setFaults turns it off)
}

export interface EngineStats {
  requests: number; // all HTTP requests
  byRoute: Record<string, number>; // e.g. 'POST /v2/jobs', 'GET /v2/jobs/:id'
  jobsCreated: number; // real creations (idempotent replays not counted)
  idempotentReplays: number;
  callbacksSent: number;
  callbacksFailed: number;
  /** Callbacks deliberately not sent (fault injection). */
  callbacksDropped: number;
  /** Requests answered 429 / 503 by fault injection. */
  rejected429: number;
  injected5xx: number;
}

/**
 * Shortcuts for a client in the same process (Convoy's in-process default). The HTTP API stays the
 * contract; these skip only the loopback transfer of file bytes and the wait for a poll. Errors are
 * thrown with the HTTP status the route would have answered (`status`) and its message.
 */
export interface EngineLocalAccess {
  /** False once the engine is closing or closed: its shortcuts answer nothing; use the HTTP routes. */
  isOpen(): boolean;
  /** Like `POST {server}/upload-file/{id}` with the job token: the file is copied in, not sent. Resolves with the input as the route renders it. */
  attachFile(jobId: string, token: string, filePath: string, filename: string): Promise<Record<string, unknown>>;
  /** Where an output's bytes are (to link or copy; never to change), like `GET download-file` with the job token. */
  outputFile(jobId: string, token: string, outputId: string): { path: string; size: number; checksum: string };
  /** The client has its own copy now: with `deleteServedOutputs`, the engine deletes its file. */
  outputTaken(jobId: string, token: string, outputId: string): void;
  /**
   * True (once) when the process before this one ended while this engine was converting: the
   * engine's own crash-loop guard counts that end against the jobs converting, so a client in the
   * same process need not count it against the steps it was running (they did not end it).
   */
  endedWhileConverting?(): boolean;
  /** Called (asynchronously) with the id of every job that ends: completed, failed or canceled. Returns the unsubscribe. */
  onJobEnd(listener: (jobId: string) => void): () => void;
  /**
   * Like `POST /v2/jobs` with this account key (and `Idempotency-Key`): the job as the route renders it,
   * and whether it is a replay. Synchronous; the state is committed before it returns.
   */
  createJob?(apiKey: string, body: unknown, idempotencyKey?: string): { job: Record<string, unknown>; replayed: boolean };
  /** Like `GET /v2/jobs/{id}` with the account key. */
  getJob?(apiKey: string, jobId: string): Record<string, unknown>;
  /** Like `PATCH /v2/jobs/{id}` with the account key (e.g. `{ process: true }`). */
  patchJob?(apiKey: string, jobId: string, body: unknown): Record<string, unknown>;
}

export interface Engine {
  baseUrl: string; // 'http://127.0.0.1:<port>' (API under /v2)
  /** In-process shortcuts (see EngineLocalAccess). */
  local?: EngineLocalAccess;
  close(): Promise<void>;
  setFaults(f: Partial<EngineFaults>): void;
  /** Uses these converter paths from now on (GET /v2/conversions lists what they offer). */
  setToolPaths(paths: { ffmpeg?: string; soffice?: string }): void;
  stats(): EngineStats;
  resetStats(): void;
}

export const defaultFaults: EngineFaults = {
  latencyMs: 0,
  conversionDelayMs: 0,
  maxConcurrentJobs: 0,
  retryAfterSeconds: 1,
  transient5xxRate: 0,
  callbackDropRate: 0,
  callbackDuplicateRate: 0,
  stall: false,
};

export const defaultLimits: EngineLimits = {
  maxInputBytes: 4 * 1024 ** 3,
  maxJsonBytes: 32 * 1024 ** 2,
  remoteTimeoutMs: 10 * 60_000,
  remoteConnectTimeoutMs: 30_000,
  maxConcurrentDownloads: 8,
  jobTtlMs: 7 * 24 * 3600_000,
};
