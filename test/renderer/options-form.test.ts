import { describe, expect, it } from 'vitest';
import type { OptionSpec } from '../../preload/contract';
import { buildOptionFields, humanize, initialRawValues, summarizeOptions, validateOptions } from '../../renderer/src/lib/optionsForm';

const schema: Record<string, OptionSpec> = {
  quality: { type: 'integer', description: 'Quality', minimum: 1, maximum: 100, default: 85 },
  dpi: { type: 'number', minimum: 0.5 },
  color: { type: 'string', enum: ['colored', 'gray'], default: 'colored' },
  audio_bitrate: { type: 'integer', enum: [128, 192, 320] },
  strip: { type: 'boolean', default: false },
  keep_alpha: { type: 'boolean', default: true },
  title: { type: 'string' },
};

describe('buildOptionFields', () => {
  it('maps each schema type to a field kind with its range, choices and default', () => {
    const fields = buildOptionFields(schema);
    const by = Object.fromEntries(fields.map((f) => [f.name, f]));
    expect(by.quality).toMatchObject({ kind: 'integer', min: 1, max: 100, step: 1, defaultRaw: '85', label: 'Quality' });
    expect(by.dpi).toMatchObject({ kind: 'number', min: 0.5, defaultRaw: '' });
    expect(by.color).toMatchObject({ kind: 'select', defaultRaw: 'colored' });
    expect(by.color.choices).toEqual([
      { value: 'colored', label: 'colored' },
      { value: 'gray', label: 'gray' },
    ]);
    expect(by.audio_bitrate).toMatchObject({ kind: 'select', label: 'Audio bitrate' });
    expect(by.strip).toMatchObject({ kind: 'boolean', defaultRaw: false });
    expect(by.title).toMatchObject({ kind: 'text' });
    expect(buildOptionFields(undefined)).toEqual([]);
  });
  it('humanizes names', () => {
    expect(humanize('frameRate')).toBe('Frame rate');
    expect(humanize('audio_bitrate')).toBe('Audio bitrate');
  });
});

describe('validateOptions', () => {
  const fields = buildOptionFields(schema);

  it('sends nothing when every field is at its default', () => {
    const r = validateOptions(fields, initialRawValues(fields));
    expect(r).toEqual({ values: {}, errors: {}, valid: true });
  });

  it('converts inputs to the schema types', () => {
    const raw = { ...initialRawValues(fields), quality: '70', dpi: '1.5', color: 'gray', audio_bitrate: '320', strip: true, keep_alpha: false, title: ' Hi ' };
    expect(validateOptions(fields, raw)).toEqual({
      values: { quality: 70, dpi: 1.5, color: 'gray', audio_bitrate: 320, strip: true, keep_alpha: false, title: 'Hi' },
      errors: {},
      valid: true,
    });
  });

  it('reports out-of-range, non-integer and non-numeric values per field', () => {
    const raw = { ...initialRawValues(fields), quality: '101', dpi: 'abc' };
    const r = validateOptions(fields, raw);
    expect(r.valid).toBe(false);
    expect(r.errors).toEqual({ quality: 'Between 1 and 100', dpi: 'Enter a number' });
    expect(validateOptions(fields, { ...raw, quality: '7.5', dpi: '0.1' }).errors).toEqual({ quality: 'Enter a whole number', dpi: 'At least 0.5' });
  });

  it('rejects a value outside the enum', () => {
    const r = validateOptions(fields, { ...initialRawValues(fields), color: 'sepia' });
    expect(r.errors.color).toBe('Choose one of: colored, gray');
  });

  it('starts from the current options when given', () => {
    const raw = initialRawValues(fields, { quality: 50, strip: true });
    expect(raw.quality).toBe('50');
    expect(raw.strip).toBe(true);
    expect(raw.color).toBe('colored');
  });
});

describe('summarizeOptions', () => {
  it('reads like a short phrase', () => {
    expect(summarizeOptions({ quality: 70, strip: true, keep_alpha: false })).toBe('quality 70, strip, no keep alpha');
    expect(summarizeOptions({})).toBe('');
  });
});
