import { describe, expect, it } from 'vitest';
import {
  categoryOf,
  commonTargets,
  createTargetMemory,
  extensionOf,
  groupByCategory,
  menuGroups,
  targetLabel,
  sourceTypeKey,
  targetsFor,
  type TargetInfo,
} from '../../renderer/src/lib/targets';

const t = (target: string, category: string, inputs?: string[]): TargetInfo => ({ target, category, options: {}, ...(inputs ? { inputs } : {}) });
const TARGETS: TargetInfo[] = [
  t('png', 'image'),
  t('jpg', 'image'),
  t('pdf', 'document'),
  t('docx', 'document'),
  t('epub', 'ebook'),
  t('mp3', 'audio'),
  t('mp4', 'video'),
  t('md5', 'hash'),
  t('dwg', 'cad'),
];
const names = (list: TargetInfo[]) => list.map((x) => x.target).sort();

describe('extensionOf', () => {
  it('reads extensions of names, paths and URLs', () => {
    expect(extensionOf('Photo.JPG')).toBe('jpg');
    expect(extensionOf('C:\\Users\\me\\a.b\\report.docx')).toBe('docx');
    expect(extensionOf('https://x.example/dir/song.mp3?download=1')).toBe('mp3');
    expect(extensionOf('https://x.example/file%20name.png')).toBe('png');
  });
  it('answers null when there is none', () => {
    expect(extensionOf('README')).toBeNull();
    expect(extensionOf('.bashrc')).toBeNull();
    expect(extensionOf('https://x.example/')).toBeNull();
    expect(extensionOf('name.')).toBeNull();
    expect(extensionOf(null)).toBeNull();
  });
});

describe('targetsFor', () => {
  it('offers image and document targets for an image, plus hashes', () => {
    expect(categoryOf('jpg')).toBe('image');
    expect(names(targetsFor(TARGETS, 'jpg'))).toEqual(['docx', 'jpg', 'md5', 'pdf', 'png']);
  });
  it('offers audio (extraction) but not documents for a video', () => {
    expect(names(targetsFor(TARGETS, 'MP4'))).toEqual(['jpg', 'md5', 'mp3', 'mp4', 'png']);
  });
  it('offers only audio for audio', () => {
    expect(names(targetsFor(TARGETS, 'flac'))).toEqual(['md5', 'mp3']);
  });
  it('offers everything when the source type is unknown', () => {
    expect(targetsFor(TARGETS, null)).toHaveLength(TARGETS.length);
    expect(targetsFor(TARGETS, 'xyz')).toHaveLength(TARGETS.length);
  });
  it('lets a provider-declared input list decide over categories', () => {
    const declared = [t('png', 'image', ['jpg', 'webp']), t('pdf', 'document', ['docx']), t('webp', 'image', ['png'])];
    expect(names(targetsFor(declared, 'jpg'))).toEqual(['png']);
    expect(names(targetsFor(declared, 'docx'))).toEqual(['pdf']);
  });
  it('finds the targets common to a mixed selection', () => {
    expect(names(commonTargets(TARGETS, ['jpg', 'mp4']))).toEqual(['jpg', 'md5', 'png']);
    expect(names(commonTargets(TARGETS, ['flac', 'docx']))).toEqual(['md5']);
  });
});

describe('groupByCategory', () => {
  it('sorts categories and targets', () => {
    const g = groupByCategory([t('png', 'image'), t('gif', 'image'), t('mp3', 'audio')]);
    expect(g.map((x) => x.category)).toEqual(['audio', 'image']);
    expect(g[1].targets.map((x) => x.target)).toEqual(['gif', 'png']);
  });
});

describe('menuGroups (the target menu)', () => {
  it('puts conversions first, then Compress · Thumbnail · Resize · Metadata · Archive · Hash; multi-input operations are left out', () => {
    const g = menuGroups([
      t('sha256', 'hash'),
      t('zip', 'archive'),
      t('json', 'metadata'),
      t('resize-image', 'operation'),
      t('merge', 'operation'),
      t('thumbnail', 'operation'),
      t('compress', 'operation'),
      t('png', 'image'),
      t('mp3', 'audio'),
      t('compare-image', 'operation'),
    ]);
    expect(g.map((x) => x.category)).toEqual(['Convert to audio', 'Convert to image', 'Compress', 'Thumbnail', 'Resize', 'Metadata', 'Archive', 'Hash']);
    expect(g.flatMap((x) => x.targets.map((y) => y.target))).not.toContain('merge');
    expect(targetLabel(t('resize-image', 'operation'))).toBe('Resize image');
    expect(targetLabel(t('webp', 'image'))).toBe('WEBP');
  });
});

describe('target memory', () => {
  it('remembers the last target per source type across instances', () => {
    const data = new Map<string, string>();
    const storage = { getItem: (k: string) => data.get(k) ?? null, setItem: (k: string, v: string) => void data.set(k, v) };
    const a = createTargetMemory(storage);
    a.remember(sourceTypeKey('JPG', 'file'), 'png');
    a.remember(sourceTypeKey(null, 'url'), 'pdf');
    const b = createTargetMemory(storage);
    expect(b.get('ext:jpg')).toBe('png');
    expect(b.get('kind:url')).toBe('pdf');
    expect(b.get('ext:png')).toBeNull();
  });
  it('survives broken or missing storage', () => {
    const broken = {
      getItem: () => '{not json',
      setItem: () => {
        throw new Error('quota');
      },
    };
    const m = createTargetMemory(broken);
    expect(m.get('ext:jpg')).toBeNull();
    m.remember('ext:jpg', 'webp');
    expect(m.get('ext:jpg')).toBe('webp');
    expect(createTargetMemory(null).get('x')).toBeNull();
  });
});
