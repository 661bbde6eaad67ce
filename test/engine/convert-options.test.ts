/** normalizeOptions: every way an option can be wrong gets its own message; defaults are filled. */
import { describe, expect, it } from 'vitest';
import { ConversionError, listTargets, normalizeOptions } from '../../engine/convert/index';

function error(fn: () => unknown): ConversionError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConversionError);
    return e as ConversionError;
  }
  throw new Error('expected a ConversionError');
}

describe('normalizeOptions', () => {
  it('fills every default and keeps given values', () => {
    expect(normalizeOptions('jpg', { quality: 40 })).toEqual({
      quality: 40,
      progressive: false,
      fit: 'inside',
      allow_enlarge: true,
      grayscale: false,
      rotate: 0,
      flip: false,
      flop: false,
      strip_metadata: false,
      background: '#ffffff',
    });
    expect(normalizeOptions('png', undefined)).toMatchObject({ compression_level: 6 });
    expect(normalizeOptions('png', null)).toMatchObject({ compression_level: 6 });
  });

  it('is idempotent (the runner may normalise again)', () => {
    const once = normalizeOptions('webp', { width: 10, lossless: true });
    expect(normalizeOptions('webp', once)).toEqual(once);
  });

  it('accepts numeric strings and "true"/"false", and treats null as not given', () => {
    expect(normalizeOptions('jpg', { quality: '70', grayscale: 'true', width: null })).toMatchObject({ quality: 70, grayscale: true });
    expect(normalizeOptions('jpg', { width: null })).not.toHaveProperty('width');
  });

  it('refuses an unknown target, naming what is available', () => {
    expect(error(() => normalizeOptions('docx2', {})).message).toMatch(/^Unknown target "docx2": this engine converts to .*png/);
  });

  it('refuses an unknown option, listing the known ones', () => {
    expect(error(() => normalizeOptions('png', { qualiti: 5 })).message).toBe(
      'Unknown option "qualiti" for target png (known options: compression_level, progressive, palette, colors, width, height, fit, allow_enlarge, grayscale, rotate, flip, flop, strip_metadata, dpi, background)',
    );
  });

  it('refuses wrong types', () => {
    expect(error(() => normalizeOptions('jpg', { quality: 'high' })).message).toBe('Option "quality" of target jpg must be an integer, got "high"');
    expect(error(() => normalizeOptions('jpg', { quality: 50.5 })).message).toBe('Option "quality" of target jpg must be an integer, got 50.5');
    expect(error(() => normalizeOptions('jpg', { grayscale: 1 })).message).toBe('Option "grayscale" of target jpg must be true or false, got 1');
    expect(error(() => normalizeOptions('jpg', { fit: 3 })).message).toBe('Option "fit" of target jpg must be a string, got 3');
    expect(error(() => normalizeOptions('jpg', { width: [1] })).message).toBe('Option "width" of target jpg must be an integer, got an array');
  });

  it('refuses values out of range', () => {
    expect(error(() => normalizeOptions('jpg', { quality: 0 })).message).toBe('Option "quality" of target jpg must be between 1 and 100, got 0');
    expect(error(() => normalizeOptions('webp', { quality: 101 })).message).toBe('Option "quality" of target webp must be between 1 and 100, got 101');
    expect(error(() => normalizeOptions('png', { width: 100000 })).message).toMatch(/"width" of target png must be between 1 and 16383, got 100000/);
  });

  it('refuses values not in the enum, and malformed strings', () => {
    expect(error(() => normalizeOptions('png', { fit: 'squash' })).message).toBe(
      'Option "fit" of target png must be one of inside, cover, contain, fill, outside; got "squash"',
    );
    expect(error(() => normalizeOptions('png', { rotate: 45 })).message).toBe('Option "rotate" of target png must be one of 0, 90, 180, 270; got 45');
    expect(error(() => normalizeOptions('png', { background: 'red' })).message).toMatch(/^Option "background" of target png has an invalid format: "red"/);
  });

  it('refuses options that are not an object', () => {
    expect(error(() => normalizeOptions('png', 'quality=5')).message).toBe('The options of target png must be an object, got "quality=5"');
    expect(error(() => normalizeOptions('png', [1])).message).toBe('The options of target png must be an object, got an array');
  });

  it('checks combinations (trim_end after trim_start) for media targets', async () => {
    const targets = await listTargets();
    if (!targets.some((t) => t.target === 'mp3')) return; // without ffmpeg there is no mp3 target (see convert-media)
    expect(error(() => normalizeOptions('mp3', { trim_start: 5, trim_end: 2 })).message).toBe(
      'Invalid options for target mp3: trim_end (2) must be after trim_start (5)',
    );
    expect(normalizeOptions('mp3', { trim_start: 1, trim_end: 2 })).toMatchObject({ trim_start: 1, trim_end: 2, audio_bitrate: 192 });
  });

  it('every listed option has a description, and defaults satisfy their own spec', async () => {
    for (const t of await listTargets()) {
      for (const [name, spec] of Object.entries(t.options)) {
        expect(spec.description, `${t.target}.${name}`).toBeTruthy();
      }
      // The defaults alone must validate.
      expect(() => normalizeOptions(t.target, {})).not.toThrow();
    }
  });
});
