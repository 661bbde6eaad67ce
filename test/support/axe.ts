import fs from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

const axeSource = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core on what is on screen now, in light and in dark: its serious and critical violations, each named with `what`. */
export async function axe(page: Page, what: string): Promise<string[]> {
  const found: string[] = [];
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    // Let colour transitions (the drop zone's) finish before contrast is measured.
    await page.waitForTimeout(500);
    const violations = await page.evaluate(async (src) => {
      const w = window as unknown as {
        axe?: { run: (c: unknown, o: unknown) => Promise<{ violations: Array<{ id: string; impact: string; nodes: Array<{ target: string[] }> }> }> };
      };
      if (!w.axe) (0, eval)(src);
      const r = await w.axe!.run(document, { resultTypes: ['violations'] });
      return r.violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map(
          (v) =>
            `${v.id} (${v.nodes
              .map((n) => n.target.join(' '))
              .slice(0, 3)
              .join(', ')})`,
        );
    }, axeSource);
    found.push(...violations.map((v) => `${what} [${scheme}]: ${v}`));
  }
  await page.emulateMedia({ colorScheme: 'light' });
  return found;
}
