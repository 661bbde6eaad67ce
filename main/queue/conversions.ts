/**
 * The conversions list (`GET /v2/conversions`), cached in memory and in the database so the UI can
 * offer targets offline and the queue can refuse an unknown target before creating a job.
 */
import type { ConversionTarget, OptionSpec } from '../../preload/contract';
import type { ConversionInfo } from '../api/types';
import type { QueueStore } from './store';

const CACHE_NAME = 'conversions';
/** After this, the list is fetched again (and no longer trusted to refuse targets). */
export const CONVERSIONS_TTL_MS = 24 * 3600_000;

const OPTION_TYPES = new Set(['string', 'integer', 'number', 'boolean']);

function optionSpec(raw: unknown): OptionSpec | null {
  if (!raw || typeof raw !== 'object') return null;
  const r = raw as Record<string, unknown>;
  const type = typeof r.type === 'string' && OPTION_TYPES.has(r.type) ? (r.type as OptionSpec['type']) : 'string';
  const spec: OptionSpec = { type };
  if (typeof r.description === 'string') spec.description = r.description;
  if (Array.isArray(r.enum)) spec.enum = r.enum.filter((v): v is string | number => typeof v === 'string' || typeof v === 'number');
  if (typeof r.minimum === 'number') spec.minimum = r.minimum;
  if (typeof r.maximum === 'number') spec.maximum = r.maximum;
  if (['string', 'number', 'boolean'].includes(typeof r.default)) spec.default = r.default as OptionSpec['default'];
  return spec;
}

/** One API entry as the contract's `ConversionTarget`; options may come flat or JSON-schema style. */
export function toConversionTarget(info: ConversionInfo): ConversionTarget {
  let raw = info.options as Record<string, unknown> | undefined;
  if (raw && typeof raw === 'object' && raw.properties && typeof raw.properties === 'object') raw = raw.properties as Record<string, unknown>;
  const options: Record<string, OptionSpec> = {};
  if (raw && typeof raw === 'object' && !Array.isArray(raw)) {
    for (const [name, spec] of Object.entries(raw)) {
      const s = optionSpec(spec);
      if (s) options[name] = s;
    }
  }
  // Providers that say which sources a target takes (the local engine does) let the UI filter exactly.
  const inputs = (info as { inputs?: unknown }).inputs;
  const accepted = Array.isArray(inputs) ? inputs.filter((x): x is string => typeof x === 'string').map((x) => x.toLowerCase()) : null;
  return { target: info.target.toLowerCase(), category: info.category ?? 'other', options, ...(accepted ? { inputs: accepted } : {}) };
}

export class ConversionsCache {
  private list: ConversionTarget[] | null = null;
  private fetchedAt = 0;
  private inflight: Promise<ConversionTarget[]> | null = null;

  constructor(
    private readonly store: QueueStore,
    private readonly fetch: () => Promise<ConversionInfo[]>,
    private readonly now: () => number = Date.now,
  ) {
    const cached = store.cacheGet(CACHE_NAME);
    if (cached && Array.isArray(cached.doc)) {
      this.list = cached.doc as ConversionTarget[];
      this.fetchedAt = cached.fetchedAt;
    }
  }

  /** Fresh enough to refuse an unknown target. */
  knownTargets(): Set<string> | null {
    if (!this.list || this.now() - this.fetchedAt > CONVERSIONS_TTL_MS) return null;
    return new Set(this.list.map((t) => t.target));
  }

  isStale(): boolean {
    return !this.list || this.now() - this.fetchedAt > CONVERSIONS_TTL_MS;
  }

  /** The list; fetched when asked, missing or stale. A failed fetch falls back to the cached copy. */
  async get(refresh = false): Promise<ConversionTarget[]> {
    if (this.list && !refresh && !this.isStale()) return this.list;
    try {
      return await this.refresh();
    } catch (err) {
      if (this.list) return this.list;
      throw err;
    }
  }

  refresh(): Promise<ConversionTarget[]> {
    if (!this.inflight) {
      this.inflight = this.fetch()
        .then((infos) => {
          const seen = new Set<string>();
          const list: ConversionTarget[] = [];
          for (const info of infos) {
            const t = toConversionTarget(info);
            const key = `${t.category}/${t.target}`;
            if (seen.has(key)) continue;
            seen.add(key);
            list.push(t);
          }
          this.list = list;
          this.fetchedAt = this.now();
          this.store.cacheSet(CACHE_NAME, list);
          return list;
        })
        .finally(() => {
          this.inflight = null;
        });
    }
    return this.inflight;
  }
}
