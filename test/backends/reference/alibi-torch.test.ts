/**
 * PyTorch float64 checks the reference's ALiBi, bidirectional (tiny-alibi) and causal
 * (tiny-alibi-causal), through transformers' built-in BertModel: an ALiBi encoder is a BertModel
 * without a position table whose scores get a per-head bias, which BertModel takes as a 4-D float
 * attention_mask (scripts/alibi_bert_f64.py). transformers has no ALiBi BERT of its own (JinaBERT is
 * remote code; BLOOM, MPT and Falcon are decoders with other blocks), so this is the closest
 * independent float64 implementation it has.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../support/helpers.js';
import { requirePythonEnv } from '../../support/installs.js';
import { referenceVsTorch } from '../../support/torch-f64.js';

const python = requirePythonEnv();

describe.skipIf(!python.present)(python.title('reference vs PyTorch float64 BertModel with ALiBi as its 4-D mask'), () => {
  it.each(['tiny-alibi', 'tiny-alibi-causal'])('%s: last_hidden_state agrees to float64 rounding at 5 and 700 tokens', (folder) => {
    const lengths = [5, 700];
    referenceVsTorch(join(ROOT, 'fixtures/models', folder), 'alibi_bert_f64.py', lengths).forEach((max, i) => {
      console.log(`${folder} ${lengths[i]} tokens: max abs reference vs torch float64 ${max.toExponential(2)}`);
      expect(max).toBeLessThan(1e-10);
    });
  }, 300_000);
});
