/**
 * Peak memory while uploading a 2 GB file through Convoy's client to the local engine.
 *
 *   npx tsx bench/upload-rss.ts [--gb 2] [--mode chunked|single|both]
 *
 * The file is sparse (created here, no disk used until read). The engine runs in a child process
 * so the numbers are the client's alone. RSS is sampled every 20 ms; printed: baseline, peak, peak
 * growth, and the peak as a fraction of the file size (streams, not buffers: it should be tiny).
 */
import { fork, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Api2ConvertClient, DEFAULT_CHUNK_SIZE } from '../main/api/index';

const self = fileURLToPath(import.meta.url);

async function engineChild(): Promise<void> {
  const { createEngine } = await import('../engine/index');
  const dataDir = process.env.CONVOY_BENCH_ENGINE_DIR!;
  const engine = await createEngine({ port: 0, dataDir, apiKey: process.env.CONVOY_BENCH_KEY! }, { log: () => {} });
  process.send?.({ baseUrl: engine.baseUrl });
  process.on('message', async (m) => {
    if (m === 'close') {
      await engine.close();
      process.exit(0);
    }
  });
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;

async function main(): Promise<void> {
  const gb = Number(arg('gb', '2'));
  const mode = arg('mode', 'both');
  const size = Math.round(gb * 1024 ** 3);
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'convoy-bench-rss-'));
  const file = path.join(workDir, 'big-input.bin');
  // Sparse: a hole of `size` bytes reads as zeros without taking disk space.
  const fd = fs.openSync(file, 'w');
  fs.ftruncateSync(fd, size);
  fs.closeSync(fd);
  const key = crypto.randomBytes(24).toString('hex');
  const child: ChildProcess = fork(self, ['--engine-child'], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, CONVOY_BENCH_ENGINE_DIR: path.join(workDir, 'engine'), CONVOY_BENCH_KEY: key },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const baseUrl = await new Promise<string>((resolve, reject) => {
    child.once('message', (m) => resolve((m as { baseUrl: string }).baseUrl));
    child.once('exit', (code) => reject(new Error(`engine child exited (${code})`)));
  });
  const client = new Api2ConvertClient({ baseUrl: `${baseUrl}/v2`, apiKey: key });
  const modes = mode === 'both' ? ['chunked', 'single'] : [mode];
  console.log(`upload RSS: ${mb(size)} sparse file, engine in a separate process, modes: ${modes.join(', ')}`);
  try {
    for (const m of modes) {
      if (typeof global.gc === 'function') global.gc();
      const baseline = process.memoryUsage().rss;
      let peak = baseline;
      const sampler = setInterval(() => {
        peak = Math.max(peak, process.memoryUsage().rss);
      }, 20);
      const started = performance.now();
      const job = await client.createJob({ process: false, conversion: [{ target: 'png' }] });
      let lastPct = -1;
      const input = await client.uploadFile({ id: job.id, server: job.server!, token: job.token! }, file, {
        chunkSize: m === 'chunked' ? DEFAULT_CHUNK_SIZE : size + 1,
        uploadUuid: m === 'chunked' ? `rss-${job.id}` : undefined,
        onProgress: (sent, total) => {
          const pct = Math.floor((sent / total) * 10);
          if (pct !== lastPct && process.stdout.isTTY) {
            lastPct = pct;
            process.stdout.write(`\x1b[2K  ${m}: ${pct * 10}%\r`);
          }
        },
      });
      clearInterval(sampler);
      peak = Math.max(peak, process.memoryUsage().rss);
      const secs = (performance.now() - started) / 1000;
      if (input.size !== size) throw new Error(`engine holds ${input.size} bytes, expected ${size}`);
      if (process.stdout.isTTY) process.stdout.write('\x1b[2K');
      console.log(
        `${m.padEnd(8)} peak RSS ${mb(peak)} (baseline ${mb(baseline)}, growth ${mb(peak - baseline)}); ` +
          `peak / file size = ${((peak / size) * 100).toFixed(2)} %; growth / file size = ${(((peak - baseline) / size) * 100).toFixed(3)} %; ` +
          `${(size / 1024 / 1024 / secs).toFixed(0)} MiB/s`,
      );
      await client.deleteJob(job.id).catch(() => {});
    }
  } finally {
    client.close();
    child.send('close');
    await new Promise((r) => child.once('exit', r));
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

if (process.argv.includes('--engine-child')) {
  void engineChild();
} else {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
