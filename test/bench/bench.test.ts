/** `parity bench` output: colour only on a TTY without NO_COLOR, like the run table. */
import { afterEach, describe, expect, it } from 'vitest';
import { renderBench, type BenchResult } from '../../src/bench/bench.js';
import { wantsColor } from '../../src/report/terminal.js';

const result: BenchResult = {
  model: 'tiny-bert',
  corpus: { path: 'corpus.jsonl', texts: 10, tokens: 321 },
  batchSize: 4,
  threads: 1,
  repeats: 1,
  machine: { cpus: 2, node: '20' },
  entries: [
    { name: 'cpu-fp32', kind: 'backend', textsPerSecond: 123.45, tokensPerSecond: 3961, seconds: 0.081, passes: [0.081], batchLatencyMs: { p50: 20.5, p95: 30.25 }, paddingEfficiency: 0.875, peakRssMB: 88, ratioVsRawOrt: 0.99 },
    { name: 'broken', kind: 'backend', textsPerSecond: null, tokensPerSecond: null, seconds: null, passes: [], batchLatencyMs: null, paddingEfficiency: null, peakRssMB: null, error: 'boom' },
  ],
};
const ANSI = /\u001b\[/;

describe('renderBench', () => {
  const saved = { NO_COLOR: process.env.NO_COLOR, TERM: process.env.TERM };
  afterEach(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  it('prints no escape codes when colour is off (a pipe), and the figures', () => {
    const out = renderBench(result, { color: false });
    expect(out).not.toMatch(ANSI);
    expect(out).toMatch(/│ cpu-fp32 │ 123\.5\s+│ 3961\s+│ 20\.5\s+│ 30\.3\s+│ 88\s+│ 0\.88\s+│ 0\.99/);
    expect(out).toContain('error: boom');
    expect(renderBench(result)).not.toMatch(ANSI);
  });

  it('colours only when asked', () => {
    expect(renderBench(result, { color: true })).toMatch(ANSI);
  });

  it('asks for colour only on a TTY without NO_COLOR', () => {
    delete process.env.NO_COLOR;
    delete process.env.TERM;
    expect(wantsColor({ isTTY: false } as NodeJS.WriteStream)).toBe(false);
    expect(wantsColor({ isTTY: true } as NodeJS.WriteStream)).toBe(true);
    process.env.NO_COLOR = '';
    expect(wantsColor({ isTTY: true } as NodeJS.WriteStream)).toBe(false);
  });
});
