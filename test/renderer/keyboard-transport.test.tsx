import { cleanup, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ContractError } from '../../preload/contract';
import { connect } from '../../renderer/src/transport';
import { fakeLayout, renderApp } from './helpers';

beforeAll(() => fakeLayout());
afterEach(() => {
  cleanup();
  delete window.convoy;
});

function accessibleName(el: Element): string {
  const labelledBy = el.getAttribute('aria-labelledby');
  if (el.getAttribute('aria-label')) return el.getAttribute('aria-label')!;
  if (labelledBy) return document.getElementById(labelledBy)?.textContent ?? '';
  const id = el.getAttribute('id');
  const label = id ? document.querySelector(`label[for="${id}"]`) : null;
  return (label?.textContent ?? el.textContent ?? '').trim();
}

describe('keyboard', () => {
  it('reaches every control of the main screen with Tab, in a sensible order', async () => {
    const user = userEvent.setup();
    renderApp({ seedItems: 2 });
    await waitFor(() => expect(screen.getAllByRole('combobox', { name: 'Target format' })).toHaveLength(2));
    const seen: string[] = [];
    let first: Element | null = null;
    for (let i = 0; i < 80; i++) {
      await user.tab();
      const el = document.activeElement!;
      if (el === first) break; // one full cycle
      first ??= el;
      seen.push(`${el.getAttribute('role') ?? el.tagName.toLowerCase()}:${accessibleName(el)}`);
    }
    const order = (needle: string) => seen.findIndex((s) => s.includes(needle));
    for (const needle of [
      'Destinations',
      'Settings',
      'region:Drop files or URLs',
      'Add files',
      'Add folder',
      'textarea:URLs',
      'Add URLs',
      'Open output folder',
      'New items go to',
      'Select all',
      'radio:All',
      'button:Start',
      'Select holiday-0.jpg',
      'select:Target format',
      'Options',
      'Remove',
    ]) {
      expect(order(needle), `${needle} not reached by Tab; got ${seen.join(' | ')}`).toBeGreaterThanOrEqual(0);
    }
    expect(order('region:Drop files or URLs')).toBeLessThan(order('textarea:URLs'));
    expect(order('button:Start')).toBeLessThan(order('Select holiday-0.jpg'));
    // The filter group is one tab stop; arrows move within it.
    expect(seen.filter((s) => s.startsWith('radio:'))).toHaveLength(1);
  });

  it('moves between filters with the arrow keys', async () => {
    const user = userEvent.setup();
    renderApp({ seedItems: 1 });
    await waitFor(() => expect(screen.getByRole('radio', { name: /All/ }).getAttribute('tabindex')).toBe('0'));
    screen.getByRole('radio', { name: /All/ }).focus();
    await user.keyboard('{ArrowRight}');
    expect(document.activeElement).toBe(screen.getByRole('radio', { name: /Queued/ }));
    expect(screen.getByRole('radio', { name: /Queued/ }).getAttribute('aria-checked')).toBe('true');
    await user.keyboard('{ArrowLeft}{ArrowLeft}');
    expect(screen.getByRole('radio', { name: /Done/ }).getAttribute('aria-checked')).toBe('true');
  });

  it('opens the file picker from the drop zone with Enter', async () => {
    const user = userEvent.setup();
    renderApp();
    const input = screen.getByTestId('file-input') as HTMLInputElement;
    let clicked = 0;
    input.addEventListener('click', (e) => {
      clicked++;
      e.preventDefault();
    });
    screen.getByRole('region', { name: 'Drop files or URLs' }).focus();
    await user.keyboard('{Enter}');
    expect(clicked).toBe(1);
  });
});

describe('transport selection', () => {
  it('uses browser mode with the page token, and adds it to host URLs', () => {
    window.history.replaceState(null, '', '/?token=tok123');
    const c = connect();
    expect(c.mode).toBe('browser');
    // Thumbnails go with the session cookie, like every /api/ call: the token stays out of image URLs.
    expect(c.thumbUrl!('item 1', 'source')).toBe('/api/thumbs/item%201/source');
    expect(c.authUrl!('/api/files/abc')).toBe('/api/files/abc?token=tok123');
    expect(c.authUrl!('/api/files/abc?token=other')).toBe('/api/files/abc?token=other');
    expect(c.authUrl!('https://elsewhere.example/x')).toBe('https://elsewhere.example/x');
    expect(c.pathForFile).toBeUndefined();
    c.browser!.close();
  });

  it('uses the Electron bridge when present: replies unwrapped, errors rebuilt with their code', async () => {
    const bridge = {
      invoke: async (method: string) =>
        method === 'app.info' ? ({ ok: true, value: { version: '1' } } as never) : ({ ok: false, error: { code: 'unavailable', message: 'Not yet' } } as never),
      on: () => () => {},
      pathForFile: (f: File) => `/picked/${f.name}`,
    };
    window.convoy = bridge;
    const c = connect();
    expect(c.mode).toBe('electron');
    expect(c.pathForFile!(new File(['x'], 'a.jpg'))).toBe('/picked/a.jpg');
    // Thumbnails come from the app's own scheme, never file://.
    expect(c.thumbUrl!('id 1', 'result')).toBe('convoy://app/thumb/id%201/result');
    expect(await c.api.invoke('app.info')).toEqual({ version: '1' });
    const err = await c.api.invoke('queue.status').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ContractError);
    expect(err).toMatchObject({ code: 'unavailable', message: 'Not yet' });
  });
});
