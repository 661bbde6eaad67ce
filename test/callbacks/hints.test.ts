import { describe, expect, it } from 'vitest';
import { HintThrottle } from '../../main/callbacks/hints';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function recorder(result: (id: string) => 'known' | 'pending' | 'unknown' = () => 'known') {
  const t0 = Date.now();
  const calls: Array<{ id: string; at: number }> = [];
  return { calls, hint: (id: string) => (calls.push({ id, at: Date.now() - t0 }), result(id)) };
}

describe('HintThrottle', () => {
  it('turns a burst of duplicate "ended" callbacks into one immediate and one trailing re-read (repeats wait like status callbacks)', async () => {
    const r = recorder();
    const throttle = new HintThrottle(r.hint, { urgentMs: 60, statusMs: 200 });
    for (let i = 0; i < 10; i++) expect(throttle.push('job-a', true)).toBe('known');
    expect(r.calls.length).toBe(1);
    await sleep(300);
    expect(r.calls.map((c) => c.id)).toEqual(['job-a', 'job-a']);
    expect(r.calls[1]!.at).toBeGreaterThanOrEqual(190);
    throttle.close();
  });

  it('2,000 forged "ended" callbacks for one job over 2 s cause a handful of re-reads, not dozens', async () => {
    const r = recorder();
    const throttle = new HintThrottle(r.hint);
    for (let i = 0; i < 2000; i++) {
      throttle.push('job-a', true);
      if (i % 100 === 99) await sleep(100);
    }
    await sleep(1100);
    expect(r.calls.length).toBeGreaterThanOrEqual(2);
    expect(r.calls.length).toBeLessThanOrEqual(4);
    throttle.close();
  });

  it('caps re-reads per second over all jobs', async () => {
    const r = recorder();
    const throttle = new HintThrottle(r.hint, { urgentMs: 0, statusMs: 0, maxPerSecond: 5 });
    for (const id of ['a', 'b', 'c']) throttle.push(id, true); // first hints: 3 reads
    for (let i = 0; i < 30; i++) throttle.push(['a', 'b', 'c'][i % 3], false);
    expect(r.calls.length).toBe(5);
    await sleep(1200);
    expect(r.calls.length).toBeLessThanOrEqual(8);
    throttle.close();
  });

  it('coalesces status-only callbacks to one read per window, but reads at once when a callback claims the end', async () => {
    const r = recorder();
    const throttle = new HintThrottle(r.hint, { urgentMs: 30, statusMs: 400 });
    throttle.push('job-a', false); // queued → read now (leading)
    await sleep(50);
    throttle.push('job-a', false); // processing → coalesced into a trailing read at 400 ms
    throttle.push('job-a', false);
    expect(r.calls.length).toBe(1);
    throttle.push('job-a', true); // completed → read now; the pending trailing read is dropped
    expect(r.calls.length).toBe(2);
    await sleep(500);
    expect(r.calls.length).toBe(2);
    throttle.close();
  });

  it('never loses the last status callback of a burst', async () => {
    const r = recorder();
    const throttle = new HintThrottle(r.hint, { urgentMs: 30, statusMs: 150 });
    throttle.push('job-a', false);
    throttle.push('job-a', false);
    await sleep(250);
    expect(r.calls.length).toBe(2);
    expect(r.calls[1]!.at).toBeGreaterThanOrEqual(140);
    throttle.close();
  });

  it('keeps jobs apart and never coalesces unknown ids', () => {
    const r = recorder((id) => (id === 'x' ? 'unknown' : 'known'));
    const throttle = new HintThrottle(r.hint, { urgentMs: 1000, statusMs: 1000 });
    throttle.push('a', true);
    throttle.push('b', true);
    expect(throttle.push('x', true)).toBe('unknown');
    expect(throttle.push('x', true)).toBe('unknown');
    expect(r.calls.map((c) => c.id)).toEqual(['a', 'b', 'x', 'x']);
    expect(throttle.size()).toBe(2);
    throttle.close();
  });

  it('propagates a failing hint (so the server answers 5xx and the API retries)', () => {
    const throttle = new HintThrottle(() => {
      throw new Error('db busy');
    });
    expect(() => throttle.push('a', true)).toThrow('db busy');
    throttle.close();
  });
});
