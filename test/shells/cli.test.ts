import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import pkg from '../../package.json' with { type: 'json' };

const root = path.resolve(__dirname, '../..');
const convoy = (...args: string[]) => spawnSync(process.execPath, [path.join(root, 'bin/convoy.mjs'), ...args], { encoding: 'utf8', timeout: 60_000 });

describe('convoy CLI shell', () => {
  it('--version prints the package version', () => {
    const r = convoy('--version');
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it('--help lists usage, commands and exit codes', () => {
    const r = convoy('--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Usage: convoy <command>/);
    expect(r.stdout).toMatch(/Exit codes: 0 success, 1 generic failure, 2 usage, 3 auth.*130 interrupted/);
  });

  it('an unknown command is a usage error (exit 2) with a pointer to --help', () => {
    const r = convoy('frobnicate');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown command "frobnicate".*convoy --help/);
  });
});
