#!/usr/bin/env node
// The `convoy` bin. Runs the bundled CLI (dist/cli/convoy.mjs, made by `npm run build`) when it is
// there and no source it was built from has changed since; otherwise — in development — the
// TypeScript sources through tsx's loader. CONVOY_CLI_FROM_SOURCES=1 forces the sources.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = new URL('../', import.meta.url);

function freshBundle() {
  if (process.env.CONVOY_CLI_FROM_SOURCES) return null;
  try {
    const { builtAt, inputs } = JSON.parse(fs.readFileSync(new URL('dist/cli/inputs.json', root), 'utf8'));
    for (const file of inputs) if (fs.statSync(new URL(file, root)).mtimeMs > builtAt) return null;
    return new URL('dist/cli/convoy.mjs', root);
  } catch {
    return null; // no bundle, or a source it lists is gone
  }
}

const bundle = freshBundle();
let runCli;
if (bundle) {
  ({ runCli } = await import(bundle.href));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ runCli } = await import(fileURLToPath(new URL('../main/shells/cli.ts', import.meta.url))));
}
process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
});
