/**
 * The core: everything main does, with no Electron in it. Each shell (Electron, browser mode, CLI)
 * creates one core and serves its handlers and events.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ContractError, type AppInfo, type Handlers, type Settings } from '../preload/contract';
import { EventBus } from './events';
import { createLogger, type Logger } from './log';
import { resolveDataDir } from './paths';
import { remoteProvider, startLocalEngine, type Provider } from './provider';
import { createHandlers } from './service';
import { SettingsStore } from './settings/store';
import { version } from './version';

/** What only a desktop shell can do; browser mode and the CLI leave it out. */
export interface DesktopBridge {
  openPath(file: string): Promise<boolean>;
  reveal(file: string): boolean;
  pickFiles(folders: boolean): Promise<string[]>;
  pickFolder(): Promise<string | null>;
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
  env?: NodeJS.ProcessEnv;
  /** Electron's safeStorage, injected by the Electron shell (the keychain fallback). */
  safeStorage?: SafeStorageLike;
}

/** The part of Electron's `safeStorage` the secrets fallback uses. */
export interface SafeStorageLike {
  isEncryptionAvailable(): boolean;
  getSelectedStorageBackend?(): string;
  encryptString(plainText: string): Buffer;
  decryptString(encrypted: Buffer): string;
}

export interface Core {
  dataDir: string;
  events: EventBus;
  settings: SettingsStore;
  log: Logger;
  provider: Provider;
  handlers: Handlers;
  /** A finished item's local result (browser mode serves it at /api/files/<itemId>). */
  resultPath(itemId: string): Promise<string | null>;
  close(): Promise<void>;
}

export async function createCore(opts: CoreOptions): Promise<Core> {
  const env = opts.env ?? process.env;
  const dataDir = resolveDataDir(opts.dataDir, env);
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const log = createLogger(dataDir, opts.echoLog);
  const events = new EventBus();
  const settings = new SettingsStore(dataDir);

  const provider = await resolveProvider(opts, settings, env, dataDir);
  log.info(`core started (${opts.shell}), provider ${provider.kind} at ${provider.baseUrl}`);

  const settingsView = (): Settings => {
    const s = settings.get();
    return {
      provider: s.provider,
      concurrency: s.concurrency,
      outputDir: s.outputDir,
      conflictPolicy: s.conflictPolicy,
      callbackPublicUrl: s.callbackPublicUrl,
      callbackPort: s.callbackPort,
      liveStatus: s.liveStatus,
      notifyOnBatchEnd: s.notifyOnBatchEnd,
      apiKeyMasked: null,
      hasTunnelToken: false,
    };
  };

  const appHandlers: Partial<Handlers> = {
    'app.info': async () => ({
      version,
      shell: opts.shell,
      provider: provider.kind,
      apiBaseUrl: provider.baseUrl,
      dataDir,
    }),
    'settings.get': async () => settingsView(),
    'settings.update': async (patch) => {
      if (patch.outputDir) {
        const stat = await fs.promises.stat(patch.outputDir).catch(() => null);
        if (!stat?.isDirectory()) throw new ContractError('invalid_argument', `Output folder does not exist: ${patch.outputDir}`);
      }
      settings.update(patch);
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
  };

  const handlers = createHandlers(appHandlers);

  return {
    dataDir,
    events,
    settings,
    log,
    provider,
    handlers,
    resultPath: async () => null,
    async close() {
      await provider.close();
      log.info('core closed');
    },
  };
}

async function resolveProvider(
  opts: CoreOptions,
  settings: SettingsStore,
  env: NodeJS.ProcessEnv,
  dataDir: string,
): Promise<Provider> {
  if (opts.apiBaseUrl) return remoteProvider('api2convert', opts.apiBaseUrl, opts.apiKey ?? env.API2CONVERT_API_KEY ?? '');
  const key = opts.apiKey ?? env.API2CONVERT_API_KEY;
  if (key) return remoteProvider('api2convert', settings.get().apiBaseUrl, key);
  return startLocalEngine(path.resolve(dataDir));
}
