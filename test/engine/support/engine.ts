/** Starts an engine on a temp data dir for one test file; `stop()` closes it and removes the dir. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createEngine, type Engine, type EngineInternals, type EngineOptions } from '../../../engine/index';
import { Api } from './api';

export const TEST_KEY = 'test-account-key-0123456789';

export interface TestEngine {
  engine: Engine;
  api: Api;
  dataDir: string;
  logs: string[];
  stop(opts?: { keepData?: boolean }): Promise<void>;
}

export function tempDir(prefix = 'convoy-engine-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** `internals`: e.g. a converter wrapped to watch or steer what the runner does (logs still go to `logs`). */
export async function startTestEngine(options: Partial<EngineOptions> = {}, internals: Omit<EngineInternals, 'log'> = {}): Promise<TestEngine> {
  const dataDir = options.dataDir ?? tempDir();
  const logs: string[] = [];
  const engine = await createEngine({ port: 0, apiKey: TEST_KEY, ...options, dataDir }, { ...internals, log: (m) => logs.push(m) });
  return {
    engine,
    api: new Api(engine.baseUrl, options.apiKey ?? TEST_KEY),
    dataDir,
    logs,
    async stop(opts = {}) {
      await engine.close();
      if (!opts.keepData) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
