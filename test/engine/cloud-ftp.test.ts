/** FTP input and output target against ftp-srv (with a read-only account). */
import { afterAll, beforeAll, describe } from 'vitest';
import { startFtpServer, type RunningFtpServer } from '../support/cloud-servers';
import { cloudContract } from './cloud-contract';
import { deadPort } from './convert-helpers';

let ftp: RunningFtpServer;
let dead: number;

beforeAll(async () => {
  ftp = await startFtpServer();
  dead = await deadPort();
});
afterAll(async () => {
  await ftp?.close();
});

describe('ftp (ftp-srv)', () => {
  cloudContract(() => ({
    name: 'ftp',
    endpoints: {},
    descriptor: (file, over = {}) => ({
      provider: 'ftp',
      parameters: { host: ftp.host, port: ftp.port, file, ...over.parameters },
      credentials: { ...ftp.credentials, ...over.credentials },
    }),
    put: (file, data) => ftp.put(file, data),
    get: (file) => ftp.get(file),
    secrets: [ftp.credentials.password, ftp.readOnlyCredentials.password, 'wrong-ftp-password'],
    // FTP has no buckets: a folder that does not exist plays that part.
    missingContainer: { parameters: { file: 'no-such-folder/x.bin' }, message: /"no-such-folder\/x\.bin" does not exist/ },
    uploadCreatesContainer: true,
    wrongCredentials: [
      { label: 'password', credentials: { password: 'wrong-ftp-password' }, message: /refused the user name or password$/ },
      { label: 'user', credentials: { username: 'nobody' }, message: /refused the user name or password$/ },
    ],
    readOnlyCredentials: ftp.readOnlyCredentials,
    unreachable: () => ({
      d: { provider: 'ftp', parameters: { host: '127.0.0.1', port: dead, file: 'x.bin' }, credentials: { ...ftp.credentials } },
      endpoints: {},
      message: new RegExp(`^the FTP server 127\\.0\\.0\\.1:${dead} refused the connection$`),
    }),
    largeBytes: 6 * 1024 * 1024,
  }));
});
