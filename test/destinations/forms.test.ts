/**
 * The provider forms (preload/destination-forms.ts): per-field validation messages, the Google
 * Cloud key file check, and the file path template.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_FILE_TEMPLATE, destinationForms, expandTemplate, parseKeyfile, templateProblem, validateProfile } from '../../preload/destination-forms';

const keyfile = {
  type: 'service_account',
  project_id: 'demo-project-1',
  private_key: '-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n',
  client_email: 'svc@demo-project-1.iam.gserviceaccount.com',
  token_uri: 'https://oauth2.googleapis.com/token',
};

describe('provider forms follow the api2convert guide', () => {
  it("has the guide's fields, with the secret ones marked and the documented defaults", () => {
    const shape = Object.fromEntries(
      Object.values(destinationForms).map((f) => [
        f.type,
        f.fields.map((x) => `${x.place}.${x.key}${x.secret ? '*' : ''}${x.default !== undefined ? `=${x.default}` : ''}`),
      ]),
    );
    expect(shape).toEqual({
      ftp: ['parameters.host', 'parameters.port=21', `parameters.file=${DEFAULT_FILE_TEMPLATE}`, 'credentials.username', 'credentials.password*'],
      azure: ['parameters.container', `parameters.file=${DEFAULT_FILE_TEMPLATE}`, 'credentials.accountname', 'credentials.accountkey*'],
      googlecloud: ['parameters.projectid', 'parameters.bucket', `parameters.file=${DEFAULT_FILE_TEMPLATE}`, 'credentials.keyfile*'],
      amazons3: [
        'parameters.bucket',
        'parameters.region=eu-central-1',
        `parameters.file=${DEFAULT_FILE_TEMPLATE}`,
        'credentials.accesskeyid',
        'credentials.secretaccesskey*',
        'credentials.sessiontoken*',
      ],
    });
  });
});

describe('validateProfile', () => {
  it('FTP: normalises the port, accepts host names and IPs, explains each mistake', () => {
    const ok = validateProfile('ftp', { host: 'ftp.example.com', port: '2121', username: 'u' }, { password: 'p' });
    expect(ok).toMatchObject({ ok: true, fields: { host: 'ftp.example.com', port: 2121, username: 'u', file: DEFAULT_FILE_TEMPLATE } });
    for (const host of ['192.168.1.20', 'localhost', '::1', 'files-01.example.org']) {
      expect(validateProfile('ftp', { host, username: 'u' }, { password: 'p' }).errors).toEqual({});
    }
    const bad = validateProfile('ftp', { host: 'ftp.example.com:21', port: 0 }, { password: 'a\nb' });
    expect(bad.ok).toBe(false);
    expect(bad.errors).toEqual({
      host: 'Enter the port in the Port field, not after the host',
      port: 'Port must be a whole number from 1 to 65535',
      username: 'Enter the username',
      password: 'FTP passwords cannot contain line breaks',
    });
    expect(validateProfile('ftp', { host: 'ftp.example.com/uploads', username: 'u' }, { password: 'p' }).errors.host).toMatch(/without a path/);
    expect(validateProfile('ftp', { host: 'bad host!', username: 'u' }, { password: 'p' }).errors.host).toMatch(/valid host name or IP address/);
  });

  it('a stored secret may be omitted on edit; a required one may not be emptied; an optional one may', () => {
    expect(validateProfile('ftp', { host: 'h.example', username: 'u' }, {}, { storedSecrets: ['password'] }).ok).toBe(true);
    expect(validateProfile('ftp', { host: 'h.example', username: 'u' }, {}).errors).toEqual({ password: 'Enter the password' });
    expect(validateProfile('ftp', { host: 'h.example', username: 'u' }, { password: '' }, { storedSecrets: ['password'] }).errors).toEqual({
      password: 'Enter the password',
    });
    const s3 = validateProfile(
      'amazons3',
      { bucket: 'b-1x', accesskeyid: 'AKIAIOSFODNN7EXAMPLE' },
      { sessiontoken: '' },
      { storedSecrets: ['secretaccesskey', 'sessiontoken'] },
    );
    expect(s3).toMatchObject({ ok: true, secrets: { sessiontoken: '' } });
  });

  it('Azure: container, account name and key rules', () => {
    const key = Buffer.alloc(64, 1).toString('base64');
    expect(validateProfile('azure', { container: 'results-2026', accountname: 'convoystore' }, { accountkey: key }).ok).toBe(true);
    expect(validateProfile('azure', { container: '$root', accountname: 'convoystore' }, { accountkey: key }).ok).toBe(true);
    const bad = validateProfile('azure', { container: 'Results--x', accountname: 'Convoy-Store' }, { accountkey: 'not base64!' });
    expect(Object.keys(bad.errors).sort()).toEqual(['accountkey', 'accountname', 'container']);
    expect(bad.errors.container).toMatch(/3–63 characters: lowercase letters, digits and single hyphens/);
    expect(bad.errors.accountkey).toMatch(/base64 text/);
  });

  it('S3: bucket, region and key id rules (underscores are S3-invalid but fine for Google Cloud)', () => {
    const bad = validateProfile('amazons3', { bucket: 'my_bucket', region: 'Frankfurt', accesskeyid: 'akia123' }, { secretaccesskey: 'short' });
    expect(Object.keys(bad.errors).sort()).toEqual(['accesskeyid', 'bucket', 'region', 'secretaccesskey']);
    expect(
      validateProfile(
        'amazons3',
        { bucket: '192.168.1.1', accesskeyid: 'AKIAIOSFODNN7EXAMPLE' },
        { secretaccesskey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
      ).errors.bucket,
    ).toBeDefined();
    for (const region of ['eu-central-1', 'us-east-1', 'ap-southeast-2', 'us-gov-west-1', 'cn-north-1']) {
      expect(
        validateProfile(
          'amazons3',
          { bucket: 'b-1x', region, accesskeyid: 'AKIAIOSFODNN7EXAMPLE' },
          { secretaccesskey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
        ).errors,
      ).toEqual({});
    }
    expect(validateProfile('googlecloud', { projectid: 'demo-project-1', bucket: 'my_bucket' }, { keyfile: JSON.stringify(keyfile) }).errors).toEqual({});
  });

  it('rejects unknown fields and secrets sent as plain fields', () => {
    const r = validateProfile('ftp', { host: 'h.example', username: 'u', password: 'plain', colour: 'red' }, { password: 'p', token: 'x' });
    expect(r.errors).toEqual({
      password: 'Password is a secret: send it with the secrets, never as a plain field',
      colour: 'FTP server profiles have no field "colour"',
      token: 'FTP server profiles have no secret "token"',
    });
  });
});

describe('Google Cloud key files', () => {
  it('accepts a service account key and stores it minified', () => {
    const r = parseKeyfile(`  ${JSON.stringify(keyfile, null, 2)}\n`);
    expect(r).toEqual({ keyfile: JSON.stringify(keyfile), clientEmail: keyfile.client_email, projectId: 'demo-project-1' });
  });

  it('says what is wrong with anything else', () => {
    expect(parseKeyfile('{not json')).toEqual({ error: 'The key file is not valid JSON; paste the whole file or pick it again' });
    expect(parseKeyfile(JSON.stringify({ ...keyfile, type: 'authorized_user' }))).toEqual({
      error: expect.stringMatching(/^This is not a service account key \(type is "authorized_user"\)/),
    });
    expect(parseKeyfile(JSON.stringify({ ...keyfile, private_key: undefined }))).toEqual({ error: 'The key file has no "private_key"; download a new key' });
    expect(parseKeyfile(JSON.stringify({ ...keyfile, private_key: 'abc' }))).toEqual({ error: "The key file's private_key is not a PEM private key" });
    expect(parseKeyfile(JSON.stringify({ ...keyfile, token_uri: 'http://evil.example/token' }))).toEqual({
      error: "The key file's token_uri must be an https:// address",
    });
    expect('keyfile' in parseKeyfile(JSON.stringify({ ...keyfile, token_uri: 'http://127.0.0.1:9/token' }))).toBe(true);
    expect(parseKeyfile('[1,2]')).toEqual({ error: 'The key file must be a JSON object' });
  });
});

describe('file path templates', () => {
  const vars = { name: 'photo', ext: 'png', target: 'png', batch: 'b1', date: '2026-11-28', folder: '' };

  it('the default puts every batch in its own folder and drops an empty {folder}', () => {
    expect(expandTemplate(DEFAULT_FILE_TEMPLATE, vars)).toBe('convoy/2026-11-28/b1/photo.png');
    expect(expandTemplate(DEFAULT_FILE_TEMPLATE, { ...vars, folder: 'a\\b/c' })).toBe('convoy/2026-11-28/b1/a/b/c/photo.png');
  });

  it('values never escape their segment: separators in names, ".." in folders, control characters', () => {
    expect(expandTemplate('{batch}/{name}.{ext}', { ...vars, name: '../../etc/passwd' })).toBe('b1/.._.._etc_passwd.png');
    expect(expandTemplate('out/{folder}/{name}.{ext}', { ...vars, folder: '../../x/./y' })).toBe('out/x/y/photo.png');
    expect(expandTemplate('{name}.{ext}', { ...vars, name: 'a\u0000b\nc' })).toBe('abc.png');
    expect(expandTemplate('{name}.{ext}', { ...vars, ext: '' })).toBe('photo');
    expect(expandTemplate('/srv/{name}.{ext}', vars)).toBe('/srv/photo.png');
  });

  it('explains templates that cannot work', () => {
    expect(templateProblem(DEFAULT_FILE_TEMPLATE)).toBeNull();
    expect(templateProblem('results/{batch}/{target}.{ext}')).toBe('The file path must contain {name}, or every file of a batch would get the same path');
    expect(templateProblem('{name}/{id}.{ext}')).toMatch(/^Unknown placeholder \{id\}; use \{name\}, \{ext\}/);
    expect(templateProblem('{batch}/{name}/')).toBe('The file path must end with a file name, e.g. {name}.{ext}');
    expect(templateProblem('../{name}')).toBe('The file path may not contain "." or ".." folders');
    expect(templateProblem('a\\{name}')).toBe('Use / to separate folders');
    expect(templateProblem('{name}.{ext')).toBe('A { or } in the file path is not part of a placeholder');
    expect(templateProblem('  ')).toBe('Enter a file path');
  });
});
