/** Remaining credits read from `GET /contracts` answers of several shapes. */
import { expect, it } from 'vitest';
import { creditsOf } from '../../main/queue/credits';

it('sums the credits of active contracts, says unlimited when a contract is, and null when nothing says', () => {
  expect(
    creditsOf([
      { status: 'active', credits: 120 },
      { status: 'active', credits: '30' },
      { status: 'expired', credits: 999 },
    ]),
  ).toEqual({ credits: 150, unlimited: false });
  expect(creditsOf([{ id: 'local', status: 'active', credits: null, unlimited: true }])).toEqual({ credits: null, unlimited: true });
  expect(creditsOf([])).toBeNull();
  expect(creditsOf([{ name: 'no credits field' }, 'garbage', null])).toBeNull();
});
