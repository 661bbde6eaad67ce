import { type ParseArgsConfig, parseArgs } from 'node:util';

/** One CLI command: `convoy <name> …`. Each lives in main/shells/commands/<name>.ts. */
export interface CliCommand {
  name: string;
  /** One line for `convoy --help`. */
  summary: string;
  /** Full usage text for `convoy <name> --help`. */
  usage: string;
  run(argv: string[], io: CliIO): Promise<number>;
}

export interface CliIO {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

/**
 * Exit codes: the official api2convert CLI's table (0 only when every item succeeded). With
 * --json, a run that fails before it has a report prints `{ ok: false, error: { …, exit_code } }`.
 */
export const ExitCode = {
  ok: 0,
  /** Anything else (e.g. some items failed to be written or delivered). */
  failed: 1,
  usage: 2,
  /** The key is missing or refused. */
  auth: 3,
  /** Out of credits, or rate limited. */
  quota: 4,
  /** Rejected by the API (bad target or options), or a source / job not found. */
  validation: 5,
  /** The conversion itself failed. */
  conversion: 6,
  /** Still processing after the given timeout (e.g. `jobs wait --timeout`). */
  timeout: 7,
  /** The API could not be reached (items stay resumable). */
  network: 8,
  interrupted: 130,
} as const;

/** What each code means, for `--help` and the README. */
export const exitCodeHelp: Array<[number, string]> = [
  [0, 'success'],
  [1, 'generic failure'],
  [2, 'usage'],
  [3, 'auth (key missing or refused)'],
  [4, 'quota or rate limit'],
  [5, 'validation or not found'],
  [6, 'conversion failed'],
  [7, 'timeout'],
  [8, 'network (resumable)'],
  [130, 'interrupted'],
];

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The flags that choose the API and the data folder, shared by every command that talks to one. */
export const apiFlagOptions = {
  engine: { type: 'string' },
  'api-key': { type: 'string' },
  'data-dir': { type: 'string' },
} as const;

/** A command's flags, parsed strictly (node:util parseArgs); an unknown or malformed flag is a UsageError. */
export function parseFlags<const O extends NonNullable<ParseArgsConfig['options']>, const P extends boolean = true>(
  argv: string[],
  options: O,
  { positionals = true as P }: { positionals?: P } = {},
) {
  try {
    return parseArgs({ args: argv, allowPositionals: positionals, strict: true, options });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}
