/** Amazon S3 input and output target against s3rver (with V4 signature checking). */
import { afterAll, beforeAll, describe } from 'vitest';
import { startS3rver, type RunningS3rver } from '../support/cloud-servers';
import { cloudContract } from './cloud-contract';
import { deadPort } from './convert-helpers';

let s3: RunningS3rver;
let dead: number;

beforeAll(async () => {
  s3 = await startS3rver({ buckets: ['convoy-bucket'] });
  dead = await deadPort();
});
afterAll(async () => {
  await s3?.close();
});

describe('amazons3 (s3rver)', () => {
  cloudContract(() => ({
    name: 'amazons3',
    endpoints: { amazons3: s3.endpoint },
    descriptor: (file, over = {}) => ({
      provider: 'amazons3',
      parameters: { bucket: 'convoy-bucket', region: 'eu-central-1', file, ...over.parameters },
      credentials: { ...s3.credentials, ...over.credentials },
    }),
    put: (file, data) => s3.put('convoy-bucket', file, data),
    get: (file) => s3.get('convoy-bucket', file),
    secrets: [s3.credentials.secretaccesskey, 'wrong-secret-value-1234'],
    missingContainer: { parameters: { bucket: 'no-such-bucket' }, message: /^the bucket "no-such-bucket" does not exist$/ },
    wrongCredentials: [
      { label: 'secret', credentials: { secretaccesskey: 'wrong-secret-value-1234' }, message: /refused the secret access key/ },
      { label: 'keyid', credentials: { accesskeyid: 'AKIAWRONGWRONGWRONG' }, message: /does not know this access key id/ },
    ],
    unreachable: () => ({
      d: { provider: 'amazons3', parameters: { bucket: 'convoy-bucket', file: 'x.bin' }, credentials: { ...s3.credentials } },
      endpoints: { amazons3: `http://127.0.0.1:${dead}` },
      message: /^Amazon S3 \(region eu-central-1\) refused the connection$/,
    }),
    largeBytes: 17 * 1024 * 1024,
  }));
});
