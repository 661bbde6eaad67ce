import {
  ContractError,
  methodNames,
  parseArgs,
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

/** HTTP status for a contract error code (browser mode). */
export function httpStatusFor(code: string): number {
  switch (code) {
    case 'invalid_argument':
      return 400;
    case 'unauthorized':
      return 401;
    case 'not_found':
      return 404;
    case 'conflict':
      return 409;
    case 'unavailable':
      return 503;
    case 'internal':
      return 500;
    default:
      return 422;
  }
}
