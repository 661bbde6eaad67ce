import { describe, expect, it } from 'vitest';
import type { ItemState, ItemView } from '../../preload/contract';
import { progressLine } from '../../main/shells/commands/run-report';

const view = (id: string, state: ItemState, label = `${id}.mp4`, bytes: Partial<Pick<ItemView, 'bytesUp' | 'bytesDown'>> = {}): ItemView => ({
  id,
  batchId: 'b',
  label,
  sourceKind: 'file',
  sourceExt: 'mp4',
  target: 'webm',
  options: {},
  destination: null,
  state,
  waiting: null,
  bytesUp: bytes.bytesUp ?? 0,
  bytesUpTotal: null,
  bytesDown: bytes.bytesDown ?? 0,
  bytesDownTotal: null,
  error: null,
  outputs: [],
  updatedAt: 0,
});
const online = { connection: 'online', reason: null, retryAt: null } as unknown as Parameters<typeof progressLine>[1];

describe('the terminal progress line', () => {
  it('names what the one item under way is doing (a single long conversion shows more than "1 active")', () => {
    const line = progressLine([view('a', 'done'), view('b', 'converting', 'holiday.mp4'), view('c', 'queued')], online, 12_000, 200);
    expect(line).toContain('1/3');
    expect(line).toContain('1 active');
    expect(line.endsWith(' · converting holiday.mp4')).toBe(true);
  });

  it('counts several items under way, with the bytes moved and the time', () => {
    const line = progressLine(
      [view('a', 'uploading', 'a.mp4', { bytesUp: 2048 }), view('b', 'downloading', 'b.mp4', { bytesDown: 1024 }), view('c', 'failed')],
      online,
      3_000,
      200,
    );
    expect(line).toContain('1/3');
    expect(line).toContain('2 active');
    expect(line).not.toMatch(/uploading|downloading/);
    expect(line).toContain('✗ 1');
    expect(line).toMatch(/↑ 2(\.0)? KB/i);
  });

  it('says when the API is offline, and never passes the terminal width', () => {
    const offline = { connection: 'offline', reason: 'ECONNREFUSED', retryAt: Date.now() + 5_000 } as unknown as Parameters<typeof progressLine>[1];
    // The name comes last, so a long one is what the width cuts.
    expect(progressLine([view('a', 'uploading', 'x'.repeat(300))], offline, 1_000, 400)).toMatch(/offline \(next try in [45] s\) · uploading x+$/);
    expect(progressLine([view('a', 'uploading', 'x'.repeat(300))], offline, 1_000, 140)).toMatch(/ · 1\.0 s · offline \(next try in [45] s\) · uploading x+$/);
    expect(progressLine([view('a', 'uploading', 'x'.repeat(300))], online, 1_000, 80).length).toBeLessThanOrEqual(79);
  });
});
