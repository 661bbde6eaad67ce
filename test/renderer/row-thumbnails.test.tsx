/**
 * Which rows ask main for a thumbnail: a local image, video, song, PDF or office file; once done, the local
 * result when it is one of those (whatever the target is called: `thumbnail`, `merge`…); never a
 * URL's source, a text file or a result that is an archive.
 */
import { act, cleanup, screen } from '@testing-library/react';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ItemView } from '../../preload/contract';
import { fakeLayout, renderApp } from './helpers';
import { itemView } from './items';

beforeAll(() => fakeLayout());
afterEach(() => cleanup());

const view = (id: string, label: string, patch: Partial<ItemView> = {}): ItemView =>
  itemView(id, { label, sourceKind: 'file', sourceExt: label.split('.').pop()!.toLowerCase(), ...patch });

describe('row thumbnails', () => {
  it('asks for the source of local images, videos and PDFs, and for a result of those kinds once done', async () => {
    const { fake } = renderApp();
    await screen.findByText(/Nothing queued yet/);
    const done = { state: 'done' as const, destination: { kind: 'folder' as const, path: '/out' } };
    act(() =>
      fake.emit('items', {
        items: [
          view('photo', '/in/Photo.JPG'),
          view('clip', '/in/clip.mp4'),
          view('report', '/in/report.pdf'),
          view('song', '/in/song.mp3'),
          view('slides', '/in/slides.pptx'),
          view('sheet', '/in/sheet.csv'),
          view('notes', '/in/notes.txt'),
          view('remote', 'https://example.com/remote.png', { sourceKind: 'url' }),
          view('letter', '/in/letter.docx', { ...done, target: 'pdf', outputs: ['/out/letter.pdf'] }),
          view('thumb', '/in/notes2.txt', { ...done, target: 'thumbnail', outputs: ['/out/notes2.png'] }),
          view('zipped', '/in/pic.jpg', { ...done, target: 'zip', outputs: ['/out/pic.zip'] }),
        ],
      }),
    );
    await screen.findByText('report.pdf');
    const src = (label: string) => {
      const row = screen.getAllByRole('listitem').find((el) => el.classList.contains('row') && el.textContent?.includes(label));
      expect(row, label).toBeTruthy();
      return row!.querySelector('.thumb img')?.getAttribute('src')?.split('?')[0] ?? null;
    };
    expect(src('Photo.JPG')).toBe('/api/thumbs/photo/source');
    expect(src('clip.mp4')).toBe('/api/thumbs/clip/source');
    expect(src('report.pdf')).toBe('/api/thumbs/report/source');
    expect(src('song.mp3')).toBe('/api/thumbs/song/source');
    expect(src('slides.pptx')).toBe('/api/thumbs/slides/source');
    expect(src('sheet.csv')).toBeNull();
    expect(src('notes.txt')).toBeNull();
    expect(src('remote.png')).toBeNull();
    expect(src('letter.docx')).toBe('/api/thumbs/letter/result');
    expect(src('notes2.txt')).toBe('/api/thumbs/thumb/result');
    // The result is an archive: the source's thumbnail stays.
    expect(src('pic.jpg')).toBe('/api/thumbs/zipped/source');
  });
});
