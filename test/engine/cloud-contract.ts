/**
 * The behaviour every cloud provider must show, run against each real local server by
 * cloud-<provider>.test.ts: streamed download and upload, no overwrite, the right error kind with
 * a specific message, abort, and no credential in any error.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudError, fetchCloudInput, uploadToTarget, type CloudDescriptor, type CloudEndpoints } from '../../engine/cloud/index';

type Bag = Record<string, unknown>;

export interface ProviderFixture {
  name: string;
  endpoints: CloudEndpoints;
  /** A valid descriptor for `file`, with optional overrides merged into parameters/credentials. */
  descriptor(file: string, over?: { parameters?: Bag; credentials?: Bag }): CloudDescriptor;
  put(file: string, data: Buffer): Promise<void>;
  get(file: string): Promise<Buffer | null>;
  /** Credential values that must never appear in an error message. */
  secrets: string[];
  /** Parameters naming a bucket/container that does not exist, and the message expected. */
  missingContainer: { parameters: Bag; message: RegExp };
  /** FTP creates missing folders on upload: there is no container that could be missing. */
  uploadCreatesContainer?: boolean;
  /** Credentials that the server refuses, each with the message expected. */
  wrongCredentials: Array<{ label: string; credentials: Bag; message: RegExp }>;
  /** Credentials that may read but not write (when the server supports such an account). */
  readOnlyCredentials?: Bag;
  /** A descriptor + endpoints pointing at a port where nothing listens. */
  unreachable(): { d: CloudDescriptor; endpoints: CloudEndpoints; message: RegExp };
  /** Size of the "large" upload/download (big enough to take the provider's multi-part path). */
  largeBytes: number;
}

export function cloudContract(getFixture: () => ProviderFixture): void {
  let f: ProviderFixture;
  let dir: string;
  const messages: string[] = [];

  async function failure(p: Promise<unknown>): Promise<CloudError> {
    const err = await p.then(
      () => {
        throw new Error('expected a CloudError, but it succeeded');
      },
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CloudError);
    messages.push((err as Error).message, JSON.stringify(err), String((err as Error).stack));
    return err as CloudError;
  }

  async function localFile(bytes: number | Buffer): Promise<{ path: string; data: Buffer }> {
    const data = typeof bytes === 'number' ? randomBytes(bytes) : bytes;
    const p = path.join(dir, `local-${randomBytes(4).toString('hex')}.bin`);
    await writeFile(p, data);
    return { path: p, data };
  }

  const dest = () => path.join(dir, `dest-${randomBytes(4).toString('hex')}`);

  beforeAll(async () => {
    f = getFixture();
    dir = await mkdtemp(path.join(os.tmpdir(), 'convoy-cloud-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe('fetchCloudInput', () => {
    it('downloads a file, streamed to destPath, with its base name and size', async () => {
      const data = randomBytes(300_000);
      await f.put('inbox/photo 1.jpg', data);
      const to = dest();
      const got = await fetchCloudInput(f.descriptor('inbox/photo 1.jpg'), to, { endpoints: f.endpoints });
      expect(got).toEqual({ filename: 'photo 1.jpg', size: data.length });
      expect((await readFile(to)).equals(data)).toBe(true);
    });

    it('downloads names with unicode and nested folders', async () => {
      await f.put('a/b/c/Überweisung (final).pdf', Buffer.from('%PDF-1.7 test'));
      const to = dest();
      const got = await fetchCloudInput(f.descriptor('a/b/c/Überweisung (final).pdf'), to, { endpoints: f.endpoints });
      expect(got.filename).toBe('Überweisung (final).pdf');
      expect(await readFile(to, 'utf8')).toBe('%PDF-1.7 test');
    });

    it('downloads a large file intact', async () => {
      const data = randomBytes(f.largeBytes);
      await f.put('large/in.bin', data);
      const to = dest();
      await fetchCloudInput(f.descriptor('large/in.bin'), to, { endpoints: f.endpoints });
      expect((await readFile(to)).equals(data)).toBe(true);
    });

    it('a missing file is not_found, naming the file, and leaves nothing behind', async () => {
      const to = dest();
      const err = await failure(fetchCloudInput(f.descriptor('nope/missing.png'), to, { endpoints: f.endpoints }));
      expect(err.kind).toBe('not_found');
      expect(err.message).toContain('nope/missing.png');
      await expect(stat(to)).rejects.toThrow();
    });

    it('a missing bucket/container is not_found, naming it', async () => {
      const err = await failure(fetchCloudInput(f.descriptor('x.png', { parameters: f.missingContainer.parameters }), dest(), { endpoints: f.endpoints }));
      expect(err.kind).toBe('not_found');
      expect(err.message).toMatch(f.missingContainer.message);
    });

    it('refuses a file over maxBytes (too_large) and leaves nothing behind', async () => {
      await f.put('big.bin', randomBytes(50_000));
      const to = dest();
      const err = await failure(fetchCloudInput(f.descriptor('big.bin'), to, { endpoints: f.endpoints, maxBytes: 10_000 }));
      expect(err.kind).toBe('too_large');
      expect(err.message).toBe('the file is larger than the limit of 10000 bytes');
      await expect(stat(to)).rejects.toThrow();
    });

    it('wrong credentials are auth errors', async () => {
      await f.put('auth.txt', Buffer.from('x'));
      for (const wrong of f.wrongCredentials) {
        const err = await failure(fetchCloudInput(f.descriptor('auth.txt', { credentials: wrong.credentials }), dest(), { endpoints: f.endpoints }));
        expect(err.kind, wrong.label).toBe('auth');
        expect(err.message, wrong.label).toMatch(wrong.message);
      }
    });

    it('an unreachable server is unreachable', async () => {
      const u = f.unreachable();
      const err = await failure(fetchCloudInput(u.d, dest(), { endpoints: u.endpoints }));
      expect(err.kind).toBe('unreachable');
      expect(err.message).toMatch(u.message);
    });

    it('an invalid descriptor is refused before any network call', async () => {
      const d = f.descriptor('x.png');
      delete (d.parameters as Bag).file;
      const err = await failure(fetchCloudInput(d, dest(), { endpoints: f.endpoints }));
      expect(err.kind).toBe('invalid');
      expect(err.message).toMatch(/parameters\.file is missing$/);
    });

    it('an aborted download rejects with the abort reason', async () => {
      const controller = new AbortController();
      controller.abort(new Error('job canceled'));
      await expect(fetchCloudInput(f.descriptor('big.bin'), dest(), { endpoints: f.endpoints, signal: controller.signal })).rejects.toThrow('job canceled');
    });
  });

  describe('uploadToTarget', () => {
    it('uploads a file (creating folders) and says where it went', async () => {
      const local = await localFile(200_000);
      const { location } = await uploadToTarget(f.descriptor('results/2024/out.png'), local.path, { endpoints: f.endpoints, contentType: 'image/png' });
      expect(location).toMatch(/results\/2024\/out\.png$/);
      for (const s of f.secrets) expect(location).not.toContain(s);
      expect((await f.get('results/2024/out.png'))?.equals(local.data)).toBe(true);
    });

    it('uploads a large file intact (multi-part path)', async () => {
      const local = await localFile(f.largeBytes);
      await uploadToTarget(f.descriptor('large/out.bin'), local.path, { endpoints: f.endpoints });
      expect((await f.get('large/out.bin'))?.equals(local.data)).toBe(true);
    });

    it('never overwrites an existing file (exists)', async () => {
      await f.put('taken/result.jpg', Buffer.from('original'));
      const local = await localFile(1000);
      const err = await failure(uploadToTarget(f.descriptor('taken/result.jpg'), local.path, { endpoints: f.endpoints }));
      expect(err.kind).toBe('exists');
      expect(err.message).toContain('taken/result.jpg');
      expect((await f.get('taken/result.jpg'))?.toString()).toBe('original');
    });

    it('a second upload to the same path is refused', async () => {
      const local = await localFile(1000);
      await uploadToTarget(f.descriptor('once/only.txt'), local.path, { endpoints: f.endpoints });
      const err = await failure(uploadToTarget(f.descriptor('once/only.txt'), (await localFile(10)).path, { endpoints: f.endpoints }));
      expect(err.kind).toBe('exists');
      expect((await f.get('once/only.txt'))?.equals(local.data)).toBe(true);
    });

    it('a missing bucket/container is not_found', async (ctx) => {
      if (f.uploadCreatesContainer) ctx.skip();
      const local = await localFile(100);
      const err = await failure(uploadToTarget(f.descriptor('x.bin', { parameters: f.missingContainer.parameters }), local.path, { endpoints: f.endpoints }));
      expect(err.kind).toBe('not_found');
      expect(err.message).toMatch(f.missingContainer.message);
    });

    it('wrong credentials are auth errors', async () => {
      const local = await localFile(100);
      for (const wrong of f.wrongCredentials) {
        const err = await failure(
          uploadToTarget(f.descriptor(`denied-${wrong.label}.bin`, { credentials: wrong.credentials }), local.path, { endpoints: f.endpoints }),
        );
        expect(err.kind, wrong.label).toBe('auth');
        expect(await f.get(`denied-${wrong.label}.bin`)).toBeNull();
      }
    });

    it('a read-only account gets permission denied', async (ctx) => {
      if (!f.readOnlyCredentials) ctx.skip();
      const local = await localFile(100);
      const err = await failure(uploadToTarget(f.descriptor('ro/denied.bin', { credentials: f.readOnlyCredentials }), local.path, { endpoints: f.endpoints }));
      expect(err.kind).toBe('permission');
      expect(err.message).toMatch(/permission denied/);
      expect(await f.get('ro/denied.bin')).toBeNull();
    });

    it('an unreachable server is unreachable', async () => {
      const u = f.unreachable();
      const local = await localFile(100);
      const err = await failure(uploadToTarget(u.d, local.path, { endpoints: u.endpoints }));
      expect(err.kind).toBe('unreachable');
    });

    it('an aborted upload rejects with the abort reason and stores nothing', async () => {
      const local = await localFile(f.largeBytes);
      const controller = new AbortController();
      const pending = uploadToTarget(f.descriptor('aborted/out.bin'), local.path, { endpoints: f.endpoints, signal: controller.signal });
      setTimeout(() => controller.abort(new Error('job canceled')), 5);
      await expect(pending).rejects.toThrow('job canceled');
      const stored = await f.get('aborted/out.bin');
      // Either nothing, or (when the last byte was already sent) the complete file — never a torso.
      if (stored) expect(stored.equals(local.data)).toBe(true);
    });
  });

  it('no error message, serialisation or stack contains a credential', () => {
    expect(messages.length).toBeGreaterThan(20);
    for (const secret of f.secrets) {
      for (const m of messages) expect(m.includes(secret), `"${m.slice(0, 120)}…" leaks a secret`).toBe(false);
    }
  });
}
