/** Small helpers shared by the operations: unique output names, tool failures without paths. */
import path from 'node:path';
import { ProcessFailure } from '../run-process';
import type { ConvertJob } from '../target';
import { ConversionError } from '../types';

/** Replaces every server path the job knows (inputs, work folder) with the user's names. */
export function scrubPaths(text: string, job: ConvertJob): string {
  let out = text;
  for (const input of job.inputs) out = out.split(input.path).join(input.filename);
  out = out.split(job.outDir).join('…');
  return out.replace(/\s+/g, ' ').trim();
}

/** A ConversionError for a failed tool run, naming the tool and the input, never a path. */
export function toolError(err: unknown, job: ConvertJob, tool: string, what: string): unknown {
  if (job.signal?.aborted) return job.signal.reason;
  if (err instanceof ConversionError) return err;
  if (err instanceof ProcessFailure) {
    const last = err.stderr.trim().split('\n').filter(Boolean).pop() ?? '';
    return new ConversionError(`${tool} could not ${what} (${err.message}${last ? `: ${scrubPaths(last, job)}` : ''})`);
  }
  return new ConversionError(`Could not ${what}: ${scrubPaths(String((err as Error)?.message ?? err), job)}`);
}

/** Hands out file names that do not repeat within one result ("a.png", "a (2).png"). */
export function uniqueNames(): (name: string) => string {
  const used = new Set<string>();
  return (name) => {
    let candidate = name;
    const ext = path.extname(name);
    const stem = ext ? name.slice(0, -ext.length) : name;
    for (let n = 2; used.has(candidate.toLowerCase()); n++) candidate = `${stem} (${n})${ext}`;
    used.add(candidate.toLowerCase());
    return candidate;
  };
}

/** `low | medium | high` → a number from the table. */
export function byLevel<T>(level: unknown, table: { low: T; medium: T; high: T }): T {
  return table[(level as keyof typeof table) in table ? (level as keyof typeof table) : 'medium'];
}
