/**
 * The request layer against real sockets: headers, typed errors by status, retry rules
 * (what is repeated and what never is), Retry-After, resets, refusals and timeouts.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ApiError,
  AuthError,
  ConflictError,
  NetworkError,
  NotFoundError,
  PaymentError,
  RateLimitError,
  ServerError,
  TimeoutError,
  ValidationError,
} from '../../main/api/index';
import { API_KEY, fastClient, json, sampleJob, startServer, type TestServer } from './helpers';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('account requests', () => {
  it('send the account key header, JSON body and Idempotency-Key on creation', async () => {
    server = await startServer((_req, res) => json(res, 201, sampleJob()));
    const client = fastClient(`${server.url}/v2`);
    const job = await client.createJob({ process: false, conversion: [{ target: 'png' }] }, { idempotencyKey: 'idem-1' });
    expect(job.id).toBe('job-1');
    const r = server.requests[0];
    expect(r.method).toBe('POST');
    expect(r.url).toBe('/v2/jobs');
    expect(r.headers['x-api2convert-api-key']).toBe(API_KEY);
    expect(r.headers['idempotency-key']).toBe('idem-1');
    expect(r.headers['content-type']).toBe('application/json');
    expect(JSON.parse(r.body.toString())).toEqual({ process: false, conversion: [{ target: 'png' }] });
    client.close();
  });

  it('never put the key in the URL', async () => {
    server = await startServer((_req, res) => json(res, 200, [sampleJob()]));
    const client = fastClient(`${server.url}/v2`);
    await client.listJobs({ status: 'completed', page: 2 });
    expect(server.requests[0].url).toBe('/v2/jobs?page=2&status=completed');
    expect(server.requests[0].url).not.toContain(API_KEY);
    client.close();
  });
});

describe('typed errors by status', () => {
  const cases: Array<[number, new (...a: never[]) => ApiError, string]> = [
    [400, ValidationError, 'validation'],
    [422, ValidationError, 'validation'],
    [401, AuthError, 'auth'],
    [403, AuthError, 'auth'],
    [402, PaymentError, 'payment'],
    [404, NotFoundError, 'not_found'],
    [409, ConflictError, 'conflict'],
    [429, RateLimitError, 'rate_limit'],
    [500, ServerError, 'server'],
    [503, ServerError, 'server'],
  ];
  it.each(cases)('%i → %o', async (status, cls, kind) => {
    server = await startServer((_req, res) =>
      json(res, status, { code: 8, message: `Target "xyz" is not supported (key was ${API_KEY})` }, status === 429 ? { 'Retry-After': '7' } : {}),
    );
    const client = fastClient(`${server.url}/v2`, { retry: { retries: 0, rateLimitRetries: 0 } });
    const err = await client.addConversion('job-9', { target: 'xyz' }).catch((e) => e);
    expect(err).toBeInstanceOf(cls);
    expect(err).toBeInstanceOf(ApiError);
    expect(err.kind).toBe(kind);
    expect(err.status).toBe(status);
    // Specific and useful: method, path, the API's own message; never the key.
    expect(err.message).toContain('POST /jobs/job-9/conversions');
    expect(err.message).toContain('Target "xyz" is not supported');
    expect(err.message).not.toContain(API_KEY);
    expect(err.apiMessage).not.toContain(API_KEY);
    if (status === 429) expect(err.retryAfterMs).toBe(7000);
    client.close();
  });

  it('other 4xx become a generic http error', async () => {
    server = await startServer((_req, res) => json(res, 418, { message: 'teapot' }));
    const client = fastClient(`${server.url}/v2`);
    const err = await client.getJob('x').catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err.kind).toBe('http');
    expect(err.retryable).toBe(false);
    client.close();
  });
});

describe('retries', () => {
  it('GET: 503 twice, then 200 → succeeds on the third request', async () => {
    server = await startServer((_req, res, _b, i) => (i < 2 ? json(res, 503, { message: 'busy' }) : json(res, 200, sampleJob())));
    const lines: string[] = [];
    const client = fastClient(`${server.url}/v2`, { log: (l) => lines.push(l) });
    const job = await client.getJob('job-1');
    expect(job.id).toBe('job-1');
    expect(server.requests).toHaveLength(3);
    expect(lines.join('\n')).toContain('retry');
    expect(lines.join('\n')).not.toContain(API_KEY);
    client.close();
  });

  it('POST /jobs without an Idempotency-Key is never repeated after a 5xx', async () => {
    server = await startServer((_req, res) => json(res, 503, { message: 'busy' }));
    const client = fastClient(`${server.url}/v2`);
    const err = await client.createJob({ process: false }).catch((e) => e);
    expect(err).toBeInstanceOf(ServerError);
    expect(server.requests).toHaveLength(1);
    client.close();
  });

  it('POST /jobs with an Idempotency-Key is repeated after a 5xx, with the same key', async () => {
    server = await startServer((_req, res, _b, i) => (i < 2 ? json(res, 502, {}) : json(res, 201, sampleJob())));
    const client = fastClient(`${server.url}/v2`);
    await client.createJob({ process: false }, { idempotencyKey: 'item-42' });
    expect(server.requests).toHaveLength(3);
    expect(new Set(server.requests.map((r) => r.headers['idempotency-key']))).toEqual(new Set(['item-42']));
    client.close();
  });

  it('429 is retried for every method, honouring Retry-After in seconds', async () => {
    server = await startServer((_req, res, _b, i) => (i === 0 ? json(res, 429, { message: 'too many' }, { 'Retry-After': '1' }) : json(res, 201, sampleJob())));
    const client = fastClient(`${server.url}/v2`);
    const started = Date.now();
    await client.createJob({ process: false }); // no Idempotency-Key: 429 still retried
    const waited = Date.now() - started;
    expect(server.requests).toHaveLength(2);
    expect(waited).toBeGreaterThanOrEqual(990);
    expect(waited).toBeLessThan(2_500);
    client.close();
  });

  it('honours Retry-After given as an HTTP date', async () => {
    server = await startServer((_req, res, _b, i) =>
      i === 0 ? json(res, 429, {}, { 'Retry-After': new Date(Date.now() + 2_000).toUTCString() }) : json(res, 200, sampleJob()),
    );
    const client = fastClient(`${server.url}/v2`);
    const started = Date.now();
    await client.getJob('job-1');
    // HTTP dates have 1 s resolution: at least ~1 s, at most ~2 s plus jitter.
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(Date.now() - started).toBeLessThan(3_500);
    client.close();
  });

  it('does not sit out a Retry-After beyond maxRetryAfterMs: surfaces it instead', async () => {
    server = await startServer((_req, res) => json(res, 429, { message: 'quota window' }, { 'Retry-After': '3600' }));
    const client = fastClient(`${server.url}/v2`, { retry: { maxRetryAfterMs: 60_000 } });
    const err = await client.getJob('job-1').catch((e) => e);
    expect(err).toBeInstanceOf(RateLimitError);
    expect(err.retryAfterMs).toBe(3_600_000);
    expect(err.retryable).toBe(true);
    expect(server.requests).toHaveLength(1);
    client.close();
  });

  it('a connection reset is retried for GET', async () => {
    server = await startServer((req, res, _b, i) => {
      if (i === 0) req.socket.destroy();
      else json(res, 200, sampleJob());
    });
    const client = fastClient(`${server.url}/v2`);
    expect((await client.getJob('job-1')).id).toBe('job-1');
    expect(server.requests).toHaveLength(2);
    client.close();
  });

  it('a connection reset on POST /jobs without a key is not repeated (the job may exist)', async () => {
    server = await startServer((req) => {
      req.socket.destroy();
    });
    const client = fastClient(`${server.url}/v2`);
    const err = await client.createJob({ process: false }).catch((e) => e);
    expect(err).toBeInstanceOf(NetworkError);
    expect(err.maybeDelivered).toBe(true);
    expect(server.requests).toHaveLength(1);
    client.close();
  });

  it('a refused connection is retried even for POST: the request never arrived', async () => {
    // A port that was just free: nothing listens there.
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const client = fastClient(`http://127.0.0.1:${port}/v2`, { retry: { retries: 2 } });
    const err = await client.createJob({ process: false }).catch((e) => e);
    expect(err).toBeInstanceOf(NetworkError);
    expect(err.maybeDelivered).toBe(false);
    expect(err.attempts).toBe(3);
    expect(err.message).toContain('ECONNREFUSED');
    client.close();
  });

  it('a silent server times out; GET is retried, and the error says so', async () => {
    server = await startServer(() => {
      /* never answers */
    });
    const client = fastClient(`${server.url}/v2`, { timeoutMs: 150, retry: { retries: 1 } });
    const started = Date.now();
    const err = await client.getJob('job-1').catch((e) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err.message).toContain('GET /jobs/job-1');
    expect(server.requests).toHaveLength(2);
    expect(Date.now() - started).toBeLessThan(2_000);
    client.close();
  });

  it('PATCH process:true whose answer was lost: the 409 on the retry is resolved by reading the job', async () => {
    let started = false;
    server = await startServer((req, res) => {
      if (req.method === 'PATCH') {
        if (!started) {
          started = true;
          req.socket.destroy(); // processed, answer lost
        } else json(res, 409, { message: 'The job is already processing' });
      } else json(res, 200, sampleJob({ process: true, status: { code: 'processing' } }));
    });
    const client = fastClient(`${server.url}/v2`);
    const job = await client.patchJob('job-1', { process: true });
    expect(job.status.code).toBe('processing');
    expect(server.requests.map((r) => r.method)).toEqual(['PATCH', 'PATCH', 'GET']);
    client.close();
  });

  it('a genuine 409 on the first PATCH stays a ConflictError', async () => {
    server = await startServer((_req, res) => json(res, 409, { message: 'The job is completed' }));
    const client = fastClient(`${server.url}/v2`);
    await expect(client.patchJob('job-1', { process: true })).rejects.toBeInstanceOf(ConflictError);
    expect(server.requests).toHaveLength(1);
    client.close();
  });

  it('DELETE whose answer was lost: the 404 on the retry counts as done', async () => {
    server = await startServer((req, res, _b, i) => {
      if (i === 0) req.socket.destroy();
      else json(res, 404, { message: 'The specified job does not exist' });
    });
    const client = fastClient(`${server.url}/v2`);
    await expect(client.deleteJob('job-1')).resolves.toBeUndefined();
    client.close();
  });

  it('abort cancels a request (and its retry wait) with an AbortError', async () => {
    server = await startServer((_req, res) => json(res, 429, {}, { 'Retry-After': '30' }));
    const client = fastClient(`${server.url}/v2`);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const started = Date.now();
    const err = await client.getJob('job-1', { signal: ac.signal }).catch((e) => e);
    expect(err.name).toBe('AbortError');
    expect(Date.now() - started).toBeLessThan(2_000);
    client.close();
  });
});

describe('response validation at the edge', () => {
  it('is tolerant: unknown fields pass through, unknown statuses are kept, numbers as strings accepted', async () => {
    server = await startServer((_req, res) =>
      json(
        res,
        200,
        sampleJob({
          status: { code: 'transmogrifying' },
          future_field: { a: 1 },
          spent: '3',
          output: [{ id: 'o1', size: '12', uri: 'http://x/y', extra: true }],
          callback: null,
        }),
      ),
    );
    const client = fastClient(`${server.url}/v2`);
    const job = await client.getJob('job-1');
    expect(job.status.code).toBe('transmogrifying');
    expect((job as Record<string, unknown>).future_field).toEqual({ a: 1 });
    expect(job.spent).toBe(3);
    expect(job.output[0].size).toBe(12);
    expect((job.output[0] as Record<string, unknown>).extra).toBe(true);
    expect(job.callback).toBeUndefined();
    client.close();
  });

  it('rejects a job without an id with a clear error', async () => {
    server = await startServer((_req, res) => json(res, 200, { status: { code: 'completed' } }));
    const client = fastClient(`${server.url}/v2`);
    const err = await client.getJob('job-1').catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err.kind).toBe('http');
    expect(err.message).toMatch(/GET \/jobs\/job-1: unexpected response from the API \(id/);
    client.close();
  });

  it('getContracts: 204 is an empty list; 401 is an AuthError', async () => {
    server = await startServer((req, res) => {
      if (req.headers['x-api2convert-api-key'] === API_KEY) res.writeHead(204).end();
      else json(res, 401, { message: 'Invalid API key' });
    });
    const good = fastClient(`${server.url}/v2`);
    expect(await good.getContracts()).toEqual([]);
    const bad = fastClient(`${server.url}/v2`, { apiKey: 'wrong-key-123456' });
    const err = await bad.getContracts().catch((e) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect(err.message).not.toContain('wrong-key-123456');
    good.close();
    bad.close();
  });

  it('listConversions reads every page (50 per page, X-Count)', async () => {
    const all = Array.from({ length: 60 }, (_, i) => ({ target: `t${i}`, category: 'image', options: {} }));
    server = await startServer((req, res) => {
      const page = Number(new URL(req.url!, 'http://x').searchParams.get('page') ?? 1);
      json(res, 200, all.slice((page - 1) * 50, page * 50), { 'X-Count': '60' });
    });
    const client = fastClient(`${server.url}/v2`);
    const list = await client.listConversions({ category: 'image' });
    expect(list).toHaveLength(60);
    expect(server.requests.map((r) => r.url)).toEqual(['/v2/conversions?category=image', '/v2/conversions?category=image&page=2']);
    client.close();
  });

  it('never lets a credential from a request body reach an error message', async () => {
    server = await startServer((_req, res, body) => json(res, 400, { message: `bad input: ${body.toString()}` }));
    const client = fastClient(`${server.url}/v2`);
    const err = await client
      .addInputs('job-1', {
        type: 'cloud',
        source: 'amazons3',
        parameters: { bucket: 'b', file: 'f' },
        credentials: { accesskeyid: 'AKIAEXAMPLE', secretaccesskey: 'wJalrXUtnFEMI' },
      })
      .catch((e) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.message).toContain('bad input');
    expect(err.message).not.toContain('wJalrXUtnFEMI');
    expect(err.message).not.toContain('AKIAEXAMPLE');
    client.close();
  });
});
