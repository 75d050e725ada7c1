/**
 * PyTorch float64 checks the reference on tiny-rotary: transformers' built-in RoFormerModel is the
 * same architecture (BERT blocks, interleaved rotary q/k). The ALiBi fixtures are checked through
 * BertModel with ALiBi as its 4-D mask instead (alibi-torch.test.ts).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../support/helpers.js';
import { requirePythonEnv } from '../../support/installs.js';
import { referenceVsTorch } from '../../support/torch-f64.js';

const python = requirePythonEnv();

describe.skipIf(!python.present)(python.title('reference vs PyTorch float64 RoFormerModel (tiny-rotary)'), () => {
  it('last_hidden_state agrees to float64 rounding at 5 and 700 tokens', () => {
    const lengths = [5, 700];
    referenceVsTorch(join(ROOT, 'fixtures/models/tiny-rotary'), 'roformer_f64.py', lengths).forEach((max, i) => {
      console.log(`${lengths[i]} tokens: max abs reference vs torch float64 ${max.toExponential(2)}`);
      expect(max).toBeLessThan(1e-10); // NaN fails this too
    });
  }, 300_000);
});
