import fs from 'node:fs';
import path from 'node:path';
import type { CallbackStatus } from '../../preload/contract';
import { createCallbackManager, type CallbackManager, type CallbackManagerOptions } from './manager';
import { publicUrlProblem } from './probe';
import { callbackStatePath, readCallbackState, stateIsLive } from './state';

export type CliCallbackOptions = Omit<CallbackManagerOptions, 'publicUrl' | 'port'> & {
  /** `--public-url`; when absent the settings' URL (if any) is used, else Convoy polls. */
  publicUrl?: string | null;
  /** `--callback-port`; when absent the settings' port, else a free one. */
  port?: number | null;
  /** The data folder: the status is kept there for `convoy status`. */
  dataDir?: string;
};

/** Thrown for a bad `--public-url` / `--callback-port`: the CLI prints it as a usage error. */
export class CallbackOptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CallbackOptionError';
  }
}

/** Parses `--callback-port` text; throws a CallbackOptionError naming the problem. */
export function parseCallbackPort(text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new CallbackOptionError(`--callback-port must be a port number between 0 and 65535 (got "${text}")`);
  }
  return port;
}

/**
 * For `convoy convert … --public-url <url> [--callback-port <port>]`: validates the flags, starts
 * the callback manager and waits for the first self-test, so the command knows (and can print)
 * the mode before it creates any job. Close the returned manager when the command ends.
 */
export async function startCallbacksForCli(opts: CliCallbackOptions): Promise<{ manager: CallbackManager; status: CallbackStatus }> {
  if (opts.publicUrl) {
    const problem = publicUrlProblem(opts.publicUrl);
    if (problem) throw new CallbackOptionError(`--public-url: ${problem}`);
  }
  const manager = createCallbackManager({
    ...opts,
    publicUrl: opts.publicUrl ?? undefined,
    port: opts.port ?? undefined,
    // A headless run can take the signing secret from the environment instead of the keychain.
    signingSecret: opts.signingSecret ?? (process.env.CONVOY_CALLBACK_SIGNING_SECRET || undefined),
    statePath: opts.statePath ?? (opts.dataDir ? callbackStatePath(opts.dataDir) : undefined),
  });
  const status = await manager.start();
  return { manager, status };
}

/** One line for `convoy convert`: which mode, and why. */
export function describeCallbackStatus(s: CallbackStatus): string {
  return s.mode === 'callback' ? `Callbacks: on — ${s.reason}` : `Callbacks: off, polling — ${s.reason}`;
}

/** The lines `convoy status` prints about callbacks: the mode and the last probe. */
export function callbackStatusLines(s: CallbackStatus, now = Date.now()): string[] {
  const lines = [`Mode: ${s.mode}`, `Reason: ${s.reason}`, `Public URL: ${s.publicUrl ?? 'none'}`];
  if (s.lastProbe) {
    const when = new Date(s.lastProbe.at).toISOString();
    const ago = Math.max(0, Math.round((now - s.lastProbe.at) / 1000));
    lines.push(
      s.lastProbe.ok ? `Last probe: ok at ${when} (${ago} s ago)` : `Last probe: failed at ${when} (${ago} s ago): ${s.lastProbe.reason ?? 'unknown reason'}`,
    );
  } else {
    lines.push('Last probe: none');
  }
  lines.push(`Callbacks received: ${s.received}, rejected: ${s.rejected}`);
  return lines;
}

/**
 * For `convoy status` (which starts no server): the mode and last probe the running — or last —
 * Convoy process recorded in the data folder; without a record, what the settings imply.
 */
export function recordedCallbackLines(dataDir: string, now = Date.now()): string[] {
  const state = readCallbackState(callbackStatePath(dataDir));
  if (!state) {
    const url = readSettingsUrl(dataDir);
    return url ? [`Callbacks: public URL ${url} set, not tested yet (Convoy tests it when it starts)`] : ['Callbacks: off — polling (no public URL set)'];
  }
  const live = stateIsLive(state);
  const when = new Date(state.updatedAt).toISOString().replace('T', ' ').slice(0, 19);
  return [
    live ? 'Callbacks (Convoy is running):' : `Callbacks (as last recorded, ${when} UTC; that Convoy has ended):`,
    ...callbackStatusLines(state.status, now).map((l) => `  ${l}`),
  ];
}

function readSettingsUrl(dataDir: string): string | null {
  try {
    const raw = JSON.parse(fs.readFileSync(path.join(dataDir, 'settings.json'), 'utf8')) as { callbackPublicUrl?: unknown };
    return typeof raw.callbackPublicUrl === 'string' ? raw.callbackPublicUrl : null;
  } catch {
    return null;
  }
}
