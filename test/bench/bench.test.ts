/**
 * `parity bench` runs every row, in interleaved rounds, and computes ratios within the run. No speed
 * is asserted (a shared machine decides that); what is asserted is that each row was measured the
 * agreed number of times on the same texts, and that the Python rows (sentence-transformers in
 * .venv, Infinity's real server from .venv-infinity) speak the protocol and report their numbers.
 */
import { describe, expect, it } from 'vitest';
import { renderBench, runBench } from '../../src/bench/bench.js';
import { ROOT } from '../support/helpers.js';
import { requireBuild, requireInfinityEnv, requirePythonEnv } from '../support/installs.js';
import { join } from 'node:path';

const CONFIG = join(ROOT, 'parity.config.json');
// Every measurement runs in a child process started from the compiled dist/bench/bench-child.js.
const build = requireBuild(join(ROOT, 'dist/bench/bench-child.js'));

describe.skipIf(!build.present)(build.title('parity bench'), { timeout: 600_000 }, () => {
  it('measures every row the same number of times and gives ratios within the run', async () => {
    const r = await runBench({ config: CONFIG, backends: ['cpu-fp32'], repeats: 2, threads: 1, noPython: true });
    expect(r.rounds).toBe('interleaved');
    expect(r.entries.map((e) => [e.name, e.kind])).toEqual([
      ['raw onnxruntime-node, corpus order', 'raw-ort'],
      ['raw onnxruntime-node, length-sorted', 'raw-ort-sorted'],
      ['transformers.js pipeline', 'transformers.js'],
      ['cpu-fp32', 'backend'],
    ]);
    for (const e of r.entries) {
      expect(e.error).toBeUndefined();
      expect(e.passes).toHaveLength(2);
      expect(e.textsPerSecond).toBeCloseTo(r.corpus.texts / e.seconds!, 6);
    }
    const cpu = r.entries[3];
    expect(cpu.ratioVsRawOrt).toBeCloseTo(cpu.textsPerSecond! / r.entries[1].textsPerSecond!, 9);
    expect(cpu.ratioVsSentenceTransformers).toBeNull();
    expect(renderBench(r)).toContain('median of 2 interleaved rounds');
  });

  const python = requirePythonEnv();
  const infinity = requireInfinityEnv();
  it.skipIf(!python.present || !infinity.present)(infinity.title(python.title('sentence-transformers and Infinity rows on the fixture model')), async () => {
    const r = await runBench({ config: CONFIG, backends: ['cpu-fp32'], repeats: 1, threads: 1 });
    const st = r.entries.find((e) => e.kind === 'sentence-transformers')!;
    const inf = r.entries.find((e) => e.kind === 'infinity')!;
    for (const e of [st, inf]) {
      expect(e.error).toBeUndefined();
      expect(e.passes).toHaveLength(1);
      expect(e.batchLatencyMs!.p50).toBeGreaterThan(0);
    }
    expect(st.ratioVsSentenceTransformers).toBe(1);
    expect(inf.rssOf).toMatch(/^server pid \d+$/);
    expect(inf.peakRssMB).toBeGreaterThan(100); // a Python process with torch loaded, not the Node child
    expect(r.entries.find((e) => e.name === 'cpu-fp32')!.ratioVsSentenceTransformers).toBeGreaterThan(0);
  });
});
