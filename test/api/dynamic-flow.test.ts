/**
 * The guide's "create jobs dynamically" flow through the client, against the real local engine:
 * create with process:false, add a conversion, add one input and then an array of two, start,
 * wait, download — every output decoded.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createEngine } from '../../engine/index';
import type { Engine } from '../../engine/types';
import { Api2ConvertClient } from '../../main/api/index';

const KEY = crypto.randomBytes(24).toString('hex');
let dir: string;
let engine: Engine;
let client: Api2ConvertClient;
let files: http.Server;
let filesUrl: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'convoy-api-dynamic-'));
  const web = path.join(dir, 'web');
  fs.mkdirSync(web);
  for (const [name, colour] of [
    ['red', '#ff0000'],
    ['green', '#00ff00'],
    ['blue', '#0000ff'],
  ] as const) {
    await sharp({ create: { width: 40, height: 30, channels: 3, background: colour } })
      .jpeg()
      .toFile(path.join(web, `${name}.jpg`));
  }
  // The remote sources: a plain file server on loopback.
  files = http.createServer((req, res) => {
    const file = path.join(web, path.basename(req.url ?? ''));
    if (!fs.existsSync(file)) return void res.writeHead(404).end();
    res.writeHead(200, { 'Content-Type': 'image/jpeg' });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise<void>((r) => files.listen(0, '127.0.0.1', () => r()));
  filesUrl = `http://127.0.0.1:${(files.address() as { port: number }).port}`;
  engine = await createEngine({ port: 0, dataDir: path.join(dir, 'engine'), apiKey: KEY }, { log: () => {} });
  client = new Api2ConvertClient({ baseUrl: `${engine.baseUrl}/v2`, apiKey: KEY });
}, 60_000);

afterAll(async () => {
  client?.close();
  await engine?.close();
  await new Promise((r) => files?.close(r));
  fs.rmSync(dir, { recursive: true, force: true });
});

it('builds a job step by step and converts every input', async () => {
  const job = await client.createJob({ process: false });
  expect(job.status.code).toBe('incomplete');
  const conversion = await client.addConversion(job.id, { target: 'png' });
  expect(conversion.target).toBe('png');
  const one = await client.addInputs(job.id, { type: 'remote', source: `${filesUrl}/red.jpg` });
  expect(one).toHaveLength(1);
  const two = await client.addInputs(job.id, [
    { type: 'remote', source: `${filesUrl}/green.jpg` },
    { type: 'remote', source: `${filesUrl}/blue.jpg` },
  ]);
  expect(two).toHaveLength(2);
  expect((await client.getJob(job.id)).status.code).not.toBe('completed'); // still waits for the start

  await client.patchJob(job.id, { process: true });
  const done = await client.waitForJob(job.id, { poll: { initialMs: 200, maxMs: 500 } });
  expect(done.status.code, JSON.stringify(done.errors)).toBe('completed');
  expect(done.output).toHaveLength(3);
  const colours = new Set<string>();
  for (const [i, output] of done.output.entries()) {
    const dest = path.join(dir, `out-${i}.png`);
    await client.downloadOutput(output, dest);
    const { data, info } = await sharp(dest).raw().toBuffer({ resolveWithObject: true });
    expect((await sharp(dest).metadata()).format).toBe('png');
    expect([info.width, info.height]).toEqual([40, 30]);
    colours.add([data[0] > 128, data[1] > 128, data[2] > 128].map(Number).join(''));
  }
  expect(colours).toEqual(new Set(['100', '010', '001']));
});
