/** `convoy convert --async`: start one job per input on the API, print the job ids, and exit. */
import type { AddItem, ConversionOptions } from '../../../preload/contract';
import { ExitCode, UsageError, type CliIO } from '../cli-types';
import { reportFailure } from '../cli-errors';
import { openApiSession } from './api-session';
import { startAsyncJobs } from './jobs';

export async function runAsync(
  values: { engine?: string; 'api-key'?: string; 'data-dir'?: string; json?: boolean },
  items: AddItem[],
  target: string,
  options: ConversionOptions,
  io: CliIO,
): Promise<number> {
  const inputs = items.map((i) => {
    if (i.source.kind === 'file') return { kind: 'file' as const, path: i.source.path };
    if (i.source.kind === 'url') return { kind: 'url' as const, url: i.source.url };
    throw new UsageError('--async takes files and URLs');
  });
  const json = Boolean(values.json);
  let session;
  try {
    session = await openApiSession(values, io);
    const jobs = await startAsyncJobs(session.client, inputs, target, options);
    if (json) io.stdout.write(`${JSON.stringify({ ok: true, async: true, jobs }, null, 2)}\n`);
    else for (const j of jobs) io.stdout.write(`Started ${j.job_id} (not waiting)\n  check:  convoy jobs status ${j.job_id}\n`);
    return ExitCode.ok;
  } catch (err) {
    if (err instanceof UsageError) throw err;
    return reportFailure(io, 'convert', err, json);
  } finally {
    await session?.close();
  }
}
