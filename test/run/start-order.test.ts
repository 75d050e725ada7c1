/** Which backends start first with several jobs (src/run/start-order.ts): the longest a previous run measured. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { previousCosts, startRanks } from '../../src/run/start-order.js';
import { runParity } from '../../src/run/run.js';
import { ROOT, tempDir } from '../support/helpers.js';

process.chdir(ROOT);

describe('start order', () => {
  it('ranks the timed backends longest first, after the ones the previous run did not time, ties in config order', () => {
    const names = ['a', 'b', 'c', 'd', 'e'];
    const costs = new Map([
      ['a', 10],
      ['b', 300],
      ['d', 300],
      ['e', 50],
    ]);
    // c was not timed: first. Then b and d (300, b first in the config), e, a.
    expect(startRanks(names, costs)).toEqual([4, 1, 0, 2, 3]);
    expect(startRanks(names, null)).toEqual([0, 1, 2, 3, 4]);
  });

  it("reads the times from the report the run replaces in its --out folder, else the baseline's; an unreadable one orders nothing", async () => {
    const out = tempDir();
    const { report } = await runParity({ out, backends: ['reference', 'cpu-fp32'], jobs: 1 });
    // One job: nothing to order.
    expect(report.timing?.longestFirstBy).toBeUndefined();
    const found = previousCosts(out, null)!;
    expect(found.from).toMatch(/report\.json$/);
    for (const b of report.backends) {
      const t = b.timing!;
      expect(found.costs.get(b.name)).toBe(t.openMs + t.embedMs + (t.compareMs ?? 0) + (t.downstreamMs ?? 0) + (t.batchInvarianceMs ?? 0));
    }
    const empty = tempDir();
    expect(previousCosts(empty, null)).toBeNull();
    expect(previousCosts(empty, report)?.from).toBe('the baseline');
    const broken = tempDir();
    mkdirSync(broken, { recursive: true });
    writeFileSync(join(broken, 'report.json'), '{ not json');
    expect(previousCosts(broken, null)).toBeNull();

    // Two jobs into the same folder: ordered by that report, and the same vectors.
    const again = await runParity({ out, backends: ['reference', 'cpu-fp32'], jobs: 2 });
    expect(again.report.timing?.longestFirstBy).toBe(found.from);
    for (const b of again.report.backends) expect(b.metrics).toEqual(report.backends.find((x) => x.name === b.name)!.metrics);
  }, 120_000);
});
