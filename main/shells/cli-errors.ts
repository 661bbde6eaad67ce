/**
 * Failures before a command has a report of its own: one line on stderr, or with --json the
 * official CLI's error envelope on stdout, `{ "ok": false, "error": { type, message, exit_code } }`.
 */
import { ContractError } from '../../preload/contract';
import { ApiError } from '../api/errors';
import { ExitCode, UsageError, type CliIO } from './cli-types';

export class CliFailure extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    readonly type = 'Error',
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'CliFailure';
  }
}

/** The exit code and a type name for an error that ended a command. */
export function classifyError(err: unknown): { code: number; type: string; message: string } {
  const message = (err as Error)?.message ?? String(err);
  if (err instanceof CliFailure) return { code: err.exitCode, type: err.type, message };
  if (err instanceof UsageError) return { code: ExitCode.usage, type: 'UsageError', message };
  if (err instanceof ContractError) {
    const byCode: Record<string, number> = {
      invalid_argument: ExitCode.validation,
      not_found: ExitCode.validation,
      unauthorized: ExitCode.auth,
      unavailable: ExitCode.network,
    };
    return { code: byCode[err.code] ?? ExitCode.failed, type: 'ContractError', message };
  }
  if (err instanceof ApiError) {
    const kind = err.kind;
    const byKind: Record<string, number> = {
      auth: ExitCode.auth,
      payment: ExitCode.quota,
      rate_limit: ExitCode.quota,
      validation: ExitCode.validation,
      not_found: ExitCode.validation,
      network: ExitCode.network,
      timeout: ExitCode.network,
      server: ExitCode.network,
    };
    return { code: byKind[kind] ?? ExitCode.failed, type: `ApiError:${kind}`, message };
  }
  return { code: ExitCode.failed, type: 'Error', message };
}

/** Prints the failure the way the command's mode asks for and returns its exit code. */
export function reportFailure(io: CliIO, command: string, err: unknown, json: boolean, usage?: string): number {
  const { code, type, message } = classifyError(err);
  if (json) {
    const extra = err instanceof CliFailure ? err.extra : {};
    io.stdout.write(`${JSON.stringify({ ok: false, error: { type, message, exit_code: code, ...extra } }, null, 2)}\n`);
  } else {
    io.stderr.write(`convoy ${command}: ${message}\n${code === ExitCode.usage && usage ? `\n${usage}\n` : ''}`);
  }
  return code;
}
