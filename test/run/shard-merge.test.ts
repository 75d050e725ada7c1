/** `run --shard i/n` + `merge` gives exactly the report of a single run. */
import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeGolden } from '../../src/commands/golden.js';
import { main } from '../../src/cli.js';
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

  it('a failing backend run in 2 shards and merged says where it starts as the single run does', async () => {
    const base = tempDir('parity-merge-where-');
    // cpu-fp16 held to an fp32 tolerance fails from the embeddings on (test/diagnose/run-evidence.test.ts);
    // the config's reference is the float64 side though not selected. 289 texts in blocks of 256: shard
    // 1 holds rows 0..255, shard 2 rows 256..288.
    const run = (out: string, shard?: { index: number; count: number }) =>
      runParity({ config: 'parity.config.json', backends: ['cpu-fp16'], tolerance: { atol: 1e-5, rtol: 1e-5 }, out: join(base, out), ...(shard ? { shard } : {}) });
    const single = (await run('single')).report;
    const where = single.backends[0].whereItStarts!;
    expect(single.backends[0].status).toBe('fail');
    expect(where).toMatchObject({ against: 'reference', path: 'embeddings', layer: null });
    const dirs = [join(base, 'shard-1'), join(base, 'shard-2')];
    const shards = [(await run('shard-1', { index: 1, count: 2 })).report, (await run('shard-2', { index: 2, count: 2 })).report];
    expect(shards.map((r) => r.corpus.shard!.rows.length)).toEqual([256, 33]);
    const merged = (await mergeShardReports(dirs, { out: join(base, 'merged') })).report;
    const b = merged.backends[0];
    // The worst texts of the whole corpus, bisected: the merge's, not a shard's.
    expect(b.whereItStarts).toEqual(where);
    expect(where.texts.every((id) => single.backends[0].details!.worst.some((w) => w.id === id))).toBe(true);
    expect(b.diagnosis!.at(-1)).toMatch(/^where it starts: the embeddings, embeddings .* \[bisected against reference on '/);
    expect(b.diagnosis).toEqual(single.backends[0].diagnosis);
    expect(comparable(merged)).toEqual(comparable(single));
    // Shard 1's own run time is not the merged run's.
    expect(shards[0].timing).toBeDefined();
    expect(merged.timing).toBeUndefined();

    // `parity merge --baseline --history`, as `run` has them: the diff is against the merged vectors,
    // which are the single run's bit for bit (shards are whole blocks), and the run is recorded.
    const history = join(base, 'history.jsonl');
    const out: string[] = [];
    const code = await main(['merge', ...dirs, '-o', join(base, 'against'), '--baseline', join(base, 'single'), '--history', history], { stdout: (t) => out.push(t), stderr: (t) => out.push(t) });
    expect(code).toBe(1);
    const against = JSON.parse(readFileSync(join(base, 'against', 'report.json'), 'utf8')) as Report;
    const drift = against.baseline!.backends[0];
    expect(drift).toMatchObject({ name: 'cpu-fp16', in: 'both', statusBefore: 'fail', statusAfter: 'fail' });
    expect(drift.moves).toEqual({ compared: 289 * single.golden.shape[1], moved: 0, maxMove: 0, maxMoveAt: null });
    expect(drift.metrics.find((m) => m.key === 'maxAbs')).toEqual({ key: 'maxAbs', before: single.backends[0].metrics!.maxAbs, after: single.backends[0].metrics!.maxAbs, growth: 1 });
    const lines = readFileSync(history, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.verdict, l.backends.map((b: { name: string; status: string }) => `${b.name} ${b.status}`)])).toEqual([['fail', ['cpu-fp16 fail']]]);

    // Shards on other model files are not one run; other package versions are said, not refused.
    const shard2 = join(dirs[1], 'report.json');
    const kept = readFileSync(shard2, 'utf8');
    const tampered = JSON.parse(kept) as Report;
    const file = Object.keys(tampered.model.files)[0];
    tampered.model.files[file] = '0'.repeat(64);
    writeFileSync(shard2, JSON.stringify(tampered));
    await expect(mergeShardReports(dirs, { out: join(base, 'other-weights') })).rejects.toThrow(new RegExp(`cannot merge: .*shard-2 was run on other model files \\(${file.replace(/[.]/g, '\\.')}\\) than shard 1`));
    writeFileSync(shard2, JSON.stringify({ ...JSON.parse(kept), packages: { ...tampered.packages, 'onnxruntime-node': '0.0.1' } }));
    const mixed = (await mergeShardReports(dirs, { out: join(base, 'mixed') })).report;
    expect(mixed.warnings).toContainEqual(expect.stringMatching(new RegExp(`shard-2 ran with other package versions than shard 1: onnxruntime-node ${tampered.packages['onnxruntime-node']} vs 0\\.0\\.1`)));
    expect(mixed.backends[0].metrics).toEqual(single.backends[0].metrics);
    writeFileSync(shard2, kept);

    // Without the config the shards ran with, merge cannot know the backends' runtime options: it says so.
    for (const d of dirs) {
      const file = join(d, 'report.json');
      writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), config: join(base, 'gone.json') }));
    }
    const blind = (await mergeShardReports(dirs, { out: join(base, 'blind') })).report;
    expect(blind.backends[0].whereItStarts).toBeUndefined();
    expect(blind.backends[0].metrics).toEqual(single.backends[0].metrics);
    expect(blind.warnings).toEqual([expect.stringMatching(/^where it starts not looked for: the config the shards ran with, .*gone\.json, is not there/)]);
  }, 300_000);
});
