/** Per-request options: a retry policy and a response hook, for one request or a view of the client. */
import { afterEach, describe, expect, it } from 'vitest';
import { RateLimitError } from '../../main/api/index';
import { fastClient, json, sampleJob, startServer, type TestServer } from './helpers';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('request options', () => {
  it('a retry policy for one request: that request does not retry a 429, the client still does', async () => {
    // The first two answers are 429s.
    server = await startServer((_req, res, _body, i) =>
      i < 2 ? json(res, 429, { message: 'slow down' }, { 'Retry-After': '0' }) : json(res, 200, sampleJob()),
    );
    const client = fastClient(`${server.url}/v2`);
    await expect(client.getJob('job-1', { retry: { rateLimitRetries: 0 } })).rejects.toBeInstanceOf(RateLimitError);
    expect(server.requests).toHaveLength(1);
    expect((await client.getJob('job-1')).id).toBe('job-1'); // 429, then 200
    expect(server.requests).toHaveLength(3);
    client.close();
  });

  it('a view (withOptions) shares the key, connections and secrets, adds its hook and policy, and leaves the client as it was', async () => {
    server = await startServer((req, res, _body, i) => {
      if (i === 0) return json(res, 429, { message: 'slow down' }, { 'Retry-After': '0' });
      if (req.url?.startsWith('/v2/jobs/missing')) return json(res, 404, { message: 'no job for token job-token-0123456789' });
      json(res, 200, sampleJob({ token: 'job-token-0123456789' }));
    });
    const seen: number[] = [];
    const client = fastClient(`${server.url}/v2`);
    const view = client.withOptions({ retry: { rateLimitRetries: 0 }, onResponse: (r) => seen.push(r.status) });
    await expect(view.getJob('job-1')).rejects.toBeInstanceOf(RateLimitError);
    expect((await view.getJob('job-1')).id).toBe('job-1');
    await expect(view.getJob('missing')).rejects.toThrow(/no job for token \[redacted\]|no job for token \*+/);
    expect(seen).toEqual([429, 200, 404]); // every answer, whatever its status
    // The token the view learned is a secret for the client too (one set of secrets per key).
    const err = await client.getJob('missing', { onResponse: (r) => seen.push(r.status) }).catch((e: Error) => e);
    expect(String((err as Error).message)).toContain('no job for token');
    expect(String((err as Error).message)).not.toContain('job-token-0123456789');
    expect(seen).toEqual([429, 200, 404, 404]); // the per-request hook; the view's hook is not the client's
    expect(new Set(server.requests.map((r) => r.headers['x-api2convert-api-key'])).size).toBe(1);
    client.close();
  });
});
