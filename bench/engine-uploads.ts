/**
 * The engine's CPU per upload, alone: N jobs are created in-process (process: false, so nothing
 * converts), then a client process sends one multipart upload per job over HTTP (streamed from
 * disk, keep-alive, `--in-flight` at once). Prints the engine's CPU per upload (user + kernel) and
 * the client's, for A/B runs of the upload receive path.
 *
 *   npx tsx bench/engine-uploads.ts [--uploads 300] [--kib 690] [--in-flight 8]
 */
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i !== -1 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const KEY = 'bench-engine-uploads-key';

/** The client: plain Node (no tsx), so that only the uploads run in it. */
const CLIENT = `
const http = require('node:http');
const fs = require('node:fs');
const { jobs, file, inFlight } = JSON.parse(process.argv[1]);
const agent = new http.Agent({ keepAlive: true, maxSockets: inFlight });
const size = fs.statSync(file).size;
const upload = (job, i) => new Promise((resolve, reject) => {
  const boundary = '----benchUpload' + i;
  const head = '--' + boundary + '\\r\\nContent-Disposition: form-data; name="file"; filename="photo.jpg"\\r\\nContent-Type: image/jpeg\\r\\n\\r\\n';
  const tail = '\\r\\n--' + boundary + '--\\r\\n';
  const req = http.request(job.server + '/upload-file/' + job.id, { method: 'POST', agent, headers: {
    'X-Api2convert-Token': job.token, 'Content-Type': 'multipart/form-data; boundary=' + boundary,
    'Content-Length': Buffer.byteLength(head) + size + Buffer.byteLength(tail) } }, (res) => {
    const chunks = [];
    res.on('data', (c) => chunks.push(c));
    res.on('end', () => res.statusCode === 201 ? resolve() : reject(new Error(res.statusCode + ' ' + Buffer.concat(chunks))));
  });
  req.on('error', reject);
  req.write(head);
  const rs = fs.createReadStream(file);
  rs.pipe(req, { end: false });
  rs.on('end', () => req.end(tail));
});
(async () => {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: inFlight }, async () => { while (next < jobs.length) { const i = next++; await upload(jobs[i], i); } }));
  const cpu = process.cpuUsage(cpu0);
  agent.destroy();
  process.stdout.write(JSON.stringify({ seconds: (performance.now() - t0) / 1000, cpuMicros: cpu.user + cpu.system }));
})().catch((e) => { console.error(e); process.exit(1); });
`;

async function main(): Promise<void> {
  const uploads = Number(arg('uploads', '300'));
  const kib = Number(arg('kib', '690'));
  const inFlight = Number(arg('in-flight', '8'));
  const dir = await mkdtemp(path.join(os.tmpdir(), 'convoy-bench-uploads-'));
  const { createEngine } = await import('../engine/index');
  const engine = await createEngine({ port: 0, dataDir: path.join(dir, 'engine'), apiKey: KEY }, { log: () => {} });
  try {
    const file = path.join(dir, 'photo.jpg');
    await writeFile(file, crypto.randomBytes(kib * 1024));
    const jobs = Array.from({ length: uploads }, () => {
      const { job } = engine.local!.createJob!(KEY, { process: false, conversion: [{ target: 'md5' }] });
      return { id: job.id, token: job.token, server: job.server };
    });
    const cpu0 = process.cpuUsage();
    const { stdout } = await run(process.execPath, ['-e', CLIENT, JSON.stringify({ jobs, file, inFlight })], { maxBuffer: 1 << 20 });
    const cpu = process.cpuUsage(cpu0);
    const client = JSON.parse(stdout) as { seconds: number; cpuMicros: number };
    const per = (micros: number) => (micros / 1000 / uploads).toFixed(2);
    console.log(
      `${uploads} uploads of ${kib} KiB, ${inFlight} in flight: ${(uploads / client.seconds).toFixed(1)} uploads/s · ` +
        `CPU per upload: engine ${per(cpu.user + cpu.system)} ms (kernel ${per(cpu.system)} ms) + client ${per(client.cpuMicros)} ms`,
    );
  } finally {
    await engine.close();
    await rm(dir, { recursive: true, force: true });
  }
}

void main();
