import { describe, expect, it } from 'vitest';
import type { Settings } from '../../preload/contract';
import { draftFromProfile, emptyDraft, toProfileInput, validateProfileDraft } from '../../renderer/src/lib/destinationForms';
import { draftFromSettings, settingsPatch, validateApiKey, validateSettings } from '../../renderer/src/lib/settingsForm';
import { FAKE_SETTINGS } from '../../renderer/src/dev/fake-api';

describe('destination profile drafts', () => {
  it('a new FTP draft starts with the defaults and asks for what is missing', () => {
    const d = emptyDraft('ftp');
    expect(d.values.port).toBe('21');
    expect(d.values.file).toContain('{name}');
    const errors = validateProfileDraft(d);
    expect(Object.keys(errors).sort()).toEqual(['host', 'name', 'password', 'username']);
  });

  it('explains a bad host, port and template per field', () => {
    const d = emptyDraft('ftp', 'Office');
    Object.assign(d.values, { host: 'ftp://files.example.com', port: '70000', username: 'me', password: 'pw', file: 'out/{nme}.{ext}' });
    const errors = validateProfileDraft(d);
    expect(errors.host).toMatch(/without ftp:\/\//);
    expect(errors.port).toMatch(/1 to 65535/);
    expect(errors.file).toMatch(/Unknown placeholder \{nme\}/);
    expect(errors.name).toBeUndefined();
  });

  it('lets a stored secret stay empty when editing', () => {
    const profile = {
      id: 'p1',
      name: 'Bucket',
      type: 'amazons3' as const,
      fields: { bucket: 'my-bucket', region: 'eu-west-1', accesskeyid: 'AKIAABCDEFGHIJKLMNOP', file: 'x/{name}.{ext}' },
      secretsSet: ['secretaccesskey'],
      createdAt: 1,
      updatedAt: 1,
    };
    const d = draftFromProfile(profile);
    expect(d.values.secretaccesskey).toBe('');
    expect(validateProfileDraft(d, profile.secretsSet)).toEqual({});
    expect(validateProfileDraft(d, [])).toHaveProperty('secretaccesskey');
    const input = toProfileInput(d);
    expect(input).toEqual({ id: 'p1', name: 'Bucket', type: 'amazons3', fields: profile.fields });
    expect(input).not.toHaveProperty('secrets');
  });

  it('puts secrets in `secrets`, never in `fields`, and validates the Google key file', () => {
    const d = emptyDraft('googlecloud', 'GCS');
    Object.assign(d.values, { projectid: 'my-project-123', bucket: 'results', keyfile: '{"type":"user"}' });
    expect(validateProfileDraft(d).keyfile).toMatch(/not a service account key/);
    d.values.keyfile = JSON.stringify({
      type: 'service_account',
      project_id: 'my-project-123',
      client_email: 'svc@my-project-123.iam.gserviceaccount.com',
      private_key: '-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n',
    });
    expect(validateProfileDraft(d)).toEqual({});
    const input = toProfileInput(d);
    expect(Object.keys(input.fields).sort()).toEqual(['bucket', 'file', 'projectid']);
    expect(Object.keys(input.secrets ?? {})).toEqual(['keyfile']);
  });

  it('checks Azure names and keys', () => {
    const d = emptyDraft('azure', 'Blob');
    Object.assign(d.values, { container: 'Bad_Container', accountname: 'UPPER', accountkey: 'not base64!' });
    const e = validateProfileDraft(d);
    expect(Object.keys(e).sort()).toEqual(['accountkey', 'accountname', 'container']);
  });
});

const settings: Settings = FAKE_SETTINGS;

describe('settings form', () => {
  it('sends only what changed', () => {
    const d = draftFromSettings(settings);
    expect(settingsPatch(d, settings)).toEqual({});
    const changed = {
      ...d,
      concurrency: '4',
      outputDir: ' /tmp/out ',
      callbackPublicUrl: 'https://hook.example',
      callbackPort: '8123',
      notifyOnBatchEnd: false,
    };
    expect(settingsPatch(changed, settings)).toEqual({
      concurrency: 4,
      callbackPort: 8123,
      outputDir: '/tmp/out',
      callbackPublicUrl: 'https://hook.example',
      notifyOnBatchEnd: false,
    });
  });

  it('validates concurrency, the callback URL and the provider', () => {
    const d = { ...draftFromSettings(settings), concurrency: '0', callbackPublicUrl: 'ftp://x', callbackPort: '70000', provider: 'api2convert' as const };
    expect(validateSettings(d, settings)).toEqual({
      concurrency: 'A whole number from 1 to 64',
      callbackPort: 'A port from 1 to 65535, or 0 for any free port',
      callbackPublicUrl: 'Use an https:// URL',
      provider: 'Save a valid API key first',
    });
    expect(
      validateSettings({ ...d, concurrency: '64', callbackPublicUrl: '', callbackPort: '8123', provider: 'api2convert' }, { apiKeyMasked: '••••abcd' }),
    ).toEqual({});
  });

  it('checks the API key before sending it', () => {
    expect(validateApiKey('')).toBe('Enter the API key');
    expect(validateApiKey('short')).toMatch(/at least 8/);
    expect(validateApiKey('abc def ghi')).toMatch(/no spaces/);
    expect(validateApiKey('0123456789abcdef')).toBeNull();
  });
});
