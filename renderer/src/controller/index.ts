/**
 * Everything the UI does with main, assembled from one module per feature: adding work (URLs,
 * files, uploads), targets and options, other item changes, run control, results, the output
 * folder, settings, profiles, fixes, menu commands and event intake. State is written only through
 * the stores' named actions. Calls that fail become notices (`call.ts`).
 */
import type { QueueStore } from '../store/queueStore';
import { createItemsBuffer } from '../store/queueStore';
import type { AppStore } from '../store/appStore';
import type { Connection } from '../transport';
import { createAddFiles } from './add-files';
import { createAddItems } from './add-items';
import { createAddUrls } from './add-urls';
import { createCall } from './call';
import { createCommands } from './commands';
import type { Ctx } from './context';
import { subscribeEvents } from './events';
import { createFixes } from './fixes';
import { createItems } from './items';
import { createLoading } from './loading';
import { createMemory, safeLocalStorage, type KeyValueStorage } from './memory';
import { createOutputFolder } from './output-folder';
import { createPendingChanges } from './pending';
import { createProfiles } from './profiles';
import { createResults } from './results';
import { createRun } from './run';
import { createSettings } from './settings';
import { createTargets } from './targets';
import { createUploads } from './uploads';

export interface ControllerDeps {
  connection: Connection;
  queue: QueueStore;
  app: AppStore;
  storage?: KeyValueStorage | null;
  /** Frame scheduler for live updates (tests pass a synchronous one). */
  schedule?: (flush: () => void) => void;
}

/** Targets change rarely; a long session re-reads them now and then. */
const TARGETS_REFRESH_MS = 30 * 60_000;

export type Controller = ReturnType<typeof createController>;

export function createController(deps: ControllerDeps) {
  const { connection, queue, app } = deps;
  const memory = createMemory(deps.storage === undefined ? safeLocalStorage() : deps.storage);
  const buffer = createItemsBuffer(queue, deps.schedule);
  const ctx: Ctx = {
    connection,
    api: connection.api,
    queue,
    app,
    call: createCall(connection.api, app),
    memory,
    flush: () => buffer.flush(),
    showAnswer: (items) => {
      buffer.flush();
      queue.getState().upsert(items ?? []);
    },
    pending: createPendingChanges(),
    session: { addOverride: null, knownSizes: new Map() },
  };
  app.getState().setRememberChoices(memory.rememberChoices());

  const loading = createLoading(ctx);
  const addItems = createAddItems(ctx);
  const { addText } = createAddUrls(ctx, addItems);
  const { uploadAndAdd } = createUploads(ctx, addItems);
  const files = createAddFiles(ctx, addItems, addText, uploadAndAdd);
  const results = createResults(ctx);
  const run = createRun(ctx, results.notifyRunEnd);
  const settings = createSettings(ctx, loading.loadTargets);
  const outputFolder = createOutputFolder(ctx, settings.updateSettings);
  const { runCommand } = createCommands(ctx, files.pickNative, () => run.start(), run.pause);

  async function init(): Promise<() => void> {
    const off = subscribeEvents(ctx, {
      items: (e) => buffer.push(e),
      outputDirChanged: () => void outputFolder.loadOutputFolder(),
      providerChanged: () => {
        void loading.refreshInfo();
        void loading.loadTargets(true);
      },
      batchDone: () => void loading.refreshStatus(),
      command: (command) => void runCommand(command),
      filesOpened: (paths) => void files.addPaths(paths),
      reconnected: () => void Promise.all([loading.loadQueue(), loading.refreshStatus()]),
    });
    await loading.refreshInfo();
    await loading.loadSettings();
    await Promise.all([loading.loadQueue(), loading.loadTargets(), loading.refreshStatus(), outputFolder.loadOutputFolder()]);
    // Files opened with Convoy (double-click, "Open with", command line) before this window was ready.
    if (connection.mode === 'electron') {
      const opened = await ctx.call('app.takeOpenedFiles', undefined, { quiet: true });
      if (opened?.paths.length) await files.addPaths(opened.paths);
    }
    const timer = setInterval(() => void loading.loadTargets(), TARGETS_REFRESH_MS);
    const offRun = run.watchRun();
    return () => {
      clearInterval(timer);
      offRun();
      off();
    };
  }

  return {
    call: ctx.call,
    init,
    loadQueue: loading.loadQueue,
    loadTargets: loading.loadTargets,
    refreshStatus: loading.refreshStatus,
    flush: ctx.flush,
    addText,
    addFiles: files.addFiles,
    addFileList: files.addFileList,
    addDataTransfer: files.addDataTransfer,
    addCollected: files.addCollected,
    addItems: addItems.addItems,
    pickNative: files.pickNative,
    rememberedOptions: addItems.rememberedOptions,
    ...createTargets(ctx),
    ...createItems(ctx),
    ...run,
    ...results,
    ...outputFolder,
    ...settings,
    ...createProfiles(ctx),
    ...createFixes(ctx, (url) => addText(url, 'text'), files.addFileList),
  };
}
