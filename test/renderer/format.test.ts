import { describe, expect, it } from 'vitest';
import { formatBytes, sizeChange } from '../../renderer/src/lib/format';

describe('sizeChange', () => {
  it('says a smaller or slightly bigger result as a percentage', () => {
    expect(sizeChange(1000, 280)).toBe('−72 %');
    expect(sizeChange(1000, 1400)).toBe('+40 %');
    expect(sizeChange(1000, 1994)).toBe('+99 %');
    expect(sizeChange(1000, 1)).toBe('−100 %');
  });

  it('says a result at least twice as big as a factor, not a percentage in the thousands', () => {
    expect(sizeChange(1000, 2000)).toBe('×2.0');
    expect(sizeChange(1000, 3140)).toBe('×3.1');
    expect(sizeChange(5, 7840)).toBe('×1,568');
  });

  it('says nothing when the sizes are about equal or the source size is unknown', () => {
    expect(sizeChange(1000, 1004)).toBe('');
    expect(sizeChange(0, 500)).toBe('');
    expect(sizeChange(Number.NaN, 500)).toBe('');
  });
});

describe('formatBytes', () => {
  it('uses 1024 steps with one decimal below 10', () => {
    expect(formatBytes(5)).toBe('5 B');
    expect(formatBytes(7840)).toBe('7.7 KB');
    expect(formatBytes(63_488)).toBe('62 KB');
    expect(formatBytes(undefined)).toBe('');
  });
});
