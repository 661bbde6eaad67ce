/** validateCloudDescriptor: the specific missing or invalid field, never its value. */
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { validateCloudDescriptor } from '../../engine/cloud/index';
import { redact, secretStrings } from '../../engine/cloud/errors';

const { privateKey } = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
});

const valid = {
  amazons3: {
    provider: 'amazons3',
    parameters: { bucket: 'my-bucket', file: 'a/b.jpg' },
    credentials: { accesskeyid: 'AKIAX', secretaccesskey: 'S3cr3t/abc' },
  },
  azure: { provider: 'azure', parameters: { container: 'photos', file: 'x.png' }, credentials: { accountname: 'myaccount', accountkey: 'c2VjcmV0a2V5' } },
  ftp: { provider: 'ftp', parameters: { host: 'ftp.example.com', file: 'in/x.png' }, credentials: { username: 'me', password: 'pw' } },
  googlecloud: {
    provider: 'googlecloud',
    parameters: { projectid: 'proj', bucket: 'bucket-1', file: 'x.png' },
    credentials: {
      keyfile: {
        type: 'service_account',
        client_email: 'sa@proj.iam.gserviceaccount.com',
        private_key: privateKey,
        token_uri: 'https://oauth2.googleapis.com/token',
      },
    },
  },
};

type Bag = Record<string, unknown>;
function variant(provider: keyof typeof valid, edit: (d: { parameters: Bag; credentials: Bag }) => void): unknown {
  const d = structuredClone(valid[provider]) as { parameters: Bag; credentials: Bag };
  edit(d);
  return d;
}

describe('validateCloudDescriptor', () => {
  it.each(Object.keys(valid))('accepts a complete %s descriptor', (p) => {
    expect(validateCloudDescriptor(valid[p as keyof typeof valid])).toBeNull();
  });

  it('checks the envelope', () => {
    expect(validateCloudDescriptor(null)).toBe('the cloud descriptor must be an object');
    expect(validateCloudDescriptor({ provider: 'dropbox', parameters: {}, credentials: {} })).toBe(
      'the cloud provider must be one of amazons3, azure, ftp, googlecloud',
    );
    expect(validateCloudDescriptor({ provider: 'ftp', parameters: [], credentials: {} })).toBe('parameters must be an object');
    expect(validateCloudDescriptor({ provider: 'ftp', parameters: {}, credentials: 'x' })).toBe('credentials must be an object');
  });

  it('names the missing field of each provider', () => {
    expect(validateCloudDescriptor(variant('amazons3', (d) => delete d.parameters.bucket))).toBe('parameters.bucket is missing');
    expect(validateCloudDescriptor(variant('amazons3', (d) => delete d.credentials.secretaccesskey))).toBe('credentials.secretaccesskey is missing');
    expect(validateCloudDescriptor(variant('azure', (d) => delete d.parameters.container))).toBe('parameters.container is missing');
    expect(validateCloudDescriptor(variant('azure', (d) => (d.credentials.accountkey = '')))).toBe('credentials.accountkey is missing');
    expect(validateCloudDescriptor(variant('ftp', (d) => delete d.parameters.host))).toBe('parameters.host is missing');
    expect(validateCloudDescriptor(variant('ftp', (d) => delete d.credentials.password))).toBe('credentials.password is missing');
    expect(validateCloudDescriptor(variant('googlecloud', (d) => delete d.parameters.projectid))).toBe('parameters.projectid is missing');
    expect(validateCloudDescriptor(variant('googlecloud', (d) => delete d.credentials.keyfile))).toBe('credentials.keyfile is missing');
    expect(validateCloudDescriptor(variant('googlecloud', (d) => delete (d.credentials.keyfile as Bag).client_email))).toBe(
      'credentials.keyfile.client_email is missing',
    );
  });

  it('says what is invalid without repeating the value', () => {
    const cases: Array<[unknown, string]> = [
      [variant('amazons3', (d) => (d.parameters.bucket = 'Bad_Bucket!')), 'parameters.bucket is not a valid S3 bucket name'],
      [variant('amazons3', (d) => (d.parameters.region = 'mars-1')), 'parameters.region is not a valid AWS region name (e.g. eu-central-1)'],
      [variant('amazons3', (d) => (d.credentials.accesskeyid = 42)), 'credentials.accesskeyid must be a string'],
      [variant('azure', (d) => (d.credentials.accountkey = 'not base64 !!')), 'credentials.accountkey is not valid base64'],
      [
        variant('azure', (d) => (d.credentials.accountname = 'Has_Upper')),
        'credentials.accountname is not a valid storage account name (3–24 lower-case letters and digits)',
      ],
      [
        variant('azure', (d) => (d.parameters.container = 'a--b')),
        'parameters.container is not a valid container name (3–63 lower-case letters, digits and single hyphens)',
      ],
      [variant('ftp', (d) => (d.parameters.port = 70000)), 'parameters.port must be a port number (1–65535)'],
      [variant('ftp', (d) => (d.parameters.host = 'http://x y')), 'parameters.host is not a valid host name or IP address'],
      [variant('ftp', (d) => (d.parameters.file = 'dir/')), 'parameters.file must name a file, not a folder (it ends with "/")'],
      [variant('ftp', (d) => (d.parameters.file = '../../etc/passwd')), 'parameters.file must not contain ".." segments'],
      [variant('ftp', (d) => (d.credentials.username = 'me\r\nDELE x')), 'credentials.username contains control characters'],
      [variant('googlecloud', (d) => (d.credentials.keyfile = '{not json')), 'credentials.keyfile must be the JSON key file of a service account'],
      [
        variant('googlecloud', (d) => ((d.credentials.keyfile as Bag).private_key = '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----')),
        'credentials.keyfile.private_key is not a valid PEM private key',
      ],
      [
        variant('googlecloud', (d) => ((d.credentials.keyfile as Bag).token_uri = 'file:///etc/passwd')),
        'credentials.keyfile.token_uri must be an http(s) URL',
      ],
    ];
    for (const [d, message] of cases) expect(validateCloudDescriptor(d)).toBe(message);
  });

  it('accepts the variants clients send: ftp://host:port, numeric string port, keyfile as JSON string', () => {
    expect(validateCloudDescriptor(variant('ftp', (d) => (d.parameters.host = 'ftp://ftp.example.com:2121')))).toBeNull();
    expect(validateCloudDescriptor(variant('ftp', (d) => (d.parameters.port = '2121')))).toBeNull();
    expect(validateCloudDescriptor(variant('ftp', (d) => (d.credentials.password = '')))).toBeNull();
    expect(validateCloudDescriptor(variant('googlecloud', (d) => (d.credentials.keyfile = JSON.stringify(d.credentials.keyfile))))).toBeNull();
  });
});

describe('redaction safety net', () => {
  it('removes every credential string, nested keyfile fields and key lines included', () => {
    const creds = { password: 'hunter22', keyfile: JSON.stringify({ private_key: privateKey, private_key_id: 'abcd1234abcd' }) };
    const keyLine = privateKey.split('\n')[3];
    const message = `failed for hunter22 with ${keyLine} and id abcd1234abcd (${encodeURIComponent('hunter22')})`;
    const clean = redact(message, secretStrings(creds));
    expect(clean).toBe('failed for *** with *** and id *** (***)');
  });
});
