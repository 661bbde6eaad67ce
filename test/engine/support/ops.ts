/** Helpers for the operation tests: run a job of base64 inputs to the end and fetch its outputs. */
import { expect } from 'vitest';
import type { Api } from './api';

export interface FileIn {
  name: string;
  data: Buffer;
}

export interface Finished {
  job: any;
  outputs: Array<{ filename: string; data: Buffer; meta: any }>;
}

/** Creates a job from base64 inputs and one conversion, waits for its end, downloads every output. */
export async function runJob(
  api: Api,
  files: FileIn[],
  conversion: Record<string, unknown>,
  opts: { timeoutMs?: number; expect?: 'completed' | 'failed' } = {},
): Promise<Finished> {
  const created = await api.post('/v2/jobs', {
    input: files.map((f) => ({ type: 'base64', source: f.data.toString('base64'), filename: f.name })),
    conversion: [conversion],
  });
  expect(created.status, created.text).toBe(201);
  const job = await api.waitFor(created.body.id, { timeoutMs: opts.timeoutMs ?? 60_000 });
  expect(job.status.code, JSON.stringify(job.errors)).toBe(opts.expect ?? 'completed');
  const outputs = [];
  for (const meta of job.output) {
    const got = await api.download(meta.uri);
    expect(got.status).toBe(200);
    outputs.push({ filename: meta.filename, data: got.data, meta });
  }
  return { job, outputs };
}
