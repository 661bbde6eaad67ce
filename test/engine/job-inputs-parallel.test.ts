/**
 * A job's inputs convert side by side (as many at once as there are conversion slots), its
 * outputs still list in input order, and a failure stops the inputs not yet started.
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as realConvert from '../../engine/convert/index';
import { ConversionError, type ConvertRequest } from '../../engine/convert/types';
import type { ConvertModule } from '../../engine/jobs/modules';
import { startTestEngine, type TestEngine } from './support/engine';
import { specMissing } from './support/openapi';

const missing = specMissing();
if (missing) console.warn(`SKIPPED parallel input tests: ${missing}`);

/** What the converter saw: inputs entered, inputs finished, how many ran at once at most. */
interface Watch {
  started: string[];
  finished: string[];
  peak: number;
  /** Waits for another conversion that never came (what a one-at-a-time runner would do). */
  gaveUp: string[];
}

describe.skipIf(!!missing)('a job with several inputs', () => {
  let t: TestEngine;
  let watch: Watch;
  let png: Buffer;
  /** Per input filename: what its conversion waits for first, or throws. */
  let steer: Record<string, { waitFor?: string; fail?: boolean }>;

  const wrapped: ConvertModule = {
    ...realConvert,
    async convert(req: ConvertRequest) {
      const name = req.inputFilename;
      watch.started.push(name);
      const running = watch.started.length - watch.finished.length;
      watch.peak = Math.max(watch.peak, running);
      try {
        const rule = steer[name] ?? {};
        if (rule.waitFor) {
          const other = rule.waitFor;
          const deadline = Date.now() + 8000;
          while (!watch.finished.includes(other)) {
            if (Date.now() > deadline) {
              watch.gaveUp.push(name);
              break;
            }
            await new Promise((r) => setTimeout(r, 10));
          }
        }
        if (rule.fail) throw new ConversionError(`${name} is not convertible here`);
        return await realConvert.convert(req);
      } finally {
        watch.finished.push(name);
      }
    },
  };

  const b64 = (filename: string) => ({ type: 'base64', source: png.toString('base64'), filename });

  beforeAll(async () => {
    png = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#3366aa' } })
      .png()
      .toBuffer();
    t = await startTestEngine({ maxConcurrentConversions: 2 }, { convert: wrapped });
  });
  afterAll(async () => {
    await t?.stop();
  });

  const fresh = (rules: typeof steer) => {
    watch = { started: [], finished: [], peak: 0, gaveUp: [] };
    steer = rules;
  };

  it('converts two at once and lists the outputs in input order, not finishing order', async () => {
    // a waits until b has finished: only possible when b runs beside a.
    fresh({ 'a.png': { waitFor: 'b.png' } });
    const names = ['a.png', 'b.png', 'c.png', 'd.png'];
    const created = await t.api.post('/v2/jobs', { input: names.map(b64), conversion: [{ target: 'jpg' }] });
    expect(created.status).toBe(201);
    const job = await t.api.waitFor(created.body.id, { timeoutMs: 20_000 });
    expect(job.status.code).toBe('completed');
    expect(watch.gaveUp).toEqual([]);
    expect(watch.peak).toBe(2);
    expect(watch.finished.indexOf('b.png')).toBeLessThan(watch.finished.indexOf('a.png'));
    const inputIds = job.input.map((i: { id: string }) => i.id);
    expect(job.output.map((o: { source: { input: string[] } }) => o.source.input[0])).toEqual(inputIds);
    for (const output of job.output) {
      const file = await t.api.download(output.uri);
      expect((await sharp(file.data).metadata()).format).toBe('jpeg');
    }
  });

  it('stops starting inputs after a failed one when the job fails on conversion errors', async () => {
    // a fails at once; b (already started beside it) finishes; c to f never start.
    fresh({ 'a.png': { fail: true }, 'b.png': { waitFor: 'a.png' } });
    const names = ['a.png', 'b.png', 'c.png', 'd.png', 'e.png', 'f.png'];
    const created = await t.api.post('/v2/jobs', { input: names.map(b64), conversion: [{ target: 'jpg' }] });
    const job = await t.api.waitFor(created.body.id, { timeoutMs: 20_000 });
    expect(job.status.code).toBe('failed');
    expect(job.errors.map((e: { message: string }) => e.message).join(' ')).toMatch(/a\.png is not convertible here/);
    expect(watch.started.sort()).toEqual(['a.png', 'b.png']);
    // Nothing is left converting once the job has failed.
    expect(watch.finished.length).toBe(watch.started.length);
  });

  it('converts every other input when failures are allowed', async () => {
    fresh({ 'c.png': { fail: true } });
    const names = ['a.png', 'b.png', 'c.png', 'd.png', 'e.png'];
    const created = await t.api.post('/v2/jobs', { fail_on_conversion_error: false, input: names.map(b64), conversion: [{ target: 'jpg' }] });
    const job = await t.api.waitFor(created.body.id, { timeoutMs: 20_000 });
    expect(job.status.code).toBe('completed');
    expect(watch.started.sort()).toEqual(names);
    const inputIds = job.input.map((i: { id: string }) => i.id);
    expect(job.output.map((o: { source: { input: string[] } }) => o.source.input[0])).toEqual(inputIds.filter((_: string, i: number) => i !== 2));
    expect(job.errors).toHaveLength(1);
  });
});
