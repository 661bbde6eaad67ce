/** Azure Blob Storage input and output target against Azurite. */
import { afterAll, beforeAll, describe } from 'vitest';
import { startAzurite, type RunningAzurite } from '../support/cloud-servers';
import { cloudContract } from './cloud-contract';
import { deadPort } from './convert-helpers';

let az: RunningAzurite;
let dead: number;
const wrongKey = Buffer.alloc(64, 3).toString('base64');

beforeAll(async () => {
  az = await startAzurite();
  await az.createContainer('convoy');
  dead = await deadPort();
});
afterAll(async () => {
  await az?.close();
});

describe('azure (Azurite)', () => {
  cloudContract(() => ({
    name: 'azure',
    endpoints: { azure: az.endpoint },
    descriptor: (file, over = {}) => ({
      provider: 'azure',
      parameters: { container: 'convoy', file, ...over.parameters },
      credentials: { ...az.credentials, ...over.credentials },
    }),
    put: (file, data) => az.put('convoy', file, data),
    get: (file) => az.get('convoy', file),
    secrets: [az.accountKey, wrongKey],
    missingContainer: { parameters: { container: 'no-such-container' }, message: /^the container "no-such-container" does not exist$/ },
    wrongCredentials: [
      { label: 'account', credentials: { accountname: 'otheraccount' }, message: /^Azure refused the storage account name or account key$/ },
      { label: 'key', credentials: { accountkey: wrongKey }, message: /^Azure refused the storage account name or account key$/ },
    ],
    unreachable: () => ({
      d: { provider: 'azure', parameters: { container: 'convoy', file: 'x.bin' }, credentials: { ...az.credentials } },
      endpoints: { azure: `http://127.0.0.1:${dead}/devstoreaccount1` },
      message: /^the Azure Blob Storage endpoint refused the connection$/,
    }),
    largeBytes: 9 * 1024 * 1024,
  }));
});
