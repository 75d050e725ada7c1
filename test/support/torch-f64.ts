/**
 * The reference against a PyTorch float64 script on one fixture: the script reads {"model", "ids"}
 * on stdin and prints {"hidden": [[[...]]]} (one unpadded sequence each); returns the max abs
 * difference of last_hidden_state per sequence. Probe ids are [CLS] ... [SEP] over the fixture
 * vocabulary, the same for every check.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'vitest';
import { BertFloat64 } from '../../src/backends/reference/bert-f64.js';
import { loadModelInfo } from '../../src/model/model-folder.js';
import { readSafetensors } from '../../src/model/safetensors.js';
import { ROOT } from './helpers.js';
import { VENV_PYTHON } from './installs.js';

export function referenceVsTorch(dir: string, script: string, lengths: readonly number[]): number[] {
  const info = loadModelInfo(dir);
  const model = new BertFloat64(info.config, readSafetensors(join(dir, 'model.safetensors')));
  const seqs = lengths.map((S) => Array.from({ length: S }, (_, t) => (t === 0 ? 2 : t === S - 1 ? 3 : 100 + ((t * 7919) % 2600))));
  const r = spawnSync(VENV_PYTHON, [join(ROOT, 'scripts', script)], {
    input: JSON.stringify({ model: dir, ids: seqs }),
    encoding: 'utf8',
    timeout: 300_000,
    env: { ...process.env, HF_HUB_OFFLINE: '1' },
  });
  expect(r.status, r.stderr).toBe(0);
  const torchHidden: number[][][] = JSON.parse(r.stdout).hidden;
  return seqs.map((ids, s) => {
    const ours = model.forward(ids, new Array(ids.length).fill(0));
    const theirs = torchHidden[s].flat();
    expect(theirs.length).toBe(ours.length);
    let max = 0;
    for (let i = 0; i < ours.length; i++) max = Math.max(max, Math.abs(ours[i] - theirs[i]));
    return max;
  });
}
