/** One backend crashing or hanging must not lose the others' results (backends run in worker processes). */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runParity } from '../../src/run/run.js';
import { ROOT, tempDir } from '../support/helpers.js';
import { requireBuild } from '../support/installs.js';

process.chdir(ROOT);

const build = requireBuild(join(ROOT, 'dist', 'run', 'backend-worker.js'));

describe.skipIf(!build.present)(build.title('backend isolation'), () => {
  afterEach(() => {
    delete process.env.PARITY_WORKER_FAULT;
  });

  it('a backend whose process aborts is an error; the others finish and the report is written', async () => {
    process.env.PARITY_WORKER_FAULT = 'cpu-fp16:abort';
    const out = tempDir();
    const { report } = await runParity({ out, backends: ['cpu-fp32', 'cpu-fp16', 'reference'] });
    const byName = Object.fromEntries(report.backends.map((b) => [b.name, b]));
    expect(byName['cpu-fp16'].status).toBe('error');
    expect(byName['cpu-fp16'].reason).toMatch(/backend process was killed by SIGABRT/);
    expect(byName['cpu-fp32'].status).toBe('pass');
    expect(byName['reference'].status).toBe('pass');
    expect((byName['cpu-fp32'].environment.process as { isolated: boolean }).isolated).toBe(true);
    expect(report.verdict).toBe('error');
    expect(JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')).backends).toHaveLength(3);
  }, 120_000);

  it('a backend that hangs is killed at its timeoutMs; the next backend of the same runtime still runs', async () => {
    process.env.PARITY_WORKER_FAULT = 'cpu-fp32:hang';
    const dir = tempDir();
    const config = JSON.parse(readFileSync(join(ROOT, 'parity.config.json'), 'utf8'));
    for (const key of ['model', 'corpus', 'golden']) config[key] = join(ROOT, config[key]);
    config.backends.find((b: { name: string }) => b.name === 'cpu-fp32').timeoutMs = 10_000;
    const configPath = join(dir, 'parity.config.json');
    (await import('node:fs')).writeFileSync(configPath, JSON.stringify(config));
    const { report } = await runParity({ config: configPath, out: dir, backends: ['cpu-fp32', 'cpu-fp16'] });
    expect(report.backends[0].status).toBe('error');
    expect(report.backends[0].reason).toMatch(/did not finish within 10000 ms/);
    expect(report.backends[1].status).toBe('pass');
  }, 120_000);
});

describe.skipIf(!build.present)(build.title('backends side by side (--jobs)'), () => {
  it('gives the same vectors and verdicts with 3 backends at a time as one at a time, each backend in its own worker', async () => {
    const backends = ['reference', 'cpu-fp32', 'cpu-fp16', 'wasm-fp32'];
    const one = tempDir();
    const three = tempDir();
    const serial = (await runParity({ out: one, backends, jobs: 1 })).report;
    const parallel = (await runParity({ out: three, backends, jobs: 3 })).report;
    expect(serial.timing?.jobs).toBe(1);
    expect(parallel.timing?.jobs).toBe(3);
    for (const name of backends) {
      const a = serial.backends.find((b) => b.name === name)!;
      const b = parallel.backends.find((x) => x.name === name)!;
      expect(b.status).toBe(a.status);
      expect(b.metrics).toEqual(a.metrics);
      expect(b.batchInvariance).toEqual(a.batchInvariance);
      expect(readFileSync(join(three, 'vectors', `${name}.npy`)).equals(readFileSync(join(one, 'vectors', `${name}.npy`)))).toBe(true);
    }
    expect(parallel.pairwise).toEqual(serial.pairwise);
    // Three at a time share the cores: each backend whose config sets no threads got its share
    // (at least one), and ran with it; one at a time, each runtime kept its own default.
    const share = Math.max(1, Math.floor(availableParallelism() / 3));
    expect(parallel.timing?.threadsPerBackend).toBe(share);
    expect(serial.timing?.threadsPerBackend).toBeUndefined();
    const env = (report: typeof serial, name: string) => report.backends.find((b) => b.name === name)!.environment;
    expect(env(parallel, 'cpu-fp32').intraOpNumThreads).toBe(share);
    expect(env(serial, 'cpu-fp32').intraOpNumThreads).toBe('default');
    expect(env(parallel, 'reference').threads).toBe(share);
    // One worker per backend: a crash in one loses no other.
    const pids = parallel.backends.map((b) => (b.environment.process as { pid: number }).pid);
    expect(new Set(pids).size).toBe(backends.length);
  }, 240_000);
});
