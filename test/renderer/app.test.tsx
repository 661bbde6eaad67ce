import { act, cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createFakeApi } from '../../renderer/src/dev/fake-api';
import { fakeLayout, memoryStorage, renderApp } from './helpers';

beforeAll(() => fakeLayout());
afterEach(() => cleanup());

const rows = () => screen.queryAllByRole('listitem').filter((el) => el.classList.contains('row'));
const row = (name: string) => screen.getByRole('listitem', { name });

describe('adding work', () => {
  it('has the accessible names the issue fixes', async () => {
    renderApp();
    expect(screen.getByRole('region', { name: 'Drop files or URLs' })).toBeTruthy();
    expect(screen.getByRole('textbox', { name: 'URLs' })).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Add URLs' })).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Add files' })).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Start' })).toBeTruthy();
    expect(await screen.findByText(/Nothing queued yet/)).toBeTruthy();
  });

  it('adds URLs from the text box, merges duplicates and lists what it could not read', async () => {
    const user = userEvent.setup();
    const { fake } = renderApp();
    await user.type(
      screen.getByRole('textbox', { name: 'URLs' }),
      'https://a.example/one.jpg{enter}see https://a.example/two.png too{enter}https://a.example/one.jpg{enter}ftp://a.example/x.jpg{enter}hello',
    );
    await user.click(screen.getByRole('button', { name: 'Add URLs' }));
    await waitFor(() => expect(rows()).toHaveLength(2));
    expect(fake.calls.find((c) => c.method === 'queue.add')!.args).toMatchObject({
      items: [{ source: { kind: 'url', url: 'https://a.example/one.jpg' } }, { source: { kind: 'url', url: 'https://a.example/two.png' } }],
    });
    const list = screen.getByRole('list', { name: 'Lines not added' });
    expect(within(list).getByText('ftp://a.example/x.jpg')).toBeTruthy();
    expect(within(list).getByText(/Only http:\/\/ and https:\/\//)).toBeTruthy();
    expect(within(list).getByText(/No URL in this line/)).toBeTruthy();
    expect(await screen.findByText(/1 duplicate merged/)).toBeTruthy();
    // No target yet: the row says what it needs (issue 12), not "Queued".
    expect(within(row('https://a.example/one.jpg')).getByText('Needs a target')).toBeTruthy();
    expect((screen.getByRole('textbox', { name: 'URLs' }) as HTMLTextAreaElement).value).toBe('');
  });

  it('takes a dropped text/uri-list', async () => {
    renderApp();
    const zone = screen.getByRole('region', { name: 'Drop files or URLs' });
    const data: Record<string, string> = { 'text/uri-list': '# from a browser\r\nhttps://b.example/a.jpg\r\nhttps://b.example/b.jpg', 'text/plain': 'ignored' };
    fireEvent.drop(zone, { dataTransfer: { types: Object.keys(data), items: [], files: [], getData: (t: string) => data[t] ?? '' } });
    await waitFor(() => expect(rows()).toHaveLength(2));
  });

  it('keeps folder structure of dropped folders and reads a dropped .csv as a URL list (browser mode uploads bytes)', async () => {
    const { fake, uploads } = renderApp({}, { upload: true });
    const file = (name: string, text = 'x') => new File([text], name, { type: 'application/octet-stream' });
    const fileEntry = (f: File) => ({ isFile: true, isDirectory: false, name: f.name, file: (ok: (f: File) => void) => ok(f) });
    const dirEntry = (name: string, children: unknown[]) => {
      let served = false;
      return {
        isFile: false,
        isDirectory: true,
        name,
        createReader: () => ({
          readEntries: (ok: (e: unknown[]) => void) => {
            const chunk = served ? [] : children;
            served = true;
            ok(chunk);
          },
        }),
      };
    };
    const photos = dirEntry('Photos', [fileEntry(file('a.jpg')), fileEntry(file('.DS_Store')), dirEntry('2024', [fileEntry(file('b.png'))])]);
    const csv = file('links.csv', 'url\nhttps://c.example/1.jpg\nhttps://c.example/2.jpg\n');
    const items = [
      { kind: 'file', webkitGetAsEntry: () => photos, getAsFile: () => null },
      { kind: 'file', webkitGetAsEntry: () => fileEntry(csv), getAsFile: () => csv },
    ];
    const zone = screen.getByRole('region', { name: 'Drop files or URLs' });
    fireEvent.drop(zone, { dataTransfer: { types: ['Files'], items, files: [], getData: () => '' } });
    await waitFor(() => expect(rows()).toHaveLength(4));
    expect(uploads).toEqual(
      expect.arrayContaining([
        { name: 'a.jpg', relDir: 'Photos' },
        { name: 'b.png', relDir: 'Photos/2024' },
      ]),
    );
    expect(uploads).toHaveLength(2);
    const fileAdds = fake.calls.filter((c) => c.method === 'queue.add').flatMap((c) => (c.args as { items: unknown[] }).items);
    expect(fileAdds).toEqual(
      expect.arrayContaining([
        { source: { kind: 'file', path: '/staging/Photos/a.jpg', relDir: 'Photos' } },
        { source: { kind: 'file', path: '/staging/Photos/2024/b.png', relDir: 'Photos/2024' } },
        { source: { kind: 'url', url: 'https://c.example/1.jpg' } },
      ]),
    );
    expect(await screen.findByText(/Left out 1 hidden/)).toBeTruthy();
  });

  it('sends dropped files by path in Electron (webUtils path), without uploading', async () => {
    const paths = new Map<File, string>();
    const f = new File(['x'], 'report.docx');
    paths.set(f, '/home/me/report.docx');
    const { fake, uploads } = renderApp({}, { pathForFile: (file) => paths.get(file) ?? '' });
    const zone = screen.getByRole('region', { name: 'Drop files or URLs' });
    fireEvent.drop(zone, {
      dataTransfer: { types: ['Files'], items: [{ kind: 'file', webkitGetAsEntry: () => null, getAsFile: () => f }], files: [f], getData: () => '' },
    });
    await waitFor(() => expect(rows()).toHaveLength(1));
    expect(uploads).toHaveLength(0);
    expect(fake.calls.find((c) => c.method === 'queue.add')!.args).toMatchObject({ items: [{ source: { kind: 'file', path: '/home/me/report.docx' } }] });
  });

  it('in Electron hands a dropped folder to main by its path (main expands it, keeping the structure)', async () => {
    const folder = new File([], 'Photos');
    const { fake } = renderApp({}, { pathForFile: (file) => (file === folder ? '/home/me/Photos' : '') });
    const walked: string[] = [];
    const entry = {
      isFile: false,
      isDirectory: true,
      name: 'Photos',
      createReader: () => (walked.push('Photos'), { readEntries: (ok: (e: unknown[]) => void) => ok([]) }),
    };
    const zone = screen.getByRole('region', { name: 'Drop files or URLs' });
    fireEvent.drop(zone, {
      dataTransfer: { types: ['Files'], items: [{ kind: 'file', webkitGetAsEntry: () => entry, getAsFile: () => folder }], files: [folder], getData: () => '' },
    });
    await waitFor(() => expect(fake.calls.some((c) => c.method === 'queue.add')).toBe(true));
    expect(fake.calls.find((c) => c.method === 'queue.add')!.args).toMatchObject({ items: [{ source: { kind: 'file', path: '/home/me/Photos' } }] });
    expect(walked).toEqual([]);
  });

  it('adds what is pasted outside a text field', async () => {
    renderApp();
    await screen.findByText(/Nothing queued yet/);
    const event = new Event('paste', { bubbles: true, cancelable: true }) as Event & { clipboardData: unknown };
    event.clipboardData = {
      types: ['text/plain'],
      items: [],
      files: [],
      getData: (t: string) => (t === 'text/plain' ? 'https://p.example/1.jpg https://p.example/2.jpg' : ''),
    };
    act(() => void document.body.dispatchEvent(event));
    await waitFor(() => expect(rows()).toHaveLength(2));
  });
});

describe('targets', () => {
  it('offers only targets that fit each row, and remembers the choice per source type', async () => {
    const user = userEvent.setup();
    const storage = memoryStorage();
    const fake = createFakeApi();
    renderApp({}, { fake, storage });
    await user.type(screen.getByRole('textbox', { name: 'URLs' }), 'https://a.example/x.jpg{enter}https://a.example/song.mp3');
    await user.click(screen.getByRole('button', { name: 'Add URLs' }));
    await waitFor(() => expect(rows()).toHaveLength(2));
    const jpgSelect = within(row('https://a.example/x.jpg')).getByRole('combobox', { name: 'Target format' });
    const mp3Select = within(row('https://a.example/song.mp3')).getByRole('combobox', { name: 'Target format' });
    const values = (el: HTMLElement) => [...(el as HTMLSelectElement).options].map((o) => o.value).filter(Boolean);
    expect(values(jpgSelect)).toContain('png');
    expect(values(jpgSelect)).toContain('pdf');
    expect(values(jpgSelect)).not.toContain('mp3');
    expect(values(mp3Select)).toEqual(expect.arrayContaining(['mp3', 'ogg', 'md5']));
    expect(values(mp3Select)).not.toContain('png');

    await user.selectOptions(jpgSelect, 'webp');
    await waitFor(() =>
      expect((within(row('https://a.example/x.jpg')).getByRole('combobox', { name: 'Target format' }) as HTMLSelectElement).value).toBe('webp'),
    );
    // Options follow the target: always sent, so main never keeps options of the old target (issue 12).
    expect(fake.calls.find((c) => c.method === 'queue.setTarget')!.args).toEqual({ itemIds: ['item-1'], target: 'webp', options: {}, withItems: true });

    // The next JPG gets WEBP by itself.
    await user.type(screen.getByRole('textbox', { name: 'URLs' }), 'https://a.example/y.jpg');
    await user.click(screen.getByRole('button', { name: 'Add URLs' }));
    await waitFor(() => expect(rows()).toHaveLength(3));
    const lastAdd = fake.calls.filter((c) => c.method === 'queue.add').at(-1)!.args;
    expect(lastAdd).toMatchObject({ items: [{ source: { url: 'https://a.example/y.jpg' }, target: 'webp' }] });
  });

  it('shows a chosen target at once, and a Start right after it starts that row (main says so in `items` up to 200 ms later)', async () => {
    const user = userEvent.setup();
    const { fake } = renderApp({ itemsEventDelayMs: 400 });
    await user.type(screen.getByRole('textbox', { name: 'URLs' }), 'https://a.example/x.jpg');
    await user.click(screen.getByRole('button', { name: 'Add URLs' }));
    await waitFor(() => expect(rows()).toHaveLength(1));
    const select = within(row('https://a.example/x.jpg')).getByRole('combobox', { name: 'Target format' }) as HTMLSelectElement;
    await waitFor(() => expect([...select.options].some((o) => o.value === 'webp')).toBe(true));
    await user.selectOptions(select, 'webp');
    // The menu does not fall back to "Choose…" while main answers, nor while the event is on its way.
    expect(select.value).toBe('webp');
    fireEvent.click(screen.getByRole('button', { name: 'Start' }));
    await waitFor(() => expect(fake.calls.some((c) => c.method === 'queue.start')).toBe(true));
    expect(fake.calls.find((c) => c.method === 'queue.start')!.args).toEqual({ itemIds: ['item-1'] });
    expect(screen.queryByText(/need.* a target/)).toBeNull();
  });

  it('a removed row goes at once, not with the next `items` event', async () => {
    const { fake } = renderApp({ seedItems: 3, itemsEventDelayMs: 1000 });
    await waitFor(() => expect(rows()).toHaveLength(3));
    const label = rows()[1].getAttribute('aria-label')!;
    fireEvent.click(within(rows()[1]).getByRole('button', { name: 'Remove from list' }));
    await waitFor(() => expect(rows()).toHaveLength(2), { timeout: 300 });
    expect(screen.queryByRole('listitem', { name: label })).toBeNull();
    expect(fake.calls.find((c) => c.method === 'queue.remove')!.args).toEqual({ itemIds: ['item-2'] });
    // The late event changes nothing, and the row does not come back.
    await new Promise((r) => setTimeout(r, 1100));
    expect(rows()).toHaveLength(2);
  });

  it('a canceled row says so at once, not with the next `items` event', async () => {
    const { fake } = renderApp({ seedItems: 2, itemsEventDelayMs: 1000 });
    await waitFor(() => expect(rows()).toHaveLength(2));
    fireEvent.click(within(rows()[0]).getByRole('checkbox'));
    fireEvent.click(screen.getByRole('button', { name: 'Cancel items' }));
    await waitFor(() => expect(within(rows()[0]).getByTestId('row-status').textContent).toBe('Canceled'), { timeout: 300 });
    expect(fake.calls.find((c) => c.method === 'queue.cancel')!.args).toEqual({ itemIds: ['item-1'], withItems: true });
  });

  it('moves between rows with ↑/↓ and removes the selection with Delete', async () => {
    const { fake } = renderApp({ seedItems: 4 });
    await waitFor(() => expect(rows()).toHaveLength(4));
    const check = (i: number) => within(rows()[i]).getByRole('checkbox');
    check(0).focus();
    fireEvent.keyDown(check(0), { key: 'ArrowDown' });
    await waitFor(() => expect(document.activeElement).toBe(check(1)));
    fireEvent.keyDown(check(1), { key: 'ArrowDown' });
    await waitFor(() => expect(document.activeElement).toBe(check(2)));
    fireEvent.keyDown(check(2), { key: 'ArrowUp' });
    await waitFor(() => expect(document.activeElement).toBe(check(1)));
    // Space on the focused checkbox selects its row (a native checkbox); Delete removes what is selected.
    fireEvent.click(check(1));
    fireEvent.click(check(3));
    fireEvent.keyDown(check(3), { key: 'Delete' });
    await waitFor(() => expect(rows()).toHaveLength(2));
    expect(fake.calls.find((c) => c.method === 'queue.remove')!.args).toEqual({ itemIds: ['item-2', 'item-4'] });
    // Delete with nothing selected removes nothing.
    fireEvent.keyDown(check(0), { key: 'Delete' });
    expect(fake.calls.filter((c) => c.method === 'queue.remove')).toHaveLength(1);
  });

  it('Shift+↓/↑ select the rows the focus passes, and Shift+click on a checkbox ticks a whole run', async () => {
    renderApp({ seedItems: 6 });
    await waitFor(() => expect(rows()).toHaveLength(6));
    const check = (i: number) => within(rows()[i]).getByRole('checkbox') as HTMLInputElement;
    const ticked = () => rows().map((_, i) => check(i).checked);
    check(0).focus();
    fireEvent.keyDown(check(0), { key: 'ArrowDown' });
    await waitFor(() => expect(document.activeElement).toBe(check(1)));
    // The range starts where the focus is: rows 2–4, then it shrinks back to 2–3.
    fireEvent.keyDown(check(1), { key: 'ArrowDown', shiftKey: true });
    await waitFor(() => expect(document.activeElement).toBe(check(2)));
    fireEvent.keyDown(check(2), { key: 'ArrowDown', shiftKey: true });
    await waitFor(() => expect(ticked()).toEqual([false, true, true, true, false, false]));
    fireEvent.keyDown(check(3), { key: 'ArrowUp', shiftKey: true });
    await waitFor(() => expect(ticked()).toEqual([false, true, true, false, false, false]));
    expect(screen.getByText(/2 selected/)).toBeTruthy();
    // A checkbox adds: tick row 6, then Shift+click row 4's box: 4–6 join rows 2–3.
    fireEvent.click(check(5));
    fireEvent.click(check(3), { shiftKey: true });
    await waitFor(() => expect(ticked()).toEqual([false, true, true, true, true, true]));
  });

  it('a Start pressed while a target is still being saved waits for it', async () => {
    const user = userEvent.setup();
    const { fake } = renderApp({ itemsEventDelayMs: 400, latencyMs: 150 });
    await user.type(screen.getByRole('textbox', { name: 'URLs' }), 'https://a.example/x.jpg');
    await user.click(screen.getByRole('button', { name: 'Add URLs' }));
    await waitFor(() => expect(rows()).toHaveLength(1), { timeout: 2000 });
    const select = within(row('https://a.example/x.jpg')).getByRole('combobox', { name: 'Target format' }) as HTMLSelectElement;
    await waitFor(() => expect([...select.options].some((o) => o.value === 'webp')).toBe(true), { timeout: 2000 });
    fireEvent.change(select, { target: { value: 'webp' } });
    // Shown while main has not answered yet (150 ms here).
    expect(select.value).toBe('webp');
    fireEvent.click(screen.getByRole('button', { name: 'Start' }));
    await waitFor(() => expect(fake.calls.some((c) => c.method === 'queue.start')).toBe(true), { timeout: 2000 });
    expect(fake.calls.find((c) => c.method === 'queue.start')!.args).toEqual({ itemIds: ['item-1'] });
    expect(screen.queryByText(/need.* a target/)).toBeNull();
  });

  it('applies one target to a selection, offering only targets all selected rows can take', async () => {
    const user = userEvent.setup();
    const { fake } = renderApp({ seedItems: 6 });
    await waitFor(() => expect(rows()).toHaveLength(6));
    await user.click(screen.getByRole('checkbox', { name: 'Select all' }));
    const bulk = screen.getByRole('combobox', { name: 'Target for selected' });
    const offered = [...(bulk as HTMLSelectElement).options].map((o) => o.value).filter(Boolean);
    // jpg + png + docx sources: image and document targets fit all three, audio does not.
    expect(offered).toEqual(expect.arrayContaining(['pdf', 'png', 'md5']));
    expect(offered).not.toContain('mp3');
    await user.selectOptions(bulk, 'pdf');
    await waitFor(() => expect(fake.calls.some((c) => c.method === 'queue.setTarget')).toBe(true));
    const call = fake.calls.find((c) => c.method === 'queue.setTarget')!.args as { itemIds: string[]; target: string };
    expect(call.target).toBe('pdf');
    expect(call.itemIds.sort()).toEqual(['item-1', 'item-2', 'item-3', 'item-4', 'item-5', 'item-6']);
  });

  it('edits options through a form generated from the schema, with validation', async () => {
    const user = userEvent.setup();
    const { fake } = renderApp({ seedItems: 1 });
    await waitFor(() => expect(rows()).toHaveLength(1));
    await user.click(within(rows()[0]).getByRole('button', { name: 'Options' }));
    const dialog = screen.getByRole('dialog', { name: 'PNG options' });
    const quality = within(dialog).getByRole('textbox', { name: 'Quality' });
    await user.clear(quality);
    await user.type(quality, '150');
    await user.click(within(dialog).getByRole('button', { name: 'Apply' }));
    expect(within(dialog).getByRole('alert').textContent).toBe('Between 1 and 100');
    expect(fake.calls.some((c) => c.method === 'queue.setTarget')).toBe(false);
    await user.clear(quality);
    await user.type(quality, '60');
    await user.selectOptions(within(dialog).getByRole('combobox', { name: 'Color' }), 'gray');
    await user.click(within(dialog).getByRole('checkbox', { name: 'Strip' }));
    await user.click(within(dialog).getByRole('button', { name: 'Apply' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(fake.calls.find((c) => c.method === 'queue.setTarget')!.args).toEqual({
      itemIds: ['item-1'],
      target: 'png',
      options: { quality: 60, color: 'gray', strip: true },
      withItems: true,
    });
    expect(await within(rows()[0]).findByText('quality 60, color gray, strip')).toBeTruthy();
  });
});

describe('queue view', () => {
  it('renders 10,000 rows virtually (only those on screen exist)', async () => {
    renderApp({ seedItems: 10_000 });
    await waitFor(() => expect(rows().length).toBeGreaterThan(5));
    expect(rows().length).toBeLessThan(40);
    expect(screen.getByRole('radio', { name: /All/ }).textContent).toBe('All 10,000');
    expect(rows()[0].getAttribute('aria-setsize')).toBe('10000');
  });

  it('starts, shows progress states and a failed row with its error and the fixing action', async () => {
    const user = userEvent.setup();
    const { fake } = renderApp({ simulate: true, eventRate: 400, failMatching: 'broken' });
    await user.type(screen.getByRole('textbox', { name: 'URLs' }), 'https://a.example/fine.jpg{enter}https://a.example/broken.jpg');
    await user.click(screen.getByRole('button', { name: 'Add URLs' }));
    await waitFor(() => expect(rows()).toHaveLength(2));
    await user.click(screen.getByRole('button', { name: 'Start' }));
    expect(await screen.findByText(/Skipped 2: 2 need a target/)).toBeTruthy();
    expect(fake.calls.some((c) => c.method === 'queue.start')).toBe(false);
    await user.click(screen.getByRole('checkbox', { name: 'Select all' }));
    await user.selectOptions(screen.getByRole('combobox', { name: 'Target for selected' }), 'png');
    await waitFor(() => expect(fake.items.get('item-2')!.target).toBe('png'));
    await user.click(screen.getByRole('button', { name: 'Start' }));
    await waitFor(() => expect(within(row('https://a.example/fine.jpg')).getByText('Done')).toBeTruthy(), { timeout: 5000 });
    const failed = row('https://a.example/broken.jpg');
    expect(within(failed).getByText('Failed')).toBeTruthy();
    expect(within(failed).getByText(/could not be downloaded/)).toBeTruthy();
    // A missing URL is fixed by editing it; nothing labelled "Check" silently retries (issue 12).
    expect(within(failed).getByRole('button', { name: 'Edit URL' })).toBeTruthy();
    expect(within(failed).queryByRole('button', { name: /Check/ })).toBeNull();
    // One result for the Start, counted from the rows; Retry failed starts the failed ones again.
    const result = await screen.findByRole('group', { name: 'Result' });
    expect(result.textContent).toMatch(/1 converted.*1 failed.*0 canceled.*0 skipped/);
    await user.click(within(result).getByRole('button', { name: 'Retry failed' }));
    await waitFor(() => expect(fake.calls.find((c) => c.method === 'queue.retry')?.args).toEqual({ itemIds: ['item-2'] }));
  });

  it('Pause holds the queue (the file under way finishes), Resume and Start go on, and the status bar says it', async () => {
    const user = userEvent.setup();
    const { fake } = renderApp({ simulate: true, eventRate: 20 });
    await fake.invoke('settings.update', { concurrency: 1 });
    // Ten rows, one at a time: a run long enough to pause twice on a slow machine.
    const urls = Array.from({ length: 10 }, (_, n) => `https://a.example/${n + 1}.jpg`);
    await user.type(screen.getByRole('textbox', { name: 'URLs' }), urls.join('{enter}'));
    await user.click(screen.getByRole('button', { name: 'Add URLs' }));
    await waitFor(() => expect(rows()).toHaveLength(10));
    await user.click(screen.getByRole('checkbox', { name: 'Select all' }));
    await user.selectOptions(screen.getByRole('combobox', { name: 'Target for selected' }), 'png');
    await waitFor(() => expect(fake.items.get('item-10')!.target).toBe('png'));
    await user.click(screen.getByRole('button', { name: 'Clear selection' }));
    expect(screen.queryByRole('button', { name: 'Pause' })).toBeNull();
    await user.click(screen.getByRole('button', { name: 'Start' }));
    const pb = await screen.findByRole('button', { name: 'Pause' });
    await user.click(pb);
    expect(fake.calls.filter((c) => c.method === 'queue.pause').map((c) => c.args)).toEqual([{ paused: true }]);
    expect((await screen.findByTestId('paused')).textContent).toBe('Paused');
    await waitFor(() => expect(screen.getByRole('group', { name: 'Progress' }).textContent).toMatch(/^Paused · \d+ of 10 finished/));
    expect(screen.getByRole('group', { name: 'Progress' }).textContent).not.toMatch(/left|files\//);
    const states = () => [...fake.items.values()].map((i) => i.state);
    const started = () => states().filter((s) => s !== 'queued').length;
    // What was under way when it paused finishes; nothing else starts.
    const held = started();
    expect(held).toBeLessThan(10);
    await waitFor(() => expect(states().filter((s) => s !== 'queued' && s !== 'done')).toEqual([]), { timeout: 3000 });
    await new Promise((r) => setTimeout(r, 600));
    expect(started()).toBe(held);
    // The menu's Pause or Resume (Ctrl/⌘+Shift+Enter) toggles it the same way.
    act(() => fake.emit('appCommand', { command: 'pauseResume' }));
    await waitFor(() => expect(screen.queryByTestId('paused')).toBeNull());
    act(() => fake.emit('appCommand', { command: 'pauseResume' }));
    await screen.findByTestId('paused');
    await user.click(screen.getByRole('button', { name: 'Resume' }));
    await waitFor(() => expect(screen.queryByTestId('paused')).toBeNull());
    await waitFor(() => expect(started()).toBeGreaterThan(held));
    // Paused again; this time Start goes on (Start means start).
    await user.click(await screen.findByRole('button', { name: 'Pause' }));
    await screen.findByTestId('paused');
    await user.click(screen.getByRole('button', { name: 'Start' }));
    await waitFor(() => expect(states().every((s) => s === 'done')).toBe(true), { timeout: 10_000 });
    expect(fake.calls.filter((c) => c.method === 'queue.pause').map((c) => c.args)).toEqual([
      { paused: true },
      { paused: false },
      { paused: true },
      { paused: false },
      { paused: true },
      { paused: false },
    ]);
    expect(screen.queryByTestId('paused')).toBeNull();
  });

  it('in the desktop app a finished row can be dragged out (main starts the OS drag)', async () => {
    const user = userEvent.setup();
    const { fake } = renderApp({ simulate: true, eventRate: 400 }, { pathForFile: () => '' });
    await user.type(screen.getByRole('textbox', { name: 'URLs' }), 'https://a.example/fine.jpg');
    await user.click(screen.getByRole('button', { name: 'Add URLs' }));
    await waitFor(() => expect(rows()).toHaveLength(1));
    await user.selectOptions(within(row('https://a.example/fine.jpg')).getByRole('combobox', { name: 'Target format' }), 'png');
    await user.click(screen.getByRole('button', { name: 'Start' }));
    await waitFor(() => expect(within(row('https://a.example/fine.jpg')).getByText('Done')).toBeTruthy(), { timeout: 5000 });
    const done = row('https://a.example/fine.jpg');
    expect(done.getAttribute('draggable')).toBe('true');
    fireEvent.dragStart(done);
    await waitFor(() => expect(fake.calls.find((c) => c.method === 'files.startDrag')?.args).toEqual({ itemId: 'item-1' }));
  });

  it('shows the offline banner with the waiting count', async () => {
    const { fake } = renderApp({ seedItems: 3 });
    await waitFor(() => expect(rows()).toHaveLength(3));
    act(() => fake.setConnection('offline', 'Cannot reach the API: connection refused'));
    const banner = await screen.findByTestId('offline-banner');
    expect(banner.textContent).toMatch(/3 items waiting; they will resume by themselves/);
    expect(banner.textContent).toMatch(/connection refused/);
    act(() => fake.setConnection('online'));
    await waitFor(() => expect(screen.queryByTestId('offline-banner')).toBeNull());
  });

  it('shows the disk-full banner while the queue is halted for space', async () => {
    const { fake } = renderApp({ seedItems: 2 });
    await waitFor(() => expect(rows()).toHaveLength(2));
    const base = {
      running: true,
      connection: 'online' as const,
      retryAt: null,
      waitingItems: 2,
      concurrency: 4,
      paused: false,
      totals: { total: 2, queued: 0, active: 2, done: 0, failed: 0, canceled: 0 },
      credits: null,
    };
    act(() => fake.emit('queueStatus', { ...base, halt: 'disk', reason: 'Disk full at /media/out: free space and resume' }));
    const banner = await screen.findByTestId('disk-full-banner');
    expect(banner.getAttribute('role')).toBe('alert');
    expect(banner.textContent).toMatch(/Disk full at \/media\/out: free space and resume/);
    expect(banner.textContent).toMatch(/continues by itself when space returns/);
    act(() => fake.emit('queueStatus', { ...base, halt: null, reason: null }));
    await waitFor(() => expect(screen.queryByTestId('disk-full-banner')).toBeNull());
  });

  it('stays usable when main answers "unavailable"', async () => {
    renderApp({ unavailable: ['queue.list', 'conversions.list', 'queue.status', 'destinations.list'] });
    expect(await screen.findByText(/The queue is not available yet/)).toBeTruthy();
    expect(await screen.findByText(/Targets unavailable/)).toBeTruthy();
    expect(screen.getByRole('region', { name: 'Drop files or URLs' })).toBeTruthy();
  });
});
