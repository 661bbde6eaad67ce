/**
 * Who may run a step beside whom, for the crash-loop guard. A step that was running when the
 * process ended is a suspect, but so is every other step running then: counting the end against
 * all of them would fail items that only happened to be busy. So a suspect's next step runs
 * alone (no other step of the queue beside it), and an end of the process during it is its own.
 *
 * A suspect waits for a moment when no step runs; the other steps do not wait for it. So a crash
 * never holds up the rest of the queue (a step that takes long, or a stream of new work, only
 * delays the suspect), and an item that really ends the process does so when the others are done
 * or idle, not in the middle of them. Suspects go one at a time, in the order they came.
 */
import { abortError } from '../api/backoff';

interface Waiter {
  alone: boolean;
  go: () => void;
}

export class StepIsolation {
  private sharing = 0;
  private aloneRunning = false;
  private waiting: Waiter[] = [];

  /** Enters at once if the step may run now: the function that ends it, or null (then `enter` waits). */
  tryEnter(alone: boolean): (() => void) | null {
    // A suspect also keeps its turn behind suspects that came first.
    if (!this.admits(alone) || (alone && this.waiting.length > 0)) return null;
    this.take(alone);
    return this.leaver(alone);
  }

  /** Waits until the step may run (alone or beside others); resolves with the function that ends it. */
  async enter(alone: boolean, signal: AbortSignal): Promise<() => void> {
    const now = this.tryEnter(alone);
    if (now) return now;
    await new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        alone,
        go: () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        this.waiting = this.waiting.filter((w) => w !== waiter);
        this.admitWaiting(); // a suspect behind an aborted one may go now
        reject(abortError(signal));
      };
      if (signal.aborted) return reject(abortError(signal));
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(waiter);
    });
    return this.leaver(alone);
  }

  private leaver(alone: boolean): () => void {
    let left = false;
    return () => {
      if (left) return;
      left = true;
      if (alone) this.aloneRunning = false;
      else this.sharing--;
      this.admitWaiting();
    };
  }

  /** Steps running now (for tests). */
  get running(): { sharing: number; alone: boolean; waiting: number } {
    return { sharing: this.sharing, alone: this.aloneRunning, waiting: this.waiting.length };
  }

  private admits(alone: boolean): boolean {
    return !this.aloneRunning && (!alone || this.sharing === 0);
  }

  private take(alone: boolean): void {
    if (alone) this.aloneRunning = true;
    else this.sharing++;
  }

  /** Lets in every shared step that may run now, then, if none runs, the first suspect. */
  private admitWaiting(): void {
    if (this.aloneRunning) return;
    for (const w of this.waiting) {
      if (w.alone) continue;
      this.take(false);
      w.go();
    }
    this.waiting = this.waiting.filter((w) => w.alone);
    if (this.sharing === 0 && this.waiting.length > 0) {
      const first = this.waiting.shift()!;
      this.take(true);
      first.go();
    }
  }
}
