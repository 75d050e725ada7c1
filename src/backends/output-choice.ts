/**
 * Which output of an ONNX export holds the embeddings. Exports parity did not make carry whatever
 * names their exporter gave (torch.onnx.export without output_names: "output", "1234", ...), so the
 * choice goes, in order: the config's `output` / `outputKind`; a conventional name
 * (last_hidden_state, token_embeddings, sentence_embedding); the only output; the declared shapes
 * against config.json's hidden_size (exactly one [batch, seq, hidden] output holds token vectors,
 * else exactly one [batch, hidden] output is the sentence vector). When nothing decides, the error
 * lists every output with its shape and the config line that picks one. `parity init` (from the
 * file) and the runners (from the session's metadata) both call chooseModelOutput.
 */
import { BackendError, InputError } from '../errors.js';
import type { BackendSpec } from './backend.js';

/** An input or output as the file declares it: a dim is a number, a symbolic name, or unknown (null). */
export interface DeclaredValue {
  name: string;
  /** ONNX element type in onnxruntime-common's spelling (float32, int64, int32, ...), when known. */
  type?: string;
  /** null when the file declares no shape. */
  shape: readonly (number | string | null)[] | null;
}

/** The output a runner reads: token vectors (pooled by the harness) or a sentence vector pooled by the model. */
export interface ModelOutput {
  name: string;
  /**
   * "tokens": [batch, seq, hidden]; "sentence": [batch, dim], the model's own pooling; "auto": the
   * only output, with no shape declared, told by its rank at run time.
   */
  kind: 'tokens' | 'sentence' | 'auto';
  /** How it was chosen: by the config, its conventional name, being the only one, or by shape. */
  by: 'config' | 'name' | 'only' | 'shape';
}

export const OUTPUT_KINDS = ['token_embeddings', 'sentence_embedding'] as const;
export type OutputKind = (typeof OUTPUT_KINDS)[number];

/** The config's `output` and `outputKind` keys of an ONNX backend. */
export interface OutputChoice {
  output?: string;
  outputKind?: OutputKind;
}

export const OUTPUT_OPTION_KEYS = ['output', 'outputKind'] as const;

export function parseOutputChoice(spec: BackendSpec): OutputChoice {
  const { output, outputKind } = spec.options;
  if (output !== undefined && (typeof output !== 'string' || output === '')) {
    throw new InputError(`backend "${spec.name}": "output" must be the name of one of the model's outputs, got ${JSON.stringify(output)}`);
  }
  if (outputKind !== undefined && !(OUTPUT_KINDS as readonly unknown[]).includes(outputKind)) {
    throw new InputError(`backend "${spec.name}": "outputKind" must be ${OUTPUT_KINDS.join(' or ')}, got ${JSON.stringify(outputKind)}`);
  }
  return { ...(output !== undefined ? { output: output as string } : {}), ...(outputKind !== undefined ? { outputKind: outputKind as OutputKind } : {}) };
}

/** A shape as the error and the report show it: [batch, sequence, 32], or "no shape". */
export function formatShape(shape: DeclaredValue['shape']): string {
  return shape ? `[${shape.map((d) => (d === null ? '?' : String(d))).join(', ')}]` : 'no shape';
}

/** The last dim is the hidden size (or is not fixed in the file, so it may be). */
function fitsHidden(shape: readonly (number | string | null)[], hidden: number | null): boolean {
  const last = shape[shape.length - 1];
  return hidden === null || typeof last !== 'number' || last === hidden;
}

const CONVENTIONAL: readonly [string, ModelOutput['kind']][] = [
  ['last_hidden_state', 'tokens'],
  ['token_embeddings', 'tokens'],
  ['sentence_embedding', 'sentence'],
];

/**
 * @param hidden config.json's hidden_size (null when unknown: any last dim fits)
 * @param where the config file and backend, for the line that picks an output
 */
export function chooseModelOutput(backend: string, outputs: readonly DeclaredValue[], hidden: number | null, choice: OutputChoice = {}): ModelOutput {
  const names = outputs.map((o) => o.name);
  const kindOf = (k: OutputKind): ModelOutput['kind'] => (k === 'token_embeddings' ? 'tokens' : 'sentence');
  if (choice.output !== undefined) {
    const found = outputs.find((o) => o.name === choice.output);
    if (!found) throw new BackendError(backend, `"output": ${JSON.stringify(choice.output)} is not an output of the model (its outputs: ${listOutputs(outputs)})`);
    const rank = found.shape?.length;
    const kind: ModelOutput['kind'] = choice.outputKind ? kindOf(choice.outputKind) : rank === 3 ? 'tokens' : rank === 2 ? 'sentence' : 'auto';
    return { name: found.name, kind, by: 'config' };
  }
  if (choice.outputKind) {
    // Only the kind given: the one output of that rank (and hidden size) is it.
    const rank = choice.outputKind === 'token_embeddings' ? 3 : 2;
    const fit = outputs.filter((o) => o.shape?.length === rank && fitsHidden(o.shape, hidden));
    if (fit.length === 1) return { name: fit[0].name, kind: kindOf(choice.outputKind), by: 'config' };
    throw undecided(backend, outputs, hidden, `${fit.length} outputs fit outputKind ${choice.outputKind}`);
  }
  for (const [name, kind] of CONVENTIONAL) if (names.includes(name)) return { name, kind, by: 'name' };
  if (outputs.length === 1) {
    const rank = outputs[0].shape?.length;
    return { name: outputs[0].name, kind: rank === 3 ? 'tokens' : rank === 2 ? 'sentence' : 'auto', by: 'only' };
  }
  const tokens = outputs.filter((o) => o.shape?.length === 3 && fitsHidden(o.shape, hidden));
  if (tokens.length === 1) return { name: tokens[0].name, kind: 'tokens', by: 'shape' };
  const sentences = outputs.filter((o) => o.shape?.length === 2 && fitsHidden(o.shape, hidden));
  if (tokens.length === 0 && sentences.length === 1) return { name: sentences[0].name, kind: 'sentence', by: 'shape' };
  throw undecided(backend, outputs, hidden, `${tokens.length} fit [batch, seq, hidden] and ${sentences.length} fit [batch, hidden]`);
}

function listOutputs(outputs: readonly DeclaredValue[]): string {
  return outputs.map((o) => `"${o.name}" ${formatShape(o.shape)}`).join(', ');
}

function undecided(backend: string, outputs: readonly DeclaredValue[], hidden: number | null, why: string): BackendError {
  const example = outputs.find((o) => o.shape?.length === 3) ?? outputs[0];
  const kind = example?.shape?.length === 2 ? 'sentence_embedding' : 'token_embeddings';
  return new BackendError(
    backend,
    `cannot tell which output holds the embeddings: ${listOutputs(outputs)} (hidden_size ${hidden ?? 'unknown'} from config.json; ${why}); ` +
      `name one in this backend's entry of parity.config.json, e.g. "output": ${JSON.stringify(example?.name ?? 'NAME')}, "outputKind": "${kind}"`,
  );
}

/** Checks the output's rank against its kind; true when it holds token vectors ([batch, seq, hidden]). */
export function checkOutputDims(backend: string, output: Pick<ModelOutput, 'name' | 'kind'>, dims: readonly number[]): boolean {
  const tokens = output.kind === 'tokens' || (output.kind === 'auto' && dims.length === 3);
  const want = tokens ? 3 : 2;
  if (dims.length !== want) {
    throw new BackendError(backend, `output "${output.name}" has dims [${dims}], expected ${tokens ? '[batch, seq, hidden]' : '[batch, dim]'}`);
  }
  return tokens;
}
