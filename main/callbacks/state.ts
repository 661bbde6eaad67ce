import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { CallbackStatus } from '../../preload/contract';

/**
 * The last callback status, kept in the data folder so `convoy status` (which starts no server)
 * can show the mode and the last probe of the running — or last — Convoy process.
 * It holds no secret: the public URL is the user's, the callback path secret is never in it.
 */
export const CALLBACK_STATE_FILE = 'callbacks-status.json';

const StatusSchema = z.object({
  mode: z.enum(['callback', 'polling']),
  reason: z.string(),
  publicUrl: z.string().nullable(),
  lastProbe: z.object({ ok: z.boolean(), at: z.number(), reason: z.string().nullable() }).nullable(),
  received: z.number().int().min(0),
  rejected: z.number().int().min(0),
});

const StateSchema = z.object({
  version: z.literal(1),
  status: StatusSchema,
  updatedAt: z.number(),
  pid: z.number().int(),
  /** False once the process closed its callback manager. */
  open: z.boolean(),
});
export type CallbackState = z.infer<typeof StateSchema>;

export function callbackStatePath(dataDir: string): string {
  return path.join(dataDir, CALLBACK_STATE_FILE);
}

export function writeCallbackState(file: string, status: CallbackStatus, open: boolean): void {
  const doc: CallbackState = { version: 1, status, updatedAt: Date.now(), pid: process.pid, open };
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(tmp, JSON.stringify(doc, null, 2), { mode: 0o600 });
    fs.renameSync(tmp, file);
  } catch {
    // Status persistence is a convenience for `convoy status`; never let it break callbacks.
    fs.rmSync(tmp, { force: true });
  }
}

/** The recorded state, or null when there is none (or it is unreadable). */
export function readCallbackState(file: string): CallbackState | null {
  try {
    const parsed = StateSchema.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** Whether the process that wrote the state still runs its callback manager. */
export function stateIsLive(state: CallbackState): boolean {
  if (!state.open) return false;
  if (state.pid === process.pid) return true;
  try {
    process.kill(state.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
