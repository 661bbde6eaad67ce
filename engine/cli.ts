/**
 * `npm run engine -- --port <p> --data-dir <dir> --api-key <key> [options]`
 * Starts the local engine and prints one line with its base URL.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createEngine } from './index';
import type { EngineFaults, EngineOptions } from './types';

const usage = `Usage: npm run engine -- --api-key <key> [options]

  --port <n>                     port (0 = any free port; default 0)
  --host <addr>                  address to bind (default 127.0.0.1)
  --allow-private-fetch          with --host beyond loopback: still fetch inputs from loopback/private addresses
  --data-dir <dir>               state directory (default .convoy-data/engine)
  --api-key <key>                account key clients must send (or env CONVOY_ENGINE_API_KEY)
  --callback-secret <s>          sign callbacks with X-Oc-Signature (or env CONVOY_ENGINE_CALLBACK_SECRET)
  --public-url <url>             base of the URLs handed out (job.server, output uri) when a proxy or
                                 tunnel fronts the engine (default http://<host>:<port>)
  --output-ttl-ms <n>            how long outputs stay downloadable (default 24 h)
  --max-concurrent-conversions <n>
  --s3-endpoint <url> --azure-endpoint <url> --gcs-endpoint <url>   cloud service endpoints
 Fault injection (tests and benches):
  --latency-ms <n> --conversion-delay-ms <n> --max-concurrent-jobs <n> --retry-after-seconds <n>
  --transient-5xx-rate <0..1> --callback-drop-rate <0..1> --callback-duplicate-rate <0..1> --stall
`;

function fail(message: string): never {
  process.stderr.write(`${message}\n\n${usage}`);
  process.exit(2);
}

function num(name: string, value: string | undefined, min = 0, max = Infinity): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) fail(`--${name} must be a number between ${min} and ${max}`);
  return n;
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        'data-dir': { type: 'string' },
        'api-key': { type: 'string' },
        'callback-secret': { type: 'string' },
        'public-url': { type: 'string' },
        'output-ttl-ms': { type: 'string' },
        'max-concurrent-conversions': { type: 'string' },
        's3-endpoint': { type: 'string' },
        'azure-endpoint': { type: 'string' },
        'gcs-endpoint': { type: 'string' },
        'latency-ms': { type: 'string' },
        'conversion-delay-ms': { type: 'string' },
        'max-concurrent-jobs': { type: 'string' },
        'retry-after-seconds': { type: 'string' },
        'transient-5xx-rate': { type: 'string' },
        'callback-drop-rate': { type: 'string' },
        'callback-duplicate-rate': { type: 'string' },
        stall: { type: 'boolean' },
        'allow-private-fetch': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (err) {
    fail((err as Error).message);
  }
  if (values.help) {
    process.stdout.write(usage);
    return;
  }
  const apiKey = values['api-key'] ?? process.env.CONVOY_ENGINE_API_KEY;
  if (!apiKey) fail('An API key is required: --api-key <key> or CONVOY_ENGINE_API_KEY');
  const publicUrl = values['public-url'];
  if (publicUrl !== undefined) {
    let u: URL | null = null;
    try {
      u = new URL(publicUrl);
    } catch {
      // reported below
    }
    if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:') || u.username || u.password || u.search || u.hash) {
      fail(`--public-url must be an http(s) URL without credentials, query or fragment (got "${publicUrl}")`);
    }
  }
  const faults: Partial<EngineFaults> = {};
  const setFault = <K extends keyof EngineFaults>(k: K, v: EngineFaults[K] | undefined) => {
    if (v !== undefined) faults[k] = v;
  };
  setFault('latencyMs', num('latency-ms', values['latency-ms']));
  setFault('conversionDelayMs', num('conversion-delay-ms', values['conversion-delay-ms']));
  setFault('maxConcurrentJobs', num('max-concurrent-jobs', values['max-concurrent-jobs']));
  setFault('retryAfterSeconds', num('retry-after-seconds', values['retry-after-seconds']));
  setFault('transient5xxRate', num('transient-5xx-rate', values['transient-5xx-rate'], 0, 1));
  setFault('callbackDropRate', num('callback-drop-rate', values['callback-drop-rate'], 0, 1));
  setFault('callbackDuplicateRate', num('callback-duplicate-rate', values['callback-duplicate-rate'], 0, 1));
  if (values.stall) faults.stall = true;

  const options: EngineOptions = {
    port: num('port', values.port, 0, 65535) ?? 0,
    host: values.host ?? '127.0.0.1',
    dataDir: path.resolve(values['data-dir'] ?? '.convoy-data/engine'),
    apiKey,
    callbackSecret: values['callback-secret'] ?? process.env.CONVOY_ENGINE_CALLBACK_SECRET,
    publicUrl,
    outputTtlMs: num('output-ttl-ms', values['output-ttl-ms'], 1),
    maxConcurrentConversions: num('max-concurrent-conversions', values['max-concurrent-conversions'], 1),
    cloudEndpoints: {
      amazons3: values['s3-endpoint'],
      azure: values['azure-endpoint'],
      googlecloud: values['gcs-endpoint'],
    },
    faults,
    ...(values['allow-private-fetch'] ? { allowPrivateFetch: true } : {}),
  };
  // A stray rejection must not take the server (and every job in it) down.
  process.on('unhandledRejection', (reason) => {
    process.stderr.write(`engine: unhandled rejection: ${(reason as Error)?.stack ?? String(reason)}\n`);
  });
  const engine = await createEngine(options);
  process.stdout.write(`Convoy engine listening on ${engine.baseUrl} (API under ${engine.baseUrl}/v2)\n`);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    engine.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err) => {
  process.stderr.write(`engine: ${(err as Error).message}\n`);
  process.exit(1);
});
