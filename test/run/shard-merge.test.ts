/** `run --shard i/n` + `merge` gives exactly the report of a single run. */
import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeGolden } from '../../src/commands/golden.js';
import { mergeShardReports } from '../../src/commands/merge.js';
import type { Report } from '../../src/report/report.js';
import { runParity } from '../../src/run/run.js';
import { parseShard, shardRows } from '../../src/run/shard.js';
import { ROOT, tempDir } from '../support/helpers.js';
import { tinyBertWithPrompts } from '../support/prompted-model.js';

process.chdir(ROOT);

/** The report without the fields a merge cannot reproduce by nature (see the test). */
function comparable(report: Report): unknown {
  // The run's own wall times (timing) are each run's, like createdAt.
  const { createdAt: _c, command: _cmd, timing: _time, ...rest } = report;
  return {
    ...rest,
    backends: report.backends.map(({ timing: _t, environment: _e, batchInvariance: _b, ...b }) => b),
  };
}

describe('sharding', () => {
  it('shards are disjoint whole blocks that cover the corpus', () => {
    const all = [1, 2, 3].flatMap((i) => shardRows(50, { index: i, count: 3 }, 8));
    expect(all.sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(shardRows(50, { index: 2, count: 3 }, 8).slice(0, 9)).toEqual([8, 9, 10, 11, 12, 13, 14, 15, 32]);
    expect(() => parseShard('5/4')).toThrow(/1 <= INDEX <= COUNT/);
    expect(() => parseShard('x')).toThrow(/--shard must be INDEX\/COUNT/);
  });

  it('a 4-shard run merged is the single run\'s report, whole: watch and a non-default --prompt-name included', async () => {
    const backends = ['reference', 'cpu-fp32', 'cpu-fp16', 'transformersjs-fp32'];
    const base = tempDir();
    // tiny-bert with prompts (default "query"); this run chooses "passage". Blocks of 32 texts, so
    // each of the 4 shards gets a few of the corpus's 289 texts.
    const config = JSON.parse(readFileSync(join(ROOT, 'parity.config.json'), 'utf8'));
    config.model = tinyBertWithPrompts(base);
    config.corpus = join(ROOT, config.corpus);
    config.golden = join(base, 'passage.npy');
    config.blockTexts = 32;
    // "year-2024" is row 0 (shard 1), "german" row 40 (shard 2): merge must read both from the merged vectors.
    config.watch = [{ id: 'year-2024', dim: 63 }, { id: 'german', dim: 0 }];
    const configPath = join(base, 'parity.config.json');
    writeFileSync(configPath, JSON.stringify(config));
    await makeGolden({ config: configPath, backend: 'reference', update: false, promptName: 'passage' });
    const run = (out: string, shard?: { index: number; count: number }) =>
      runParity({ config: configPath, out: join(base, out), backends, promptName: 'passage', ...(shard ? { shard } : {}) });
    const single = (await run('single')).report;
    expect(single.embedding).toEqual({ promptName: 'passage', truncateDim: null });
    expect(single.model!.prompt).toEqual({ name: 'passage', text: 'passage: ' });
    const dirs: string[] = [];
    for (let i = 1; i <= 4; i++) {
      const { report } = await run(`shard-${i}`, { index: i, count: 4 });
      expect(report.corpus.shard!.rows.length).toBeLessThan(single.corpus.ids.length / 2);
      dirs.push(join(base, `shard-${i}`));
    }
    const shardOf = (id: string) => dirs.findIndex((d) => (JSON.parse(readFileSync(join(d, 'report.json'), 'utf8')) as Report).corpus.ids.includes(id));
    expect(shardOf('german')).not.toBe(shardOf('year-2024'));
    const merged = (await mergeShardReports(dirs.reverse(), { out: join(base, 'merged') })).report;
    expect(merged.watch!.map((w) => Object.keys(w.values).length)).toEqual([4, 4]);
    expect(merged.verdict).toBe('pass');
    // Everything but what differs by nature: when and how it was run, how long it took, which
    // processes ran it, and batch invariance, which each shard measured on its own texts (merge keeps the worst).
    expect(comparable(merged)).toEqual(comparable(single));
    // Merge times no run of its own: its report.html and summary.md make up no time to verdict; the single run's show one.
    expect(merged.timing).toBeUndefined();
    for (const file of ['report.html', 'summary.md']) {
      expect(readFileSync(join(base, 'merged', file), 'utf8')).not.toMatch(/time to verdict/i);
      expect(readFileSync(join(base, 'single', file), 'utf8')).toMatch(/time to verdict [\d.]+ m?s up to writing the report/i);
    }
    await expect(mergeShardReports(dirs.slice(0, 3), { out: join(base, 'bad') })).rejects.toThrow(/missing shard 1\/4/);
    // A shard recorded with another prompt belongs to another run.
    const shard3 = join(base, 'shard-3', 'report.json');
    writeFileSync(shard3, JSON.stringify({ ...JSON.parse(readFileSync(shard3, 'utf8')), embedding: { promptName: 'query', truncateDim: null } }));
    await expect(mergeShardReports(dirs, { out: join(base, 'bad') })).rejects.toThrow(/^cannot merge: .*shard-3 was run with another embedding than shard 1$/);
  }, 600_000);
});
