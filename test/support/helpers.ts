/** Shared test helpers: run the built CLI, make temp folders. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

export function tempDir(prefix = 'parity-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Runs `bin/parity.js` (the compiled CLI: `npm test` builds it first). */
export function parity(args: string[], options: { cwd?: string; env?: Record<string, string>; timeout?: number } = {}) {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'parity.js'), ...args], {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    encoding: 'utf8',
    timeout: options.timeout ?? 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The shipped fixture: model folder, corpus and golden, as absolute paths. */
export const FIXTURE = {
  model: join(ROOT, 'fixtures/models/tiny-bert'),
  corpus: join(ROOT, 'fixtures/corpus/default.jsonl'),
  golden: join(ROOT, 'golden/tiny-bert/default.npy'),
};
