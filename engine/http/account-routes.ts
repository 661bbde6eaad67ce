/**
 * Account routes beyond jobs: presets (`/v2/presets`, CRUD per account key) and statistics
 * (`/v2/stats/{day|month|year}/{date}/{filter}`), as openapi.json defines them.
 */
import crypto from 'node:crypto';
import type http from 'node:http';
import { z } from 'zod';
import type { TargetSpec } from '../convert/types';
import { ConversionError } from '../convert/types';
import type { JobService } from '../jobs/service';
import { computeStats, periodRange, type Period } from '../jobs/stats';
import { PresetStore, type PresetRecord } from '../store/preset-store';
import type { Handler } from './api';
import { parse, requireJsonObject } from './body';
import { HttpError, sendJson } from './respond';
import type { Router } from './router';

export interface AccountRouteDeps {
  service: JobService;
  targets: TargetSpec[];
  maxJsonBytes: number;
  /** The caller's owner id (sha256 of the key); throws 401 without a valid key. */
  requireAccount(req: http.IncomingMessage): string;
}

const looseObject = z.preprocess((v) => (Array.isArray(v) && v.length === 0 ? {} : v), z.record(z.unknown()));

const presetCreate = z.object({
  name: z.string().trim().min(1, 'must not be empty').max(200),
  target: z.string().min(1, 'must not be empty'),
  category: z.string().optional(),
  scope: z.enum(['public', 'private']).default('private'),
  options: looseObject.default({}),
});

const presetPatch = z.object({
  name: z.string().trim().min(1, 'must not be empty').max(200).optional(),
  target: z.string().min(1, 'must not be empty').optional(),
  options: looseObject.optional(),
});

export function registerAccountRoutes(router: Router<Handler>, deps: AccountRouteDeps): void {
  const presets = new PresetStore(deps.service.deps.db);

  /** The target's category, after checking the target exists and the options fit it. */
  const checkPreset = (target: string, category: string | undefined, options: Record<string, unknown>): { target: string; category: string } => {
    const name = target.trim().toLowerCase();
    const candidates = deps.targets.filter((t) => t.target === name);
    if (candidates.length === 0) throw new HttpError(400, `target: unknown target '${target}' (GET /v2/conversions lists the targets this engine converts to)`);
    const chosen = category ? candidates.find((t) => t.category === category) : candidates[0];
    if (!chosen) throw new HttpError(400, `category: target '${name}' is not in category '${category}'`);
    try {
      deps.service.deps.convert.normalizeOptions(name, options);
    } catch (err) {
      if (err instanceof ConversionError || (err as Error)?.name === 'ConversionError') throw new HttpError(400, `options: ${(err as Error).message}`);
      throw err;
    }
    return { target: name, category: chosen.category };
  };
  const presetOf = (owner: string, id: string): PresetRecord => {
    const preset = presets.get(owner, id);
    if (!preset) throw new HttpError(404, 'The specified preset does not exist');
    return preset;
  };

  router.add('GET', '/v2/presets', ({ req, res, url }) => {
    const owner = deps.requireAccount(req);
    const category = url.searchParams.get('category');
    const target = url.searchParams.get('target')?.toLowerCase();
    const phrases = (url.searchParams.get('filter') ?? '')
      .split(',')
      .map((p) => p.trim().toLowerCase())
      .filter(Boolean);
    const list = presets
      .list(owner)
      .filter((p) => (!category || p.category === category) && (!target || p.target === target))
      .filter((p) => phrases.length === 0 || phrases.some((ph) => p.name.toLowerCase().includes(ph)));
    sendJson(res, 200, list);
  });

  router.add('POST', '/v2/presets', async ({ req, res }) => {
    const owner = deps.requireAccount(req);
    const spec = parse(presetCreate, await requireJsonObject(req, deps.maxJsonBytes));
    const { target, category } = checkPreset(spec.target, spec.category, spec.options);
    const preset: PresetRecord = { id: crypto.randomUUID(), name: spec.name, target, category, scope: spec.scope, options: spec.options };
    presets.insert(owner, preset);
    sendJson(res, 201, preset);
  });

  router.add('GET', '/v2/presets/:pid', ({ req, res, params }) => sendJson(res, 200, presetOf(deps.requireAccount(req), params.pid)));

  router.add('PATCH', '/v2/presets/:pid', async ({ req, res, params }) => {
    const owner = deps.requireAccount(req);
    const preset = presetOf(owner, params.pid);
    const spec = parse(presetPatch, await requireJsonObject(req, deps.maxJsonBytes));
    const options = spec.options ? { ...preset.options, ...spec.options } : preset.options;
    const targetChanged = spec.target !== undefined && spec.target.trim().toLowerCase() !== preset.target;
    const { target, category } = checkPreset(spec.target ?? preset.target, targetChanged ? undefined : preset.category, options);
    const updated: PresetRecord = { ...preset, name: spec.name ?? preset.name, target, category, options };
    presets.update(owner, updated);
    sendJson(res, 200, updated);
  });

  router.add('DELETE', '/v2/presets/:pid', ({ req, res, params }) => {
    const owner = deps.requireAccount(req);
    if (!presets.delete(owner, params.pid)) throw new HttpError(404, 'The specified preset does not exist');
    sendJson(res, 204, null);
  });

  for (const period of ['day', 'month', 'year'] as Period[]) {
    router.add('GET', `/v2/stats/${period}/:date/:filter`, ({ req, res, params }) => {
      const owner = deps.requireAccount(req);
      if (params.filter !== 'single' && params.filter !== 'all') throw new HttpError(400, `filter: must be single or all, got '${params.filter.slice(0, 40)}'`);
      const range = periodRange(period, params.date);
      if (typeof range === 'string') throw new HttpError(400, range);
      deps.service.deps.store.flush();
      sendJson(res, 200, computeStats(deps.service.deps.db, period, range, params.filter === 'single' ? owner : undefined));
    });
  }
}
