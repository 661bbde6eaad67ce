import { describe, expect, it } from 'vitest';
import { backoffDelay, parseRetryAfter, pollDelays, sleep } from '../../main/api/backoff';

describe('backoffDelay', () => {
  it('doubles from the base with 0–25 % jitter and never exceeds the cap', () => {
    expect(backoffDelay(0, { baseDelayMs: 500, maxDelayMs: 8000 }, () => 0)).toBe(500);
    expect(backoffDelay(0, { baseDelayMs: 500, maxDelayMs: 8000 }, () => 1)).toBe(625);
    expect(backoffDelay(2, { baseDelayMs: 500, maxDelayMs: 8000 }, () => 0)).toBe(2000);
    for (let a = 0; a < 20; a++) {
      for (const r of [0, 0.3, 0.99]) {
        const d = backoffDelay(a, { baseDelayMs: 500, maxDelayMs: 8000 }, () => r);
        expect(d).toBeLessThanOrEqual(8000);
        expect(d).toBeGreaterThanOrEqual(Math.min(500 * 2 ** a, 8000) * 0.8);
      }
    }
  });

  it('still spreads retries that have reached the cap', () => {
    const a = backoffDelay(10, { baseDelayMs: 500, maxDelayMs: 8000 }, () => 0);
    const b = backoffDelay(10, { baseDelayMs: 500, maxDelayMs: 8000 }, () => 0.9);
    expect(a).not.toBe(b);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2024-05-01T12:00:00Z');
  it('reads delta-seconds', () => {
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('1.5', now)).toBe(1500);
  });
  it('reads an HTTP date', () => {
    expect(parseRetryAfter('Wed, 01 May 2024 12:00:07 GMT', now)).toBe(7000);
    expect(parseRetryAfter('Wed, 01 May 2024 11:00:00 GMT', now)).toBe(0); // in the past: now
  });
  it('ignores absent or garbage values', () => {
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-5', now)).toBeUndefined();
  });
});

describe('pollDelays', () => {
  it('follows the official rhythm: 1 s, ×1.5, up to 5 s', () => {
    const g = pollDelays({ jitter: 0 });
    const seq = Array.from({ length: 7 }, () => g.next().value);
    expect(seq).toEqual([1000, 1500, 2250, 3375, 5000, 5000, 5000]);
  });
  it('adds up to 25 % jitter by default and floors the first wait at 0.5 s', () => {
    const g = pollDelays({}, () => 1);
    expect(g.next().value).toBe(1250);
    expect(pollDelays({ initialMs: 10, jitter: 0 }).next().value).toBe(500);
  });
  it('can be tuned', () => {
    const g = pollDelays({ initialMs: 2000, factor: 2, maxMs: 6000, jitter: 0 });
    expect([g.next().value, g.next().value, g.next().value]).toEqual([2000, 4000, 6000]);
  });
});

describe('sleep', () => {
  it('rejects with an AbortError when the signal aborts', async () => {
    const ac = new AbortController();
    const p = sleep(10_000, ac.signal);
    ac.abort();
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
  });
  it('ends early when woken, and unsubscribes', async () => {
    let listener: (() => void) | undefined;
    let unsubscribed = false;
    const started = Date.now();
    const p = sleep(10_000, undefined, (l) => {
      listener = l;
      return () => (unsubscribed = true);
    });
    setTimeout(() => listener?.(), 20);
    await p;
    expect(Date.now() - started).toBeLessThan(2000);
    expect(unsubscribed).toBe(true);
  });
});
