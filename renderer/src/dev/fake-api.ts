/**
 * An in-browser stand-in for main, speaking the contract: a queue with thousands of items, targets
 * with option schemas, profiles, settings, and simulated progress at a chosen event rate. Used by
 * component tests and the UI benchmarks only; the production entry never imports it.
 */
import type {
  AddItem,
  BatchCounts,
  CallbackStatus,
  ConvoyApi,
  Destination,
  EventName,
  Events,
  ItemState,
  ItemView,
  MethodInput,
  MethodName,
  MethodOutput,
  ProfileView,
  QueueStatus,
  Settings,
} from '../../../preload/contract';
import type { TargetInfo } from '../lib/targets';

export const FAKE_TARGETS: TargetInfo[] = [
  ...['png', 'jpg', 'webp', 'gif', 'tiff', 'avif'].map((target) => ({
    target,
    category: 'image',
    options: {
      quality: { type: 'integer' as const, description: 'Compression quality', minimum: 1, maximum: 100, default: 85 },
      width: { type: 'integer' as const, description: 'Width in pixels', minimum: 1, maximum: 16384 },
      height: { type: 'integer' as const, description: 'Height in pixels', minimum: 1, maximum: 16384 },
      color: { type: 'string' as const, description: 'Colour mode', enum: ['colored', 'gray', 'monochrome'], default: 'colored' },
      strip: { type: 'boolean' as const, description: 'Remove metadata', default: false },
    },
  })),
  ...['pdf', 'docx', 'txt', 'html'].map((target) => ({
    target,
    category: 'document',
    options: { ocr: { type: 'boolean' as const, description: 'Recognise text in images', default: false } },
  })),
  ...['mp3', 'ogg', 'flac', 'wav'].map((target) => ({
    target,
    category: 'audio',
    options: {
      audio_bitrate: { type: 'integer' as const, description: 'Bitrate (kbps)', enum: [96, 128, 192, 256, 320], default: 192 },
      normalize: { type: 'boolean' as const, description: 'Normalise loudness' },
    },
  })),
  ...['mp4', 'webm'].map((target) => ({
    target,
    category: 'video',
    options: { frame_rate: { type: 'number' as const, description: 'Frames per second', minimum: 1, maximum: 120 } },
  })),
  { target: 'md5', category: 'hash', options: {} },
];

/** The settings a fresh fake starts with (also the fixture of the settings-form tests). */
export const FAKE_SETTINGS: Settings = {
  provider: 'local',
  concurrency: 8,
  outputDir: null,
  conflictPolicy: 'rename',
  callbackPublicUrl: null,
  callbackPort: 0,
  liveStatus: true,
  notifyOnBatchEnd: true,
  ffmpegPath: null,
  sofficePath: null,
  apiKeyMasked: null,
  hasTunnelToken: false,
  hasCallbackSigningSecret: false,
};

export interface FakeApiOptions {
  /** Items already in the queue at start. */
  seedItems?: number;
  targets?: TargetInfo[];
  /** Methods that answer 'unavailable' (like main before a part lands). */
  unavailable?: MethodName[];
  /** Milliseconds a call takes. */
  latencyMs?: number;
  /** Simulate processing after queue.start (otherwise items stay where they are). */
  simulate?: boolean;
  /** Progress events per second while simulating. */
  eventRate?: number;
  /** URLs containing this text fail when converted. */
  failMatching?: string;
  /** false: `queue.add` sends no `items` event (rows must come from its answer). */
  addEvents?: boolean;
  /** `items` events arrive this many milliseconds after the change, as main's (coalesced every 200 ms). */
  itemsEventDelayMs?: number;
}

class FakeError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface FakeApi extends ConvoyApi {
  items: Map<string, ItemView>;
  order: string[];
  calls: Array<{ method: MethodName; args: unknown }>;
  emit<E extends EventName>(event: E, payload: Events[E]): void;
  /** Starts a stream of `items` events (one item each) at `rate` per second on active items. */
  startProgressStream(rate: number): () => void;
  setConnection(connection: QueueStatus['connection'], reason?: string | null): void;
  close(): void;
}

const KB = 1024;

export function createFakeApi(opts: FakeApiOptions = {}): FakeApi {
  const listeners = new Map<EventName, Set<(p: unknown) => void>>();
  const items = new Map<string, ItemView>();
  let order: string[] = [];
  const calls: FakeApi['calls'] = [];
  const timers = new Set<ReturnType<typeof setInterval>>();
  let seq = 0;
  let batchSeq = 0;
  let profiles: ProfileView[] = [];
  const targets = opts.targets ?? FAKE_TARGETS;
  let settings: Settings = { ...FAKE_SETTINGS };
  let connection: QueueStatus['connection'] = 'online';
  let reason: string | null = null;
  const callback: CallbackStatus = { mode: 'polling', reason: 'No public URL set', publicUrl: null, lastProbe: null, received: 0, rejected: 0 };

  const emit = <E extends EventName>(event: E, payload: Events[E]) => {
    const deliver = () => {
      for (const l of listeners.get(event) ?? []) l(payload);
    };
    if (event === 'items' && opts.itemsEventDelayMs) setTimeout(deliver, opts.itemsEventDelayMs);
    else deliver();
  };
  const now = () => Date.now();
  const update = (item: ItemView, patch: Partial<ItemView>): ItemView => {
    const next = { ...item, ...patch, updatedAt: Math.max(now(), item.updatedAt + 1) };
    items.set(item.id, next);
    return next;
  };

  const counts = (): BatchCounts => {
    const c: BatchCounts = { total: 0, queued: 0, active: 0, done: 0, failed: 0, canceled: 0 };
    for (const i of items.values()) {
      c.total++;
      if (i.state === 'queued') c.queued++;
      else if (i.state === 'done') c.done++;
      else if (i.state === 'failed') c.failed++;
      else if (i.state === 'canceled') c.canceled++;
      else c.active++;
    }
    return c;
  };
  const status = (): QueueStatus => ({
    running: true,
    connection,
    reason,
    retryAt: connection === 'online' ? null : now() + 5000,
    waitingItems: connection === 'online' ? 0 : [...items.values()].filter((i) => i.state !== 'done' && i.state !== 'failed' && i.state !== 'canceled').length,
    concurrency: settings.concurrency,
    paused,
    totals: counts(),
    credits: settings.provider === 'api2convert' ? 1234 : null,
  });

  const extOf = (name: string) => {
    const m = /\.([a-z0-9]{1,10})$/i.exec(name.split(/[?#]/)[0]);
    return m ? m[1].toLowerCase() : null;
  };

  function makeItem(add: AddItem, batchId: string, defaults: { target?: string; destination?: Destination }): ItemView {
    const src = add.source;
    const label =
      src.kind === 'url' ? src.url : src.kind === 'file' ? src.path.split(/[\\/]/).pop()! : src.kind === 'merge' ? (src.name ?? 'merged') : src.file;
    const id = `item-${++seq}`;
    return {
      id,
      batchId,
      label,
      sourceKind: src.kind,
      sourceExt: extOf(src.kind === 'url' ? new URL(src.url).pathname : label),
      target: add.target ?? defaults.target ?? null,
      options: add.options ?? {},
      destination: add.destination ?? defaults.destination ?? null,
      state: 'queued',
      waiting: null,
      bytesUp: 0,
      bytesUpTotal: src.kind === 'file' ? 200 * KB + (seq % 50) * KB : null,
      bytesDown: 0,
      bytesDownTotal: null,
      error: null,
      outputs: [],
      updatedAt: now(),
    };
  }

  function add(list: AddItem[], batch: { batchId?: string; target?: string; destination?: Destination; withItems?: boolean }) {
    const batchId = batch.batchId ?? `batch-${++batchSeq}`;
    const known = new Set([...items.values()].filter((i) => i.sourceKind === 'url').map((i) => i.label));
    const added: ItemView[] = [];
    const rejected: Array<{ input: string; reason: string }> = [];
    for (const a of list) {
      if (a.source.kind === 'url') {
        if (!/^https?:\/\//i.test(a.source.url)) {
          rejected.push({ input: a.source.url, reason: 'Not an http(s) URL' });
          continue;
        }
        if (known.has(a.source.url)) {
          rejected.push({ input: a.source.url, reason: 'Already in the queue' });
          continue;
        }
        known.add(a.source.url);
      }
      const item = makeItem(a, batchId, batch);
      items.set(item.id, item);
      added.push(item);
    }
    order = order.concat(added.map((i) => i.id));
    if (added.length && opts.addEvents !== false) setTimeout(() => emit('items', { items: added }), 0);
    return { batchId, itemIds: added.map((i) => i.id), rejected, ...(batch.withItems ? { items: added } : {}) };
  }

  if (opts.seedItems) {
    const seed: AddItem[] = [];
    for (let i = 0; i < opts.seedItems; i++) {
      seed.push(
        i % 3 === 0
          ? { source: { kind: 'file', path: `/home/user/Pictures/holiday-${i}.jpg` }, target: 'png' }
          : { source: { kind: 'url', url: `https://files.example.com/set/${i}/photo-${i}.${i % 3 === 1 ? 'png' : 'docx'}` } },
      );
    }
    add(seed, {});
  }

  /** Moves one active item one step; answers the updated item. */
  function step(item: ItemView): ItemView {
    switch (item.state) {
      case 'creating':
        return update(item, { state: item.sourceKind === 'file' ? 'uploading' : 'converting' });
      case 'uploading': {
        const total = item.bytesUpTotal ?? 100 * KB;
        const sent = Math.min(total, item.bytesUp + 64 * KB);
        return update(item, sent >= total ? { bytesUp: total, state: 'converting' } : { bytesUp: sent });
      }
      case 'converting':
        if (opts.failMatching && item.label.includes(opts.failMatching)) {
          return update(item, {
            state: 'failed',
            error: { message: 'The source could not be downloaded (HTTP 404)', code: 'input', action: 'Check the URL' },
          });
        }
        return update(item, { state: 'downloading', bytesDownTotal: 150 * KB });
      case 'downloading': {
        const got = Math.min(item.bytesDownTotal ?? 0, item.bytesDown + 64 * KB);
        if (got >= (item.bytesDownTotal ?? 0)) {
          return update(item, { bytesDown: got, state: 'done', outputs: [`/home/user/Convoy/${item.label.split('/').pop()}.${item.target}`] });
        }
        return update(item, { bytesDown: got });
      }
      default:
        return item;
    }
  }

  function activeItems(limit: number): ItemView[] {
    const out: ItemView[] = [];
    for (const i of items.values()) {
      if (i.state === 'creating' || i.state === 'uploading' || i.state === 'converting' || i.state === 'downloading') out.push(i);
      if (out.length >= limit) break;
    }
    return out;
  }

  let paused = false;
  function promote() {
    let active = activeItems(settings.concurrency).length;
    const changed: ItemView[] = [];
    if (paused) return changed;
    for (const i of items.values()) {
      if (active >= settings.concurrency) break;
      if (i.state === 'queued' && i.target && (i as ItemView & { started?: boolean }).started) {
        changed.push(update(i, { state: 'creating' }));
        active++;
      }
    }
    return changed;
  }

  let simTimer: ReturnType<typeof setInterval> | null = null;
  function ensureSimulation() {
    if (!opts.simulate || simTimer) return;
    const rate = opts.eventRate ?? 40;
    const perTick = Math.max(1, Math.round(rate / 20));
    simTimer = setInterval(() => {
      if (connection !== 'online') return;
      const promoted = promote();
      if (promoted.length) emit('items', { items: promoted });
      const active = activeItems(settings.concurrency);
      for (let k = 0; k < perTick && active.length; k++) {
        const next = step(active[k % active.length]);
        active[k % active.length] = next;
        emit('items', { items: [next] });
      }
      if (!active.length && !promoted.length) {
        clearInterval(simTimer!);
        timers.delete(simTimer!);
        simTimer = null;
        // Paused with started rows left: the run is not over; resuming simulates again.
        const waiting = [...items.values()].some((i) => i.state === 'queued' && (i as ItemView & { started?: boolean }).started);
        if (!(paused && waiting)) emit('batchDone', { batchId: 'batch-1', counts: counts() });
      }
      emit('queueStatus', status());
    }, 50);
    timers.add(simTimer);
  }

  const handlers: { [M in MethodName]?: (args: any) => unknown } = {
    'app.info': () => ({ version: '0.0.0-fake', shell: 'browser', provider: settings.provider, apiBaseUrl: 'http://127.0.0.1:0/v2', dataDir: '/tmp/fake' }),
    'settings.get': () => settings,
    'settings.update': (patch) => {
      settings = { ...settings, ...patch };
      emit('settings', settings);
      return settings;
    },
    'settings.setApiKey': ({ apiKey }) => {
      if (!/^[a-f0-9]{32}$/.test(apiKey)) throw new FakeError('unauthorized', 'The API key was rejected by api2convert (401)');
      settings = { ...settings, apiKeyMasked: `••••${apiKey.slice(-4)}` };
      return settings;
    },
    'settings.clearApiKey': () => (settings = { ...settings, apiKeyMasked: null, provider: 'local' }),
    'settings.setTunnelToken': ({ token }) => (settings = { ...settings, hasTunnelToken: !!token }),
    'settings.setCallbackSigningSecret': ({ secret }) => (settings = { ...settings, hasCallbackSigningSecret: !!secret }),
    'secrets.status': () => ({
      backend: 'memory',
      warning: 'No keychain found: secrets are kept in memory until Convoy quits. Install gnome-keyring to keep them.',
    }),
    'conversions.list': () => targets,
    'queue.add': (a) => add(a.items, a),
    'queue.list': (a) => {
      const offset = a?.offset ?? 0;
      const limit = a?.limit ?? 1000;
      const ids = a?.batchId ? order.filter((id) => items.get(id)!.batchId === a.batchId) : order;
      return { total: ids.length, items: ids.slice(offset, offset + limit).map((id) => items.get(id)!) };
    },
    'queue.batches': () => [],
    'queue.setTarget': ({ itemIds, target, options, withItems }) => {
      const changed = (itemIds as string[])
        .map((id) => items.get(id))
        .filter(Boolean)
        .map((i) => update(i!, { target, options: options ?? {} }));
      emit('items', { items: changed });
      return { updated: changed.length, ...(withItems ? { items: changed } : {}) };
    },
    'queue.setDestination': ({ itemIds, destination, withItems }) => {
      const changed = (itemIds as string[])
        .map((id) => items.get(id))
        .filter(Boolean)
        .map((i) => update(i!, { destination }));
      emit('items', { items: changed });
      return { updated: changed.length, ...(withItems ? { items: changed } : {}) };
    },
    'queue.start': (a) => {
      const ids: string[] = a?.itemIds ?? order;
      let started = 0;
      let missingTarget = 0;
      for (const id of ids) {
        const i = items.get(id);
        if (i?.state !== 'queued') continue;
        if (!i.target) missingTarget++;
        else {
          (i as ItemView & { started?: boolean }).started = true;
          started++;
        }
      }
      ensureSimulation();
      return { started, missingTarget };
    },
    'queue.retry': ({ itemIds }) => {
      const changed = (itemIds as string[])
        .map((id) => items.get(id))
        .filter((i) => i && (i.state === 'failed' || i.state === 'canceled'))
        .map((i) => {
          const n = update(i!, { state: 'queued', error: null, bytesUp: 0, bytesDown: 0 });
          (n as ItemView & { started?: boolean }).started = true;
          return n;
        });
      emit('items', { items: changed });
      ensureSimulation();
      return { updated: changed.length };
    },
    'queue.cancel': ({ itemIds, withItems }) => {
      const changed = (itemIds as string[])
        .map((id) => items.get(id))
        .filter((i) => i && i.state !== 'done' && i.state !== 'failed' && i.state !== 'canceled')
        .map((i) => update(i!, { state: 'canceled' as ItemState }));
      emit('items', { items: changed });
      return { updated: changed.length, ...(withItems ? { items: changed } : {}) };
    },
    'queue.remove': ({ itemIds }) => {
      const removed = (itemIds as string[]).filter((id) => items.delete(id));
      const gone = new Set(removed);
      order = order.filter((id) => !gone.has(id));
      emit('items', { items: [], removed });
      return { removed: removed.length };
    },
    'queue.merge': ({ itemIds, target, name }: { itemIds: string[]; target?: string; name?: string }) => {
      const parts = itemIds.map((id) => items.get(id)).filter((i): i is ItemView => !!i);
      const r = add(
        [
          {
            source: { kind: 'merge', name: name ?? 'merged', inputs: parts.map((p) => ({ kind: 'file' as const, path: p.label })) },
            target: target ?? 'merge',
          },
        ],
        {},
      );
      const gone = parts.filter((p) => p.state === 'queued').map((p) => p.id);
      gone.forEach((id) => items.delete(id));
      order = order.filter((id) => items.has(id));
      emit('items', { items: [], removed: gone });
      return { batchId: r.batchId, itemId: r.itemIds[0], removed: gone.length };
    },
    'watch.list': () => [],
    'queue.status': () => status(),
    'queue.pause': ({ paused: p }) => {
      paused = p;
      emit('queueStatus', status());
      ensureSimulation();
      return status();
    },
    'callbacks.status': () => callback,
    'callbacks.probe': () => ({ ...callback, lastProbe: { ok: false, at: now(), reason: 'No public URL set' } }),
    'destinations.list': () => profiles,
    'destinations.save': (p) => {
      const existing = profiles.find((x) => x.id === p.id);
      const view: ProfileView = {
        id: p.id ?? `profile-${++seq}`,
        name: p.name,
        type: p.type,
        fields: p.fields,
        secretsSet: [...new Set([...(existing?.secretsSet ?? []), ...Object.keys(p.secrets ?? {})])],
        createdAt: existing?.createdAt ?? now(),
        updatedAt: now(),
      };
      profiles = existing ? profiles.map((x) => (x.id === view.id ? view : x)) : [...profiles, view];
      emit('destinations', { profiles });
      return view;
    },
    'destinations.duplicate': ({ id, name }) => {
      const p = profiles.find((x) => x.id === id);
      if (!p) throw new FakeError('not_found', 'No such profile');
      const copy = { ...p, id: `profile-${++seq}`, name: name ?? `${p.name} (copy)` };
      profiles = [...profiles, copy];
      emit('destinations', { profiles });
      return copy;
    },
    'destinations.remove': ({ id }) => {
      const before = profiles.length;
      profiles = profiles.filter((x) => x.id !== id);
      emit('destinations', { profiles });
      return { removed: profiles.length < before };
    },
    'destinations.test': (p) =>
      'fields' in p && String(p.fields.host ?? '').includes('bad')
        ? { ok: false, code: 'unreachable', message: `Could not reach ${p.fields.host}:21 (connection refused)` }
        : { ok: true, code: 'ok', message: 'Connected and wrote a test file' },
    'destinations.export': () => JSON.stringify({ profiles: profiles.map(({ secretsSet: _s, ...p }) => p) }),
    'destinations.import': () => ({ imported: [], errors: [] }),
    'files.open': ({ itemId }) => ({ opened: false, url: `/api/files/${itemId}` }),
    'files.reveal': () => ({ revealed: false }),
    'files.pick': () => ({ paths: [], unsupported: true }),
    'files.pickFolder': () => ({ path: null, unsupported: true }),
    'files.startDrag': () => ({ started: true }),
    'app.takeOpenedFiles': () => ({ paths: [] }),
    'files.outputFolder': () => ({
      path: settings.outputDir ?? '/home/user/Downloads/Convoy',
      isDefault: !settings.outputDir,
      defaultPath: '/home/user/Downloads/Convoy',
    }),
    'files.openOutputFolder': () => ({ opened: false, path: settings.outputDir ?? '/home/user/Downloads/Convoy' }),
  };

  const api: FakeApi = {
    items,
    get order() {
      return order;
    },
    calls,
    emit,
    async invoke<M extends MethodName>(method: M, args?: MethodInput<M>): Promise<MethodOutput<M>> {
      calls.push({ method, args });
      if (opts.latencyMs) await new Promise((r) => setTimeout(r, opts.latencyMs));
      if (opts.unavailable?.includes(method)) throw new FakeError('unavailable', `${method} is not available in this build`);
      const h = handlers[method];
      if (!h) throw new FakeError('unavailable', `${method} is not available in this build`);
      return h(args) as MethodOutput<M>;
    },
    on(event, listener) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener as (p: unknown) => void);
      return () => set!.delete(listener as (p: unknown) => void);
    },
    startProgressStream(rate) {
      // Spread over 20 ticks a second; each event carries one item, like a busy real queue.
      const perTick = Math.max(1, Math.round(rate / 20));
      let cursor = 0;
      const timer = setInterval(() => {
        for (let k = 0; k < perTick && order.length; k++) {
          cursor = (cursor + 7919) % order.length; // a prime stride visits rows all over the list
          const item = items.get(order[cursor]);
          if (!item) continue;
          const total = item.bytesUpTotal ?? 512 * KB;
          const sent = (item.bytesUp + 16 * KB) % total;
          emit('items', { items: [update(item, { state: 'uploading', bytesUp: sent, bytesUpTotal: total })] });
        }
      }, 50);
      timers.add(timer);
      return () => {
        clearInterval(timer);
        timers.delete(timer);
      };
    },
    setConnection(c, r = null) {
      connection = c;
      reason = r;
      emit('queueStatus', status());
    },
    close() {
      for (const t of timers) clearInterval(t);
      timers.clear();
    },
  };
  return api;
}
