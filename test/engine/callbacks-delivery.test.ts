/**
 * The callback outbox's delivery on the wire and its pump: kept-alive connections, the one
 * immediate resend on a reused socket the receiver closed, sockets closed with the engine, rows
 * left by a previous run sent in order per job and at their due time. Real sockets on 127.0.0.1,
 * the outbox on a real database.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CallbackOutbox, type OutboxStats } from '../../engine/callbacks/outbox';
import { openDb, type Db } from '../../engine/store/db';
import { defaultFaults } from '../../engine/types';
import { startTestEngine, tempDir } from './support/engine';

interface Hit {
  body: string;
  at: number;
  /** Which connection (1, 2, …) carried it. */
  conn: number;
}

/** A node:http receiver that counts its connections; `handle` may answer a request its own way. */
async function startReceiver(handle?: (n: number, req: http.IncomingMessage, res: http.ServerResponse) => boolean) {
  const hits: Hit[] = [];
  const sockets = new Map<Socket, number>();
  const closedSockets: number[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      hits.push({ body: Buffer.concat(chunks).toString('utf8'), at: Date.now(), conn: sockets.get(req.socket)! });
      if (handle?.(hits.length, req, res)) return;
      res.writeHead(200).end();
    });
  });
  server.keepAliveTimeout = 60_000; // the engine, not the receiver, must close idle connections
  server.on('connection', (socket: Socket) => {
    sockets.set(socket, sockets.size + 1);
    socket.on('close', () => closedSockets.push(sockets.get(socket)!));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/cb`,
    hits,
    connections: () => sockets.size,
    closedSockets,
    async waitFor(pred: () => boolean, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (!pred()) {
        if (Date.now() > deadline) throw new Error(`not as expected: ${hits.length} callbacks on ${sockets.size} connections`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

type Receiver = Awaited<ReturnType<typeof startReceiver>>;

describe('callback outbox delivery', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn();
  });

  function receiver(handle?: Parameters<typeof startReceiver>[0]): Promise<Receiver> {
    return startReceiver(handle).then((r) => (cleanups.push(() => r.close()), r));
  }

  function outbox(retryBaseMs = 1000, dir = tempDir()): { box: CallbackOutbox; db: Db; stats: OutboxStats } {
    const db = openDb(dir);
    const stats: OutboxStats = { callbacksSent: 0, callbacksFailed: 0, callbacksDropped: 0 };
    const box = new CallbackOutbox(db, { retryBaseMs, faults: () => defaultFaults, stats });
    cleanups.push(async () => {
      await box.close();
      db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });
    return { box, db, stats };
  }

  it('sends N callbacks to one receiver over fewer than N connections', async () => {
    const cb = await receiver();
    const { box, stats } = outbox();
    // One after the other (each once the previous arrived): one connection.
    for (let i = 0; i < 10; i++) {
      box.enqueue(`job-${i}`, cb.url, JSON.stringify({ i }));
      await cb.waitFor(() => cb.hits.length === i + 1);
    }
    expect(cb.connections()).toBe(1);
    // Two bursts of 10 at once: the second opens no new connection.
    for (let i = 10; i < 20; i++) box.enqueue(`job-${i}`, cb.url, JSON.stringify({ i }));
    await cb.waitFor(() => stats.callbacksSent === 20);
    const afterBurst = cb.connections();
    expect(afterBurst).toBeLessThanOrEqual(10);
    for (let i = 20; i < 30; i++) box.enqueue(`job-${i}`, cb.url, JSON.stringify({ i }));
    await cb.waitFor(() => stats.callbacksSent === 30);
    expect(cb.connections()).toBe(afterBurst);
    expect(cb.hits).toHaveLength(30);
    expect(box.pendingCount()).toBe(0);
  });

  it('sends again at once, once, a POST whose reused socket the receiver closed before answering', async () => {
    // The 2nd request comes on the kept-alive socket: the receiver drops it unanswered, as one
    // that closed an idle connection while the POST was on its way.
    const cb = await receiver((n, req) => (n === 2 ? (req.socket.destroy(), true) : false));
    const { box, stats } = outbox(5000); // a retry by backoff would come 5 s later
    box.enqueue('job-a', cb.url, '{"a":1}');
    await cb.waitFor(() => stats.callbacksSent === 1);
    box.enqueue('job-b', cb.url, '{"b":1}');
    await cb.waitFor(() => stats.callbacksSent === 2, 3000);
    expect(cb.hits.map((h) => h.body)).toEqual(['{"a":1}', '{"b":1}', '{"b":1}']);
    expect(cb.hits.map((h) => h.conn)).toEqual([1, 1, 2]);
    expect(cb.hits[2].at - cb.hits[1].at).toBeLessThan(2000);
    expect(box.pendingCount()).toBe(0);
  });

  it('keeps the backoff for a fresh socket that failed, a reused one that failed after answer bytes, and a second failure', async () => {
    const cb = await receiver((n, req) => {
      if (n === 1) return (req.socket.destroy(), true); // fresh connection: no resend at once
      if (n === 4) return (req.socket.end('HTTP/1.1 200 OK\r\nContent-Le'), true); // a reused socket, part of an answer
      if (n === 6 || n === 7) return (req.socket.destroy(), true); // reused, then the resend fails too
      return false;
    });
    const { box, stats } = outbox(1200); // wide apart from "at once", so load cannot blur the two
    box.enqueue('job-a', cb.url, '{"a":1}');
    await cb.waitFor(() => stats.callbacksSent === 1, 5000);
    expect(cb.hits).toHaveLength(2);
    expect(cb.hits[1].at - cb.hits[0].at).toBeGreaterThanOrEqual(1150);

    box.enqueue('job-b', cb.url, '{"b":1}'); // hit 3 on the kept socket: answered
    await cb.waitFor(() => stats.callbacksSent === 2);
    box.enqueue('job-c', cb.url, '{"c":1}'); // hit 4: cut mid-answer → backoff → hit 5
    await cb.waitFor(() => stats.callbacksSent === 3, 5000);
    expect(cb.hits[4].at - cb.hits[3].at).toBeGreaterThanOrEqual(1150);

    box.enqueue('job-d', cb.url, '{"d":1}'); // hit 6 reused → resent at once (hit 7) → fails → backoff → hit 8
    await cb.waitFor(() => stats.callbacksSent === 4, 5000);
    expect(cb.hits.map((h) => h.body).slice(5)).toEqual(['{"d":1}', '{"d":1}', '{"d":1}']);
    expect(cb.hits[6].at - cb.hits[5].at).toBeLessThan(900);
    expect(cb.hits[7].at - cb.hits[6].at).toBeGreaterThanOrEqual(1150);
    expect(stats.callbacksFailed).toBe(0);
  });

  it('closes kept-alive sockets and cuts requests under way on close, leaving their rows for the next run', async () => {
    const cb = await receiver((n) => n === 2); // the 2nd is never answered
    const dir = tempDir();
    const { box, db } = outbox(1000, dir);
    box.enqueue('job-a', cb.url, '{"a":1}');
    box.enqueue('job-b', cb.url, '{"b":1}');
    await cb.waitFor(() => cb.hits.length === 2);
    await new Promise((r) => setTimeout(r, 50));
    expect(cb.closedSockets).toEqual([]);
    const started = Date.now();
    await box.close();
    expect(Date.now() - started).toBeLessThan(2000); // cut, not waited for (the unanswered one would take 3 s)
    await cb.waitFor(() => cb.closedSockets.length === cb.connections(), 2000);
    expect(db.prepare<[], { job_id: string }>('SELECT job_id FROM callbacks').all()).toEqual([{ job_id: 'job-b' }]);
  });

  it('sends rows left by a previous run in order per job, each when it falls due', async () => {
    const cb = await receiver();
    const dir = tempDir();
    const first = openDb(dir);
    const now = Date.now();
    const insert = first.prepare('INSERT INTO callbacks (job_id, url, body, attempts, next_ms) VALUES (?, ?, ?, ?, ?)');
    insert.run('x', cb.url, 'x1', 0, now - 1000);
    insert.run('y', cb.url, 'y1', 2, now + 700); // a retry waiting for its backoff…
    insert.run('x', cb.url, 'x2', 0, now - 1000);
    insert.run('y', cb.url, 'y2', 0, now - 1000); // …holds back the job's next callback
    insert.run('x', cb.url, 'x3', 0, now - 1000);
    first.close();
    const { box, stats } = outbox(1000, dir);
    box.start();
    await cb.waitFor(() => stats.callbacksSent === 5, 5000);
    const order = cb.hits.map((h) => h.body);
    expect(order.filter((b) => b.startsWith('x'))).toEqual(['x1', 'x2', 'x3']);
    expect(order.slice(3)).toEqual(['y1', 'y2']);
    const y1 = cb.hits.find((h) => h.body === 'y1')!;
    expect(y1.at).toBeGreaterThanOrEqual(now + 650);
    expect(y1.at).toBeLessThan(now + 2500);
    expect(box.pendingCount()).toBe(0);
  });

  it("sends a job's callbacks added while its previous one is under way right after it, in order", async () => {
    const cb = await receiver((n, _req, res) => (n === 1 ? (setTimeout(() => res.writeHead(200).end(), 300), true) : false));
    const { box, stats } = outbox();
    box.enqueue('a', cb.url, 'a1');
    await cb.waitFor(() => cb.hits.length === 1);
    box.enqueue('a', cb.url, 'a2');
    box.enqueue('b', cb.url, 'b1'); // another job's goes out meanwhile
    box.enqueue('a', cb.url, 'a3');
    await cb.waitFor(() => stats.callbacksSent === 4, 3000);
    expect(cb.hits.map((h) => h.body)).toEqual(['a1', 'b1', 'a2', 'a3']);
    expect(cb.hits[2].at - cb.hits[0].at).toBeLessThan(1500);
  });

  it('the engine closes its kept-alive callback connections when it closes', async () => {
    const cb = await receiver();
    const t = await startTestEngine();
    cleanups.push(() => t.stop());
    const job = (
      await t.api.post('/v2/jobs', {
        input: [{ type: 'base64', source: Buffer.from('hello').toString('base64'), filename: 'h.txt' }],
        conversion: [{ target: 'md5' }],
        callback: cb.url,
      })
    ).body;
    await cb.waitFor(() => cb.hits.length === 1);
    expect(JSON.parse(cb.hits[0].body)).toMatchObject({ id: job.id, status: { code: 'completed' } });
    await new Promise((r) => setTimeout(r, 50));
    expect(cb.closedSockets).toEqual([]);
    await t.engine.close();
    await cb.waitFor(() => cb.closedSockets.length === 1, 2000);
  });
});
