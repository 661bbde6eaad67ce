/** The response validator itself must be able to fail, or the contract tests prove nothing. */
import { describe, expect, it } from 'vitest';
import { specMissing, validateResponse } from './support/openapi';

const missing = specMissing();
if (missing) console.warn(`SKIPPED openapi validator tests: ${missing}`);

describe.skipIf(!!missing)('openapi response validator', () => {
  const job = {
    id: 'x',
    token: 't',
    type: 'job',
    status: { code: 'completed', info: 'done' },
    process: true,
    fail_on_input_error: true,
    fail_on_conversion_error: true,
    notify_status: false,
    created_at: '2024-01-01T00:00:00.000Z',
    input: [],
    output: [],
    conversion: [],
    errors: [],
    warnings: [],
  };

  it('accepts a well-formed job', () => {
    expect(() => validateResponse('GET', '/v2/jobs/abc', 200, job)).not.toThrow();
  });

  it('rejects wrong types, missing required fields, bad enums and bad formats', () => {
    expect(() => validateResponse('GET', '/v2/jobs/abc', 200, { ...job, process: 'yes' })).toThrow(/process/);
    const { notify_status: _n, ...noNotify } = job;
    expect(() => validateResponse('GET', '/v2/jobs/abc', 200, noNotify)).toThrow(/notify_status/);
    expect(() => validateResponse('GET', '/v2/jobs/abc', 200, { ...job, input: [{ type: 'floppy', source: 'x' }] })).toThrow();
    expect(() => validateResponse('GET', '/v2/jobs/abc', 200, { ...job, created_at: 'yesterday' })).toThrow(/date-time/);
    expect(() => validateResponse('GET', '/v2/jobs/abc', 200, { ...job, input: [{ type: 'remote', source: '' }] })).toThrow();
  });

  it('rejects undocumented success statuses and error bodies without a message', () => {
    expect(() => validateResponse('GET', '/v2/jobs/abc', 202, job)).toThrow(/does not document/);
    expect(() => validateResponse('GET', '/v2/jobs/abc', 404, { code: 404 })).toThrow(/message/);
    expect(() => validateResponse('GET', '/v2/jobs/abc', 404, { message: 'nope' })).not.toThrow();
    expect(() => validateResponse('DELETE', '/v2/jobs/abc', 204, { unexpected: true })).toThrow(/no body/);
  });
});
