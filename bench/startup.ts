/**
 * CLI start-up against bare Node: `convoy --version` and `convoy status` (an existing, small queue)
 * against `node -e 0`, each the median of 10 runs, in one run of this script.
 *
 *   npx tsx bench/startup.ts [--runs 10]
 *
 * Goals (issue 15): --version ≤ 2× node -e 0, status ≤ 3×. The bin runs the esbuild bundle when
 * `npm run build` made one (dist/cli/), else the TypeScript sources through tsx; the script says which.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(root, 'bin', 'convoy.mjs');
const { values } = parseArgs({ options: { runs: { type: 'string', default: '10' } } });
const RUNS = Math.max(1, Number(values.runs));

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'convoy-bench-startup-'));
const env: NodeJS.ProcessEnv = { ...process.env, CONVOY_HOME: home, CONVOY_SECRETS: 'memory' };
delete env.API2CONVERT_API_KEY;
delete env.NODE_OPTIONS;

function timeOnce(args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { env, encoding: 'utf8' });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

// A small queue to report on: a tiny database made by one real (local engine) conversion.
const src = path.join(home, 'in.svg');
fs.writeFileSync(src, '<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><rect width="8" height="8" fill="red"/></svg>');
const seeded = spawnSync(process.execPath, [bin, 'convert', src, '--to', 'png', '--out-dir', path.join(home, 'out')], { env, encoding: 'utf8' });
if (seeded.status !== 0) throw new Error(`seeding the queue failed: ${seeded.stderr}`);

const cases: Array<[string, string[]]> = [
  ['node -e 0', ['-e', '0']],
  ['convoy --version', [bin, '--version']],
  ['convoy status', [bin, 'status']],
];
// Warm the page cache once, then interleave the cases so load spikes hit all of them alike.
for (const [, args] of cases) timeOnce(args);
const times = new Map<string, number[]>(cases.map(([name]) => [name, []]));
for (let i = 0; i < RUNS; i++) for (const [name, args] of cases) times.get(name)!.push(timeOnce(args));

const bundled = fs.existsSync(path.join(root, 'dist', 'cli', 'convoy.mjs'));
console.log(
  `CLI start-up, median of ${RUNS} (node ${process.version}, ${os.availableParallelism()} CPUs, ${bundled ? 'bundle dist/cli/convoy.mjs present' : 'no bundle: tsx from sources'})`,
);
const base = median(times.get('node -e 0')!);
const goals: Record<string, number> = { 'convoy --version': 2, 'convoy status': 3 };
for (const [name] of cases) {
  const m = median(times.get(name)!);
  const goal = goals[name];
  const ratio = m / base;
  console.log(
    `  ${name.padEnd(18)} ${m.toFixed(0).padStart(5)} ms${goal ? `  ${ratio.toFixed(2)}x node -e 0 (goal ≤ ${goal}x: ${ratio <= goal ? 'met' : 'NOT met'})` : ''}`,
  );
}
fs.rmSync(home, { recursive: true, force: true });
