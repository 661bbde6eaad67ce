/**
 * Runs the BUILT Electron main bundle under plain Node with the stub `electron` module
 * (test/electron/stub/) and the real preload bundle, and drives it like a user and the OS would.
 * The Electron binary cannot be downloaded here; this is how the desktop shell is exercised.
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');
const register = path.join(root, 'test', 'electron', 'stub', 'register.mjs');

/** Node 24 from npm (scripts/fetch-electron-node.mjs): the Node version inside Electron 41. */
export const electronNode = path.join(root, '.cache', 'electron-node', 'bin', 'node');
export const hasElectronNode = fs.existsSync(electronNode);
export const NO_ELECTRON_NODE_MESSAGE = `Skipping the Node 24 (Electron's Node) runs: no ${electronNode}; run \`node scripts/fetch-electron-node.mjs\` (.ci/run does)`;

/** Builds the app bundles into a fresh folder (never touches dist/); returns it. Inside the project, so the bundle finds node_modules. */
export function buildApp(): string {
  const parent = path.join(root, '.cache', 'test-builds');
  fs.mkdirSync(parent, { recursive: true });
  const out = fs.mkdtempSync(path.join(parent, 'app-'));
  execFileSync(process.execPath, [path.join(root, 'scripts', 'build.mjs'), '--out', out], { cwd: root, stdio: 'pipe' });
  return out;
}

/** Adds the CLI bundle (`npm run build` makes both) to a build made by `buildApp`. */
export function buildCli(out: string): void {
  execFileSync(process.execPath, [path.join(root, 'scripts', 'build-cli.mjs'), path.join(out, 'cli')], { cwd: root, stdio: 'pipe' });
}

export interface Recorded {
  kind: string;
  data: unknown;
}

export interface AppRun {
  child: ChildProcess;
  records: Recorded[];
  events: Array<{ event: string; payload: unknown }>;
  stderr: () => string;
  exited: Promise<number | null>;
  send<T = unknown>(cmd: string, extra?: Record<string, unknown>): Promise<T>;
  invoke<T = unknown>(method: string, args?: unknown): Promise<{ ok: true; value: T } | { ok: false; error: { code: string; message: string } }>;
  waitFor(kind: string, match?: (data: any) => boolean, timeoutMs?: number): Promise<any>;
  waitForEvent(event: string, match?: (payload: any) => boolean, timeoutMs?: number): Promise<any>;
  /** Waits until the core answers (the window's first call resolves). */
  ready(timeoutMs?: number): Promise<void>;
  kill(): void;
}

export function startApp(opts: {
  build: string;
  dataDir: string;
  /** Node binary (default: this one). Electron's own Node is Node 24. */
  node?: string;
  /** Make better-sqlite3 unloadable, as in the packaged app. */
  noAddon?: boolean;
  packaged?: boolean;
  argv?: string[];
  env?: Record<string, string>;
  cwd?: string;
}): AppRun {
  const records: Recorded[] = [];
  const events: AppRun['events'] = [];
  const waiters: Array<() => void> = [];
  let stderr = '';
  let nextId = 1;
  const pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
  const child = fork(path.join(opts.build, 'main', 'index.js'), opts.argv ?? [], {
    execPath: opts.node ?? process.execPath,
    execArgv: ['--import', register, '--no-warnings'],
    cwd: opts.cwd ?? root,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: opts.dataDir,
      CONVOY_HOME: opts.dataDir,
      CONVOY_SECRETS: 'memory',
      // Electron's argv[1] in development is the app itself ("electron ."): here, the bundle.
      STUB_APP_PATH: path.join(opts.build, 'main', 'index.js'),
      ...(opts.noAddon ? { STUB_NO_ADDON: '1' } : {}),
      ...(opts.packaged ? { STUB_PACKAGED: '1' } : {}),
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  child.stdout!.on('data', () => {});
  child.on('message', (msg: any) => {
    if (msg.type === 'record') records.push({ kind: msg.kind, data: msg.data });
    else if (msg.type === 'event') events.push({ event: msg.event, payload: msg.payload });
    else if (msg.type === 'reply') {
      const p = pending.get(msg.id);
      pending.delete(msg.id);
      if (msg.error) p?.reject(new Error(msg.error));
      else p?.resolve(msg.data);
    }
    waiters.splice(0).forEach((w) => w());
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

  const send = <T>(cmd: string, extra: Record<string, unknown> = {}) =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      child.send({ cmd, id, ...extra });
    });

  const until = async <T>(find: () => T | undefined, what: string, timeoutMs: number): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = find();
      if (found !== undefined) return found;
      if (Date.now() > deadline || child.exitCode !== null) {
        throw new Error(`Timed out waiting for ${what}; records: ${records.map((r) => r.kind).join(', ')}\nstderr: ${stderr.slice(-2000)}`);
      }
      await new Promise<void>((r) => {
        const t = setTimeout(r, 50);
        waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  };

  const run: AppRun = {
    child,
    records,
    events,
    stderr: () => stderr,
    exited,
    send,
    invoke: (method, args) => send('invoke', { method, args }),
    waitFor: (kind, match = () => true, timeoutMs = 30_000) =>
      until(() => records.find((r) => r.kind === kind && match(r.data))?.data, `record ${kind}`, timeoutMs),
    waitForEvent: (event, match = () => true, timeoutMs = 30_000) =>
      until(() => events.find((e) => e.event === event && match(e.payload))?.payload, `event ${event}`, timeoutMs),
    async ready(timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      await run.waitFor('window.loadURL', () => true, timeoutMs);
      // While a start-up dialog is open, calls answer 'unavailable'; after Try Again they wait.
      for (;;) {
        const r = (await run.invoke('app.info')) as { ok: boolean };
        if (r.ok) return;
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`app.info failed: ${JSON.stringify(r)}\n${stderr}`);
        await new Promise((res) => setTimeout(res, 100));
      }
    },
    kill: () => {
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
  return run;
}
