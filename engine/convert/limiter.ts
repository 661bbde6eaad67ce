/** Bounds how many conversions run at once; a waiter leaves the queue when its signal aborts. */
export class Limiter {
  private active = 0;
  private queue: Array<{ start: () => void; fail: (reason: unknown) => void }> = [];

  constructor(private max: number) {}

  setMax(max: number): void {
    this.max = Math.max(1, Math.floor(max));
    this.drain();
  }

  get running(): number {
    return this.active;
  }

  async run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.acquire(signal);
    try {
      return await fn();
    } finally {
      this.active--;
      this.drain();
    }
  }

  private acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.active < this.max) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const entry = {
        start: () => {
          signal?.removeEventListener('abort', onAbort);
          this.active++;
          resolve();
        },
        fail: reject,
      };
      const onAbort = () => {
        this.queue = this.queue.filter((e) => e !== entry);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(entry);
    });
  }

  private drain(): void {
    while (this.active < this.max && this.queue.length > 0) this.queue.shift()!.start();
  }
}
