import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type ProxyMode =
  /** Forward every request unchanged. */
  | 'forward'
  /**
   * Store and forward: acknowledge callbacks (not probes) at once, hold them, and pass them on in
   * reverse order on `releaseHeld()` — a job's "completed" then reaches Convoy before its "processing".
   */
  | 'reorder'
  /** Forward without the X-Oc-Signature header (a misconfigured proxy). */
  | 'strip-signature'
  /** Answer 200 without forwarding (a proxy pointed at the wrong app). */
  | 'blackhole'
  /** Answer 502 (the tunnel's upstream is down). */
  | 'bad-gateway'
  /** Answer 301 to https (http→https redirect). */
  | 'redirect';

/**
 * A real reverse proxy on another loopback address (127.0.0.2 by default) that stands in for a
 * tunnel: the app gets `url` as its public URL. `stop()`/`start()` take the tunnel down and bring
 * it back on the same address and port.
 */
export class TestTunnelProxy {
  mode: ProxyMode = 'forward';
  forwarded = 0;
  /** Largest number of held callbacks released (reversed) at once. */
  maxReleased = 0;
  /** Requests that reached the proxy. */
  seen = 0;
  private server: http.Server | null = null;
  private sockets = new Set<Socket>();
  private held: Array<() => void> = [];
  port = 0;

  constructor(
    private target: { host: string; port: number },
    readonly host = '127.0.0.2',
  ) {}

  get url(): string {
    return `http://${this.host}:${this.port}`;
  }

  retarget(target: { host: string; port: number }): void {
    this.target = target;
  }

  async start(): Promise<void> {
    const server = http.createServer((req, res) => this.handle(req, res));
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, this.host, () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Releases held callbacks, last first. */
  releaseHeld(): number {
    const held = this.held.reverse();
    this.held = [];
    this.maxReleased = Math.max(this.maxReleased, held.length);
    for (const go of held) go();
    return held.length;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.seen++;
    const isProbe = /\/probe$/.test(req.url ?? '');
    if (this.mode === 'blackhole') {
      req.resume();
      req.on('end', () => res.writeHead(200, { 'content-type': 'text/plain' }).end('ok'));
      return;
    }
    if (this.mode === 'bad-gateway') {
      req.resume();
      req.on('end', () => res.writeHead(502).end('Bad Gateway'));
      return;
    }
    if (this.mode === 'redirect') {
      req.resume();
      req.on('end', () => res.writeHead(301, { location: `https://${this.host}:${this.port}${req.url}?token=abc` }).end());
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const headers: http.OutgoingHttpHeaders = { ...req.headers, host: `${this.target.host}:${this.target.port}` };
      if (this.mode === 'strip-signature') delete headers['x-oc-signature'];
      /** Forwards upstream; `sink` null: the sender was answered already, drop the answer. */
      const go = (sink: http.ServerResponse | null) => {
        this.forwarded++;
        const up = http.request({ host: this.target.host, port: this.target.port, method: req.method, path: req.url, headers, agent: false }, (upRes) => {
          if (!sink) return void upRes.resume();
          sink.writeHead(upRes.statusCode ?? 502, upRes.headers);
          upRes.pipe(sink);
        });
        up.on('error', () => {
          if (!sink) return;
          if (!sink.headersSent) sink.writeHead(502).end('Bad Gateway');
          else sink.destroy();
        });
        up.end(Buffer.concat(chunks));
      };
      if (this.mode === 'reorder' && !isProbe) {
        this.held.push(() => go(null));
        res.writeHead(200).end();
      } else go(res);
    });
  }
}
