import { describe, expect, it } from 'vitest';
import type { ItemErrorCode, ItemView, OptionSpec } from '../../preload/contract';
import { causeOf, fixesFor } from '../../renderer/src/lib/fixes';
import { fitOptions, optionProblem } from '../../renderer/src/lib/optionsForm';

const failed = (sourceKind: ItemView['sourceKind'], code: ItemErrorCode, message: string) => ({
  state: 'failed' as const,
  sourceKind,
  error: { code, message },
});
const kinds = (i: Parameters<typeof fixesFor>[0]) => fixesFor(i).map((f) => f.kind);

describe('fixes match the cause (issue 12)', () => {
  it('a missing URL is edited, never silently retried', () => {
    const i = failed('url', 'input', 'The file could not be downloaded: http://x/a.jpg answered 404');
    expect(kinds(i)).toEqual(['editUrl', 'remove']);
    expect(causeOf(i)).toBe('The file is not at this address.');
  });
  it('a corrupt source is replaced or removed, not sent to another target', () => {
    const i = failed('file', 'conversion', 'corrupt.jpg is not a readable image (Input file contains unsupported image format)');
    expect(kinds(i)).toEqual(['replace', 'remove']);
    expect(causeOf(i)).toBe('The source file could not be read.');
  });
  it('a refused option opens the options; a refused key opens Settings; a full disk changes the folder', () => {
    expect(kinds(failed('file', 'validation', 'Rejected by the API: Unknown option quality for target png'))).toEqual(['options']);
    expect(kinds(failed('file', 'auth', 'The API refused the key'))).toEqual(['settings']);
    expect(kinds(failed('file', 'output', 'The disk is full'))).toEqual(['outputFolder', 'retry']);
  });
  it('only failures where trying again can help offer Retry, and nothing for rows that did not fail', () => {
    expect(kinds(failed('url', 'server', 'The API did not answer in time'))).toEqual(['retry']);
    expect(fixesFor({ state: 'queued', sourceKind: 'file', error: null })).toEqual([]);
    for (const f of [failed('url', 'input', '404'), failed('file', 'input', 'bad header')]) {
      expect(fixesFor(f).some((x) => /check/i.test(x.label))).toBe(false);
    }
  });
});

describe('options follow the target', () => {
  const png: Record<string, OptionSpec> = {
    width: { type: 'integer', minimum: 1, maximum: 16383 },
    compression_level: { type: 'integer', minimum: 0, maximum: 9, default: 6 },
    fit: { type: 'string', enum: ['inside', 'cover'] },
  };
  it('keeps only options the new target defines with a valid value, and says what it dropped', () => {
    expect(fitOptions({ quality: 72, width: 800, fit: 'stretch', compression_level: 9 }, png, 'png')).toEqual({
      kept: { width: 800, compression_level: 9 },
      dropped: ['quality', 'fit'],
    });
    expect(fitOptions({ width: 800 }, null, 'png')).toEqual({ kept: {}, dropped: ['width'] });
  });
  it('names the problem in plain words', () => {
    expect(optionProblem('quality', 72, undefined, 'png')).toBe('PNG has no option “quality”');
    expect(optionProblem('compression_level', 12, png.compression_level, 'png')).toBe('Compression level must be 0–9 for PNG');
    // A bound on one side only.
    expect(optionProblem('trim_start', -1, { type: 'number', minimum: 0 }, 'gif')).toBe('Trim start must be at least 0 for GIF');
    expect(optionProblem('level', 11, { type: 'integer', maximum: 10 }, 'x')).toBe('Level must be at most 10 for X');
    expect(optionProblem('width', 1.5, png.width, 'png')).toBe('Width must be a whole number');
    expect(optionProblem('fit', 'cover', png.fit, 'png')).toBeNull();
  });
});
