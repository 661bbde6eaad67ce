import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** Which API Convoy talks to: api2convert with the user's key, or the local engine. */
export interface Provider {
  kind: 'local' | 'api2convert';
  /** Base URL including `/v2`. */
  baseUrl: string;
  apiKey: string;
  /** Where the key came from (recorded with each batch; never the key itself). */
  keySource: 'flag' | 'env' | 'keychain' | 'local';
  /** Stops the in-process engine when this provider started one. */
  close(): Promise<void>;
  /** The in-process engine only: use these converter paths from now on. */
  setToolPaths?(paths: { ffmpeg?: string; soffice?: string }): void;
}

/**
 * Starts the bundled local engine in this process on a free loopback port. main/ and engine/
 * share no code: main only runs the engine as a server and speaks HTTP to it like to api2convert.
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
    },
    log ? { log: (m) => log.info(`[engine] ${m}`) } : {},
  );
  return {
    kind: 'local',
    baseUrl: `${engine.baseUrl}/v2`,
    apiKey,
    keySource: 'local',
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
  return { kind, baseUrl: baseUrl.replace(/\/+$/, ''), apiKey, keySource, close: async () => {} };
}
