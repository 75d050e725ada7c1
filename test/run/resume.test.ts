/** An interrupted run continues from what is on disk with --resume, and ends with the same report. */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parity, ROOT, tempDir } from '../support/helpers.js';

function configWithSmallBlocks(dir: string): string {
  const config = JSON.parse(readFileSync(join(ROOT, 'parity.config.json'), 'utf8'));
  for (const key of ['model', 'corpus', 'golden']) config[key] = join(ROOT, config[key]);
  config.blockTexts = 16;
  const path = join(dir, 'parity.config.json');
  writeFileSync(path, JSON.stringify(config));
  return path;
}

describe('parity run --resume', () => {
  it('a run killed mid-way resumes from its last block and reports exactly what an uninterrupted run does', async () => {
    const dir = tempDir();
    const config = configWithSmallBlocks(dir);
    const args = ['run', '--config', config, '--backend', 'reference', '--backend', 'cpu-fp32', '--backend', 'cpu-fp16'];
    const full = parity([...args, '--out', join(dir, 'full')]);
    expect(full.code).toBe(0);

    const out = join(dir, 'interrupted');
    const child = spawn(process.execPath, [join(ROOT, 'bin/parity.js'), ...args, '--out', out], { stdio: 'ignore' });
    const state = join(out, 'run-state.json');
    const killedAt = await new Promise<number>((resolve, reject) => {
      const timer = setInterval(() => {
        try {
          const done = existsSync(state) ? JSON.parse(readFileSync(state, 'utf8')).completedRows : 0;
          if (done >= 48) {
            clearInterval(timer);
            child.kill('SIGKILL');
            resolve(done);
          }
        } catch {
          /* the state file is being replaced; look again */
        }
      }, 5);
      child.on('exit', () => {
        clearInterval(timer);
        reject(new Error('the run finished before it could be interrupted'));
      });
    });
    await new Promise((r) => child.once('exit', r));
    expect(killedAt).toBeLessThan(289);
    expect(existsSync(join(out, 'report.json'))).toBe(false);
    expect(readdirSync(join(out, 'vectors')).every((f) => f.endsWith('.partial'))).toBe(true);

    const resumed = parity([...args, '--out', out, '--resume']);
    expect(resumed.code).toBe(0);
    const a = JSON.parse(readFileSync(join(dir, 'full', 'report.json'), 'utf8'));
    const b = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    for (let k = 0; k < 3; k++) {
      expect(b.backends[k].metrics).toEqual(a.backends[k].metrics);
      expect(b.backends[k].details).toEqual(a.backends[k].details);
    }
    expect(b.pairwise).toEqual(a.pairwise);
    expect(readFileSync(join(out, 'vectors', 'cpu-fp32.npy')).equals(readFileSync(join(dir, 'full', 'vectors', 'cpu-fp32.npy')))).toBe(true);
    expect(existsSync(join(out, 'run-state.json'))).toBe(false);

    const again = parity([...args, '--out', out, '--resume']);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/nothing to resume/);
  }, 180_000);
});
