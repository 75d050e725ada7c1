/** Above checks.reportRows texts, report.json keeps the worst rows only and merge reads texts from the corpus file. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mergeShardReports } from '../../src/commands/merge.js';
import { renderHtml } from '../../src/report/html.js';
import { serializeDetails } from '../../src/report/report.js';
import { runParity } from '../../src/run/run.js';
import { ROOT, tempDir } from '../support/helpers.js';

process.chdir(ROOT);

describe('large corpora', () => {
  it('serializeDetails keeps the worst rows by cosine Δ, in row order', () => {
    const d = {
      cosineDelta: Float64Array.from([0.1, 0.5, 0, 0.3, 0.2]),
      rowMaxAbs: Float64Array.from([1, 5, 0, 3, 2]),
      normDelta: Float64Array.from([0, 0, 0, 0, 0.4]),
      dimMaxAbs: new Float64Array(2),
      histogram: [1, 2],
      worst: [],
    };
    const s = serializeDetails(d, -12, 4, 3);
    expect(s.rows).toEqual([1, 3, 4]);
    expect(s.cosineDelta).toEqual([0.5, 0.3, 0.2]);
    expect(s.normDelta).toEqual([0, 0, 0.4]);
    expect(serializeDetails(d, -12, 4).rows).toBeUndefined();
  });

  it('a run over more texts than reportRows writes a compact report, renders it, and merges from the corpus file', async () => {
    const dir = tempDir();
    const config = JSON.parse(readFileSync(join(ROOT, 'parity.config.json'), 'utf8'));
    for (const key of ['model', 'corpus', 'golden']) config[key] = join(ROOT, config[key]);
    config.checks = { reportRows: 40 };
    config.blockTexts = 64;
    const configPath = join(dir, 'parity.config.json');
    writeFileSync(configPath, JSON.stringify(config));

    const single = (await runParity({ config: configPath, out: join(dir, 'single'), backends: ['cpu-fp16'] })).report;
    expect(single.corpus.texts).toBeUndefined();
    expect(single.corpus.ids).toHaveLength(289);
    const d = single.backends[0].details!;
    expect(d.rows).toHaveLength(40);
    expect(d.cosineDelta).toHaveLength(40);
    const kept = Math.min(...d.cosineDelta);
    const all = single.backends[0].metrics!;
    expect(Math.max(...d.cosineDelta)).toBe(all.cosineDeltaMax);
    expect(kept).toBeGreaterThan(0);
    expect(renderHtml(single)).toContain('Only the worst 40 of 289 texts are kept in report.json');

    const dirs = [];
    for (let i = 1; i <= 2; i++) {
      dirs.push(join(dir, `shard-${i}`));
      await runParity({ config: configPath, out: dirs[i - 1], backends: ['cpu-fp16'], shard: { index: i, count: 2 } });
    }
    const merged = (await mergeShardReports(dirs, { out: join(dir, 'merged') })).report;
    expect(merged.backends[0].metrics).toEqual(single.backends[0].metrics);
    expect(merged.backends[0].details).toEqual(single.backends[0].details);
    expect(merged.backends[0].diagnosis).toEqual(single.backends[0].diagnosis);
  }, 180_000);
});
