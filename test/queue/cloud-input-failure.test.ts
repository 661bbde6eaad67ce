/** How a failed cloud input reaches the user: a refused account is an auth failure (CLI exit 3). */
import { describe, expect, it } from 'vitest';
import { jobFailure } from '../../main/queue/classify';
import { exitCodeFor } from '../../main/shells/commands/run-report';
import type { ItemView } from '../../preload/contract';

describe('failed cloud inputs', () => {
  it('turns details.kind auth into an auth error, and other input failures into input errors', () => {
    const refused = jobFailure(
      [
        {
          source: 'input',
          id_source: 'in1',
          code: 99,
          message: 'Amazon S3 refused the secret access key (signature does not match)',
          details: { type: 'cloud', kind: 'auth' },
        },
      ],
      'c1',
      'in1',
    );
    expect(refused).toMatchObject({ code: 'auth', message: expect.stringMatching(/refused the secret access key/) });
    const missing = jobFailure(
      [{ source: 'input', id_source: 'in1', code: 99, message: 'the file "x" does not exist', details: { type: 'cloud', kind: 'not_found' } }],
      'c1',
      'in1',
    );
    expect(missing.code).toBe('input');

    const item = { state: 'failed', error: refused } as unknown as ItemView;
    expect(exitCodeFor({ stopped: null, items: [item], durationMs: 1 }, [])).toBe(3);
  });
});
