/**
 * Remaining credits from `GET /v2/contracts` (an array of contracts, shape not fixed by the spec):
 * the sum of the numeric `credits` of the active contracts; `unlimited` when one says so (the
 * local engine answers `{ credits: null, unlimited: true }`). Null when the answer says neither.
 */
import { z } from 'zod';

const Contract = z
  .object({
    status: z.string().optional(),
    credits: z.union([z.number(), z.string(), z.null()]).optional(),
    unlimited: z.boolean().optional(),
  })
  .passthrough();

export interface Credits {
  credits: number | null;
  unlimited: boolean;
}

export function creditsOf(contracts: unknown[]): Credits | null {
  let sum: number | null = null;
  let unlimited = false;
  for (const raw of contracts) {
    const c = Contract.safeParse(raw);
    if (!c.success) continue;
    if (c.data.status && !/^active$/i.test(c.data.status)) continue;
    if (c.data.unlimited) unlimited = true;
    const n = typeof c.data.credits === 'string' ? Number(c.data.credits) : c.data.credits;
    if (typeof n === 'number' && Number.isFinite(n)) sum = (sum ?? 0) + n;
  }
  return sum === null && !unlimited ? null : { credits: sum, unlimited };
}
