/**
 * Everything the UI does with main, in one place: calls through the contract (errors become
 * notices, 'unavailable' marks the feature as missing instead of failing loudly), live events into
 * the stores, and the add-work pipeline (URL lists, files by path or by upload).
 */
import type {
  AppCommand,
  AddItem,
  AddResult,
  ConversionOptions,
  Destination,
  Events,
  ItemView,
  MethodInput,
  MethodName,
  MethodOutput,
  ProfileInput,
  SettingsPatch,
} from '../../preload/contract';
import { captureDataTransfer, collectFileList, resolveCaptured, type Collected, type CollectedFile } from './lib/collect';
import { fitOptions, optionProblem, summarizeOptions } from './lib/optionsForm';
import { createTargetMemory, extensionOf, sourceTypeKey, targetsFor, type TargetInfo } from './lib/targets';
import { parseUrlList, type RejectedLine, type UrlListFormat } from './lib/urlList';
import type { AppState, AppStore } from './store/appStore';
import { createItemsBuffer, type QueueStore } from './store/queueStore';
import type { Connection } from './transport';

export interface ControllerDeps {
  connection: Connection;
  queue: QueueStore;
  app: AppStore;
  storage?: Pick<Storage, 'getItem' | 'setItem'> | null;
  /** Frame scheduler for live updates (tests pass a synchronous one). */
  schedule?: (flush: () => void) => void;
}

const ADD_CHUNK = 5000;
const LIST_PAGE = 5000;
const UPLOAD_PARALLEL = 3;

export type Controller = ReturnType<typeof createController>;

export function createController(deps: ControllerDeps) {
  const { connection, queue, app } = deps;
  const api = connection.api;
  const storage = deps.storage === undefined ? safeLocalStorage() : deps.storage;
  const targetMemory = createTargetMemory(storage);
  const optionsMemory = createOptionsMemory(storage);
  const buffer = createItemsBuffer(queue, deps.schedule);
  /** Files already sent in this session (browser mode gets a new host path per upload). */
  const uploadedSignatures = new Set<string>();
  /** While set, added items take this target and these options instead of remembered ones (Replace, Edit URL). */
  let addOverride: { target?: string; options?: ConversionOptions } | null = null;
  /** Source sizes the renderer knows (browser uploads), by file name (the row's label), for "size before". */
  const knownSizes = new Map<string, number>();
  app.setState({ rememberChoices: storage?.getItem('convoy.rememberChoices') !== 'off' });

  function errorText(err: unknown): { code: string; message: string } {
    const e = err as { code?: unknown; message?: unknown };
    return {
      code: typeof e?.code === 'string' ? e.code : 'error',
      message: typeof e?.message === 'string' && e.message ? e.message : 'Something went wrong',
    };
  }

  /** Calls main; failures become a notice (or a quiet 'unavailable' mark) and answer null. */
  async function call<M extends MethodName>(
    method: M,
    args?: MethodInput<M>,
    opts: { quiet?: boolean; rethrow?: boolean } = {},
  ): Promise<MethodOutput<M> | null> {
    try {
      return await api.invoke(method, args);
    } catch (err) {
      const { code, message } = errorText(err);
      if (code === 'unavailable' || code === 'http_503') {
        app.getState().markUnavailable(method);
        if (!opts.quiet) app.getState().notify('info', `Not available yet: ${message}`);
      } else if (!opts.quiet) {
        app.getState().notify('error', message);
      }
      if (opts.rethrow) throw err;
      return null;
    }
  }

  // -------------------------------------------------------------------------------- live state

  function subscribe(): () => void {
    const offs = [
      api.on('items', (e) => buffer.push(e)),
      api.on('queueStatus', (s) => app.setState({ queueStatus: s })),
      api.on('callbackStatus', (s) => app.setState({ callbackStatus: s })),
      api.on('settings', (s) => {
        const before = app.getState().settings;
        app.setState({ settings: s });
        if (before?.outputDir !== s.outputDir) void loadOutputFolder();
        if (before && before.provider !== s.provider) {
          void refreshInfo();
          void loadTargets(true);
        }
      }),
      api.on('destinations', (d) => app.setState({ profiles: d.profiles })),
      api.on('batchDone', (d) => onBatchDone(d)),
      api.on('appCommand', ({ command }) => void runCommand(command)),
      api.on('filesOpened', ({ paths }) => void addPaths(paths)),
    ];
    if (connection.onLink) {
      offs.push(
        connection.onLink((up) => {
          const was = app.getState().linkUp;
          app.setState({ linkUp: up });
          // Back after a drop: events were missed, so read the state again.
          if (up && !was) void Promise.all([loadQueue(), refreshStatus()]);
        }),
      );
    }
    return () => offs.forEach((off) => off());
  }

  /** A batch is an implementation detail: the result shown is the Start's (see `watchRun`). */
  function onBatchDone(_d: Events['batchDone']) {
    void refreshStatus();
  }

  async function refreshInfo() {
    const info = await call('app.info', undefined, { quiet: true });
    if (info) app.setState({ info });
  }

  async function refreshStatus() {
    const [qs, cs] = await Promise.all([call('queue.status', undefined, { quiet: true }), call('callbacks.status', undefined, { quiet: true })]);
    app.setState({ ...(qs ? { queueStatus: qs } : {}), ...(cs ? { callbackStatus: cs } : {}) });
  }

  /** Reads the whole queue in pages (live events keep it current afterwards). */
  async function loadQueue(): Promise<void> {
    try {
      const all = [];
      for (let offset = 0; ; offset += LIST_PAGE) {
        const page = await api.invoke('queue.list', { offset, limit: LIST_PAGE });
        all.push(...page.items);
        if (all.length >= page.total || page.items.length === 0) break;
      }
      queue.getState().replace(all);
    } catch (err) {
      const { code, message } = errorText(err);
      if (code === 'unavailable' || code === 'http_503') app.getState().markUnavailable('queue.list');
      queue.getState().setLoaded(false, message);
    }
  }

  async function loadTargets(refresh = false): Promise<void> {
    const key = targetsCacheKey();
    if (!app.getState().targets && storage) {
      const cached = readCache(storage, key);
      if (cached) app.setState({ targets: cached.targets, targetsFetchedAt: cached.at });
    }
    app.setState({ targetsState: 'loading', targetsError: null });
    try {
      const targets = (await api.invoke('conversions.list', refresh ? { refresh: true } : undefined)) as TargetInfo[];
      const at = Date.now();
      app.setState({ targets, targetsState: 'idle', targetsFetchedAt: at });
      try {
        storage?.setItem(key, JSON.stringify({ at, targets }));
      } catch {
        /* cache is an optimisation */
      }
    } catch (err) {
      const { code, message } = errorText(err);
      if (code === 'unavailable' || code === 'http_503') app.getState().markUnavailable('conversions.list');
      app.setState({ targetsState: 'error', targetsError: message });
    }
  }

  function targetsCacheKey(): string {
    const info = app.getState().info;
    return `convoy.targets:${info?.provider ?? 'unknown'}:${info?.apiBaseUrl ?? ''}`;
  }

  async function init(): Promise<() => void> {
    const off = subscribe();
    await refreshInfo();
    const [settings, secretsStatus, profiles] = await Promise.all([
      call('settings.get', undefined, { quiet: true }),
      call('secrets.status', undefined, { quiet: true }),
      call('destinations.list', undefined, { quiet: true }),
    ]);
    app.setState({
      ...(settings ? { settings } : {}),
      ...(secretsStatus ? { secretsStatus } : {}),
      ...(profiles ? { profiles } : {}),
    });
    await Promise.all([loadQueue(), loadTargets(), refreshStatus(), loadOutputFolder()]);
    // Files opened with Convoy (double-click, "Open with", command line) before this window was ready.
    if (connection.mode === 'electron') {
      const opened = await call('app.takeOpenedFiles', undefined, { quiet: true });
      if (opened?.paths.length) await addPaths(opened.paths);
    }
    // Targets change rarely; refresh them now and then so a long session sees new ones.
    const timer = setInterval(() => void loadTargets(), 30 * 60_000);
    const offRun = watchRun();
    return () => {
      clearInterval(timer);
      offRun();
      off();
    };
  }

  // -------------------------------------------------------------------------------- adding work

  /** The target a new item gets: the last one chosen for its type, if it still fits. */
  function rememberedTarget(sourceExt: string | null, kind: string): { target?: string; options?: ConversionOptions } {
    if (addOverride) return { ...addOverride };
    if (!app.getState().rememberChoices) return {};
    const target = targetMemory.get(sourceTypeKey(sourceExt, kind));
    if (!target) return {};
    const targets = app.getState().targets;
    if (targets && !targetsFor(targets, sourceExt).some((t) => t.target === target)) return {};
    const options = optionsMemory.get(target);
    return { target, ...(options ? { options } : {}) };
  }

  function existingUrls(): string[] {
    const out: string[] = [];
    for (const item of queue.getState().model.byId.values()) if (item.sourceKind === 'url') out.push(item.label);
    return out;
  }

  function showRejected(lines: RejectedLine[], append: boolean) {
    app.setState({ rejected: append ? app.getState().rejected.concat(lines) : lines });
  }

  /** Sends items to main in chunks, all into one batch. */
  async function addItems(items: AddItem[], batchId?: string): Promise<AddResult | null> {
    const destination = app.getState().addDestination ?? undefined;
    let result = null as AddResult | null;
    for (let i = 0; i < items.length; i += ADD_CHUNK) {
      const chunk = items.slice(i, i + ADD_CHUNK);
      const into: string | undefined = batchId ?? result?.batchId;
      const r: AddResult | null = await call('queue.add', {
        items: chunk,
        ...(destination ? { destination } : {}),
        ...(into ? { batchId: into } : {}),
      });
      if (!r) break;
      result = result ? { batchId: result.batchId, itemIds: result.itemIds.concat(r.itemIds), rejected: result.rejected.concat(r.rejected) } : r;
    }
    if (result) {
      if (result.rejected.length) {
        app.setState({
          rejected: app.getState().rejected.concat(result.rejected.map((r) => ({ input: r.input, reason: r.reason }))),
        });
      }
      ensureRows(result.itemIds);
      markRemembered(items, result);
    }
    return result;
  }

  /** Rows whose target was not chosen for them say where it came from ("remembered for .jpg"). */
  function markRemembered(items: AddItem[], result: AddResult) {
    if (addOverride) return;
    const rejected = new Set(result.rejected.map((r) => r.input));
    const accepted = items.filter((i) => !rejected.has(i.source.kind === 'file' ? i.source.path : i.source.kind === 'url' ? i.source.url : ''));
    // Main may expand a folder into many items: then the order no longer maps one to one.
    if (accepted.length !== result.itemIds.length) return;
    const next = new Map(app.getState().remembered);
    accepted.forEach((item, i) => {
      if (!item.target) return;
      const ext = extensionOf(
        item.source.kind === 'url' ? item.source.url : item.source.kind === 'file' ? item.source.path : item.source.kind === 'cloud' ? item.source.file : '',
      );
      const opts = item.options && Object.keys(item.options).length ? `, ${summarizeOptions(item.options)}` : '';
      next.set(result.itemIds[i], `${item.target.toUpperCase()}${opts} remembered for ${ext ? `.${ext}` : 'this kind of source'}`);
    });
    app.setState({ remembered: next });
  }

  /** Rows normally arrive as `items` events; if main did not send them, list the queue again. */
  function ensureRows(ids: string[]) {
    if (!ids.length) return;
    setTimeout(() => {
      buffer.flush();
      const { byId } = queue.getState().model;
      if (ids.some((id) => !byId.has(id))) void loadQueue();
    }, 400);
  }

  /** Adds the URLs found in a pasted or dropped text. Answers how many were added. */
  async function addText(text: string, format: UrlListFormat = 'text', source?: string, append = false): Promise<number> {
    const parsed = parseUrlList(text, { format, existing: existingUrls() });
    const prefix = source ? `${source}: ` : '';
    showRejected(
      parsed.rejected.map((r) => ({ ...r, input: `${prefix}${r.input}` })),
      append,
    );
    const parts: string[] = [];
    if (parsed.duplicates) parts.push(`${parsed.duplicates} duplicate${parsed.duplicates === 1 ? '' : 's'} merged`);
    if (parsed.rejected.length) parts.push(`${parsed.rejected.length} line${parsed.rejected.length === 1 ? '' : 's'} skipped (see below)`);
    if (!parsed.urls.length) {
      app.getState().notify(parsed.rejected.length ? 'error' : 'info', `No new URLs found${parts.length ? `: ${parts.join(', ')}` : ''}`);
      return 0;
    }
    const items: AddItem[] = parsed.urls.map((url) => {
      const ext = extensionOf(url);
      return { source: { kind: 'url', url }, ...rememberedTarget(ext, 'url') };
    });
    const result = await addItems(items);
    if (!result) return 0;
    app
      .getState()
      .notify('success', `Added ${result.itemIds.length} URL${result.itemIds.length === 1 ? '' : 's'}${parts.length ? ` · ${parts.join(', ')}` : ''}`);
    return result.itemIds.length;
  }

  /** Files: by host path when the shell gives one, else their bytes are sent to the host first. */
  async function addFiles(files: CollectedFile[]): Promise<number> {
    if (!files.length) return 0;
    const byPath = files.filter((f) => f.path);
    const toUpload = files.filter((f) => !f.path);
    let added = 0;
    if (byPath.length) {
      const seen = new Set<string>();
      const items: AddItem[] = [];
      for (const f of byPath) {
        if (seen.has(f.path!)) continue;
        seen.add(f.path!);
        items.push({
          source: { kind: 'file', path: f.path!, ...(f.relDir ? { relDir: f.relDir } : {}) },
          ...rememberedTarget(extensionOf(f.file.name), 'file'),
        });
      }
      const r = await addItems(items);
      added += r?.itemIds.length ?? 0;
    }
    if (toUpload.length) added += await uploadAndAdd(toUpload);
    return added;
  }

  function signature(f: CollectedFile): string {
    return `${f.relDir ?? ''}/${f.file.name}:${f.file.size}:${f.file.lastModified}`;
  }

  async function uploadAndAdd(files: CollectedFile[]): Promise<number> {
    const upload = connection.browser?.upload;
    if (!upload) {
      app.getState().notify('error', 'This window cannot read file paths; use Add files instead.');
      return 0;
    }
    const fresh: CollectedFile[] = [];
    let dup = 0;
    for (const f of files) {
      const sig = signature(f);
      if (uploadedSignatures.has(sig)) dup++;
      else {
        uploadedSignatures.add(sig);
        fresh.push(f);
      }
    }
    if (dup) app.getState().notify('info', `${dup} file${dup === 1 ? ' was' : 's were'} already added`);
    if (!fresh.length) return 0;

    const bytesTotal = fresh.reduce((n, f) => n + f.file.size, 0);
    const progress = new Map<CollectedFile, number>();
    const staging = { files: fresh.length, done: 0, bytes: 0, bytesTotal, failed: 0 };
    app.setState({ staging: { ...staging } });
    let batchId: string | undefined;
    let added = 0;
    let pending: AddItem[] = [];
    let flushing: Promise<void> = Promise.resolve();
    const flush = () => {
      const items = pending;
      pending = [];
      if (!items.length) return flushing;
      flushing = flushing.then(async () => {
        const r = await addItems(items, batchId);
        if (r) {
          batchId = r.batchId;
          added += r.itemIds.length;
        }
      });
      return flushing;
    };
    let lastFlush = Date.now();
    let lastPaint = 0;
    const paint = (force = false) => {
      const now = Date.now();
      if (!force && now - lastPaint < 100) return;
      lastPaint = now;
      staging.bytes = [...progress.values()].reduce((a, b) => a + b, 0);
      app.setState({ staging: { ...staging } });
    };

    let next = 0;
    const worker = async () => {
      while (next < fresh.length) {
        const f = fresh[next++];
        try {
          const { path } = await upload(f.file, f.file.name, f.relDir, (sent) => {
            progress.set(f, sent);
            paint();
          });
          progress.set(f, f.file.size);
          knownSizes.set(path.split(/[\\/]/).pop() ?? path, f.file.size);
          staging.done++;
          pending.push({
            source: { kind: 'file', path, ...(f.relDir ? { relDir: f.relDir } : {}) },
            ...rememberedTarget(extensionOf(f.file.name), 'file'),
          });
          // Rows appear while the rest is still being sent.
          if (pending.length >= 200 || Date.now() - lastFlush > 300) {
            lastFlush = Date.now();
            void flush();
          }
        } catch (err) {
          staging.failed++;
          uploadedSignatures.delete(signature(f));
          app.getState().notify('error', errorText(err).message);
        }
        paint(true);
      }
    };
    await Promise.all(Array.from({ length: Math.min(UPLOAD_PARALLEL, fresh.length) }, worker));
    await flush();
    await flushing;
    app.setState({ staging: null });
    if (added) app.getState().notify('success', `Added ${added} file${added === 1 ? '' : 's'}`);
    return added;
  }

  async function addCollected(c: Collected): Promise<void> {
    if (c.skipped.length) {
      app.getState().notify(
        'info',
        `Left out ${c.skipped.length} hidden or unreadable file${c.skipped.length === 1 ? '' : 's'} (${c.skipped
          .slice(0, 3)
          .map((s) => s.name)
          .join(', ')}${c.skipped.length > 3 ? '…' : ''})`,
      );
    }
    // Several lists in one drop: their unreadable lines are listed together.
    for (const [i, t] of c.texts.entries()) await addText(t.text, t.format, t.source, i > 0);
    await addFiles(c.files);
    if (!c.texts.length && !c.files.length && !c.skipped.length) app.getState().notify('info', 'Nothing to add: drop files, folders or URLs');
  }

  /** Drop or paste: capture synchronously (the event empties its data afterwards), then add. */
  function addDataTransfer(dt: DataTransfer): Promise<void> {
    const captured = captureDataTransfer(dt, connection.pathForFile);
    return resolveCaptured(captured, connection.pathForFile).then(addCollected);
  }

  async function addFileList(list: FileList | File[]): Promise<void> {
    await addCollected(await collectFileList(list, connection.pathForFile));
  }

  /** Native picker (Electron); false when this shell has none (browser mode uses an input). */
  async function pickNative(folders: boolean): Promise<boolean> {
    if (connection.mode !== 'electron') return false;
    const r = await call('files.pick', folders ? { folders: true } : undefined);
    if (!r || r.unsupported) return false;
    await addPaths(r.paths);
    return true;
  }

  /** Files and folders by host path (opened with Convoy, or picked natively). */
  async function addPaths(paths: string[]): Promise<number> {
    if (!paths.length) return 0;
    const items: AddItem[] = paths.map((path) => ({ source: { kind: 'file', path }, ...rememberedTarget(extensionOf(path), 'file') }));
    const r = await addItems(items);
    return r?.itemIds.length ?? 0;
  }

  /** A command from the desktop menu or its shortcut. */
  async function runCommand(command: AppCommand): Promise<void> {
    switch (command) {
      case 'addFiles':
      case 'addFolder':
        await pickNative(command === 'addFolder');
        return;
      case 'addUrls':
        document.getElementById('url-box')?.focus();
        return;
      case 'start':
        await start();
        return;
      case 'settings':
        app.getState().openDialog({ kind: 'settings' });
        return;
      case 'destinations':
        app.getState().openDialog({ kind: 'destinations' });
        return;
      default: {
        const unknown: never = command;
        void unknown;
      }
    }
  }

  // -------------------------------------------------------------------------------- queue actions

  function spec(target: string): TargetInfo | null {
    return app.getState().targets?.find((t) => t.target === target) ?? null;
  }

  function setNotes(change: (m: Map<string, NonNullable<ReturnType<AppState['notes']['get']>>>) => void) {
    const next = new Map(app.getState().notes);
    change(next);
    app.setState({ notes: next });
  }

  /**
   * Sets a target. Options follow the target: given ones are used as they are (the options form
   * validated them); otherwise each item keeps only the options the new target defines with a
   * valid value, and the row says what was dropped.
   */
  async function setTarget(ids: string[], target: string, options?: ConversionOptions): Promise<boolean> {
    if (!ids.length) return false;
    buffer.flush();
    const { byId } = queue.getState().model;
    const schema = spec(target)?.options ?? null;
    const remembered = app.getState().rememberChoices ? optionsMemory.get(target) : null;
    const groups = new Map<string, { options: ConversionOptions | undefined; ids: string[] }>();
    const dropped = new Map<string, string[]>();
    for (const id of ids) {
      let opts: ConversionOptions | undefined = options;
      if (!opts) {
        const item = byId.get(id);
        const base = remembered ?? item?.options ?? {};
        const fit = fitOptions(base, schema, target);
        if (fit.dropped.length && !remembered) dropped.set(id, fit.dropped);
        // Always sent: main keeps an item's old options when none are given.
        opts = fit.kept;
      }
      const key = opts ? JSON.stringify(opts) : '';
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { options: opts, ids: [] }));
      g.ids.push(id);
    }
    for (const g of groups.values()) {
      const r = await call('queue.setTarget', { itemIds: g.ids, target, ...(g.options ? { options: g.options } : {}) });
      if (!r) return false;
    }
    setNotes((m) => {
      for (const id of ids) {
        const d = dropped.get(id);
        const item = byId.get(id);
        if (d) {
          const why = optionProblem(d[0], item?.options[d[0]], schema?.[d[0]], target);
          m.set(id, { kind: 'info', text: `Options not used by ${target.toUpperCase()} were dropped: ${d.join(', ')}${why ? ` (${why})` : ''}` });
        } else m.delete(id);
      }
    });
    // Options that came from memory are said on the row; a target chosen here is no longer "remembered".
    if (app.getState().remembered.size || (remembered && !options)) {
      const next = new Map(app.getState().remembered);
      for (const id of ids) {
        if (remembered && !options) next.set(id, `${summarizeOptions(remembered)} remembered for ${target.toUpperCase()}`);
        else next.delete(id);
      }
      app.setState({ remembered: next });
    }
    if (app.getState().rememberChoices) {
      const kinds = new Set<string>();
      for (const id of ids) {
        const item = byId.get(id);
        if (item) kinds.add(sourceTypeKey(item.sourceExt, item.sourceKind));
      }
      for (const k of kinds) targetMemory.remember(k, target);
      if (options) optionsMemory.remember(target, options);
    }
    return true;
  }

  /** A change to a selection: said out loud, with Undo (back to each item's target and options). */
  async function setTargetForSelection(ids: string[], target: string): Promise<boolean> {
    const { byId } = queue.getState().model;
    const before = ids
      .map((id) => byId.get(id))
      .filter((i): i is ItemView => !!i)
      .map((i) => ({ id: i.id, target: i.target, options: i.options }));
    if (!(await setTarget(ids, target))) return false;
    const n = ids.length;
    app.getState().notify('success', `Applied to ${n.toLocaleString()} item${n === 1 ? '' : 's'} (${target.toUpperCase()})`, {
      label: 'Undo',
      run: () => void undoTargets(before),
    });
    return true;
  }

  async function undoTargets(before: Array<{ id: string; target: string | null; options: ConversionOptions }>) {
    const groups = new Map<string, { target: string | null; options: ConversionOptions; ids: string[] }>();
    for (const b of before) {
      const key = `${b.target}\n${JSON.stringify(b.options)}`;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { target: b.target, options: b.options, ids: [] }));
      g.ids.push(b.id);
    }
    for (const g of groups.values()) await call('queue.setTarget', { itemIds: g.ids, target: g.target, options: g.options });
    setNotes((m) => before.forEach((b) => m.delete(b.id)));
    app.getState().notify('info', `Undone: ${before.length.toLocaleString()} item${before.length === 1 ? '' : 's'} back as they were`);
  }

  /** One new row merging these rows' files / URLs in this order (one job, one result). */
  async function merge(ids: string[], target: string, name?: string): Promise<boolean> {
    const r = await call('queue.merge', { itemIds: ids, target, ...(name ? { name } : {}) });
    if (!r) return false;
    queue.getState().clearSelection();
    app.getState().notify('success', `${ids.length} items will be merged into one file; press Start to run it`);
    return true;
  }

  async function setDestination(ids: string[], destination: Destination): Promise<boolean> {
    if (!ids.length) return false;
    return !!(await call('queue.setDestination', { itemIds: ids, destination }));
  }

  /** Why the API would refuse this item's request, or null: checked against `/v2/conversions`. */
  function problemOf(item: ItemView): { text: string; fix: 'options' | 'target' } | null {
    const targets = app.getState().targets;
    if (!targets || !item.target) return null;
    const t = targets.find((x) => x.target === item.target);
    if (!t) return { text: `${item.target.toUpperCase()} is not offered by this provider`, fix: 'target' };
    if (!targetsFor(targets, item.sourceExt).some((x) => x.target === item.target)) {
      return { text: `${item.sourceExt ? `.${item.sourceExt}` : 'This source'} cannot be converted to ${item.target.toUpperCase()}`, fix: 'target' };
    }
    for (const [k, v] of Object.entries(item.options ?? {})) {
      const p = optionProblem(k, v, t.options[k], item.target);
      if (p) return { text: p, fix: 'options' };
    }
    return null;
  }

  /**
   * One Start: the selection if there is one, else everything queued. Every item is checked first;
   * one the API would refuse is not sent and its row says why. The result counts exactly the
   * items sent (`run`).
   */
  async function start(ids?: string[]): Promise<void> {
    const { byId, order } = queue.getState().model;
    const pool = ids?.length ? ids : order;
    const go: string[] = [];
    let missing = 0;
    const problems = new Map<string, { text: string; fix: 'options' | 'target' }>();
    for (const id of pool) {
      const item = byId.get(id);
      if (item?.state !== 'queued') continue;
      if (!item.target) {
        missing++;
        continue;
      }
      const p = problemOf(item);
      if (p) problems.set(id, p);
      else go.push(id);
    }
    setNotes((m) => {
      for (const id of pool) if (m.get(id)?.kind === 'problem') m.delete(id);
      for (const [id, p] of problems) m.set(id, { kind: 'problem', text: p.text, fix: p.fix });
    });
    const skipped = missing + problems.size;
    if (skipped) {
      const parts = [
        missing ? `${missing.toLocaleString()} need${missing === 1 ? 's' : ''} a target` : '',
        problems.size ? `${problems.size.toLocaleString()} would be refused (see the row${problems.size === 1 ? '' : 's'})` : '',
      ]
        .filter(Boolean)
        .join(', ');
      // The rows say it too, so the notice need not stay.
      app.getState().notify('info', `Skipped ${skipped.toLocaleString()}: ${parts}`, { label: 'Show them', run: () => queue.getState().setFilter('queued') });
    }
    if (!go.length) {
      if (!skipped) app.getState().notify('info', 'Nothing to start: no queued items');
      return;
    }
    const r = await call('queue.start', { itemIds: go });
    if (!r) return;
    const prev = app.getState().run;
    app.setState({ run: { id: (prev?.id ?? 0) + 1, ids: go, skipped, startedAt: Date.now(), endedAt: null } });
    checkRun();
  }

  /** Retry: back in the queue and started again, as a Start of its own. */
  async function retry(ids: string[]) {
    if (!ids.length) return null;
    const r = await call('queue.retry', { itemIds: ids });
    if (r?.updated) {
      queue.getState().applyNow([]);
      buffer.flush();
      const go = ids.filter((id) => {
        const s = queue.getState().model.byId.get(id)?.state;
        return s === 'failed' || s === 'canceled' || s === 'queued';
      });
      const started = await call('queue.start', { itemIds: go });
      if (started) {
        const prev = app.getState().run;
        app.setState({ run: { id: (prev?.id ?? 0) + 1, ids: go, skipped: 0, startedAt: Date.now(), endedAt: null } });
      }
    }
    return r;
  }

  async function retryFailed(): Promise<void> {
    const run = app.getState().run;
    if (!run) return;
    const { byId } = queue.getState().model;
    await retry(run.ids.filter((id) => byId.get(id)?.state === 'failed'));
  }

  // A run ends when every item it sent is done, failed or canceled (or removed).
  let runTimer: ReturnType<typeof setTimeout> | null = null;
  function checkRun() {
    const run = app.getState().run;
    if (!run || run.endedAt) return;
    const { byId } = queue.getState().model;
    const c = { done: 0, failed: 0, canceled: 0 };
    for (const id of run.ids) {
      const s = byId.get(id)?.state;
      if (s === 'done') c.done++;
      else if (s === 'failed') c.failed++;
      else if (s === 'canceled' || s === undefined) c.canceled++;
      else return;
    }
    app.setState({ run: { ...run, endedAt: Date.now() } });
    notifySystem(
      `${c.done.toLocaleString()} converted${c.failed ? ` · ${c.failed.toLocaleString()} failed` : ''}${c.canceled ? ` · ${c.canceled.toLocaleString()} canceled` : ''}${run.skipped ? ` · ${run.skipped.toLocaleString()} skipped` : ''}`,
    );
  }
  function watchRun(): () => void {
    const off = queue.subscribe((s, prev) => {
      if (s.version === prev.version || runTimer || !app.getState().run || app.getState().run!.endedAt) return;
      runTimer = setTimeout(() => {
        runTimer = null;
        checkRun();
      }, 200);
    });
    return () => {
      off();
      if (runTimer) clearTimeout(runTimer);
    };
  }

  function notifySystem(text: string) {
    const s = app.getState().settings;
    if (s && !s.notifyOnBatchEnd) return;
    // The desktop app notifies from main (one system notification per run, main/index.ts).
    if (connection.mode === 'electron') return;
    try {
      // A browser shows it where permitted. Only when the window is in the background: in front,
      // the result summary already says it.
      if (typeof Notification !== 'undefined' && Notification.permission === 'granted' && (document.hidden || !document.hasFocus())) {
        new Notification('Convoy: conversions finished', { body: text });
      }
    } catch {
      /* notifications unsupported here */
    }
  }

  // -------------------------------------------------------------------------------- output folder

  async function loadOutputFolder() {
    const f = await call('files.outputFolder', undefined, { quiet: true });
    if (f) app.setState({ outputFolder: f });
  }

  /** Sets the output folder (main checks it exists and is writable); null goes back to the default. */
  async function setOutputFolder(path: string | null): Promise<void> {
    await updateSettings({ outputDir: path });
    await loadOutputFolder();
  }

  async function openOutputFolder(): Promise<void> {
    const r = await call('files.openOutputFolder');
    if (r && !r.opened) app.getState().notify('info', `Results are saved in ${r.path}`);
  }

  // -------------------------------------------------------------------------------- fixes

  /** Adds work like the old item had (target, options, destination), then removes the old item. */
  async function replaceItem(old: ItemView, add: () => Promise<unknown>): Promise<void> {
    const before = queue.getState().model.counts.total;
    addOverride = { ...(old.target ? { target: old.target } : {}), ...(Object.keys(old.options).length ? { options: old.options } : {}) };
    try {
      await add();
    } finally {
      addOverride = null;
    }
    buffer.flush();
    if (queue.getState().model.counts.total >= before) await call('queue.remove', { itemIds: [old.id] });
  }

  async function editUrl(itemId: string, url: string): Promise<boolean> {
    const old = queue.getState().model.byId.get(itemId);
    if (!old) return false;
    let added = 0;
    await replaceItem(old, async () => (added = await addText(url, 'text')));
    return added > 0;
  }

  async function replaceFile(itemId: string, files: File[]): Promise<void> {
    const old = queue.getState().model.byId.get(itemId);
    if (!old || !files.length) return;
    await replaceItem(old, () => addFileList(files.slice(0, 1)));
  }

  function setRememberChoices(on: boolean) {
    app.setState({ rememberChoices: on, ...(on ? {} : { remembered: new Map() }) });
    try {
      storage?.setItem('convoy.rememberChoices', on ? 'on' : 'off');
    } catch {
      /* optional */
    }
  }

  const bulk = (method: 'queue.retry' | 'queue.cancel' | 'queue.remove') => async (ids: string[]) => {
    if (!ids.length) return null;
    return call(method, { itemIds: ids });
  };

  async function open(itemId: string): Promise<void> {
    const r = await call('files.open', { itemId });
    if (!r || r.opened) return;
    if (r.url) window.open(connection.authUrl ? connection.authUrl(r.url) : r.url, '_blank', 'noopener');
    else app.getState().notify('error', 'The result cannot be opened from here');
  }

  async function reveal(itemId: string): Promise<void> {
    const r = await call('files.reveal', { itemId });
    if (!r || r.revealed) return;
    const where = queue.getState().model.byId.get(itemId)?.outputs[0];
    app.getState().notify('info', where ? `Saved at ${where}` : 'Showing the folder is only possible in the desktop app');
  }

  /** Desktop: hands a finished result to the OS drag (main calls webContents.startDrag). */
  async function startDrag(itemId: string): Promise<void> {
    await call('files.startDrag', { itemId }, { quiet: true });
  }

  // -------------------------------------------------------------------------------- settings & profiles

  async function updateSettings(patch: SettingsPatch) {
    const s = await call('settings.update', patch, { rethrow: true, quiet: true });
    if (s) app.setState({ settings: s });
    // New converter paths change what the local engine offers.
    if (s && ('ffmpegPath' in patch || 'sofficePath' in patch)) void loadTargets(true);
    return s;
  }

  return {
    call,
    init,
    loadQueue,
    loadTargets,
    refreshStatus,
    flush: () => buffer.flush(),
    addText,
    addFiles,
    addFileList,
    addDataTransfer,
    addCollected,
    pickNative,
    setTarget,
    setDestination,
    start,
    retry,
    retryFailed,
    setTargetForSelection,
    merge,
    loadOutputFolder,
    setOutputFolder,
    openOutputFolder,
    editUrl,
    replaceFile,
    setRememberChoices,
    sourceSize: (item: ItemView): number | null => item.bytesUpTotal ?? (item.sourceKind === 'file' ? (knownSizes.get(item.label) ?? null) : null),
    cancel: bulk('queue.cancel'),
    remove: bulk('queue.remove'),
    open,
    reveal,
    startDrag,
    updateSettings,
    setApiKey: (apiKey: string) => api.invoke('settings.setApiKey', { apiKey }).then((s) => (app.setState({ settings: s }), s)),
    clearApiKey: () => api.invoke('settings.clearApiKey').then((s) => (app.setState({ settings: s }), s)),
    setTunnelToken: (token: string | null) => api.invoke('settings.setTunnelToken', { token }).then((s) => (app.setState({ settings: s }), s)),
    setSigningSecret: (secret: string | null) => api.invoke('settings.setCallbackSigningSecret', { secret }).then((s) => (app.setState({ settings: s }), s)),
    probeCallbacks: () => api.invoke('callbacks.probe').then((s) => (app.setState({ callbackStatus: s }), s)),
    pickFolder: () => call('files.pickFolder', undefined, { quiet: true }),
    saveProfile: (p: ProfileInput) => api.invoke('destinations.save', p),
    testProfile: (p: ProfileInput | { id: string }) => api.invoke('destinations.test', p),
    removeProfile: (id: string) => api.invoke('destinations.remove', { id }),
    duplicateProfile: (id: string) => api.invoke('destinations.duplicate', { id }),
    exportProfiles: () => api.invoke('destinations.export'),
    importProfiles: (json: string) => api.invoke('destinations.import', { json }),
    addItems,
    browseCloud: (profileId: string, prefix: string, recursive = false) =>
      api.invoke('cloud.browse', { profileId, prefix, ...(recursive ? { recursive } : {}) }),
    reloadProfiles: async () => {
      const profiles = await call('destinations.list', undefined, { quiet: true });
      if (profiles) app.setState({ profiles });
    },
    rememberedOptions: (target: string) => optionsMemory.get(target),
  };
}

function safeLocalStorage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}

function readCache(storage: Pick<Storage, 'getItem'>, key: string): { at: number; targets: TargetInfo[] } | null {
  try {
    const parsed = JSON.parse(storage.getItem(key) ?? 'null') as { at?: unknown; targets?: unknown } | null;
    if (parsed && typeof parsed.at === 'number' && Array.isArray(parsed.targets)) return parsed as { at: number; targets: TargetInfo[] };
  } catch {
    /* ignore a broken cache */
  }
  return null;
}

/** Options last used per target, so a re-chosen target comes back with them. */
function createOptionsMemory(storage: Pick<Storage, 'getItem' | 'setItem'> | null) {
  const name = 'convoy.lastOptions';
  let map: Record<string, ConversionOptions> = {};
  try {
    const parsed = JSON.parse(storage?.getItem(name) ?? '{}') as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) map = parsed as Record<string, ConversionOptions>;
  } catch {
    map = {};
  }
  return {
    get: (target: string): ConversionOptions | null => (map[target] && Object.keys(map[target]).length ? map[target] : null),
    remember(target: string, options: ConversionOptions) {
      map = { ...map, [target]: options };
      try {
        storage?.setItem(name, JSON.stringify(map));
      } catch {
        /* optional */
      }
    },
  };
}
