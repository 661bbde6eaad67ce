/**
 * `GET /v2/stats/{day|month|year}/{date}/{filter}`: usage computed from the engine's own job
 * records (kept for `limits.jobTtlMs`, 7 days by default). One entry per day with jobs (a day
 * asked for gets its entry even when empty); `single` counts the calling key's jobs, `all` every
 * job in the data dir.
 */
import type { Db } from '../store/db';
import type { JobRecord } from './model';

export interface DayStats {
  date: string;
  jobs: number;
  completed: number;
  failed: number;
  canceled: number;
  unfinished: number;
  conversions: number;
  inputs: number;
  input_bytes: number;
  outputs: number;
  output_bytes: number;
  /** Conversions per target, e.g. {"png": 3, "zip": 1}. */
  targets: Record<string, number>;
}

export type Period = 'day' | 'month' | 'year';

const FORMAT: Record<Period, RegExp> = { day: /^(\d{4})-(\d{2})-(\d{2})$/, month: /^(\d{4})-(\d{2})$/, year: /^(\d{4})$/ };

/** The period's [start, end) as ISO strings, or a message saying what is wrong with `value`. */
export function periodRange(period: Period, value: string): { from: string; to: string } | string {
  const m = FORMAT[period].exec(value);
  const expected = { day: 'yyyy-mm-dd', month: 'yyyy-mm', year: 'yyyy' }[period];
  if (!m) return `${period}: must be in the format ${expected}, got '${value.slice(0, 40)}'`;
  const y = Number(m[1]);
  const mo = m[2] ? Number(m[2]) - 1 : 0;
  const d = m[3] ? Number(m[3]) : 1;
  const start = new Date(Date.UTC(y, mo, d));
  if (start.getUTCFullYear() !== y || start.getUTCMonth() !== mo || start.getUTCDate() !== d) return `${period}: '${value}' is not a real date`;
  const end = new Date(start);
  if (period === 'day') end.setUTCDate(end.getUTCDate() + 1);
  else if (period === 'month') end.setUTCMonth(end.getUTCMonth() + 1);
  else end.setUTCFullYear(end.getUTCFullYear() + 1);
  return { from: start.toISOString(), to: end.toISOString() };
}

function empty(date: string): DayStats {
  return {
    date,
    jobs: 0,
    completed: 0,
    failed: 0,
    canceled: 0,
    unfinished: 0,
    conversions: 0,
    inputs: 0,
    input_bytes: 0,
    outputs: 0,
    output_bytes: 0,
    targets: {},
  };
}

export function computeStats(db: Db, period: Period, range: { from: string; to: string }, owner: string | undefined): DayStats[] {
  const rows = db
    .prepare<[string, string], { owner: string; doc: string }>('SELECT owner, doc FROM jobs WHERE created_at >= ? AND created_at < ? ORDER BY created_at')
    .all(range.from, range.to);
  const days = new Map<string, DayStats>();
  if (period === 'day') days.set(range.from.slice(0, 10), empty(range.from.slice(0, 10)));
  for (const row of rows) {
    if (owner && row.owner !== owner) continue;
    const job = JSON.parse(row.doc) as JobRecord;
    const date = job.createdAt.slice(0, 10);
    const s = days.get(date) ?? empty(date);
    days.set(date, s);
    s.jobs++;
    if (job.status === 'completed' || job.status === 'failed' || job.status === 'canceled') s[job.status]++;
    else s.unfinished++;
    s.conversions += job.conversions.length;
    for (const c of job.conversions) s.targets[c.target] = (s.targets[c.target] ?? 0) + 1;
    s.inputs += job.inputs.length;
    s.input_bytes += job.inputs.reduce((n, i) => n + (i.size ?? 0), 0);
    s.outputs += job.outputs.length;
    s.output_bytes += job.outputs.reduce((n, o) => n + o.size, 0);
  }
  return [...days.values()].sort((a, b) => a.date.localeCompare(b.date));
}
