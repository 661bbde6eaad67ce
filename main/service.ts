import {
  ContractError,
  methodNames,
  parseArgs,
  type ContractErrorCode,
  type ContractErrorShape,
  type Handlers,
  type MethodName,
  type MethodOutput,
} from '../preload/contract';

/**
 * Assembles the contract's handlers from the subsystems' parts. A method no part implements
 * answers a clear 'unavailable' error rather than being silently absent.
 */
export function createHandlers(...parts: Array<Partial<Handlers>>): Handlers {
  const merged: Partial<Handlers> = {};
  for (const part of parts) Object.assign(merged, part);
  for (const name of methodNames) {
    if (!merged[name]) {
      (merged as Record<string, unknown>)[name] = async () => {
        throw new ContractError('unavailable', `${name} is not available in this build`);
      };
    }
  }
  return merged as Handlers;
}

/**
 * The one entry every adapter (IPC, HTTP, CLI) goes through: validate the raw argument against the
 * contract's schema, run the handler, and turn any failure into a `ContractError`.
 */
export async function dispatch<M extends MethodName>(
  handlers: Handlers,
  method: M,
  raw: unknown,
  log: (message: string) => void = () => {},
): Promise<MethodOutput<M>> {
  const args = parseArgs(method, raw);
  try {
    return await (handlers[method] as (a: unknown) => Promise<MethodOutput<M>>)(args);
  } catch (err) {
    throw toContractError(err, method, log);
  }
}

/**
 * Only `ContractError`s carry their message across the boundary: they are written for users and
 * carry no secrets. Anything else is an internal fault whose details stay in main's log.
 */
export function toContractError(err: unknown, method: string, log: (message: string) => void = () => {}): ContractError {
  if (err instanceof ContractError) return err;
  const detail = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  log(`internal error in ${method}: ${detail}`);
  return new ContractError('internal', `Internal error in ${method}; see the log for details`);
}

export function errorShape(err: ContractError): ContractErrorShape {
  return { code: err.code, message: err.message };
}

/** HTTP status for a contract error code (browser mode); a new code must be given one here. */
const HTTP_STATUS = {
  invalid_argument: 400,
  unauthorized: 401,
  not_found: 404,
  timeout: 408,
  conflict: 409,
  too_large: 413,
  missing_secret: 422,
  cloud_auth: 422,
  cloud_unreachable: 422,
  internal: 500,
  unavailable: 503,
} as const satisfies Record<ContractErrorCode, number>;

export function httpStatusFor(code: ContractErrorCode): number {
  return HTTP_STATUS[code];
}
