/**
 * The operation verbs map onto jobs as the official CLI's do: compress / thumbnail / resize are
 * convert with the operation as target (compress, thumbnail, resize-image); merge is ONE job with
 * every input, in order. The operations themselves come with the engine's operations branch, so
 * these tests check what the API receives (through a recording proxy in front of the local engine),
 * not the results.
 */
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Api2ConvertClient } from '../../main/api/index';
import { makeImages, recordingProxy, startEngine, tmpDir, type TestEngine } from '../queue/helpers';
import { cliEnv, runCli } from './cli-helpers';

let te: TestEngine;
let proxy: Awaited<ReturnType<typeof recordingProxy>>;
let catalog: http.Server;
let files: string[];
/** Until the operations branch lands, the catalog in front of the engine lists the operations too. */
async function withOperations(target: string): Promise<{ server: http.Server; api: string }> {
  const up = new URL(target);
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const fwd = http.request({ host: up.hostname, port: up.port, method: req.method, path: req.url, headers: { ...req.headers, host: up.host } }, (r) => {
        if (!/\/conversions(\?|$)/.test(req.url ?? '') || r.statusCode !== 200) {
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
          return;
        }
        const body: Buffer[] = [];
        r.on('data', (c: Buffer) => body.push(c));
        r.on('end', () => {
          const list = JSON.parse(Buffer.concat(body).toString());
          if (!/page=/.test(req.url ?? ''))
            for (const t of ['compress', 'thumbnail', 'resize-image']) list.push({ id: `operation-${t}`, category: 'operation', target: t, options: {} });
          res.writeHead(200, { 'content-type': 'application/json', 'x-count': String(list.length) }).end(JSON.stringify(list));
        });
      });
      fwd.on('error', () => res.destroy());
      fwd.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, api: `http://127.0.0.1:${(server.address() as { port: number }).port}${up.pathname}` };
}
beforeAll(async () => {
  te = await startEngine();
  const ops = await withOperations(te.api);
  catalog = ops.server;
  proxy = await recordingProxy(ops.api);
  files = await makeImages(tmpDir('verbs-src'), 4);
});
afterAll(async () => {
  await proxy?.close();
  catalog?.closeAllConnections();
  await new Promise((r) => catalog?.close(r) ?? r(null));
  await te?.engine.close();
});
const env = cliEnv({ CONVOY_SECRETS: 'memory' });
const api = () => ['--engine', proxy.api, '--api-key', te.apiKey, '--data-dir', tmpDir('verbs-data')];
const jobBodies = () => proxy.requests.filter((r) => r.method === 'POST' && /\/jobs$/.test(r.path)).map((r) => JSON.parse(r.body));

it.each([
  ['compress', 'compress'],
  ['thumbnail', 'thumbnail'],
  ['resize', 'resize-image'],
])(
  '%s creates a job converting to "%s" with the given options',
  async (verb, target) => {
    const before = jobBodies().length;
    const r = await runCli([verb, files[0], '--option', 'width=32', '--out-dir', tmpDir('verbs-out'), '--json', ...api()], { env });
    expect(r.stdout + r.stderr).not.toMatch(/Usage:/);
    const bodies = jobBodies().slice(before);
    expect(bodies).toHaveLength(1);
    expect(bodies[0].conversion).toEqual([{ target, options: { width: 32 } }]);
  },
  240_000,
);

it('merge makes one job with every input, in the given order, with the merge operation', async () => {
  const before = jobBodies().length;
  const requestsBefore = proxy.requests.length;
  const order = [files[2], files[0], files[3], files[1]];
  const r = await runCli(['merge', ...order, '--out-dir', tmpDir('verbs-out'), '--json', ...api()], { env });
  const bodies = jobBodies().slice(before);
  expect(bodies, r.stderr).toHaveLength(1);
  expect(bodies[0]).toMatchObject({ conversion: [{ target: 'merge' }], process: false });
  const patch = proxy.requests.slice(requestsBefore).find((q) => q.method === 'PATCH' && q.body.includes('"process":true'));
  expect(patch).toBeDefined();
  const id = patch!.path.split('/').pop()!.split('?')[0];
  const client = new Api2ConvertClient({ baseUrl: te.api, apiKey: te.apiKey });
  const job = await client.getJob(id);
  client.close();
  expect(job.input.map((i) => i.filename)).toEqual(order.map((f) => path.basename(f)));
}, 240_000);
