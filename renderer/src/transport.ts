/**
 * The renderer's only way to main. `window.convoy` present → Electron (the preload bridge);
 * otherwise browser mode over HTTP + Server-Sent Events with the access token from the page URL.
 */
import {
  ContractError,
  eventNames,
  unwrapReply,
  type ConvoyApi,
  type ConvoyBridge,
  type EventName,
  type Events,
  type MethodInput,
  type MethodName,
  type MethodOutput,
} from '../../preload/contract';

declare global {
  interface Window {
    convoy?: ConvoyBridge;
  }
}

export interface BrowserTransportOptions {
  token: string;
  baseUrl?: string;
  /** Called when the event stream drops or returns, so the UI can say so. */
  onConnectionChange?: (connected: boolean) => void;
}

export function createBrowserTransport(opts: BrowserTransportOptions): ConvoyApi & {
  upload(file: Blob, name: string, relDir?: string, onProgress?: (sent: number) => void): Promise<{ path: string }>;
  close(): void;
} {
  const base = opts.baseUrl ?? '';
  const listeners = new Map<EventName, Set<(payload: unknown) => void>>();
  let source: EventSource | null = null;

  const ensureStream = () => {
    if (source) return;
    source = new EventSource(`${base}/api/events?token=${encodeURIComponent(opts.token)}`);
    source.onopen = () => opts.onConnectionChange?.(true);
    source.onerror = () => opts.onConnectionChange?.(false);
    for (const name of eventNames) {
      source.addEventListener(name, (e) => {
        const payload = JSON.parse((e as MessageEvent<string>).data) as unknown;
        for (const l of listeners.get(name) ?? []) l(payload);
      });
    }
  };

  return {
    async invoke<M extends MethodName>(method: M, args?: MethodInput<M>): Promise<MethodOutput<M>> {
      const res = await fetch(`${base}/api/${method}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Convoy-Token': opts.token },
        body: JSON.stringify(args ?? {}),
      });
      const body = (await res.json().catch(() => null)) as unknown;
      if (!res.ok) {
        const err = (body ?? {}) as { code?: string; message?: string };
        throw ContractError.fromWire(err.code, err.message ?? `Request failed (${res.status})`, res.status);
      }
      return body as MethodOutput<M>;
    },
    on<E extends EventName>(event: E, listener: (payload: Events[E]) => void) {
      ensureStream();
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener as (p: unknown) => void);
      return () => set!.delete(listener as (p: unknown) => void);
    },
    /** Browser mode has no file paths: stream the bytes to the host, get its path back. */
    upload(file, name, relDir, onProgress) {
      const qs = new URLSearchParams({ name, token: opts.token });
      if (relDir) qs.set('relDir', relDir);
      // XMLHttpRequest, because fetch has no upload progress.
      return new Promise((resolve, reject) => {
        const xhr = new XMLHttpRequest();
        xhr.open('POST', `${base}/api/upload?${qs.toString()}`);
        xhr.setRequestHeader('X-Convoy-Token', opts.token);
        xhr.upload.onprogress = (e) => onProgress?.(e.loaded);
        xhr.onload = () =>
          xhr.status < 300
            ? resolve(JSON.parse(xhr.responseText) as { path: string })
            : reject(ContractError.fromWire(undefined, `Upload of ${name} failed (${xhr.status})`, xhr.status));
        xhr.onerror = () => reject(new ContractError('unavailable', `Upload of ${name} failed: connection lost`));
        xhr.send(file);
      });
    },
    close() {
      source?.close();
      source = null;
    },
  };
}

export interface Connection {
  api: ConvoyApi;
  mode: 'electron' | 'browser';
  browser?: ReturnType<typeof createBrowserTransport>;
  /** Electron: the host path of a dropped/picked file ('' or absent when unknown). */
  pathForFile?: (file: File) => string;
  /** Where the page loads a row's thumbnail (main makes it small from the local source or result image). */
  thumbUrl?: (itemId: string, of: 'source' | 'result') => string;
  /** Browser mode: a host URL (`/api/files/…`) with the access token added, openable in a tab. */
  authUrl?: (url: string) => string;
  /** Browser mode: called when the event stream drops or returns. */
  onLink?: (listener: (connected: boolean) => void) => () => void;
}

/** Picks the transport at start. */
export function connect(): Connection {
  if (window.convoy) {
    const bridge = window.convoy;
    return {
      api: {
        invoke: async (method, args) => unwrapReply(await bridge.invoke(method, args)),
        on: (event, listener) => bridge.on(event, listener),
      },
      mode: 'electron',
      pathForFile: (f) => bridge.pathForFile(f),
      // The app's own scheme serves thumbnails (main/electron/protocol.ts); no file:// access.
      thumbUrl: (itemId, of) => `convoy://app/thumb/${encodeURIComponent(itemId)}/${of}`,
    };
  }
  const token = new URLSearchParams(window.location.search).get('token') ?? sessionStorage.getItem('convoy-token') ?? '';
  if (token) sessionStorage.setItem('convoy-token', token);
  const linkListeners = new Set<(connected: boolean) => void>();
  const browser = createBrowserTransport({ token, onConnectionChange: (c) => linkListeners.forEach((l) => l(c)) });
  return {
    api: browser,
    mode: 'browser',
    browser,
    thumbUrl: (itemId, of) => `/api/thumbs/${encodeURIComponent(itemId)}/${of}`,
    authUrl(url) {
      const u = new URL(url, window.location.href);
      if (u.origin === window.location.origin && !u.searchParams.has('token')) u.searchParams.set('token', token);
      return u.origin === window.location.origin ? `${u.pathname}${u.search}${u.hash}` : u.href;
    },
    onLink(listener) {
      linkListeners.add(listener);
      return () => linkListeners.delete(listener);
    },
  };
}
