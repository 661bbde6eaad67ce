#!/usr/bin/env node
// The `convoy` bin: runs the TypeScript CLI through tsx's loader (no build step needed).
import { register } from 'tsx/esm/api';
import { fileURLToPath } from 'node:url';

register();
const { runCli } = await import(fileURLToPath(new URL('../main/shells/cli.ts', import.meta.url)));
process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
});
