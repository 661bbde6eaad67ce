/**
 * The `/v2` API routes. Handlers validate bodies (zod) and delegate to the job service; they
 * never see an unvalidated body.
 */
import type http from 'node:http';
import { z } from 'zod';
import type { TargetSpec } from '../convert/types';
import type { JobRecord } from '../jobs/model';
import { statusInfo } from '../jobs/model';
import { renderConversion, renderInput, renderOutput } from '../jobs/render';
import { conversionPatchSchema, conversionSchema, inputPatchSchema, inputSchema, outputPatchSchema } from '../jobs/schemas';
import type { JobService } from '../jobs/service';
import type { EngineFaults } from '../types';
import { constantTimeEqual } from '../util/secret-box';
import { registerAccountRoutes } from './account-routes';
import { accountFor, createJob, patchJob } from './job-calls';
import { parse, readJson, requireJsonObject } from './body';
import { HttpError, sendJson } from './respond';
import type { Router } from './router';

export interface Ctx {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  params: Record<string, string>;
  url: URL;
}
export type Handler = (c: Ctx) => Promise<void> | void;

export interface ApiDeps {
  service: JobService;
  apiKey: string;
  targets: TargetSpec[];
  maxJsonBytes: number;
  faults: () => EngineFaults;
}

const PAGE_SIZE = 50;

function header(req: http.IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function pageOf(url: URL): number {
  const raw = url.searchParams.get('page');
  if (raw === null) return 1;
  const page = Number(raw);
  if (!Number.isInteger(page) || page < 1) throw new HttpError(400, 'page: must be a positive integer');
  return page;
}

export function registerApiRoutes(router: Router<Handler>, deps: ApiDeps): void {
  const { service } = deps;

  const accountKey = (req: http.IncomingMessage) => header(req, 'x-api2convert-api-key') ?? header(req, 'x-oc-api-key');
  const hasValidKey = (req: http.IncomingMessage) => {
    const key = accountKey(req);
    return key !== undefined && constantTimeEqual(key, deps.apiKey);
  };
  const requireAccount = (req: http.IncomingMessage): string => accountFor(accountKey(req), deps.apiKey);
  /** The job in the path, for the account key or that job's own token. */
  const jobFor = (c: Ctx): JobRecord => {
    if (hasValidKey(c.req)) {
      const job = service.get(c.params.id);
      if (!job) throw new HttpError(404, 'The specified job does not exist');
      return job;
    }
    const token = header(c.req, 'x-api2convert-token') ?? header(c.req, 'x-oc-token');
    if (token === undefined) {
      throw new HttpError(401, accountKey(c.req) === undefined ? 'Missing API key (X-Api2convert-Api-Key)' : 'Invalid API key');
    }
    const job = service.get(c.params.id);
    if (!job) throw new HttpError(404, 'The specified job does not exist');
    if (!constantTimeEqual(token, job.token)) throw new HttpError(401, 'Invalid job token');
    return job;
  };

  registerAccountRoutes(router, { service, targets: deps.targets, maxJsonBytes: deps.maxJsonBytes, requireAccount });

  // ── information ───────────────────────────────────────────────────────────────────────────

  router.add('GET', '/v2/statuses', ({ res }) =>
    sendJson(
      res,
      200,
      Object.entries(statusInfo).map(([code, info]) => ({ code, info })),
    ),
  );

  router.add('GET', '/v2/conversions', ({ res, url }) => {
    const category = url.searchParams.get('category');
    const target = url.searchParams.get('target');
    const page = pageOf(url);
    const all = deps.targets
      .filter((t) => (!category || t.category === category) && (!target || t.target === target.toLowerCase()))
      .map((t) => ({ id: `${t.category}-${t.target}`, category: t.category, target: t.target, options: t.options, inputs: t.inputs }));
    sendJson(res, 200, all.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE), { 'X-Count': all.length });
  });

  router.add('GET', '/v2/contracts', ({ req, res }) => {
    requireAccount(req);
    sendJson(res, 200, [
      {
        id: 'local',
        name: 'Local engine',
        type: 'unlimited',
        status: 'active',
        credits: null,
        unlimited: true,
        limits: { concurrent_jobs: deps.faults().maxConcurrentJobs || null },
      },
    ]);
  });

  // ── jobs ──────────────────────────────────────────────────────────────────────────────────

  router.add('GET', '/v2/jobs', ({ req, res, url }) => {
    const page = pageOf(url);
    const status = url.searchParams.get('status') ?? undefined;
    let jobs: JobRecord[];
    let total: number;
    if (hasValidKey(req)) {
      ({ jobs, total } = service.deps.store.list(status, PAGE_SIZE, (page - 1) * PAGE_SIZE));
    } else {
      const token = header(req, 'x-api2convert-token') ?? header(req, 'x-oc-token');
      if (token === undefined) requireAccount(req);
      const job = service.deps.store.byToken(token!);
      jobs = job && (!status || job.status === status) ? [job] : [];
      total = jobs.length;
    }
    if (jobs.length === 0) return sendJson(res, 204, null, { 'X-Count': total });
    sendJson(
      res,
      200,
      jobs.map((j) => service.render(j)),
      { 'X-Count': total },
    );
  });

  router.add('POST', '/v2/jobs', async ({ req, res }) => {
    const owner = requireAccount(req);
    const raw = await requireJsonObject(req, deps.maxJsonBytes);
    const { job, replayed } = createJob(deps, owner, raw, header(req, 'idempotency-key'));
    sendJson(res, 201, service.render(job), replayed ? { 'Idempotent-Replayed': 'true' } : {});
  });

  router.add('GET', '/v2/jobs/:id', (c) => sendJson(c.res, 200, service.render(jobFor(c))));

  router.add('PATCH', '/v2/jobs/:id', async (c) => {
    const job = jobFor(c);
    sendJson(c.res, 200, service.render(patchJob(deps, job, await requireJsonObject(c.req, deps.maxJsonBytes))));
  });

  router.add('DELETE', '/v2/jobs/:id', (c) => {
    service.cancel(jobFor(c));
    sendJson(c.res, 204, null);
  });

  router.add('GET', '/v2/jobs/:id/history', (c) => sendJson(c.res, 200, jobFor(c).history));
  router.add('GET', '/v2/jobs/:id/threads', (c) => {
    jobFor(c);
    sendJson(c.res, 200, []);
  });

  // ── conversions ───────────────────────────────────────────────────────────────────────────

  router.add('GET', '/v2/jobs/:id/conversions', (c) => sendJson(c.res, 200, jobFor(c).conversions.map(renderConversion)));
  router.add('POST', '/v2/jobs/:id/conversions', async (c) => {
    const job = jobFor(c);
    const spec = parse(conversionSchema, await requireJsonObject(c.req, deps.maxJsonBytes));
    sendJson(c.res, 201, renderConversion(service.addConversion(job, spec)));
  });
  const conversionOf = (c: Ctx) => {
    const job = jobFor(c);
    const conv = job.conversions.find((x) => x.id === c.params.cid);
    if (!conv) throw new HttpError(404, 'The specified conversion does not exist');
    return { job, conv };
  };
  router.add('GET', '/v2/jobs/:id/conversions/:cid', (c) => sendJson(c.res, 200, renderConversion(conversionOf(c).conv)));
  router.add('PATCH', '/v2/jobs/:id/conversions/:cid', async (c) => {
    const { job, conv } = conversionOf(c);
    const patch = parse(conversionPatchSchema, await requireJsonObject(c.req, deps.maxJsonBytes));
    sendJson(c.res, 200, renderConversion(service.patchConversion(job, conv.id, patch)));
  });
  router.add('DELETE', '/v2/jobs/:id/conversions/:cid', (c) => {
    const { job, conv } = conversionOf(c);
    service.deleteConversion(job, conv.id);
    sendJson(c.res, 204, null);
  });

  // ── inputs ────────────────────────────────────────────────────────────────────────────────

  router.add('GET', '/v2/jobs/:id/input', (c) => sendJson(c.res, 200, jobFor(c).inputs.map(renderInput)));
  router.add('POST', '/v2/jobs/:id/input', async (c) => {
    const job = jobFor(c);
    const body = await readJson(c.req, deps.maxJsonBytes);
    if (body === undefined) throw new HttpError(400, 'The JSON body is empty');
    if (Array.isArray(body)) {
      if (body.length === 0) throw new HttpError(400, 'The input array is empty');
      const specs = parse(z.array(inputSchema).max(1000), body);
      sendJson(c.res, 201, service.addInputs(job, specs).map(renderInput));
      return;
    }
    if (body === null || typeof body !== 'object') {
      throw new HttpError(400, 'The JSON body must be an input object or an array of input objects');
    }
    const spec = parse(inputSchema, body);
    sendJson(c.res, 201, renderInput(service.addInputs(job, [spec])[0]));
  });
  const inputOf = (c: Ctx) => {
    const job = jobFor(c);
    const input = job.inputs.find((x) => x.id === c.params.fid);
    if (!input) throw new HttpError(404, 'The specified input does not exist');
    return { job, input };
  };
  router.add('GET', '/v2/jobs/:id/input/:fid', (c) => sendJson(c.res, 200, renderInput(inputOf(c).input)));
  router.add('PATCH', '/v2/jobs/:id/input/:fid', async (c) => {
    const { job, input } = inputOf(c);
    const patch = parse(inputPatchSchema, await requireJsonObject(c.req, deps.maxJsonBytes));
    sendJson(c.res, 200, renderInput(service.patchInput(job, input.id, patch)));
  });
  router.add('DELETE', '/v2/jobs/:id/input/:fid', (c) => {
    const { job, input } = inputOf(c);
    service.deleteInput(job, input.id);
    sendJson(c.res, 204, null);
  });

  // ── outputs ───────────────────────────────────────────────────────────────────────────────

  router.add('GET', '/v2/jobs/:id/output', (c) => {
    const job = jobFor(c);
    const conversionId = c.url.searchParams.get('conversion_id');
    const inputId = c.url.searchParams.get('input_id');
    const outputs = job.outputs.filter((o) => (!conversionId || o.conversionId === conversionId) && (!inputId || o.inputIds.includes(inputId)));
    sendJson(
      c.res,
      200,
      outputs.map((o) => renderOutput(service.deps.ctx, job.id, o)),
    );
  });
  const outputOf = (c: Ctx) => {
    const job = jobFor(c);
    const output = job.outputs.find((x) => x.id === c.params.fid);
    if (!output) throw new HttpError(404, 'The specified output does not exist');
    return { job, output };
  };
  router.add('GET', '/v2/jobs/:id/output/:fid', (c) => {
    const { job, output } = outputOf(c);
    sendJson(c.res, 200, renderOutput(service.deps.ctx, job.id, output));
  });
  router.add('PATCH', '/v2/jobs/:id/output/:fid', async (c) => {
    const { job, output } = outputOf(c);
    const patch = parse(outputPatchSchema, await requireJsonObject(c.req, deps.maxJsonBytes));
    if (patch.filename !== undefined) {
      const ext = output.filename.includes('.') ? output.filename.slice(output.filename.lastIndexOf('.')) : '';
      const base = patch.filename.replace(/[\u0000-\u001f"'\\/]/g, '').trim();
      if (!base || /^\.+$/.test(base)) throw new HttpError(400, 'filename: is not a usable file name');
      output.filename = base + ext;
    }
    if (patch.download_password !== undefined) {
      service.patch(job, { download_passwords: [patch.download_password] });
    }
    service.touch(job);
    sendJson(c.res, 200, renderOutput(service.deps.ctx, job.id, output));
  });
  router.add('DELETE', '/v2/jobs/:id/output/:fid', (c) => {
    const { job, output } = outputOf(c);
    service.deleteOutput(job, output.id);
    sendJson(c.res, 204, null);
  });
}
