import { render, type RenderResult } from '@testing-library/react';
import { App } from '../../renderer/src/App';
import type { ConvoyContextValue } from '../../renderer/src/context';
import { createFakeApi, type FakeApi, type FakeApiOptions } from '../../renderer/src/dev/fake-api';

/** jsdom lays nothing out: give the queue's scroll box a height so the virtualizer renders rows. */
export function fakeLayout(height = 640): void {
  Object.defineProperty(HTMLElement.prototype, 'clientHeight', {
    configurable: true,
    get(this: HTMLElement) {
      return this.classList?.contains('queue-scroll') ? height : 0;
    },
  });
  Object.defineProperty(HTMLElement.prototype, 'clientWidth', {
    configurable: true,
    get(this: HTMLElement) {
      return this.classList?.contains('queue-scroll') ? 1000 : 0;
    },
  });
}

export function memoryStorage() {
  const data = new Map<string, string>();
  return { getItem: (k: string) => data.get(k) ?? null, setItem: (k: string, v: string) => void data.set(k, v), data };
}

const schedule = (f: () => void) => void setTimeout(f, 0);

export function renderApp(
  opts: FakeApiOptions = {},
  extra: { storage?: ReturnType<typeof memoryStorage>; fake?: FakeApi; pathForFile?: (f: File) => string; upload?: boolean } = {},
): RenderResult & { fake: FakeApi; ctx: () => ConvoyContextValue; uploads: Array<{ name: string; relDir?: string }> } {
  const fake = extra.fake ?? createFakeApi(opts);
  let ctx: ConvoyContextValue | null = null;
  const uploads: Array<{ name: string; relDir?: string }> = [];
  const connection = {
    api: fake,
    mode: extra.pathForFile ? ('electron' as const) : ('browser' as const),
    pathForFile: extra.pathForFile,
    browser: extra.upload
      ? {
          ...fake,
          upload: async (_file: Blob, name: string, relDir?: string, onProgress?: (n: number) => void) => {
            uploads.push({ name, relDir });
            onProgress?.(1);
            return { path: `/staging/${relDir ? `${relDir}/` : ''}${name}` };
          },
          close() {},
        }
      : undefined,
    thumbUrl: (id: string, of: 'source' | 'result') => `/api/thumbs/${id}/${of}`,
  };
  const result = render(<App connection={connection} schedule={schedule} storage={extra.storage ?? memoryStorage()} onReady={(c) => (ctx = c)} />);
  return { ...result, fake, ctx: () => ctx!, uploads };
}
