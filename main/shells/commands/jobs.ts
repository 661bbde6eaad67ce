/**
 * Server-side jobs, as the official CLI: `convoy jobs list|status|wait|download|cancel`, the
 * `--async` start behind `convoy convert --async` (prints the job ids), and `convoy credits`.
 * These talk to the API directly (no queue): a job started with --async is the API's to run.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Api2ConvertClient } from '../../api/index';
import { isTerminal, type Job } from '../../api/types';
import type { ConversionOptions } from '../../../preload/contract';
import { apiFlagOptions, ExitCode, UsageError, parseFlags, type CliCommand, type CliIO } from '../cli-types';
import { CliFailure, reportFailure } from '../cli-errors';
import { apiFlagsHelp, openApiSession } from './api-session';
import { parseCount } from './convert';

const jobsUsage = `Usage: convoy jobs <subcommand> [options]

Works with jobs on the API (e.g. those started with "convoy convert --async").

Subcommands:
  list [--status <s>] [--page <n>]      Your recent jobs (50 per page)
  status <job-id>                       A job's status, inputs, outputs and messages
  wait <job-id> [--timeout <seconds>]   Wait until the job ends (exit 6 if it failed, 7 on timeout)
  download <job-id> [--out <dir>]       Save a finished job's outputs (default: the current folder)
  cancel <job-id>                       Cancel a job

Options:
  --json                         Print JSON
${apiFlagsHelp}`;

const creditsUsage = `Usage: convoy credits [options]

Shows your remaining conversion credits and plan ("GET /contracts"; the local engine answers
with an unlimited contract).

Options:
  --json                         Print JSON
${apiFlagsHelp}`;

function jobDoc(j: Job) {
  return {
    id: j.id,
    status: j.status?.code,
    info: j.status?.info,
    input: (j.input ?? []).map((i) => ({ id: i.id, filename: i.filename })),
    output: (j.output ?? []).map((o) => ({ id: o.id, filename: o.filename, size: o.size })),
    errors: (j.errors ?? []).map((e) => ({ code: e.code, message: e.message })),
  };
}

function jobText(j: Job): string {
  const lines = [`Job:     ${j.id}`, `Status:  ${j.status?.code ?? '?'}`];
  if (j.status?.info) lines.push(`Info:    ${j.status.info}`);
  for (const i of j.input ?? []) lines.push(`Input:   ${i.filename ?? i.id}`);
  for (const o of j.output ?? []) lines.push(`Output:  ${o.filename ?? o.id} (${o.size ?? '?'} bytes)`);
  for (const e of j.errors ?? []) lines.push(`✗ ${e.message ?? 'error'}`);
  for (const w of j.warnings ?? []) lines.push(`! ${w.message ?? 'warning'}`);
  return `${lines.join('\n')}\n`;
}

/** A file name that stays inside the folder, and is free there. */
function freePath(dir: string, name: string | undefined, id: string, taken: Set<string>): string {
  const base = path.basename((name ?? '').replace(/\\/g, '/')).replace(/^\.+/, '') || path.basename(id).replace(/^\.+/, '') || 'output';
  const ext = path.extname(base);
  const stem = base.slice(0, base.length - ext.length);
  for (let i = 0; ; i++) {
    const p = path.join(dir, i ? `${stem} (${i})${ext}` : base);
    if (!taken.has(p) && !fs.existsSync(p)) return p;
  }
}

async function jobs(argv: string[], io: CliIO): Promise<number> {
  const parsed = parseFlags(argv, {
    ...apiFlagOptions,
    json: { type: 'boolean' },
    status: { type: 'string' },
    page: { type: 'string' },
    timeout: { type: 'string' },
    out: { type: 'string', short: 'o' },
  });
  const { values, positionals } = parsed;
  const json = Boolean(values.json);
  const [sub, ...args] = positionals;
  const subs = ['list', 'status', 'wait', 'download', 'cancel'];
  if (!sub || !subs.includes(sub)) throw new UsageError(`Give a subcommand: ${subs.join(', ')}`);
  if (sub === 'list' ? args.length !== 0 : args.length !== 1)
    throw new UsageError(sub === 'list' ? `Unexpected argument '${args[0]}'` : `jobs ${sub} takes one job id`);
  const page = parseCount('--page', values.page, 1, 100_000) ?? 1;
  const timeout = parseCount('--timeout', values.timeout, 1, 7 * 24 * 3600);
  const out = (s: string) => io.stdout.write(s);
  let session;
  try {
    session = await openApiSession(values, io);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    return reportFailure(io, 'jobs', err, json);
  }
  const client = session.client;
  try {
    if (sub === 'list') {
      const list = await client.listJobs({ page, status: values.status });
      if (json)
        out(
          `${JSON.stringify(
            list.map((j) => ({ id: j.id, status: j.status?.code, outputs: (j.output ?? []).length })),
            null,
            2,
          )}\n`,
        );
      else
        out(
          `${['ID                                    STATUS      OUTPUTS', ...list.map((j) => `${j.id.padEnd(38)}${String(j.status?.code ?? '').padEnd(12)}${(j.output ?? []).length}`)].join('\n')}\n`,
        );
      return ExitCode.ok;
    }
    const id = args[0];
    if (sub === 'status') {
      const job = await client.getJob(id);
      out(json ? `${JSON.stringify(jobDoc(job), null, 2)}\n` : jobText(job));
      return ExitCode.ok;
    }
    if (sub === 'cancel') {
      await client.deleteJob(id);
      out(json ? `${JSON.stringify({ ok: true, canceled: id })}\n` : `Canceled ${id}\n`);
      return ExitCode.ok;
    }
    if (sub === 'wait') {
      const ctrl = new AbortController();
      const timer = timeout ? setTimeout(() => ctrl.abort(), timeout * 1000) : null;
      let job: Job;
      try {
        job = await client.waitForJob(id, { signal: ctrl.signal });
      } catch (err) {
        if (ctrl.signal.aborted) {
          throw new CliFailure(
            `Still processing after ${timeout} s. Job ${id} runs on; check "convoy jobs status ${id}" later.`,
            ExitCode.timeout,
            'TimeoutError',
            { job_id: id },
          );
        }
        throw err;
      } finally {
        if (timer) clearTimeout(timer);
      }
      out(json ? `${JSON.stringify(jobDoc(job), null, 2)}\n` : jobText(job));
      if (job.status?.code === 'failed') return ExitCode.conversion;
      return job.status?.code === 'completed' ? ExitCode.ok : ExitCode.failed;
    }
    // download
    const job = await client.getJob(id);
    if (!isTerminal(job)) throw new CliFailure(`Job ${id} has not finished (${job.status?.code}); run "convoy jobs wait ${id}" first`, ExitCode.failed);
    const outputs = job.output ?? [];
    if (outputs.length === 0) throw new CliFailure(`Job ${id} has no output files`, job.status?.code === 'failed' ? ExitCode.conversion : ExitCode.validation);
    const dir = path.resolve(values.out ?? '.');
    fs.mkdirSync(dir, { recursive: true });
    const taken = new Set<string>();
    const written: string[] = [];
    for (const o of outputs) {
      const dest = freePath(dir, o.filename ?? undefined, o.id, taken);
      taken.add(dest);
      await client.downloadOutput(o, dest);
      written.push(dest);
    }
    out(json ? `${JSON.stringify({ ok: true, job_id: id, files: written }, null, 2)}\n` : `${written.map((p) => `✓ ${p}`).join('\n')}\n`);
    return ExitCode.ok;
  } catch (err) {
    return reportFailure(io, `jobs ${sub}`, err, json);
  } finally {
    await session.close();
  }
}

async function credits(argv: string[], io: CliIO): Promise<number> {
  const { values } = parseFlags(argv, { ...apiFlagOptions, json: { type: 'boolean' } }, { positionals: false });
  const json = Boolean(values.json);
  let session;
  try {
    session = await openApiSession(values, io);
    const contracts = await session.client.getContracts();
    if (json) io.stdout.write(`${JSON.stringify(contracts, null, 2)}\n`);
    else {
      const lines = [`API: ${session.name}`];
      for (const c of contracts as Array<Record<string, unknown>>) {
        for (const [k, v] of Object.entries(c).sort(([a], [b]) => a.localeCompare(b)))
          lines.push(`  ${k.padEnd(14)}${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
        lines.push('');
      }
      io.stdout.write(`${lines.join('\n')}\n`);
    }
    return ExitCode.ok;
  } catch (err) {
    if (err instanceof UsageError) throw err;
    return reportFailure(io, 'credits', err, json);
  } finally {
    await session?.close();
  }
}

/**
 * `convert --async`: one job per input, started and left to the API; returns the job ids. A local
 * file is uploaded first (the job starts once it is in).
 */
export async function startAsyncJobs(
  client: Api2ConvertClient,
  inputs: Array<{ kind: 'file'; path: string } | { kind: 'url'; url: string }>,
  target: string,
  options: ConversionOptions,
): Promise<Array<{ input: string; job_id: string }>> {
  const started: Array<{ input: string; job_id: string }> = [];
  for (const input of inputs) {
    const conversion = [{ target, ...(Object.keys(options).length ? { options } : {}) }];
    if (input.kind === 'url') {
      const job = await client.createJob({ input: [{ type: 'remote', source: input.url }], conversion, process: true });
      started.push({ input: input.url, job_id: job.id });
      continue;
    }
    const stat = await fs.promises.stat(input.path).catch(() => null);
    if (!stat?.isFile()) throw new CliFailure(`File not found: ${input.path}`, ExitCode.validation, 'NotFoundError');
    const job = await client.createJob({ conversion, process: false });
    try {
      await client.uploadFile({ id: job.id, server: job.server!, token: job.token! }, input.path);
      await client.patchJob(job.id, { process: true });
    } catch (err) {
      await client.deleteJob(job.id).catch(() => {}); // no half-made job left behind
      throw err;
    }
    started.push({ input: input.path, job_id: job.id });
  }
  return started;
}

export const jobsCommand: CliCommand = { name: 'jobs', summary: 'Jobs on the API: list, status, wait, download, cancel', usage: jobsUsage, run: jobs };
export const creditsCommand: CliCommand = { name: 'credits', summary: 'Show your remaining conversion credits and plan', usage: creditsUsage, run: credits };
