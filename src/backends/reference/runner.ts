/** `reference`: the float64 TypeScript BertModel — an oracle independent of ONNX Runtime. BERT family only. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BackendError, describeCause, InputError } from '../../errors.js';
import { realStart, type PaddedBatch } from '../../embed/batches.js';
import { displayPath } from '../../io/display-path.js';
import { sha256File } from '../../io/hash.js';
import { readSafetensors } from '../../model/safetensors.js';
import { GELU_FORMS, type GeluForm } from '../../numeric/gelu.js';
import type { Availability, BackendContext, BackendFactory, BackendSpec } from '../backend.js';
import { HiddenStateBackend, type HiddenState } from '../hidden-state-backend.js';
import { BertFloat64 } from './bert-f64.js';
import { loadModelInfo } from '../../model/model-folder.js';

// roformer: BERT blocks with rotary q/k (positionKind in model/bert-config.ts); ALiBi models are
// model_type "bert" with position_embedding_type "alibi", as JinaBERT's config has it.
const BERT_TYPES = new Set(['bert', 'roformer']);

export class ReferenceBackend extends HiddenStateBackend {
  private model: BertFloat64 | null = null;
  private weightsPath = '';
  private weightsHash = '';

  constructor(
    name: string,
    private readonly modelDir: string,
    /** Option `gelu`: compute another GELU form than the config's (an experiment, recorded in the environment). */
    private readonly gelu: GeluForm | null = null,
  ) {
    super(name);
  }

  async availability(): Promise<Availability> {
    const dir = this.modelDir;
    const weights = join(dir, 'model.safetensors');
    if (!existsSync(weights)) return { available: false, reason: `no model.safetensors in ${dir} (the reference reads safetensors weights)` };
    try {
      const info = loadModelInfo(dir);
      if (!BERT_TYPES.has(info.config.model_type)) {
        return { available: false, reason: `the reference implements BERT only; this model's model_type is "${info.config.model_type}"` };
      }
    } catch (error) {
      return { available: false, reason: describeCause(error) };
    }
    return { available: true };
  }

  protected async load(context: BackendContext): Promise<void> {
    this.weightsPath = join(context.model.dir, 'model.safetensors');
    try {
      this.model = new BertFloat64(context.model.config, readSafetensors(this.weightsPath), this.gelu ? { gelu: this.gelu } : {});
      this.weightsHash = sha256File(this.weightsPath);
    } catch (error) {
      throw new BackendError(this.name, `cannot build the float64 BERT from ${this.weightsPath}: ${describeCause(error)}`, { cause: error });
    }
  }

  protected override outputType(): 'float64' {
    return 'float64';
  }

  protected async forward(batch: PaddedBatch): Promise<HiddenState> {
    const model = this.model!;
    const dim = model.hidden;
    const data = new Float64Array(batch.batch * batch.seq * dim);
    for (let b = 0; b < batch.batch; b++) {
      // Each sequence runs alone and unpadded: the reference never sees a mask.
      const len = batch.lengths[b];
      const start = b * batch.seq + realStart(batch, b);
      const ids: number[] = [];
      const types: number[] = [];
      for (let t = 0; t < len; t++) {
        ids.push(Number(batch.inputIds[start + t]));
        types.push(Number(batch.tokenTypeIds[start + t]));
      }
      data.set(model.forward(ids, types), start * dim);
    }
    return { data, seq: batch.seq, dim };
  }

  environment(): Record<string, unknown> {
    return {
      runtime: 'parity float64 TypeScript BertModel',
      precision: 'float64',
      weights: displayPath(this.weightsPath),
      weightsSha256: this.weightsHash,
      ...(this.gelu ? { gelu: this.gelu } : {}),
    };
  }
}

function parseGelu(spec: BackendSpec): GeluForm | null {
  const g = spec.options.gelu;
  if (g === undefined) return null;
  if (!GELU_FORMS.includes(g as GeluForm)) {
    throw new InputError(`backend "${spec.name}": "gelu" must be one of ${GELU_FORMS.map((f) => `"${f}"`).join(', ')}, got ${JSON.stringify(g)}`);
  }
  return g as GeluForm;
}

export const createReferenceBackend: BackendFactory = (spec) => new ReferenceBackend(spec.name, spec.modelDir, parseGelu(spec));
