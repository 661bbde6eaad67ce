/**
 * Browser mode: `npm run serve [-- --port <p>] [--data-dir <dir>]`. The same UI and handlers as
 * the desktop app, on 127.0.0.1 only, behind a random access token printed in the URL.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createCore } from '../core';
import { normalizeEngineUrl } from './commands/convert';
import { generateToken, startHttpAdapter } from './http-adapter';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export async function serve(argv: string[]): Promise<{ url: string; close(): Promise<void> }> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', default: '0' },
      'data-dir': { type: 'string' },
      'static-dir': { type: 'string' },
      engine: { type: 'string' },
      'api-key': { type: 'string' },
    },
    strict: true,
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0–65535, got "${values.port}"`);
  const staticDir = values['static-dir'] ?? path.join(repoRoot, 'dist', 'renderer');
  if (!fs.existsSync(path.join(staticDir, 'index.html'))) {
    throw new Error(`No renderer build in ${staticDir}: run "npm run build" first`);
  }
  const core = await createCore({
    shell: 'browser',
    dataDir: values['data-dir'],
    apiBaseUrl: values.engine ? normalizeEngineUrl(values.engine) : undefined,
    apiKey: values['api-key'],
  });
  const token = generateToken();
  const adapter = await startHttpAdapter({
    port,
    handlers: core.handlers,
    events: core.events,
    token,
    staticDir,
    uploadDir: path.join(core.dataDir, 'uploads'),
    resultPath: core.resultPath,
    thumbnailPath: core.thumbnailPath,
    log: (m) => core.log.warn(m),
  });
  return {
    url: adapter.url,
    async close() {
      await adapter.close();
      await core.close();
    },
  };
}

const isEntry = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (isEntry) {
  serve(process.argv.slice(2)).then(
    (running) => {
      process.stdout.write(`Convoy is running in browser mode: ${running.url}\n`);
      const stop = () => void running.close().finally(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    },
    (err: unknown) => {
      process.stderr.write(`convoy serve: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(2);
    },
  );
}
