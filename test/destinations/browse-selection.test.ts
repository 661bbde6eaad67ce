/** What a cloud input's `file` parameter selects: one object, a prefix, or a wildcard. */
import { describe, expect, it } from 'vitest';
import { fileSelection, globToRegExp } from '../../main/destinations/browse';

describe('cloud file selection', () => {
  it('tells one object, a prefix and a pattern apart', () => {
    expect(fileSelection('photos/a.jpg')).toEqual({ kind: 'one', key: 'photos/a.jpg' });
    expect(fileSelection('photos/')).toEqual({ kind: 'prefix', prefix: 'photos/' });
    expect(fileSelection('')).toEqual({ kind: 'prefix', prefix: '' });
    const p = fileSelection('photos/2024-*.jpg');
    expect(p).toMatchObject({ kind: 'pattern', prefix: 'photos/2024-' });
  });

  it('matches * within a folder, ** across folders, ? and classes; other characters literally', () => {
    const star = globToRegExp('photos/*.jpg');
    expect(star.test('photos/a.jpg')).toBe(true);
    expect(star.test('photos/sub/a.jpg')).toBe(false);
    expect(star.test('photos/a.jpeg')).toBe(false);
    expect(globToRegExp('photos/**.jpg').test('photos/sub/a.jpg')).toBe(true);
    expect(globToRegExp('p?.png').test('p1.png')).toBe(true);
    expect(globToRegExp('p[12].png').test('p3.png')).toBe(false);
    expect(globToRegExp('a+b(1).jpg').test('a+b(1).jpg')).toBe(true);
    expect(globToRegExp('a.jpg').test('abjpg')).toBe(false);
  });
});
