import { cleanup, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fakeLayout, renderApp } from './helpers';

beforeAll(() => fakeLayout());
afterEach(() => cleanup());

describe('destination profiles', () => {
  it('validates per field, tests the connection inline and saves secrets write-only', async () => {
    const user = userEvent.setup();
    const { fake } = renderApp();
    await user.click(screen.getByRole('button', { name: 'Destinations' }));
    const dialog = screen.getByRole('dialog', { name: 'Destinations' });
    const form = within(dialog).getByRole('form', { name: 'New destination' });

    await user.click(within(form).getByRole('button', { name: 'Save' }));
    expect(within(form).getByText('Give the profile a name')).toBeTruthy();
    expect(within(form).getByText('Enter the host')).toBeTruthy();
    expect(within(form).getByText('Enter the password')).toBeTruthy();
    expect(fake.calls.some((c) => c.method === 'destinations.save')).toBe(false);

    await user.type(within(form).getByRole('textbox', { name: 'Profile name' }), 'Office FTP');
    await user.type(within(form).getByRole('textbox', { name: 'Host' }), 'ftp://bad.example');
    expect(within(form).getByText('Enter only the host name, without ftp:// or another scheme')).toBeTruthy();
    await user.clear(within(form).getByRole('textbox', { name: 'Host' }));
    await user.type(within(form).getByRole('textbox', { name: 'Host' }), 'bad.example');
    await user.type(within(form).getByRole('textbox', { name: 'Username' }), 'me');
    await user.type(within(form).getByLabelText('Password'), 'pw');

    await user.click(within(form).getByRole('button', { name: 'Test connection' }));
    const result = await within(form).findByTestId('test-result');
    expect(result.textContent).toMatch(/Connection failed \(unreachable\): Could not reach bad\.example:21/);
    expect(fake.calls.find((c) => c.method === 'destinations.test')!.args).toMatchObject({
      name: 'Office FTP',
      type: 'ftp',
      fields: { host: 'bad.example', port: 21, username: 'me' },
      secrets: { password: 'pw' },
    });

    await user.clear(within(form).getByRole('textbox', { name: 'Host' }));
    await user.type(within(form).getByRole('textbox', { name: 'Host' }), 'ftp.example.com');
    await user.click(within(form).getByRole('button', { name: 'Test connection' }));
    expect((await within(form).findByTestId('test-result')).textContent).toMatch(/Connection works/);

    await user.click(within(form).getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(within(dialog).getByRole('list', { name: 'Saved destinations' }).textContent).toMatch(/Office FTP/));
    // Editing: the stored password may stay empty.
    const edit = within(dialog).getByRole('form', { name: 'Edit Office FTP' });
    expect((within(edit).getByLabelText(/Password/) as HTMLInputElement).placeholder).toMatch(/Stored/);
    await user.click(within(edit).getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(fake.calls.filter((c) => c.method === 'destinations.save')).toHaveLength(2));
    expect(fake.calls.filter((c) => c.method === 'destinations.save')[1].args).not.toHaveProperty('secrets');
  });

  it('switches the form with the type (S3 fields) and can be closed with Escape', async () => {
    const user = userEvent.setup();
    renderApp();
    await user.click(screen.getByRole('button', { name: 'Destinations' }));
    const dialog = screen.getByRole('dialog', { name: 'Destinations' });
    await user.selectOptions(within(dialog).getByRole('combobox', { name: 'Type' }), 'amazons3');
    expect(within(dialog).getByRole('textbox', { name: 'Bucket' })).toBeTruthy();
    expect((within(dialog).getByRole('textbox', { name: /Region/ }) as HTMLInputElement).value).toBe('eu-central-1');
    await user.type(within(dialog).getByRole('textbox', { name: 'Access key ID' }), 'lowercase');
    await user.tab();
    expect(within(dialog).getByText(/16–128 capital letters/)).toBeTruthy();
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('dialog')).toBeNull();
  });
});

describe('settings', () => {
  it('checks the API key on entry and shows the answer inline', async () => {
    const user = userEvent.setup();
    const { fake } = renderApp();
    await waitFor(() => expect(fake.calls.some((c) => c.method === 'settings.get')).toBe(true));
    await user.click(screen.getByRole('button', { name: 'Settings' }));
    const dialog = await screen.findByRole('dialog', { name: 'Settings' });
    await user.type(within(dialog).getByLabelText('API key'), 'wrong-key-123');
    await user.click(within(dialog).getByRole('button', { name: 'Check and save key' }));
    expect((await within(dialog).findByText(/rejected by api2convert/)).textContent).toMatch(/401/);
    await user.clear(within(dialog).getByLabelText('API key'));
    await user.type(within(dialog).getByLabelText('API key'), '0123456789abcdef0123456789abcdef');
    await user.click(within(dialog).getByRole('button', { name: 'Check and save key' }));
    expect(await within(dialog).findByText(/Key accepted and saved \(••••cdef\)/)).toBeTruthy();
  });

  it('validates fields and saves only the changes', async () => {
    const user = userEvent.setup();
    const { fake } = renderApp();
    await waitFor(() => expect(fake.calls.some((c) => c.method === 'settings.get')).toBe(true));
    await user.click(screen.getByRole('button', { name: 'Settings' }));
    const dialog = await screen.findByRole('dialog', { name: 'Settings' });
    const concurrency = within(dialog).getByRole('spinbutton', { name: 'Files at a time' });
    await user.clear(concurrency);
    await user.type(concurrency, '100');
    // Callbacks are plumbing: they wait under Advanced (issue 12).
    expect(within(dialog).queryByRole('textbox', { name: 'Callback public URL' })).toBeNull();
    await user.click(within(dialog).getByRole('button', { name: /Advanced/ }));
    await user.type(within(dialog).getByRole('textbox', { name: 'Callback public URL' }), 'not a url');
    await user.click(within(dialog).getByRole('button', { name: 'Save settings' }));
    expect(within(dialog).getByText('A whole number from 1 to 64')).toBeTruthy();
    expect(within(dialog).getByText('Not a valid URL')).toBeTruthy();
    expect(fake.calls.some((c) => c.method === 'settings.update')).toBe(false);

    await user.clear(concurrency);
    await user.type(concurrency, '3');
    await user.clear(within(dialog).getByRole('textbox', { name: 'Callback public URL' }));
    await user.selectOptions(within(dialog).getByRole('combobox', { name: 'When a file with that name exists' }), 'skip');
    await user.click(within(dialog).getByRole('button', { name: 'Save settings' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(fake.calls.find((c) => c.method === 'settings.update')!.args).toEqual({ concurrency: 3, conflictPolicy: 'skip' });
  });

  it('refuses api2convert as provider before a key is stored', async () => {
    const user = userEvent.setup();
    const { fake } = renderApp();
    await waitFor(() => expect(fake.calls.some((c) => c.method === 'settings.get')).toBe(true));
    await user.click(screen.getByRole('button', { name: 'Settings' }));
    const dialog = await screen.findByRole('dialog', { name: 'Settings' });
    await user.click(within(dialog).getByRole('radio', { name: /api2convert/ }));
    await user.click(within(dialog).getByRole('button', { name: 'Save settings' }));
    expect(within(dialog).getByText('Save a valid API key first')).toBeTruthy();
  });

  it('saves the callback signing secret write-only and can remove it', async () => {
    const user = userEvent.setup();
    const { fake } = renderApp();
    await waitFor(() => expect(fake.calls.some((c) => c.method === 'settings.get')).toBe(true));
    await user.click(screen.getByRole('button', { name: 'Settings' }));
    const dialog = await screen.findByRole('dialog', { name: 'Settings' });
    await user.click(within(dialog).getByRole('button', { name: /Advanced/ }));
    const field = within(dialog).getByLabelText('Callback signing secret') as HTMLInputElement;
    expect(field.type).toBe('password');
    expect(within(dialog).queryByRole('button', { name: 'Remove secret' })).toBeNull();
    await user.type(field, 'a-long-signing-secret-0123');
    await user.click(within(dialog).getByRole('button', { name: 'Save secret' }));
    expect(await within(dialog).findByText(/Signing secret saved/)).toBeTruthy();
    expect(fake.calls.find((c) => c.method === 'settings.setCallbackSigningSecret')!.args).toEqual({ secret: 'a-long-signing-secret-0123' });
    expect(field.value).toBe('');
    expect(field.placeholder).toBe('Stored');
    await user.click(within(dialog).getByRole('button', { name: 'Remove secret' }));
    expect(await within(dialog).findByText(/Signing secret removed/)).toBeTruthy();
    expect(fake.calls.filter((c) => c.method === 'settings.setCallbackSigningSecret').at(-1)!.args).toEqual({ secret: null });
  });

  it('says a provider change applies from the next start, and only when it differs from the active one', async () => {
    const user = userEvent.setup();
    const { fake } = renderApp();
    await waitFor(() => expect(fake.calls.some((c) => c.method === 'app.info')).toBe(true));
    await user.click(screen.getByRole('button', { name: 'Settings' }));
    const dialog = await screen.findByRole('dialog', { name: 'Settings' });
    expect(within(dialog).queryByText(/applies from the next start/)).toBeNull();
    await user.click(within(dialog).getByRole('radio', { name: /api2convert/ }));
    expect(within(dialog).getByText(/uses the local engine until it restarts/)).toBeTruthy();
    await user.click(within(dialog).getByRole('radio', { name: /Local engine/ }));
    expect(within(dialog).queryByText(/applies from the next start/)).toBeNull();
  });
});
