/** One backend crashing or hanging must not lose the others' results (backends run in worker processes). */
import { readFileSync } from 'node:fs';
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
