/**
 * The "internet side" of bench/callbacks-latency.ts, run as a child process so its event loop is
 * not Convoy's: the local engine (the API) and the reverse proxy on 127.0.0.2 (the tunnel).
 * Driven over IPC: start, setFaults, jitter, stats, resetStats, close.
 */
import { createEngine, type Engine, type EngineFaults } from '../engine/index';
import { TestTunnelProxy } from '../test/callbacks/support/proxy';

export type RemoteCommand =
  | { cmd: 'start'; dataDir: string; apiKey: string; callbackSecret: string; faults: Partial<EngineFaults>; tunnelTo: number }
  | { cmd: 'jitter'; minMs: number; maxMs: number }
  | { cmd: 'stats' }
  | { cmd: 'resetStats' }
  | { cmd: 'close' };

let engine: Engine | null = null;
let proxy: TestTunnelProxy | null = null;
let jitter: NodeJS.Timeout | null = null;

async function handle(msg: RemoteCommand): Promise<unknown> {
  switch (msg.cmd) {
    case 'start':
      engine = await createEngine({ dataDir: msg.dataDir, apiKey: msg.apiKey, callbackSecret: msg.callbackSecret, faults: msg.faults }, { log: () => {} });
      proxy = new TestTunnelProxy({ host: '127.0.0.1', port: msg.tunnelTo });
      await proxy.start();
      return { baseUrl: engine.baseUrl, proxyUrl: proxy.url };
    case 'jitter':
      if (jitter) clearInterval(jitter);
      jitter = setInterval(() => engine!.setFaults({ conversionDelayMs: msg.minMs + Math.floor(Math.random() * (msg.maxMs - msg.minMs)) }), 50);
      return null;
    case 'stats':
      return engine!.stats();
    case 'resetStats':
      engine!.resetStats();
      return null;
    case 'close':
      if (jitter) clearInterval(jitter);
      await proxy?.stop();
      await engine?.close();
      setImmediate(() => process.exit(0));
      return null;
  }
}

if (process.send) {
  process.on('message', (m: { id: number; msg: RemoteCommand }) => {
    handle(m.msg).then(
      (result) => process.send!({ id: m.id, result }),
      (err: unknown) => process.send!({ id: m.id, error: err instanceof Error ? err.message : String(err) }),
    );
  });
  process.on('disconnect', () => process.exit(0));
}
