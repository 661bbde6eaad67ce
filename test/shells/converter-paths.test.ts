/**
 * Converter paths set in Settings reach the in-process local engine at once: a missing path is
 * refused with its name, and a set LibreOffice is the one the next document conversion runs.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createCore, type Core } from '../../main/core';

let tmp: string;
let core: Core;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'convoy-tools-'));
  core = await createCore({ shell: 'electron', dataDir: path.join(tmp, 'data'), secretsBackend: 'memory', queue: { outputDir: tmp } });
}, 60_000);
afterAll(async () => {
  await core?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function settle(itemId: string): Promise<string> {
  for (let i = 0; i < 600; i++) {
    const { items } = await core.handlers['queue.list']({ offset: 0, limit: 100 });
    const item = items.find((v) => v.id === itemId)!;
    if (['done', 'failed', 'canceled'].includes(item.state)) return item.state;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('item did not finish');
}

it('refuses a converter path that does not exist, naming it', async () => {
  await expect(core.handlers['settings.update']({ ffmpegPath: path.join(tmp, 'no', 'ffmpeg') })).rejects.toThrow(/ffmpeg not found at .*no\/ffmpeg/);
  expect(core.settings.get().ffmpegPath).toBeNull();
});

it('a LibreOffice folder set in Settings is the one the next document conversion runs', async () => {
  const folder = path.join(tmp, 'my-libreoffice', 'program');
  fs.mkdirSync(folder, { recursive: true });
  const marker = path.join(tmp, 'ran-with.txt');
  // A stand-in soffice that says it was run (and with what), then fails like a broken install.
  fs.writeFileSync(path.join(folder, 'soffice'), `#!/bin/sh\necho "$@" > ${JSON.stringify(marker)}\nexit 3\n`, { mode: 0o755 });
  const view = await core.handlers['settings.update']({ sofficePath: folder });
  expect(view.sofficePath).toBe(folder);
  const doc = path.join(tmp, 'letter.txt');
  fs.writeFileSync(doc, 'Dear Convoy,\nplease convert me.\n');
  const added = await core.handlers['queue.add']({ items: [{ source: { kind: 'file', path: doc } }], target: 'pdf' });
  await core.handlers['queue.start']({ itemIds: added.itemIds });
  expect(await settle(added.itemIds[0])).toBe('failed');
  expect(fs.readFileSync(marker, 'utf8')).toMatch(/--convert-to/);
});
