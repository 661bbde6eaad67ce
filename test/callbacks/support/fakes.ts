import type { EventBus } from '../../../main/events';
import type { Logger } from '../../../main/log';
import type { CallbackStatus } from '../../../preload/contract';

export class MemorySecrets {
  readonly values = new Map<string, string>();
  async get(name: string) {
    return this.values.get(name) ?? null;
  }
  async set(name: string, value: string) {
    this.values.set(name, value);
  }
  async delete(name: string) {
    this.values.delete(name);
  }
}

/** Stands in for the queue's two callback hooks and records every call. */
export class FakeQueue {
  known = new Set<string>();
  pendingIds = new Set<string>();
  hints: string[] = [];
  targets: Array<{ url: string; notifyStatus: boolean } | null> = [];
  hintJob(jobId: string): 'known' | 'pending' | 'unknown' {
    this.hints.push(jobId);
    if (this.known.has(jobId)) return 'known';
    if (this.pendingIds.has(jobId)) return 'pending';
    return 'unknown';
  }
  /** Jobs asked about without a read (unsigned status-only callbacks). */
  looked: string[] = [];
  knowsJob(jobId: string): 'known' | 'pending' | 'unknown' {
    this.looked.push(jobId);
    if (this.known.has(jobId)) return 'known';
    return this.pendingIds.has(jobId) ? 'pending' : 'unknown';
  }
  /** Signed documents taken as the job's state; `disagree` ids are sent back for a re-read. */
  taken: unknown[] = [];
  disagree = new Set<string>();
  takeJob(doc: unknown): 'known' | 'reread' {
    const id = (doc as { id: string }).id;
    if (!this.known.has(id) || this.disagree.has(id)) return 'reread';
    this.taken.push(doc);
    return 'known';
  }
  setCallbackTarget(target: { url: string; notifyStatus: boolean } | null): void {
    this.targets.push(target);
  }
  get target() {
    return this.targets.at(-1) ?? null;
  }
}

export class FakeSettings {
  value = { callbackPublicUrl: null as string | null, callbackPort: 0, liveStatus: true };
  get() {
    return { ...this.value };
  }
}

export function captureLog(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => lines.push(`INFO ${m}`),
    warn: (m) => lines.push(`WARN ${m}`),
    error: (m) => lines.push(`ERROR ${m}`),
  };
}

export function statusEvents(events: EventBus): CallbackStatus[] {
  const seen: CallbackStatus[] = [];
  events.on('callbackStatus', (s) => seen.push(s));
  return seen;
}
