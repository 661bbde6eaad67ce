/**
 * The optional built-in tunnel. Behind a small interface so the manager (and its tests) never
 * depend on ngrok's servers: tests pass their own `TunnelProvider`.
 */
export interface Tunnel {
  /** Public base URL, e.g. https://abc.ngrok.app */
  url: string;
  close(): Promise<void>;
}

export interface TunnelProvider {
  name: string;
  start(opts: { localPort: number; authtoken: string; signal: AbortSignal }): Promise<Tunnel>;
}

/** ngrok through `@ngrok/ngrok` (loaded lazily: it is a native module and rarely needed). */
export const ngrokTunnel: TunnelProvider = {
  name: 'ngrok',
  async start({ localPort, authtoken, signal }) {
    const ngrok = await import('@ngrok/ngrok');
    const listener = await ngrok.forward({ addr: `127.0.0.1:${localPort}`, authtoken, proto: 'http' });
    const url = listener.url();
    if (signal.aborted || !url) {
      await listener.close().catch(() => {});
      throw new Error(url ? 'tunnel start was canceled' : 'ngrok returned no public URL');
    }
    return { url, close: () => listener.close().catch(() => {}) };
  },
};

/** Starts a tunnel with a deadline; rejects with a message free of the authtoken. */
export async function startTunnel(provider: TunnelProvider, localPort: number, authtoken: string, timeoutMs: number): Promise<Tunnel> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new Error(`no connection to ${provider.name} within ${Math.round(timeoutMs / 1000)} s`));
    }, timeoutMs);
  });
  try {
    return await Promise.race([provider.start({ localPort, authtoken, signal: controller.signal }), timeout]);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new Error(message.split(authtoken).join('***'));
  } finally {
    clearTimeout(timer);
  }
}
