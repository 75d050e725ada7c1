/** `run --shard i/n` + `merge` gives exactly the report of a single run. */
import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mergeShardReports } from '../../src/commands/merge.js';
import { runParity } from '../../src/run/run.js';
import { parseShard, shardRows } from '../../src/run/shard.js';
import { ROOT, tempDir } from '../support/helpers.js';

process.chdir(ROOT);

describe('sharding', () => {
  it('shards are disjoint whole blocks that cover the corpus', () => {
    const all = [1, 2, 3].flatMap((i) => shardRows(50, { index: i, count: 3 }, 8));
    expect(all.sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(shardRows(50, { index: 2, count: 3 }, 8).slice(0, 9)).toEqual([8, 9, 10, 11, 12, 13, 14, 15, 32]);
    expect(() => parseShard('5/4')).toThrow(/1 <= INDEX <= COUNT/);
    expect(() => parseShard('x')).toThrow(/--shard must be INDEX\/COUNT/);
  });

  it('a 4-shard run merged equals the single run: every metric, detail and status', async () => {
    const backends = ['reference', 'cpu-fp32', 'cpu-fp16', 'transformersjs-fp32'];
    const base = tempDir();
    // Blocks of 32 texts, so each of the 4 shards gets a few of the corpus's 289 texts.
    const config = JSON.parse(readFileSync(join(ROOT, 'parity.config.json'), 'utf8'));
    for (const key of ['model', 'corpus', 'golden']) config[key] = join(ROOT, config[key]);
    config.blockTexts = 32;
    const configPath = join(base, 'parity.config.json');
    writeFileSync(configPath, JSON.stringify(config));
    const single = (await runParity({ config: configPath, out: join(base, 'single'), backends })).report;
    const dirs: string[] = [];
    for (let i = 1; i <= 4; i++) {
      const dir = join(base, `shard-${i}`);
      const { report } = await runParity({ config: configPath, out: dir, backends, shard: { index: i, count: 4 } });
      expect(report.corpus.shard!.rows.length).toBeLessThan(single.corpus.ids.length / 2);
      dirs.push(dir);
    }
    const merged = (await mergeShardReports(dirs.reverse(), { out: join(base, 'merged') })).report;
    expect(merged.verdict).toBe(single.verdict);
    expect(merged.corpus.ids).toEqual(single.corpus.ids);
    expect(merged.corpus.shard).toBeUndefined();
    expect(merged.pairwise).toEqual(single.pairwise);
    for (let k = 0; k < backends.length; k++) {
      expect(merged.backends[k].name).toBe(single.backends[k].name);
      expect(merged.backends[k].status).toBe(single.backends[k].status);
      expect(merged.backends[k].metrics).toEqual(single.backends[k].metrics);
      expect(merged.backends[k].details).toEqual(single.backends[k].details);
      expect(merged.backends[k].downstream).toEqual(single.backends[k].downstream);
      expect(merged.backends[k].diagnosis).toEqual(single.backends[k].diagnosis);
    }
    await expect(mergeShardReports(dirs.slice(0, 3), { out: join(base, 'bad') })).rejects.toThrow(/missing shard 1\/4/);
  }, 300_000);
});
