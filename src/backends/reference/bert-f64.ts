/**
 * A float64 BertModel forward pass from model.safetensors + config.json, in plain loops: the oracle
 * that does not share a single kernel with ONNX Runtime. One sequence at a time, so there is no
 * padding and no additive mask at all: padded keys simply do not exist, which is what every masked
 * implementation approximates.
 *
 * The matrix products run on a WebAssembly SIMD kernel (wasm-products.ts) that adds up every element
 * in the same order as the plain loops of products.ts, so its results are bit-identical to them;
 * `{ kernel: 'loops' }` runs the loops themselves (the bit-identity test and the bench do).
 */
import { alibiSlopes, isCausal, positionKind, rotaryInvFreq, type BertConfig, type PositionKind } from '../../model/bert-config.js';
import { GELU_FORMS, geluOf, type GeluForm } from '../../numeric/gelu.js';
import { LoopProducts, type LinearWeights as Linear, type Products } from './products.js';
import { WasmProducts } from './wasm-products.js';

export interface BertFloat64Options {
  /** 'wasm' (default): the SIMD kernel; 'loops': the plain loops. Bit-identical either way. */
  kernel?: 'wasm' | 'loops';
  /** Overrides the config's GELU form (the llama.cpp finding runs the model with ggml's CPU GELU). */
  gelu?: GeluForm;
}
/**
 * A weight as the constructor takes it: readSafetensors' float32 tensors (copied to float64), or
 * float64 ones, used as they are without a copy (shared-weights.ts hands worker threads views on one
 * SharedArrayBuffer this way). The model never writes to a weight.
 */
export interface BertWeight {
  shape: readonly number[];
  data: Float32Array | Float64Array;
}
interface LayerNorm {
  g: Float64Array;
  b: Float64Array;
}
interface Layer {
  q: Linear;
  k: Linear;
  v: Linear;
  attnOut: Linear;
  attnNorm: LayerNorm;
  inter: Linear;
  out: Linear;
  outNorm: LayerNorm;
}


/** transformers' ACT2FN names of the GELU forms the reference computes. */
const HIDDEN_ACT_GELU: Record<string, GeluForm> = { gelu: 'erf', gelu_python: 'erf', gelu_new: 'tanh', gelu_pytorch_tanh: 'tanh' };

/** position_embedding_type values the reference computes: a learned table, ALiBi biases, rotary q/k. */
const SUPPORTED_POSITIONS: readonly string[] = ['absolute', 'alibi', 'rotary'] satisfies PositionKind[];
export class BertFloat64 {
  private readonly word: Float64Array;
  /** Learned position table; empty for ALiBi and rotary models. */
  private readonly position: Float64Array;
  private readonly positions: PositionKind;
  /** ALiBi: -slope·|i-j| is added to head h's scores (JinaBERT's symmetric, bidirectional form). */
  private readonly slopes: number[] = [];
  /** Causal self-attention (`is_decoder`): query i reads keys 0..i only; later keys do not exist for it. */
  private readonly causal: boolean;
  private readonly tokenType: Float64Array;
  private readonly embNorm: LayerNorm;
  private readonly layers: Layer[] = [];
  private readonly products: Products;
  readonly hidden: number;
  private readonly gelu: (x: number) => number;

  /** `gelu` overrides the config's form (the llama.cpp finding runs the model with ggml's CPU GELU). */
  constructor(
    private readonly config: BertConfig,
    tensors: ReadonlyMap<string, BertWeight>,
    options: BertFloat64Options = {},
  ) {
    const act = config.hidden_act;
    const form = options.gelu ?? HIDDEN_ACT_GELU[act as string];
    if (!form || !GELU_FORMS.includes(form)) {
      throw new Error(`hidden_act "${act}" is not supported by the reference (only GELU: ${Object.keys(HIDDEN_ACT_GELU).map((a) => `"${a}"`).join(', ')})`);
    }
    this.gelu = geluOf(form);
    // BERT's relative_key / relative_key_query variants would load and run silently wrong: refuse
    // everything but the position kinds this forward pass computes (positionKind).
    const positionType = config.position_embedding_type ?? 'absolute';
    if (!SUPPORTED_POSITIONS.includes(positionType as string)) {
      throw new Error(`position_embedding_type "${positionType}" is not supported by the reference (only ${SUPPORTED_POSITIONS.map((p) => `"${p}"`).join(', ')})`);
    }
    // Checkpoints saved from BertForMaskedLM etc. prefix names with "bert."; BertModel checkpoints
    // (sentence-transformers/all-MiniLM-L6-v2) have none. Extra entries (pooler, the position_ids
    // buffer) are not looked up.
    const prefix = tensors.has('bert.embeddings.word_embeddings.weight') ? 'bert.' : '';
    const get = (name: string, shape: number[]): Float64Array => {
      const t = tensors.get(prefix + name);
      if (!t) throw new Error(`weights have no tensor "${prefix + name}" (is this a BERT model?)`);
      if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
        throw new Error(`tensor ${name} has shape [${t.shape}], config.json implies [${shape}]`);
      }
      return t.data instanceof Float64Array ? t.data : Float64Array.from(t.data);
    };
    const H = config.hidden_size;
    const I = config.intermediate_size;
    this.products = options.kernel === 'loops' ? new LoopProducts() : new WasmProducts();
    const linear = (name: string, out: number, inp: number): Linear =>
      this.products.linearWeights(get(`${name}.weight`, [out, inp]), get(`${name}.bias`, [out]), out, inp);
    const norm = (name: string): LayerNorm => ({ g: get(`${name}.weight`, [H]), b: get(`${name}.bias`, [H]) });
    this.hidden = H;
    this.word = get('embeddings.word_embeddings.weight', [config.vocab_size, H]);
    this.positions = positionKind(config);
    this.position = this.positions === 'absolute' ? get('embeddings.position_embeddings.weight', [config.max_position_embeddings, H]) : new Float64Array(0);
    if (this.positions === 'alibi') this.slopes = alibiSlopes(config);
    this.causal = isCausal(config);
    this.tokenType = get('embeddings.token_type_embeddings.weight', [config.type_vocab_size, H]);
    this.embNorm = norm('embeddings.LayerNorm');
    for (let l = 0; l < config.num_hidden_layers; l++) {
      const p = `encoder.layer.${l}`;
      this.layers.push({
        q: linear(`${p}.attention.self.query`, H, H),
        k: linear(`${p}.attention.self.key`, H, H),
        v: linear(`${p}.attention.self.value`, H, H),
        attnOut: linear(`${p}.attention.output.dense`, H, H),
        attnNorm: norm(`${p}.attention.output.LayerNorm`),
        inter: linear(`${p}.intermediate.dense`, I, H),
        out: linear(`${p}.output.dense`, H, I),
        outNorm: norm(`${p}.output.LayerNorm`),
      });
    }
  }

  /**
   * last_hidden_state [seq, hidden] for one unpadded sequence. `probe`, when given, sees every
   * intermediate (embeddings, per layer attention probabilities [heads, seq, seq], GELU output,
   * layer output) — for tests of the fixture's numerics and for layer-wise diagnosis.
   */
  forward(ids: readonly number[], typeIds: readonly number[], probe?: Probe): Float64Array {
    const H = this.hidden;
    const S = ids.length;
    const x = new Float64Array(S * H);
    for (let s = 0; s < S; s++) {
      const w = ids[s] * H;
      const p = s * H;
      const t = typeIds[s] * H;
      const pos = this.positions === 'absolute' ? this.position : null;
      for (let h = 0; h < H; h++) x[s * H + h] = this.word[w + h] + (pos ? pos[p + h] : 0) + this.tokenType[t + h];
    }
    layerNorm(x, S, H, this.embNorm, this.config.layer_norm_eps);
    probe?.('embeddings', x);

    let hidden: Float64Array = x;
    this.layers.forEach((layer, l) => {
      hidden = this.layer(hidden, S, layer, probe && ((name, data) => probe(`layer.${l}.${name}`, data)));
    });
    return hidden;
  }

  private layer(x: Float64Array, S: number, L: Layer, probe?: Probe): Float64Array {
    const H = this.hidden;
    const heads = this.config.num_attention_heads;
    const dh = H / heads;
    const scale = 1 / Math.sqrt(dh);
    const P = this.products;
    const q = P.linear(x, S, L.q);
    const k = P.linear(x, S, L.k);
    const v = P.linear(x, S, L.v);
    if (this.positions === 'rotary') {
      rotate(q, S, H, dh);
      rotate(k, S, H, dh);
    }
    // Memory stays O(S·H) whatever S is: scores for a block of query rows at a time, never S×S per
    // head at 8192 tokens (only a probe asks for the full probabilities).
    const context = new Float64Array(S * H);
    const probs = probe ? new Float64Array(heads * S * S) : null;
    const blockRows = Math.max(4, Math.floor(ATTENTION_BLOCK_VALUES / S / 4) * 4);
    // Each head's q and k copied contiguous ([S, dh]) and v transposed ([dh, S]): scores = q·kᵀ
    // and context = p·v are then both products over contiguous rows.
    const qh = new Float64Array(S * dh);
    const kh = new Float64Array(S * dh);
    const vt = new Float64Array(dh * S);
    for (let h = 0; h < heads; h++) {
      const off = h * dh;
      for (let s = 0; s < S; s++) {
        for (let d = 0; d < dh; d++) {
          qh[s * dh + d] = q[s * H + off + d];
          kh[s * dh + d] = k[s * H + off + d];
          vt[d * S + s] = v[s * H + off + d];
        }
      }
      const slope = this.positions === 'alibi' ? this.slopes[h] : 0;
      for (let first = 0; first < S; first += blockRows) {
        const rows = Math.min(blockRows, S - first);
        const scores = P.product(qh.subarray(first * dh, (first + rows) * dh), rows, dh, kh, S);
        for (let r = 0; r < rows; r++) {
          const i = first + r;
          const row = r * S;
          // As with padding, masked keys are not approximated by a large negative score: a causal
          // row simply has no keys past itself (their probabilities are exactly 0, and adding
          // 0·v leaves every context sum as it was).
          const keys = this.causal ? i + 1 : S;
          let max = -Infinity;
          for (let j = 0; j < keys; j++) {
            const score = scores[row + j] * scale - slope * Math.abs(i - j);
            scores[row + j] = score;
            if (score > max) max = score;
          }
          let sum = 0;
          for (let j = 0; j < keys; j++) {
            scores[row + j] = Math.exp(scores[row + j] - max);
            sum += scores[row + j];
          }
          // Same operation order as the plain loops the goldens were made with (p = w / sum, then
          // p·v accumulated over keys in order), so they stay bit-identical.
          for (let j = 0; j < keys; j++) scores[row + j] /= sum;
          scores.fill(0, row + keys, row + S);
          probs?.set(scores.subarray(row, row + S), (h * S + i) * S);
        }
        const ctx = P.product(scores, rows, S, vt, dh);
        for (let r = 0; r < rows; r++) {
          for (let d = 0; d < dh; d++) context[(first + r) * H + off + d] = ctx[r * dh + d];
        }
      }
    }
    if (probs) probe!('attention_probs', probs);
    // Probes named after transformers' BertLayer modules (bisect pairs them with PyTorch's hooks);
    // a probe sees the array before later steps change it in place, so it must copy what it keeps.
    probe?.('attention.self', context);
    const attn = P.linear(context, S, L.attnOut);
    probe?.('attention.output.dense', attn);
    for (let i = 0; i < attn.length; i++) attn[i] += x[i];
    layerNorm(attn, S, H, L.attnNorm, this.config.layer_norm_eps);
    probe?.('attention', attn);

    const inter = P.linear(attn, S, L.inter);
    probe?.('intermediate.dense', inter);
    const gelu = this.gelu;
    for (let i = 0; i < inter.length; i++) inter[i] = gelu(inter[i]);
    probe?.('intermediate', inter);
    const out = P.linear(inter, S, L.out);
    probe?.('output.dense', out);
    for (let i = 0; i < out.length; i++) out[i] += attn[i];
    layerNorm(out, S, H, L.outNorm, this.config.layer_norm_eps);
    probe?.('output', out);
    return out;
  }
}

export type Probe = (name: string, data: Float64Array) => void;

/** Attention scores held at once per head (rows × keys): 8 MiB, so 8192 tokens go 128 query rows at a time. */
const ATTENTION_BLOCK_VALUES = 1 << 20;

/**
 * RoFormer's rotary embedding in place on [S, H] (heads side by side): each pair (2j, 2j+1) of a
 * head turns by position·10000^(-2j/dh). Angles in float64, so long positions lose nothing.
 */
function rotate(x: Float64Array, S: number, H: number, dh: number): void {
  const inv = rotaryInvFreq(dh);
  for (let s = 0; s < S; s++) {
    for (let j = 0; j < dh / 2; j++) {
      const c = Math.cos(s * inv[j]);
      const n = Math.sin(s * inv[j]);
      for (let o = s * H + 2 * j; o < (s + 1) * H; o += dh) {
        const a = x[o];
        const b = x[o + 1];
        x[o] = a * c - b * n;
        x[o + 1] = b * c + a * n;
      }
    }
  }
}

function layerNorm(x: Float64Array, S: number, H: number, n: LayerNorm, eps: number): void {
  for (let s = 0; s < S; s++) {
    const o = s * H;
    let mean = 0;
    for (let h = 0; h < H; h++) mean += x[o + h];
    mean /= H;
    let variance = 0;
    for (let h = 0; h < H; h++) variance += (x[o + h] - mean) ** 2;
    variance /= H;
    const inv = 1 / Math.sqrt(variance + eps);
    for (let h = 0; h < H; h++) x[o + h] = (x[o + h] - mean) * inv * n.g[h] + n.b[h];
  }
}
