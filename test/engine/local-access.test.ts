/**
 * The engine's in-process shortcuts (`engine.local`): a file attached by path is the same input
 * an upload makes (a copy, checked by the job token, only while the job is open), an output is
 * handed over by path with the same checks as its download route, and job ends are announced.
 */
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { EngineLocalAccess } from '../../engine/index';
import { startTestEngine, tempDir, TEST_KEY, type TestEngine } from './support/engine';
import { checksumOf } from '../support/checksum';

let te: TestEngine;
let local: EngineLocalAccess;
let dir: string;
const headers = { 'X-Api2convert-Api-Key': TEST_KEY, 'Content-Type': 'application/json' };

beforeAll(async () => {
  te = await startTestEngine();
  local = te.engine.local!;
  dir = tempDir('convoy-local-access-');
});

afterAll(async () => {
  await te?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function api(method: string, p: string, body?: unknown): Promise<{ status: number; json: Record<string, any> }> {
  const res = await fetch(`${te.engine.baseUrl}/v2${p}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, any> };
}

async function rejection(p: Promise<unknown> | (() => unknown)): Promise<{ status?: number; message: string }> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    return err as { status?: number; message: string };
  }
  throw new Error('expected a rejection');
}

it('attaches a file by path as an upload input, checked like the upload route, and keeps its own copy', async () => {
  const src = path.join(dir, 'photo.jpg');
  await sharp({ create: { width: 30, height: 20, channels: 3, background: '#3366cc' } })
    .jpeg()
    .toFile(src);
  const bytes = fs.readFileSync(src);
  const { json: job } = await api('POST', '/jobs', { process: false, conversion: [{ target: 'png' }] });

  expect(await rejection(local.attachFile(job.id, 'wrong-token', src, 'photo.jpg'))).toMatchObject({ status: 401 });
  expect(await rejection(local.attachFile('no-such-job', job.token, src, 'photo.jpg'))).toMatchObject({ status: 404 });
  expect(await rejection(local.attachFile(job.id, job.token, path.join(dir, 'missing.jpg'), 'missing.jpg'))).toMatchObject({ status: 400 });

  const ends: string[] = [];
  const off = local.onJobEnd((id) => ends.push(id));
  const input = (await local.attachFile(job.id, job.token, src, 'photo.jpg')) as Record<string, unknown>;
  expect(input).toMatchObject({ type: 'upload', status: 'ready', filename: 'photo.jpg', size: bytes.length });
  expect(input.checksum).toBe(checksumOf(bytes));
  // The job holds a copy: changing the source now does not change what is converted.
  await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000000' } })
    .jpeg()
    .toFile(src);

  const read = await api('GET', `/jobs/${job.id}`);
  expect(read.json.input).toHaveLength(1);
  expect(read.json.input[0].id).toBe(input.id);

  expect((await api('PATCH', `/jobs/${job.id}`, { process: true })).status).toBe(200);
  await expect.poll(() => ends.includes(job.id), { timeout: 20_000 }).toBe(true);
  off();
  // Started: no more inputs, as for the upload route.
  expect(await rejection(local.attachFile(job.id, job.token, src, 'again.jpg'))).toMatchObject({ status: 409 });

  const done = (await api('GET', `/jobs/${job.id}`)).json;
  expect(done.status.code).toBe('completed');
  const output = done.output[0];
  expect(() => local.outputFile(job.id, 'wrong-token', output.id)).toThrow(expect.objectContaining({ status: 401 }));
  expect(() => local.outputFile(job.id, job.token, 'no-such-output')).toThrow(expect.objectContaining({ status: 404 }));
  const file = local.outputFile(job.id, job.token, output.id);
  expect(file.size).toBe(output.size);
  // The same bytes the download route serves, from the original (30×20) source.
  const downloaded = Buffer.from(await (await fetch(output.uri)).arrayBuffer());
  expect(fs.readFileSync(file.path).equals(downloaded)).toBe(true);
  expect(await sharp(file.path).metadata()).toMatchObject({ format: 'png', width: 30, height: 20 });
});

it('refuses outputs protected by a download password (the route checks it)', async () => {
  const { json: job } = await api('POST', '/jobs', { process: false, conversion: [{ target: 'png' }], download_passwords: ['s3cret'] });
  const src = path.join(dir, 'locked.jpg');
  await sharp({ create: { width: 4, height: 4, channels: 3, background: '#ff0000' } })
    .jpeg()
    .toFile(src);
  await local.attachFile(job.id, job.token, src, 'locked.jpg');
  await api('PATCH', `/jobs/${job.id}`, { process: true });
  await expect.poll(async () => (await api('GET', `/jobs/${job.id}`)).json.status.code, { timeout: 20_000 }).toBe('completed');
  const output = (await api('GET', `/jobs/${job.id}`)).json.output[0];
  expect(() => local.outputFile(job.id, job.token, output.id)).toThrow(expect.objectContaining({ status: 401 }));
});
