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
 * Exit codes, after the official api2convert CLI's scheme: 0 only when every item succeeded.
 */
export const ExitCode = {
  ok: 0,
  /** Some items failed (conversion or input errors) while others may have succeeded. */
  failed: 1,
  usage: 2,
  auth: 3,
  quota: 4,
  validation: 5,
  network: 6,
  interrupted: 130,
} as const;

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
