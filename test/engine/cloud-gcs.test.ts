/**
 * Google Cloud Storage input and output target against the GCS stand-in (the smallest faithful
 * stand-in of Google Cloud Storage's JSON API, test/support/gcs-stand-in.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchCloudInput } from '../../engine/cloud/index';
import { startGcsStandIn, type GcsStandIn } from '../support/cloud-servers';
import { cloudContract } from './cloud-contract';
import { deadPort } from './convert-helpers';

let gcs: GcsStandIn;
let dead: number;

beforeAll(async () => {
  gcs = await startGcsStandIn();
  gcs.createBucket('convoy-bucket');
  dead = await deadPort();
});
afterAll(async () => {
  await gcs?.close();
});

const keyLines = (k: { private_key: string }) => k.private_key.split('\n').filter((l) => l.length > 20 && !l.startsWith('-----'));

describe('googlecloud (GCS stand-in)', () => {
  cloudContract(() => ({
    name: 'googlecloud',
    endpoints: { googlecloud: gcs.apiEndpoint },
    descriptor: (file, over = {}) => ({
      provider: 'googlecloud',
      parameters: { projectid: gcs.projectId, bucket: 'convoy-bucket', file, ...over.parameters },
      credentials: { ...gcs.credentials, ...over.credentials },
    }),
    put: (file, data) => gcs.put('convoy-bucket', file, data),
    get: (file) => gcs.get('convoy-bucket', file),
    secrets: [
      ...keyLines(gcs.credentials.keyfile),
      ...keyLines(gcs.wrongKeyCredentials.keyfile),
      ...keyLines(gcs.readOnlyCredentials.keyfile),
      gcs.credentials.keyfile.private_key_id,
    ],
    missingContainer: { parameters: { bucket: 'no-such-bucket' }, message: /^the bucket "no-such-bucket" does not exist$/ },
    wrongCredentials: [
      { label: 'key', credentials: gcs.wrongKeyCredentials, message: /^Google refused the service account key: \(invalid_grant: Invalid JWT Signature\.\)$/ },
      { label: 'keyfile-as-string', credentials: { keyfile: JSON.stringify(gcs.wrongKeyCredentials.keyfile) }, message: /Invalid JWT Signature/ },
    ],
    readOnlyCredentials: gcs.readOnlyCredentials,
    unreachable: () => ({
      d: {
        provider: 'googlecloud',
        parameters: { projectid: gcs.projectId, bucket: 'convoy-bucket', file: 'x.bin' },
        credentials: { keyfile: { ...gcs.credentials.keyfile, token_uri: `http://127.0.0.1:${dead}/token` } },
      },
      endpoints: { googlecloud: `http://127.0.0.1:${dead}` },
      message: /^Google Cloud Storage refused the connection$/,
    }),
    largeBytes: 9 * 1024 * 1024,
  }));

  it('takes the token from the keyfile token_uri, and uploads big files resumably with ifGenerationMatch=0', () => {
    expect(gcs.requests.some((r) => r.startsWith('POST /token'))).toBe(true);
    expect(gcs.requests.some((r) => /uploadType=resumable.*ifGenerationMatch=0|ifGenerationMatch=0.*uploadType=resumable/.test(r))).toBe(true);
    expect(gcs.requests.some((r) => /uploadType=multipart.*ifGenerationMatch=0|ifGenerationMatch=0.*uploadType=multipart/.test(r))).toBe(true);
  });

  it('accepts the keyfile as a JSON string', async () => {
    await gcs.put('convoy-bucket', 'string-key.txt', Buffer.from('ok'));
    const d = {
      provider: 'googlecloud' as const,
      parameters: { projectid: gcs.projectId, bucket: 'convoy-bucket', file: 'string-key.txt' },
      credentials: { keyfile: JSON.stringify(gcs.credentials.keyfile) },
    };
    const os = await import('node:os');
    const path = await import('node:path');
    const dest = path.join(os.tmpdir(), `convoy-gcs-string-${process.pid}`);
    expect(await fetchCloudInput(d, dest, { endpoints: { googlecloud: gcs.apiEndpoint } })).toEqual({ filename: 'string-key.txt', size: 2 });
    await (await import('node:fs/promises')).rm(dest, { force: true });
  });
});
