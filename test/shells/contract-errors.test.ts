/** The contract's error codes are a closed set on both sides of the boundary. */
import { describe, expect, it } from 'vitest';
import { httpStatusFor } from '../../main/service';
import { CONTRACT_ERROR_CODES, ContractError, unwrapReply } from '../../preload/contract';

describe('contract error codes', () => {
  it('a reply or an HTTP answer with an ad-hoc code becomes one of the known codes', () => {
    const codeOf = (f: () => unknown) => {
      try {
        f();
      } catch (err) {
        expect(err).toBeInstanceOf(ContractError);
        return (err as ContractError).code;
      }
      throw new Error('did not throw');
    };
    expect(codeOf(() => unwrapReply({ ok: false, error: { code: 'not_found', message: 'No item' } }))).toBe('not_found');
    // What older builds or hand-written transports sent: never passed on as is.
    expect(codeOf(() => unwrapReply({ ok: false, error: { code: 'http_503' as never, message: 'x' } }))).toBe('internal');
    expect(ContractError.fromWire('http_503', 'x', 503).code).toBe('unavailable');
    expect(ContractError.fromWire(undefined, 'x', 413).code).toBe('too_large');
    expect(ContractError.fromWire('cloud_auth', 'x', 422).code).toBe('cloud_auth');
    expect(ContractError.fromWire(42, undefined, 401)).toMatchObject({ code: 'unauthorized', message: 'Internal error' });
    expect(ContractError.fromWire('network', 'lost', 0).code).toBe('unavailable');
  });

  it('every code has its HTTP status in browser mode (4xx for the caller’s problems, 5xx only for internal/unavailable)', () => {
    for (const code of CONTRACT_ERROR_CODES) {
      const status = httpStatusFor(code);
      if (code === 'internal' || code === 'unavailable') expect(status).toBeGreaterThanOrEqual(500);
      else expect(status, code).toBeGreaterThanOrEqual(400), expect(status, code).toBeLessThan(500);
    }
  });
});
