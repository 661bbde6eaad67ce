import crypto from 'node:crypto';
import path from 'node:path';

/** Which API Convoy talks to: api2convert with the user's key, or the local engine. */
export interface Provider {
  kind: 'local' | 'api2convert';
  /** Base URL including `/v2`. */
  baseUrl: string;
  apiKey: string;
  /** Stops the in-process engine when this provider started one. */
  close(): Promise<void>;
}

/**
 * Starts the bundled local engine in this process on a free loopback port. main/ and engine/
 * share no code: main only runs the engine as a server and speaks HTTP to it like to api2convert.
 */
export async function startLocalEngine(dataDir: string): Promise<Provider> {
  const apiKey = crypto.randomBytes(24).toString('hex');
  const { createEngine } = await import('../engine/index');
  const engine = await createEngine({ port: 0, dataDir: path.join(dataDir, 'engine'), apiKey });
  return { kind: 'local', baseUrl: `${engine.baseUrl}/v2`, apiKey, close: () => engine.close() };
}

export function remoteProvider(kind: Provider['kind'], baseUrl: string, apiKey: string): Provider {
  return { kind, baseUrl: baseUrl.replace(/\/+$/, ''), apiKey, close: async () => {} };
}
