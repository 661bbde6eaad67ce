/**
 * Website capture: a remote input with `engine: "screenshot"` is rendered by Debian's Chromium
 * (PNG at screen_width × screen_height, or a PDF), then converted like any input. Pages that hang
 * or redirect forever fail the input with a clear message; the engine stays up.
 */
import { PDFDocument } from 'pdf-lib';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasChromium, NO_CHROMIUM_MESSAGE } from '../support/chromium';
import { startTestEngine, type TestEngine } from './support/engine';
import { specMissing } from './support/openapi';
import { startFileServer, type FileServer } from './support/servers';

const missing = specMissing() ?? (hasChromium ? undefined : NO_CHROMIUM_MESSAGE);
if (missing) console.warn(`SKIPPED screenshot tests: ${missing}`);

const PAGE = `<!doctype html><html><head><style>html,body{margin:0;background:#ff0000}</style></head><body><h1>Convoy</h1></body></html>`;

describe.skipIf(!!missing)('website capture (input engine "screenshot")', () => {
  let t: TestEngine;
  let files: FileServer;

  beforeAll(async () => {
    files = await startFileServer();
    files.set('/page', { body: PAGE, headers: { 'Content-Type': 'text/html' } });
    files.set('/loop', { status: 302, headers: { Location: '/loop' } });
    files.set('/slow', { body: PAGE, delayMs: 20_000 });
    t = await startTestEngine({ limits: { remoteConnectTimeoutMs: 2_000, remoteTimeoutMs: 20_000 } });
  }, 30_000);
  afterAll(async () => {
    await t?.stop();
    await files?.close();
  });

  async function capture(source: string, target: string, options: Record<string, unknown> = {}, engine = 'screenshot') {
    const created = await t.api.post('/v2/jobs', {
      input: [{ type: 'remote', source, engine, options }],
      conversion: [{ category: target === 'pdf' ? 'document' : 'image', target }],
    });
    expect(created.status).toBe(201);
    return t.api.waitFor(created.body.id, { timeoutMs: 60_000 });
  }

  it('renders the page to a PNG of exactly screen_width × screen_height (the SDK example body)', async () => {
    const job = await capture(`${files.url}/page`, 'png', { screen_width: 800, screen_height: 600, device_scale_factor: 1 });
    expect(job.status.code, JSON.stringify(job.errors)).toBe('completed');
    expect(job.input[0]).toMatchObject({ engine: 'screenshot', filename: '127.0.0.1.png' });
    const got = await t.api.download(job.output[0].uri);
    const meta = await sharp(got.data).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 800, 600]);
    const { data } = await sharp(got.data).raw().toBuffer({ resolveWithObject: true });
    const px = (590 * 800 + 790) * meta.channels!; // a corner: the page's red background
    expect([data[px], data[px + 1], data[px + 2]]).toEqual([255, 0, 0]);
  }, 70_000);

  it('captures to jpg and to a PDF (printed by Chromium)', async () => {
    const jpg = await capture(`${files.url}/page`, 'jpg', { screen_width: 640, screen_height: 480 });
    expect(jpg.status.code, JSON.stringify(jpg.errors)).toBe('completed');
    const jm = await sharp((await t.api.download(jpg.output[0].uri)).data).metadata();
    expect([jm.format, jm.width, jm.height]).toEqual(['jpeg', 640, 480]);

    const pdf = await capture(`${files.url}/page`, 'pdf');
    expect(pdf.status.code, JSON.stringify(pdf.errors)).toBe('completed');
    const doc = await PDFDocument.load((await t.api.download(pdf.output[0].uri)).data);
    expect(doc.getPageCount()).toBeGreaterThanOrEqual(1);
  }, 90_000);

  it('fails a page that redirects forever, and one that does not answer, with clear messages', async () => {
    const loop = await capture(`${files.url}/loop`, 'png');
    expect(loop.status.code).toBe('failed');
    expect(loop.errors[0]).toMatchObject({ source: 'input', message: 'The page 127.0.0.1:' + new URL(files.url).port + ' redirects more than 10 times' });
    const slow = await capture(`${files.url}/slow`, 'png');
    expect(slow.status.code).toBe('failed');
    expect(slow.errors[0].message).toMatch(/did not answer within 2 s/);
    expect(slow.errors[0].code).toBe(408);
    // The engine is still up.
    expect((await t.api.get('/v2/statuses')).status).toBe(200);
  }, 60_000);
});
