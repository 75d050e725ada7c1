/**
 * PyTorch float64 checks the reference on tiny-rotary: transformers' built-in RoFormerModel is the
 * same architecture (BERT blocks, interleaved rotary q/k). The ALiBi fixtures are checked through
 * BertModel with ALiBi as its 4-D mask instead (alibi-torch.test.ts).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BertFloat64 } from '../../../src/backends/reference/bert-f64.js';
import { loadModelInfo } from '../../../src/model/model-folder.js';
import { readSafetensors } from '../../../src/model/safetensors.js';
import { ROOT } from '../../support/helpers.js';
import { requirePythonEnv, VENV_PYTHON } from '../../support/installs.js';

const python = requirePythonEnv();
const MODEL = join(ROOT, 'fixtures/models/tiny-rotary');

describe.skipIf(!python.present)(python.title('reference vs PyTorch float64 RoFormerModel (tiny-rotary)'), () => {
  it('last_hidden_state agrees to float64 rounding at 5 and 700 tokens', () => {
    const info = loadModelInfo(MODEL);
    const model = new BertFloat64(info.config, readSafetensors(join(MODEL, 'model.safetensors')));
    const seqs = [5, 700].map((S) => Array.from({ length: S }, (_, t) => (t === 0 ? 2 : t === S - 1 ? 3 : 100 + ((t * 7919) % 2600))));
    const r = spawnSync(VENV_PYTHON, [join(ROOT, 'scripts/roformer_f64.py')], { input: JSON.stringify({ model: MODEL, ids: seqs }), encoding: 'utf8', timeout: 300_000 });
    expect(r.status, r.stderr).toBe(0);
    const torchHidden: number[][][] = JSON.parse(r.stdout).hidden;
    seqs.forEach((ids, s) => {
      const ours = model.forward(ids, new Array(ids.length).fill(0));
      const theirs = torchHidden[s].flat();
      expect(theirs.length).toBe(ours.length);
      let max = 0;
      for (let i = 0; i < ours.length; i++) max = Math.max(max, Math.abs(ours[i] - theirs[i]));
      console.log(`${ids.length} tokens: max abs reference vs torch float64 ${max.toExponential(2)}`);
      expect(max).toBeLessThan(1e-10);
      expect(max).toBeGreaterThanOrEqual(0);
    });
  }, 300_000);
});
