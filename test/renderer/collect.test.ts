import { describe, expect, it } from 'vitest';
import { captureDataTransfer, collectFileList, resolveCaptured } from '../../renderer/src/lib/collect';

function file(name: string, text = 'x', relativePath?: string): File {
  const f = new File([text], name);
  if (relativePath) Object.defineProperty(f, 'webkitRelativePath', { value: relativePath });
  return f;
}

function transfer(data: Record<string, string>, files: File[] = []): DataTransfer {
  return {
    types: [...Object.keys(data), ...(files.length ? ['Files'] : [])],
    items: files.map((f) => ({ kind: 'file', webkitGetAsEntry: () => null, getAsFile: () => f })),
    files,
    getData: (t: string) => data[t] ?? '',
  } as unknown as DataTransfer;
}

describe('collectFileList (pickers)', () => {
  it('keeps the folders of a picked directory and leaves out hidden files', async () => {
    const c = await collectFileList([
      file('a.jpg', 'x', 'Trip/a.jpg'),
      file('b.jpg', 'x', 'Trip/Day 2/b.jpg'),
      file('.DS_Store', 'x', 'Trip/.DS_Store'),
      file('c.jpg', 'x', 'Trip/.cache/c.jpg'),
    ]);
    expect(c.files.map((f) => [f.file.name, f.relDir])).toEqual([
      ['a.jpg', 'Trip'],
      ['b.jpg', 'Trip/Day 2'],
    ]);
    expect(c.skipped.map((s) => s.reason)).toEqual(['System file', 'Hidden file']);
  });

  it('reads a picked .txt of URLs as a list, but converts a .txt that is prose', async () => {
    const c = await collectFileList([
      file('urls.txt', 'https://a.example/1.jpg\nhttps://a.example/2.jpg'),
      file('notes.txt', 'Meeting notes\nsee https://a.example\nthanks\nbye'),
    ]);
    expect(c.texts).toEqual([{ text: 'https://a.example/1.jpg\nhttps://a.example/2.jpg', format: 'text', source: 'urls.txt' }]);
    expect(c.files.map((f) => f.file.name)).toEqual(['notes.txt']);
  });

  it('uses the host path when the shell knows it', async () => {
    const f = file('a.png');
    const c = await collectFileList([f], (x) => (x === f ? '/home/me/a.png' : ''));
    expect(c.files[0].path).toBe('/home/me/a.png');
  });
});

describe('captureDataTransfer (drops and pastes)', () => {
  it('prefers text/uri-list over text/plain', () => {
    const cap = captureDataTransfer(transfer({ 'text/uri-list': 'https://a.example/1.jpg', 'text/plain': 'other' }));
    expect(cap.texts).toEqual([{ text: 'https://a.example/1.jpg', format: 'uri-list' }]);
  });

  it('ignores the file:// text that comes with dragged files', async () => {
    const f = file('photo.jpg');
    const cap = captureDataTransfer(transfer({ 'text/uri-list': 'file:///home/me/photo.jpg' }, [f]));
    expect(cap.texts).toEqual([]);
    const c = await resolveCaptured(cap);
    expect(c.files.map((x) => x.file.name)).toEqual(['photo.jpg']);
  });

  it('answers nothing for an empty transfer', async () => {
    const c = await resolveCaptured(captureDataTransfer(transfer({})));
    expect(c).toEqual({ files: [], texts: [], skipped: [] });
  });
});
