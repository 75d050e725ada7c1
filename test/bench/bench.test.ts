/**
 * `parity bench` runs every row, in interleaved rounds. No speed or ratio is asserted (a shared
 * machine decides those, and restating the code's own division proves nothing); what is asserted is
 * that each row was measured the agreed number of times on the whole corpus, and that the Python
 * rows (sentence-transformers in .venv, Infinity's real server from .venv-infinity) speak the
 * protocol and report their numbers.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { renderBench, runBench, type BenchResult } from '../../src/bench/bench.js';
import { wantsColor } from '../../src/report/terminal.js';
import { FIXTURE, ROOT, tempDir } from '../support/helpers.js';
import { requireBuild, requireInfinityEnv, requirePythonEnv } from '../support/installs.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/config.js';

const CONFIG = join(ROOT, 'parity.config.json');
// Every measurement runs in a child process started from the compiled dist/bench/bench-child.js.
const build = requireBuild(join(ROOT, 'dist/bench/bench-child.js'));

describe.skipIf(!build.present)(build.title('parity bench'), { timeout: 600_000 }, () => {
  it('measures every row the same number of times on the whole corpus', async () => {
    const r = await runBench({ config: CONFIG, backends: ['cpu-fp32'], repeats: 2, threads: 1, noPython: true });
    expect(r.rounds).toBe('interleaved');
    expect(r.entries.map((e) => [e.name, e.kind])).toEqual([
      ['raw onnxruntime-node, corpus order', 'raw-ort'],
      ['raw onnxruntime-node, length-sorted', 'raw-ort-sorted'],
      ['transformers.js pipeline', 'transformers.js'],
      ['cpu-fp32', 'backend'],
    ]);
    // Every row embedded the whole corpus (counted here from the file), twice, and gave a finite speed.
    const texts = readFileSync(loadConfig(CONFIG).corpus, 'utf8').split('\n').filter((l) => l.trim()).length;
    expect(r.corpus.texts).toBe(texts);
    for (const e of r.entries) {
      expect(e.error).toBeUndefined();
      expect(e.passes).toHaveLength(2);
      expect(Number.isFinite(e.textsPerSecond)).toBe(true);
    }
    // No sentence-transformers row (noPython): nothing to divide by, so no ratio rather than a made-up one.
    expect(r.entries[3].ratioVsSentenceTransformers).toBeNull();
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
    }
    expect(inf.rssOf).toMatch(/^server pid \d+$/);
    expect(inf.peakRssMB).toBeGreaterThan(100); // a Python process with torch loaded, not the Node child
  });

  it.skipIf(!python.present)(python.title('an openvino backend is a row beside raw ORT, with its ratio to it and its worker\'s peak RSS'), async () => {
    const dir = tempDir('parity-bench-ov-');
    const config = join(dir, 'bench.json');
    writeFileSync(config, JSON.stringify({ model: FIXTURE.model, corpus: FIXTURE.corpus, golden: FIXTURE.golden, backends: [{ name: 'ov-f32', runtime: 'openvino', precision: 'fp32' }] }));
    const r = await runBench({ config, repeats: 1, threads: 1, noPython: true });
    const ov = r.entries.find((e) => e.name === 'ov-f32')!; // picked by default, like the ONNX Runtime backends
    expect(ov.error).toBeUndefined();
    expect(ov.passes).toHaveLength(1);
    expect(ov.ratioVsRawOrt).toBeCloseTo(ov.textsPerSecond! / r.entries.find((e) => e.kind === 'raw-ort-sorted')!.textsPerSecond!, 9);
    expect(ov.rssOf).toMatch(/^worker pid \d+$/);
    expect(ov.peakRssMB).toBeGreaterThan(50); // the Python worker with OpenVINO loaded, not the Node child
  });
});

// `parity bench` output: colour only on a TTY without NO_COLOR, like the run table.
const result: BenchResult = {
  model: 'tiny-bert',
  corpus: { path: 'corpus.jsonl', texts: 10, tokens: 321 },
  batchSize: 4,
  threads: 1,
  repeats: 1,
  rounds: 'interleaved',
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
