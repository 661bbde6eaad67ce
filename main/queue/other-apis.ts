/**
 * The desktop app and browser mode continue every batch on its own API: besides the queue of the
 * current API, one queue per other API that has unfinished batches (the same database and events;
 * no second lock — the process holds it). Its key comes from where the batch's key came from: the
 * environment or the keychain; a batch whose key is gone (it was given with --api-key) waits, and
 * the log says which API and how to give the key. The local engine is started when a batch of it
 * waits while the app talks to api2convert.
 */
import type { ConflictPolicy } from '../../preload/contract';
import { Api2ConvertClient } from '../api/index';
import type { Db } from '../db';
import type { DestinationsPort } from './runner';
import type { EventBus } from '../events';
import type { Logger } from '../log';
import { registerSecret } from '../log';
import { localEngineKey, startLocalEngine, type Provider } from '../provider';
import { API_KEY_NAME, type SecretStore } from '../secrets/index';
import { createQueue, type Queue, type QueueSettingsPort } from './queue';
import type { BatchApi } from './types';

export interface OtherApisDeps {
  queue: Queue;
  db: Db;
  events: EventBus;
  dataDir: string;
  log: Logger;
  settings: QueueSettingsPort;
  shell: 'electron' | 'browser' | 'cli';
  desktop?: { openPath(file: string): Promise<boolean>; reveal(file: string): boolean };
  destinations: DestinationsPort | null;
  env: NodeJS.ProcessEnv;
  secrets: SecretStore;
  queueOpts?: { concurrency?: number; conflictPolicy?: ConflictPolicy; outputDir?: string };
}

export async function continueOtherApis(d: OtherApisDeps): Promise<{ close(): Promise<void> }> {
  const groups = new Map<string, BatchApi>();
  for (const b of d.queue.foreignBatches()) groups.set(JSON.stringify(b.api), b.api);
  const running: Array<{ queue: Queue; client: Api2ConvertClient; provider: Provider | null }> = [];
  for (const api of groups.values()) {
    try {
      let provider: Provider | null = null;
      let baseUrl = api.baseUrl;
      let key: string | null = null;
      if (baseUrl === null) {
        provider = await startLocalEngine(d.dataDir, { apiKey: await localEngineKey(d.secrets, d.dataDir) });
        baseUrl = provider.baseUrl;
        key = provider.apiKey;
      } else if (api.keySource === 'env') key = d.env.API2CONVERT_API_KEY?.trim() || null;
      else if (api.keySource === 'keychain') key = (await d.secrets.get(API_KEY_NAME).catch(() => null)) || null;
      if (!key) {
        const how = api.keySource === 'env' ? 'set API2CONVERT_API_KEY and restart' : 'run "convoy resume --api-key <key>"';
        d.log.warn(`batches of ${api.baseUrl} wait for their API key (it came from ${api.keySource}): ${how}`);
        continue;
      }
      registerSecret(key);
      const client = new Api2ConvertClient({ baseUrl, apiKey: key, log: (m) => d.log.info(m) });
      const queue = createQueue({
        db: d.db,
        client,
        events: d.events,
        dataDir: d.dataDir,
        log: d.log,
        settings: d.settings,
        shell: d.shell,
        desktop: d.desktop,
        destinations: d.destinations,
        api,
        lock: false,
        ...d.queueOpts,
        autoResume: true,
      });
      d.log.info(`continuing the batches of ${api.baseUrl ?? 'the local engine'} on their own API`);
      running.push({ queue, client, provider });
    } catch (err) {
      d.log.warn(`batches of ${api.baseUrl ?? 'the local engine'} could not continue: ${(err as Error).message}`);
    }
  }
  return {
    async close() {
      for (const r of running) {
        await r.queue.close();
        r.client.close();
        await r.provider?.close();
      }
    },
  };
}
