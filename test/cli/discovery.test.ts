/**
 * Discovery: `formats list|search|categories`, `options <target>`, and `completion bash` loaded in a
 * real bash that completes `--to w` from the catalog.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngine, tmpDir, type TestEngine } from '../queue/helpers';
import { cliEnv, runCli } from './cli-helpers';
import { findOnPath } from '../../main/thumbs/frame';

let te: TestEngine;
beforeAll(async () => {
  te = await startEngine();
});
afterAll(async () => {
  await te?.engine.close();
});
const api = () => ['--engine', te.api, '--api-key', te.apiKey, '--data-dir', tmpDir('disc-data')];

describe('formats and options', () => {
  it('formats list / search / categories, human and --json', async () => {
    const list = await runCli(['formats', 'list', '--category', 'image', ...api()]);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/^CATEGORY\s+TARGET/);
    expect(list.stdout).toMatch(/image\s+webp/);
    expect(list.stdout).not.toMatch(/audio/);
    const search = await runCli(['formats', 'search', 'we', '--json', ...api()]);
    expect(
      JSON.parse(search.stdout)
        .map((c: { target: string }) => c.target)
        .sort(),
    ).toEqual(['webm', 'webp']);
    const cats = await runCli(['formats', 'categories', '--json', ...api()]);
    expect(JSON.parse(cats.stdout)).toEqual(expect.arrayContaining(['audio', 'document', 'image', 'video']));
    const none = await runCli(['formats', 'frobnicate', ...api()]);
    expect(none.code).toBe(2);
  }, 240_000);

  it('options <target> lists the options; an unknown target exits 5 with the --json error envelope', async () => {
    const r = await runCli(['options', 'webp', ...api()]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^OPTION\s+TYPE\s+DEFAULT\s+ALLOWED/);
    expect(r.stdout).toMatch(/quality\s+integer\s+80\s+1–100/);
    // A bound on one side only reads as such (gif's trim options are there where ffmpeg is).
    if (findOnPath('ffmpeg')) expect((await runCli(['options', 'gif', ...api()])).stdout).toMatch(/trim_start\s+number\s+≥ 0\n/);
    else console.warn('SKIPPED the one-sided bound check of "convoy options gif": ffmpeg is not installed');
    const bad = await runCli(['options', 'nope', '--json', ...api()]);
    expect(bad.code).toBe(5);
    expect(JSON.parse(bad.stdout)).toMatchObject({ ok: false, error: { exit_code: 5, message: expect.stringMatching(/nope/) } });
  }, 240_000);
});

describe('completion', () => {
  it('bash: the script, loaded in bash, completes --to w to the w-targets of the catalog and --option keys', async () => {
    const r = await runCli(['completion', 'bash', ...api()]);
    expect(r.code, r.stderr).toBe(0);
    const script = path.join(tmpDir('compl'), 'convoy.bash');
    fs.writeFileSync(script, r.stdout);
    const complete = (words: string[]) =>
      execFileSync(
        'bash',
        [
          '-c',
          `source "$0"; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _convoy; printf '%s\\n' "\${COMPREPLY[@]}"`,
          script,
        ],
        {
          encoding: 'utf8',
          env: cliEnv(),
        },
      )
        .split('\n')
        .filter(Boolean);
    expect(complete(['convoy', 'convert', 'a.png', '--to', 'w'])).toEqual(['wav', 'webm', 'webp', 'wma']);
    expect(complete(['convoy', 'convert', 'a.png', '--to', 'web'])).toEqual(['webm', 'webp']);
    expect(complete(['convoy', 'convert', '--option', 'qual'])).toEqual(['quality=']);
    expect(complete(['convoy', 'form'])).toEqual(['formats']);
  }, 240_000);

  it.each(['zsh', 'fish', 'powershell'])(
    '%s: a script with the catalog',
    async (shell) => {
      const r = await runCli(['completion', shell, ...api()]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/webp/);
      expect(r.stdout).toMatch(/quality/);
    },
    240_000,
  );

  it('an unknown shell is a usage error', async () => {
    const r = await runCli(['completion', 'tcsh', ...api()]);
    expect(r.code).toBe(2);
  }, 240_000);
});
