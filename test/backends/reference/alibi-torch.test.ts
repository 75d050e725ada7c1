/**
 * PyTorch float64 checks the reference's ALiBi, bidirectional (tiny-alibi) and causal
 * (tiny-alibi-causal), through transformers' built-in BertModel: an ALiBi encoder is a BertModel
 * without a position table whose scores get a per-head bias, which BertModel takes as a 4-D float
 * attention_mask (scripts/alibi_bert_f64.py). transformers has no ALiBi BERT of its own (JinaBERT is
 * remote code; BLOOM, MPT and Falcon are decoders with other blocks), so this is the closest
 * independent float64 implementation it has.
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

describe.skipIf(!python.present)(python.title('reference vs PyTorch float64 BertModel with ALiBi as its 4-D mask'), () => {
  it.each(['tiny-alibi', 'tiny-alibi-causal'])('%s: last_hidden_state agrees to float64 rounding at 5 and 700 tokens', (folder) => {
    const dir = join(ROOT, 'fixtures/models', folder);
    const info = loadModelInfo(dir);
    const model = new BertFloat64(info.config, readSafetensors(join(dir, 'model.safetensors')));
    const seqs = [5, 700].map((S) => Array.from({ length: S }, (_, t) => (t === 0 ? 2 : t === S - 1 ? 3 : 100 + ((t * 7919) % 2600))));
    const r = spawnSync(VENV_PYTHON, [join(ROOT, 'scripts/alibi_bert_f64.py')], {
      input: JSON.stringify({ model: dir, ids: seqs }),
      encoding: 'utf8',
      timeout: 300_000,
      env: { ...process.env, HF_HUB_OFFLINE: '1' },
    });
    expect(r.status, r.stderr).toBe(0);
    const torchHidden: number[][][] = JSON.parse(r.stdout).hidden;
    seqs.forEach((ids, s) => {
      const ours = model.forward(ids, new Array(ids.length).fill(0));
      const theirs = torchHidden[s].flat();
      expect(theirs.length).toBe(ours.length);
      let max = 0;
      for (let i = 0; i < ours.length; i++) max = Math.max(max, Math.abs(ours[i] - theirs[i]));
      console.log(`${folder} ${ids.length} tokens: max abs reference vs torch float64 ${max.toExponential(2)}`);
      expect(max).toBeLessThan(1e-10);
    });
  }, 300_000);
});
