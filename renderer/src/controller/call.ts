/** Calls to main from the UI: a failure becomes a notice (or a quiet "unavailable" mark) and the answer null. */
import type { ConvoyApi, MethodInput, MethodName, MethodOutput } from '../../../preload/contract';
import type { AppStore } from '../store/appStore';

export interface CallOptions {
  /** No notice on failure (the caller shows its own, or nothing is worth saying). */
  quiet?: boolean;
  /** Throw the error after noting it (forms show it beside their fields). */
  rethrow?: boolean;
}

export type Call = <M extends MethodName>(method: M, args?: MethodInput<M>, opts?: CallOptions) => Promise<MethodOutput<M> | null>;

export function errorText(err: unknown): { code: string; message: string } {
  const e = err as { code?: unknown; message?: unknown };
  return {
    code: typeof e?.code === 'string' ? e.code : 'error',
    message: typeof e?.message === 'string' && e.message ? e.message : 'Something went wrong',
  };
}

/** Main answered that this build or this moment lacks the method. */
export function isUnavailable(code: string): boolean {
  return code === 'unavailable' || code === 'http_503';
}

export function createCall(api: Pick<ConvoyApi, 'invoke'>, app: AppStore): Call {
  return async function call(method, args, opts = {}) {
    try {
      return await api.invoke(method, args);
    } catch (err) {
      const { code, message } = errorText(err);
      if (isUnavailable(code)) {
        app.getState().markUnavailable(method);
        if (!opts.quiet) app.getState().notify('info', `Not available yet: ${message}`);
      } else if (!opts.quiet) {
        app.getState().notify('error', message);
      }
      if (opts.rethrow) throw err;
      return null;
    }
  };
}
