/**
 * Changes to items that main has not answered yet. Start waits for them, so it acts on what the
 * rows show: a target chosen a moment before Start is not "missing".
 */
export interface PendingChanges {
  /** Counts `change` as pending until it settles; returns it. */
  track<T>(change: Promise<T>): Promise<T>;
  /** Resolves once nothing is pending (changes made meanwhile included). */
  settled(): Promise<void>;
}

export function createPendingChanges(): PendingChanges {
  const pending = new Set<Promise<unknown>>();
  return {
    track(change) {
      pending.add(change);
      const done = () => pending.delete(change);
      change.then(done, done);
      return change;
    },
    async settled() {
      while (pending.size) await Promise.allSettled([...pending]);
    },
  };
}
