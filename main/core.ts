/**
 * The core: everything main does, with no Electron in it. Each shell (Electron, browser mode, CLI)
 * creates one core and serves its handlers and events.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ContractError, type AppInfo, type ConflictPolicy, type Handlers, type Settings } from '../preload/contract';
import { Api2ConvertClient } from './api/index';
import { callbackStatePath, createCallbackManager, type CallbackManager } from './callbacks/index';
import { SIGNING_SECRET_NAME } from './callbacks/secrets';
import { openDatabase, type Db } from './db';
import { destinationMigrations } from './destinations/store';
import { queueMigrations } from './queue/schema';
import { EventBus } from './events';
import { createLogger, registerSecret, type Logger } from './log';
import { resolveDataDir } from './paths';
import { inProcessExchange, localEngineKey, remoteProvider, startLocalEngine, type Provider } from './provider';
import { createQueue, defaultOutputDir, type Queue } from './queue/index';
import { acquireQueueLock, type QueueLock } from './queue/lock';
import { continueOtherApis } from './queue/other-apis';
import { WatchManager } from './watch/manager';
import { createDestinations, endpointsFromEnv, type Destinations } from './destinations/index';
import { API_KEY_NAME, contractsKeyChecker, createSecretsService, createSecretStore, type SafeStorageLike, type SecretStore } from './secrets/index';
import { createHandlers } from './service';
import { SettingsStore } from './settings/store';
import { version } from './version';
import { folderSize } from './storage';
import { createThumbnails } from './thumbs/thumbnails';

/** What only a desktop shell can do; browser mode and the CLI leave it out. */
export interface DesktopBridge {
  openPath(file: string): Promise<boolean>;
  reveal(file: string): boolean;
  pickFiles(folders: boolean): Promise<string[]>;
  pickFolder(): Promise<string | null>;
  /** Starts dragging a local file out of the window (Electron's webContents.startDrag). */
  startDrag?(file: string): boolean;
  /** Files opened with Convoy that the window has not taken yet. */
  takeOpenedFiles?(): string[];
}

export interface CoreOptions {
  shell: AppInfo['shell'];
  dataDir?: string | null;
  /** Echo log lines to stderr (CLI --verbose). */
  echoLog?: boolean;
  desktop?: DesktopBridge;
  /** Talk to this API base URL (e.g. a local engine's `http://127.0.0.1:p/v2`) instead of the settings' provider. */
  apiBaseUrl?: string;
  apiKey?: string;
  /** Where `apiKey` came from (CLI: flag, environment or keychain); recorded with each new batch. */
  apiKeySource?: 'flag' | 'env' | 'keychain';
  /** Run the in-process local engine even when a key is set (resuming a local-engine batch). */
  localEngine?: boolean;
  env?: NodeJS.ProcessEnv;
  /** Electron's safeStorage, injected by the Electron shell (the keychain fallback). */
  safeStorage?: SafeStorageLike;
  /** 'memory' keeps secrets for this run only (tests; or CONVOY_SECRETS=memory). Default: the OS keychain. */
  secretsBackend?: 'auto' | 'memory';
  /** Keychain service name (tests use their own so they never touch the user's "Convoy" entries). */
  secretsService?: string;
  /** Per-run queue overrides (the CLI's --concurrency, --on-conflict, --out-dir; `autoResume: false` runs only batches started now). */
  queue?: { concurrency?: number; conflictPolicy?: ConflictPolicy; outputDir?: string; autoResume?: boolean };
  /** Per-run callback overrides (the CLI's --public-url, --callback-port); else the settings apply. */
  callbacks?: { publicUrl?: string; port?: number };
}

export type { SafeStorageLike };

/** Bounds on what an API may return, from CONVOY_MAX_OUTPUTS, CONVOY_MAX_DOWNLOAD_BYTES, CONVOY_MAX_JOB_JSON_BYTES (unset: the defaults). */
function answerLimitsFromEnv(env: NodeJS.ProcessEnv): { maxOutputs?: number; maxDownloadBytes?: number; maxJsonBytes?: number } {
  const n = (v: string | undefined) => (v && /^\d+$/.test(v.trim()) && Number(v) > 0 ? Number(v) : undefined);
  return { maxOutputs: n(env.CONVOY_MAX_OUTPUTS), maxDownloadBytes: n(env.CONVOY_MAX_DOWNLOAD_BYTES), maxJsonBytes: n(env.CONVOY_MAX_JOB_JSON_BYTES) };
}

export interface Core {
  dataDir: string;
  events: EventBus;
  settings: SettingsStore;
  log: Logger;
  provider: Provider;
  db: Db;
  client: Api2ConvertClient;
  queue: Queue;
  callbacks: CallbackManager;
  secrets: SecretStore;
  destinations: Destinations;
  handlers: Handlers;
  /** A finished item's local result (browser mode serves it at /api/files/<itemId>). */
  resultPath(itemId: string): Promise<string | null>;
  /** A small thumbnail of an item's local source or result image (the list's rows); null when there is none. */
  thumbnailPath(itemId: string, of: 'source' | 'result'): Promise<string | null>;
  close(): Promise<void>;
}

export async function createCore(opts: CoreOptions): Promise<Core> {
  const env = opts.env ?? process.env;
  const dataDir = resolveDataDir(opts.dataDir, env);
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const log = createLogger(dataDir, opts.echoLog);
  const events = new EventBus();
  const settings = new SettingsStore(dataDir);
  // First of all: a second Convoy on the same data folder is refused before anything else starts.
  const lock = acquireQueueLock(dataDir);
  try {
    return await startCore(opts, { env, dataDir, log, events, settings, lock });
  } catch (err) {
    lock.release();
    throw err;
  }
}

async function startCore(
  opts: CoreOptions,
  {
    env,
    dataDir,
    log,
    events,
    settings,
    lock,
  }: { env: NodeJS.ProcessEnv; dataDir: string; log: Logger; events: EventBus; settings: SettingsStore; lock: QueueLock },
): Promise<Core> {
  const secrets = await createSecretStore({
    log,
    dataDir,
    safeStorage: opts.safeStorage,
    backend: opts.secretsBackend ?? (env.CONVOY_SECRETS === 'memory' ? 'memory' : 'auto'),
    ...(opts.secretsService ? { service: opts.secretsService } : {}),
  });
  if (secrets.status().warning) log.warn(secrets.status().warning!);

  // The database first: one written by a newer Convoy is refused before anything starts or writes.
  const db = openDatabase(dataDir, { queue: queueMigrations.length, destinations: destinationMigrations.length });
  const cloudEndpoints = endpointsFromEnv(env);
  let provider: Provider;
  try {
    provider = await resolveProvider(opts, settings, env, dataDir, secrets, cloudEndpoints, log);
  } catch (err) {
    db.close();
    throw err;
  }
  registerSecret(provider.apiKey);
  log.info(`core started (${opts.shell}), provider ${provider.kind} at ${provider.baseUrl}`);

  const destinations = createDestinations({ db, secrets, events, log, endpoints: cloudEndpoints, env });
  const limits = answerLimitsFromEnv(env);
  // One client per key; the queue applies its own retry policy through a view of it (withOptions).
  // With the engine in this process, jobs are created, started and read without loopback HTTP.
  const local = provider.local ? inProcessExchange(provider.local, provider.baseUrl) : undefined;
  const makeClient = (apiKey: string) =>
    new Api2ConvertClient({ baseUrl: provider.baseUrl, apiKey, maxJsonBytes: limits.maxJsonBytes, log: (m) => log.info(m), local });
  let client = makeClient(provider.apiKey);
  let queue: Queue;
  try {
    const api = { baseUrl: provider.kind === 'local' ? null : provider.baseUrl, keySource: provider.keySource };
    queue = createQueue({
      db,
      client,
      events,
      dataDir,
      log,
      settings,
      shell: opts.shell,
      desktop: opts.desktop,
      destinations,
      lock,
      limits,
      api,
      defaultConcurrency: provider.concurrency,
      local: provider.local,
      ...opts.queue,
    });
  } catch (err) {
    db.close();
    await provider.close();
    throw err;
  }

  const settingsView = (): Settings => {
    const s = settings.get();
    return {
      provider: s.provider,
      concurrency: s.concurrency ?? provider.concurrency,
      outputDir: s.outputDir,
      conflictPolicy: s.conflictPolicy,
      callbackPublicUrl: s.callbackPublicUrl,
      callbackPort: s.callbackPort,
      liveStatus: s.liveStatus,
      notifyOnBatchEnd: s.notifyOnBatchEnd,
      ffmpegPath: s.ffmpegPath,
      sofficePath: s.sofficePath,
      apiKeyMasked: secretsService.apiKeyMasked(),
      hasTunnelToken: secretsService.hasTunnelToken(),
      hasCallbackSigningSecret: Boolean(envSigningSecret) || hasStoredSigningSecret,
    };
  };
  const envSigningSecret = env.CONVOY_CALLBACK_SIGNING_SECRET || undefined;
  let hasStoredSigningSecret = Boolean(await secrets.get(SIGNING_SECRET_NAME).catch(() => null));
  const secretsService = await createSecretsService({
    secrets,
    events,
    log,
    settingsView: () => settingsView(),
    checkApiKey: contractsKeyChecker(() => settings.get().apiBaseUrl),
    onApiKeyChanged: (apiKey) => {
      // Same API, new key: swap the clients now, so a queue held by a refused key continues at once.
      // A change of provider (local engine ↔ api2convert) takes effect on the next start, because
      // jobs in flight belong to the API that created them.
      if (provider.kind !== 'api2convert' || opts.apiBaseUrl || !apiKey) {
        log.info('API key stored; it is used from the next start on');
        return;
      }
      const old = client;
      client = makeClient(apiKey);
      provider.apiKey = apiKey;
      queue.setClient(client);
      old.close();
      log.info('API key changed; the queue continues with it');
    },
  });

  // Batches created on another API continue there (the app and browser mode; the CLI's resume does it per API).
  const otherApis =
    opts.shell === 'cli' || opts.queue?.autoResume === false
      ? null
      : await continueOtherApis({
          queue,
          db,
          events,
          dataDir,
          log,
          settings,
          shell: opts.shell,
          desktop: opts.desktop,
          destinations,
          env,
          secrets,
          queueOpts: opts.queue,
        });

  // Callback server + public URL self-test; polls (and listens nowhere) without a public URL.
  const callbacks = createCallbackManager({
    queue,
    secrets,
    events,
    settings,
    log,
    publicUrl: opts.callbacks?.publicUrl,
    port: opts.callbacks?.port,
    signingSecret: envSigningSecret,
    statePath: callbackStatePath(dataDir),
  });
  // Not awaited: the first self-test may take a few seconds; `callbackStatus` events follow.
  void callbacks.start();
  const thumbnails = createThumbnails({ dir: path.join(dataDir, 'thumbs'), ffmpegPath: () => settings.get().ffmpegPath, log: (m) => log.info(m) });

  const appHandlers: Partial<Handlers> = {
    'app.info': async () => ({
      version,
      shell: opts.shell,
      provider: provider.kind,
      apiBaseUrl: provider.baseUrl,
      dataDir,
      dataDirBytes: await folderSize(dataDir),
    }),
    'settings.get': async () => settingsView(),
    'settings.update': async (patch) => {
      if (patch.outputDir) {
        if (!path.isAbsolute(patch.outputDir)) throw new ContractError('invalid_argument', `Use a full path (from the root), not ${patch.outputDir}`);
        const stat = await fs.promises.stat(patch.outputDir).catch(() => null);
        if (!stat?.isDirectory()) throw new ContractError('invalid_argument', `Output folder does not exist: ${patch.outputDir}`);
        const writable = await fs.promises.access(patch.outputDir, fs.constants.W_OK).then(
          () => true,
          () => false,
        );
        if (!writable) throw new ContractError('invalid_argument', `Convoy cannot write to this folder: ${patch.outputDir}`);
      }
      for (const key of ['ffmpegPath', 'sofficePath'] as const) {
        const value = patch[key];
        if (value && !(await fs.promises.stat(value).catch(() => null))) {
          throw new ContractError('invalid_argument', `${key === 'ffmpegPath' ? 'ffmpeg' : 'LibreOffice'} not found at ${value}`);
        }
      }
      settings.update(patch);
      if ('ffmpegPath' in patch || 'sofficePath' in patch) {
        const s = settings.get();
        provider.setToolPaths?.({ ffmpeg: s.ffmpegPath ?? undefined, soffice: s.sofficePath ?? undefined });
      }
      const view = settingsView();
      events.emit('settings', view);
      return view;
    },
    'settings.setCallbackSigningSecret': async ({ secret }) => {
      if (envSigningSecret) {
        throw new ContractError('conflict', 'CONVOY_CALLBACK_SIGNING_SECRET is set in the environment and takes precedence; change it there');
      }
      try {
        if (secret) {
          registerSecret(secret);
          await secrets.set(SIGNING_SECRET_NAME, secret);
        } else {
          await secrets.delete(SIGNING_SECRET_NAME);
        }
      } catch (err) {
        throw new ContractError('unavailable', `The signing secret could not be stored: ${err instanceof Error ? err.message : String(err)}`);
      }
      hasStoredSigningSecret = Boolean(secret);
      log.info(secret ? 'callback signing secret stored' : 'callback signing secret removed');
      // The callback server reads the secret on every self-test: run one now so it applies at once.
      void callbacks.probe().catch(() => {});
      const view = settingsView();
      events.emit('settings', view);
      return view;
    },
    'files.pick': async (args) => {
      if (!opts.desktop) return { paths: [], unsupported: true };
      return { paths: await opts.desktop.pickFiles(Boolean(args?.folders)) };
    },
    'files.pickFolder': async () => {
      if (!opts.desktop) return { path: null, unsupported: true };
      return { path: await opts.desktop.pickFolder() };
    },
    'app.takeOpenedFiles': async () => ({ paths: opts.desktop?.takeOpenedFiles?.() ?? [] }),
    'files.startDrag': async ({ itemId }) => {
      const file = opts.desktop?.startDrag ? await queue.resultPath(itemId) : null;
      return { started: Boolean(file && opts.desktop!.startDrag!(file)) };
    },
    'files.outputFolder': async () => outputFolder(),
    'files.openOutputFolder': async () => {
      const { path: folder } = outputFolder();
      if (!opts.desktop) return { opened: false, path: folder };
      // The default folder is created on the first result; opening it before then must still work.
      await fs.promises.mkdir(folder, { recursive: true }).catch(() => {});
      return { opened: await opts.desktop.openPath(folder), path: folder };
    },
  };
  // The same rule the queue applies to items that name no folder (queue.ts `defaults()`).
  function outputFolder() {
    const set = opts.queue?.outputDir ?? settings.get().outputDir;
    const defaultPath = defaultOutputDir();
    return { path: path.resolve(set ?? defaultPath), isDefault: !set, defaultPath };
  }

  // Watched folders of the app (the CLI has `convoy watch`): those that are on start again now.
  const watches = opts.shell === 'cli' ? null : new WatchManager({ db, queue, log, defaultOutDir: () => settings.get().outputDir ?? defaultOutputDir() });
  watches?.startAll();
  const handlers = createHandlers(
    appHandlers,
    queue.handlers(),
    secretsService.handlers(),
    destinations.handlers(),
    callbacks.handlers(),
    watches?.handlers() ?? {},
  );

  return {
    dataDir,
    events,
    settings,
    log,
    provider,
    db,
    get client() {
      return client;
    },
    queue,
    callbacks,
    secrets,
    destinations,
    handlers,
    resultPath: (itemId) => queue.resultPath(itemId),
    async thumbnailPath(itemId, of) {
      const file = of === 'result' ? await queue.resultPath(itemId) : queue.sourcePath(itemId);
      return file ? thumbnails.of(file) : null;
    },
    async close() {
      await callbacks.close();
      await watches?.close();
      await otherApis?.close();
      await queue.close();
      client.close();
      db.close();
      await provider.close();
      log.info('core closed');
    },
  };
}

/**
 * An explicit base URL (CLI --engine) wins; then an explicit or environment key; then the
 * keychain's key when the user chose api2convert in the settings; else the local engine.
 */
async function resolveProvider(
  opts: CoreOptions,
  settings: SettingsStore,
  env: NodeJS.ProcessEnv,
  dataDir: string,
  secrets: SecretStore,
  cloudEndpoints: ReturnType<typeof endpointsFromEnv>,
  log: Logger,
): Promise<Provider> {
  if (!opts.localEngine) {
    const explicit = opts.apiKey ? (opts.apiKeySource ?? 'flag') : null;
    if (opts.apiBaseUrl) return remoteProvider('api2convert', opts.apiBaseUrl, opts.apiKey ?? env.API2CONVERT_API_KEY ?? '', explicit ?? 'env');
    let key = opts.apiKey ?? env.API2CONVERT_API_KEY;
    let source: Provider['keySource'] = explicit ?? 'env';
    if (!key && settings.get().provider === 'api2convert') {
      key = (await secrets.get(API_KEY_NAME).catch(() => null)) ?? undefined;
      source = 'keychain';
    }
    if (key) return remoteProvider('api2convert', settings.get().apiBaseUrl, key, source);
  }
  const callbackSecret = env.CONVOY_CALLBACK_SIGNING_SECRET || (await secrets.get(SIGNING_SECRET_NAME).catch(() => null)) || undefined;
  return startLocalEngine(path.resolve(dataDir), {
    apiKey: await localEngineKey(secrets, dataDir),
    cloudEndpoints,
    callbackSecret,
    toolPaths: { ffmpeg: settings.get().ffmpegPath, soffice: settings.get().sofficePath },
    log,
  });
}
