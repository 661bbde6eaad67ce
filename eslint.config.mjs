// typescript-eslint for the rules that need type information; Biome stays the formatter and the
// linter for everything else (biome.json), so no rule is checked twice. typescript-eslint loads
// TypeScript's JS API from `typescript` (6.0, the last release with one); `npm run typecheck` runs
// TypeScript 7 from `typescript7`.
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['**/node_modules/', '**/dist/', '**/release/', '**/.cache/', '**/test-artifacts/', 'bench/out/', 'coverage/'] },
  {
    files: ['{lib,main,preload,renderer,engine,test,bench,scripts}/**/*.{ts,tsx}', 'vitest.config.ts', 'vite.config.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: {
        // vite.config.ts is outside tsconfig.json's include (the app's bundles are built by scripts/build.mjs).
        projectService: { allowDefaultProject: ['vite.config.ts'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      // React ignores what a handler returns, and the renderer's calls report their own failures (controller.call
      // turns a rejection into a notice), so an async onClick/onSubmit is the idiom, not a lost promise.
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { attributes: false } }],
      // A `default` branch handles the rest on purpose; a switch without one must name every member.
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
    },
  },
  {
    // Tests and benches may hand an async callback to a server or an emitter: a rejection there is an
    // unhandled rejection, which fails the vitest run or ends the bench with the error, as it should.
    files: ['test/**/*.{ts,tsx}', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false, attributes: false } }] },
  },
);
