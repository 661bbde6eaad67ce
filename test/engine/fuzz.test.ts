/**
 * Hostile requests at every route of the engine: random methods, ids, paths, headers and JSON
 * bodies made of wrong types, huge strings, prototype keys, deep nesting and broken JSON, from
 * fixed seeds (a failure replays), 3,000 in all. Each must end with a 4xx or a success, never a 500 or a dropped
 * connection, and the engine must still answer afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEngine, TEST_KEY, type TestEngine } from './support/engine';

let t: TestEngine;
beforeAll(async () => {
  t = await startTestEngine();
});
afterAll(async () => {
  await t?.stop();
});

/** A small deterministic generator (an LCG): the same seed, the same requests. */
function generator(seed: number) {
  let s = seed;
  const rnd = () => (s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)];
  const weird = (depth = 0): unknown =>
    pick<() => unknown>([
      () => null,
      () => true,
      () => -1,
      () => 1e308,
      () => 0.5,
      () => '',
      () => 'x'.repeat(Math.floor(rnd() * 70_000)),
      () => '\u0000\ud800',
      () => '../../etc/passwd',
      () => 'http://127.0.0.1:9/x.jpg',
      () => [],
      () => (depth < 3 ? [weird(depth + 1)] : 1),
      () => ({}),
      () => JSON.parse('{"__proto__": {"polluted": 1}}'),
      () => ({ constructor: { prototype: { polluted: 1 } } }),
      () => pick(['png', 'jpg', 'thumbnail', 'zip', 'md5', 'pdf', 'merge', 'json']),
      () =>
        depth < 3
          ? {
              type: pick(['remote', 'upload', 'cloud', 'input_id', 'base64', 'x']),
              source: weird(depth + 1),
              filename: weird(depth + 1),
              engine: weird(depth + 1),
              options: weird(depth + 1),
            }
          : 1,
      () => (depth < 3 ? { target: weird(depth + 1), options: weird(depth + 1), output_target: weird(depth + 1) } : 1),
    ])();
  const jobBody = () => {
    const b: Record<string, unknown> = {};
    for (const k of ['process', 'input', 'conversion', 'callback', 'type', 'fail_on_input_error', 'notify_status', 'status', 'server', 'download_password']) {
      if (rnd() < 0.4) b[k] = k === 'input' || k === 'conversion' ? Array.from({ length: Math.floor(rnd() * 4) }, () => weird()) : weird();
    }
    return b;
  };
  return { rnd, pick, weird, jobBody };
}

const ROUTES = [
  '/v2/jobs',
  '/v2/jobs/:id',
  '/v2/jobs/:id/history',
  '/v2/jobs/:id/threads',
  '/v2/jobs/:id/conversions',
  '/v2/jobs/:id/conversions/:x',
  '/v2/jobs/:id/input',
  '/v2/jobs/:id/input/:x',
  '/v2/jobs/:id/output',
  '/v2/jobs/:id/output/:x',
  '/v2/presets',
  '/v2/presets/:x',
  '/v2/conversions',
  '/v2/statuses',
  '/v2/contracts',
  '/v2/stats/:x/:x/:x',
  '/upload-file/:id',
  '/v2/jobs?status=',
  '/v2/conversions?target=',
];

describe('hostile requests', () => {
  it.each([1, 2, 3])(
    'seed %i: 1,000 requests, no 5xx, no dropped connection, the engine still answers',
    async (seed) => {
      const g = generator(seed);
      const base = t.engine.baseUrl;
      const send = async (method: string, url: string, body?: string, headers: Record<string, string> = {}) => {
        try {
          const r = await fetch(base + url, {
            method,
            body,
            headers: { 'X-Api2convert-Api-Key': TEST_KEY, 'Content-Type': 'application/json', ...headers },
            signal: AbortSignal.timeout(15_000),
          });
          return { status: r.status, text: await r.text() };
        } catch (err) {
          return { status: -1, text: String((err as Error & { cause?: unknown }).cause ?? err) };
        }
      };
      // Real jobs to aim at, some with a remote input that cannot be fetched.
      const jobs: string[] = [];
      for (let i = 0; i < 8; i++) {
        const r = await send(
          'POST',
          '/v2/jobs',
          JSON.stringify({
            process: false,
            conversion: [{ target: g.pick(['png', 'thumbnail', 'zip', 'md5', 'pdf']) }],
            ...(i % 2 ? { input: [{ type: 'remote', source: 'http://127.0.0.1:9/x.jpg' }] } : {}),
          }),
        );
        expect(r.status, r.text).toBe(201);
        jobs.push(JSON.parse(r.text).id);
      }
      const bad: string[] = [];
      const seen = new Map<number, number>();
      for (let i = 0; i < 1000; i++) {
        const route = g.pick(ROUTES);
        const id = g.rnd() < 0.7 ? g.pick(jobs) : g.pick(['x', '%00', '..', '%C3%A9', '0'.repeat(300), '%']);
        const url =
          route.replace(':id', id).replace(/:x/g, () => g.pick(['0', 'x', 'day', '2026-12-01', 'all', '%ff', '..%2f', 'a'.repeat(100)])) +
          (route.endsWith('=')
            ? encodeURIComponent(
                String(g.weird())
                  .slice(0, 50)
                  .replace(/[\ud800-\udfff]/g, '\ufffd'),
              )
            : '');
        // Mostly the methods the API has, so most requests get past routing to the routes' own checks.
        const method =
          route === '/v2/jobs' && g.rnd() < 0.6 ? 'POST' : g.rnd() < 0.85 ? g.pick(['GET', 'POST', 'PATCH', 'DELETE']) : g.pick(['PUT', 'OPTIONS', 'HEAD']);
        const body =
          method === 'GET' || method === 'HEAD'
            ? undefined
            : g.rnd() < 0.8
              ? JSON.stringify(route === '/v2/jobs' || g.rnd() < 0.5 ? g.jobBody() : g.weird())
              : g.pick(['{', 'null', '[]', '"x"', '\u0000', '{"a":'.repeat(2000), '1e999']);
        const headers: Record<string, string> = {};
        if (g.rnd() < 0.1)
          headers['Content-Type'] = g.pick(['text/plain', 'multipart/form-data; boundary=x', 'application/json; charset=utf-16', 'multipart/form-data']);
        if (g.rnd() < 0.05) headers['X-Api2convert-Api-Key'] = g.pick(['', 'wrong', 'x'.repeat(5000)]);
        const r = await send(method, url, body, headers);
        seen.set(r.status, (seen.get(r.status) ?? 0) + 1);
        if (r.status >= 500 || r.status === -1) bad.push(`${r.status} ${method} ${url.slice(0, 80)} ${body?.slice(0, 120)} → ${r.text.slice(0, 200)}`);
      }
      expect(bad).toEqual([]);
      // The requests reached the routes' own checks, not only the key check: many answers, mostly 4xx.
      expect(seen.size).toBeGreaterThanOrEqual(5);
      expect((seen.get(401) ?? 0) + (seen.get(403) ?? 0)).toBeLessThan(200);
      expect(seen.get(400) ?? 0).toBeGreaterThan(50);
      expect((await send('GET', '/v2/statuses')).status).toBe(200);
      expect(t.logs.filter((l) => /unexpected/i.test(l))).toEqual([]);
    },
    120_000,
  );
});
