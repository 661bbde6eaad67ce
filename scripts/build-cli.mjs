// Bundles the `convoy` CLI (main/shells/cli.ts and everything it loads, the local engine included)
// into dist/cli/: one ESM entry, convoy.mjs, plus chunks that its lazy imports load on demand, so a
// command pays only for what it uses. node_modules stay external (native modules, and the bundle
// sits inside the package). `inputs.json` lists the sources, so bin/convoy.mjs can tell when the
// bundle is older than them and fall back to the sources.
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';

// The folder can be given (tests build into their own); it must sit inside the package, where node_modules resolve.
const outdir = process.argv[2] ?? 'dist/cli';
const started = Date.now();
fs.rmSync(outdir, { recursive: true, force: true });
const result = await build({
  entryPoints: { convoy: 'main/shells/cli.ts' },
  outdir,
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
  sourcemap: true,
  metafile: true,
  logLevel: 'warning',
});
const inputs = Object.keys(result.metafile.inputs).filter((f) => !f.startsWith('node_modules/') && !f.includes('/node_modules/'));
fs.writeFileSync(path.join(outdir, 'inputs.json'), `${JSON.stringify({ builtAt: Date.now(), inputs })}\n`);
console.log(`built ${outdir}/convoy.mjs (${inputs.length} sources) in ${Date.now() - started} ms`);
