/**
 * The request and reply formats the `http` runtime speaks (option `api`), each as its server
 * documents it:
 *
 * - `openai`: POST {"input": [...], "model", "encoding_format"} → {"data": [{"embedding", "index"}]}
 *   (Infinity, vLLM, TEI's /v1/embeddings, OpenAI). Truncation and normalization are the server's own
 *   choice: the API has no field for them.
 * - `tei`: text-embeddings-inference's native POST /embed {"inputs": [...], "normalize", "truncate"}
 *   → [[...], ...]. Errors are {"error", "error_type"}: 413 Validation (more inputs than
 *   --max-client-batch-size, or a text over max_input_length with truncate false), 422 Tokenizer,
 *   424 Backend (inference failed), 429 Overloaded, 503 Unhealthy.
 * - `ollama`: POST /api/embed {"model", "input": [...], "truncate"} → {"model", "embeddings": [[...]]}.
 *   Errors are {"error"} (400 bad request or a text over the context with truncate false, 404 unknown
 *   model, 500). Ollama L2-normalizes every vector itself; there is no field to turn that off.
 *
 * parity always sends the truncation (and TEI's normalization) setting explicitly rather than relying
 * on a server default, and environment() records what was sent, because a server that truncates
 * elsewhere than sentence-transformers' max_seq_length, or normalizes where the model has no Normalize
 * module, gives a real divergence that the report must be able to explain.
 */
import { checkVector, parseEmbeddingsReply, parseJsonBody, ReplyError, snippet, typeName, type EmbeddingsReply } from './reply.js';

export const HTTP_APIS = ['openai', 'tei', 'ollama'] as const;
export type HttpApi = (typeof HTTP_APIS)[number];

/** The options a request body is built from (resolved from HttpOptions). */
export interface ApiSettings {
  api: HttpApi;
  apiModel: string;
  encoding: 'float' | 'base64';
  /** `truncate` sent to TEI / Ollama. */
  serverTruncate: boolean;
  /** `normalize` sent to TEI. */
  serverNormalize: boolean;
}

/** The documented default of `truncate` when a request leaves it out: TEI refuses long texts, Ollama cuts them. */
export const SERVER_TRUNCATE_DEFAULT: Record<HttpApi, boolean | null> = { openai: null, tei: false, ollama: true };

/** The request body for one batch. `promptName`: TEI's prompt_name, when the server applies the run's prompt. */
export function requestBody(settings: ApiSettings, texts: readonly string[], promptName: string | null): Record<string, unknown> {
  switch (settings.api) {
    case 'openai':
      return { input: texts, model: settings.apiModel, encoding_format: settings.encoding };
    case 'tei':
      return {
        inputs: texts,
        normalize: settings.serverNormalize,
        truncate: settings.serverTruncate,
        ...(settings.serverTruncate ? { truncation_direction: 'Right' } : {}),
        ...(promptName !== null ? { prompt_name: promptName } : {}),
      };
    case 'ollama':
      return { model: settings.apiModel, input: texts, truncate: settings.serverTruncate };
  }
}

/** Reads a 2xx reply body in the API's format, strictly (every way it can be wrong has its message). */
export function parseReply(settings: ApiSettings, body: string, expectedCount: number, expectedDim?: number): EmbeddingsReply {
  if (settings.api === 'openai') return parseEmbeddingsReply(body, expectedCount, expectedDim, settings.encoding);
  const json = parseJsonBody(body);
  let list: unknown;
  let model: string | undefined;
  let where: string;
  if (settings.api === 'tei') {
    if (!Array.isArray(json)) throw new ReplyError(`expected TEI's array of embeddings [[...], ...], got ${typeName(json)}${errorSuffix(json)}`);
    list = json;
    where = 'reply';
  } else {
    if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new ReplyError(`expected Ollama's {"embeddings": [[...], ...]}, got ${typeName(json)}`);
    const reply = json as { embeddings?: unknown; model?: unknown };
    if (!Array.isArray(reply.embeddings)) {
      throw new ReplyError(`reply has no "embeddings" array (keys: ${Object.keys(reply).join(', ') || 'none'})${errorSuffix(json)}`);
    }
    list = reply.embeddings;
    model = typeof reply.model === 'string' ? reply.model : undefined;
    where = 'embeddings';
  }
  const vectors = list as unknown[];
  if (vectors.length !== expectedCount) throw new ReplyError(`reply has ${vectors.length} embeddings for ${expectedCount} texts`);
  let dim = expectedDim ?? -1;
  vectors.forEach((v, i) => {
    dim = checkVector(v, `${where}[${i}]`, dim, expectedDim !== undefined ? 'earlier batches had' : `${where}[0] has`);
  });
  return { vectors: vectors as number[][], dim, ...(model !== undefined ? { model } : {}) };
}

function errorSuffix(json: unknown): string {
  const text = errorText(json);
  return text ? `; the server says: ${snippet(text)}` : '';
}

/**
 * The server's own words from an error body, in each API's shape: TEI {"error", "error_type"},
 * Ollama {"error": "..."}, OpenAI {"error": {"message", "type"}}, FastAPI {"detail"}; null if none.
 */
export function errorText(json: unknown): string | null {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return null;
  const o = json as { error?: unknown; error_type?: unknown; detail?: unknown };
  const err = o.error ?? o.detail;
  if (typeof err === 'string') return typeof o.error_type === 'string' ? `${o.error_type} error: ${err}` : err;
  if (typeof err === 'object' && err !== null && typeof (err as { message?: unknown }).message === 'string') {
    const e = err as { message: string; type?: unknown };
    return typeof e.type === 'string' ? `${e.type}: ${e.message}` : e.message;
  }
  return err !== undefined ? JSON.stringify(err) : null;
}

/**
 * What an error status means for this API and what to do about it, beyond the server's own words
 * (empty when the status needs no explanation).
 */
export function statusHint(api: HttpApi, status: number, batchSize: number): string {
  if (api === 'tei') {
    if (status === 413) return `TEI's 413 is a validation error: more than its --max-client-batch-size inputs in one request (this backend sends batchSize ${batchSize}: lower it), or a text over max_input_length with "serverTruncate": false`;
    if (status === 424) return "TEI's 424 is a backend error: the model's forward pass failed on the server";
    if (status === 422) return "TEI's 422 is a tokenizer error";
  }
  if (api === 'ollama') {
    if (status === 404) return 'Ollama answers 404 for a model it has not pulled: check "apiModel" against `ollama list`';
    if (status === 400) return 'Ollama answers 400 for a malformed request, or for a text longer than the context with "serverTruncate": false';
  }
  return '';
}

/** The environment facts of the server-side settings, as sent: truncation and normalization. */
export function serverSettingsEnvironment(settings: ApiSettings): Record<string, unknown> {
  switch (settings.api) {
    case 'openai':
      return { api: 'openai', serverTruncate: 'the server\'s own (the OpenAI format has no field for it)', serverNormalize: 'the server\'s own (the OpenAI format has no field for it)' };
    case 'tei':
      return {
        api: 'tei',
        serverTruncate: settings.serverTruncate ? 'sent truncate true: TEI cuts texts at its max_input_length, from the right' : 'sent truncate false: TEI refuses texts over its max_input_length (413)',
        serverNormalize: settings.serverNormalize ? 'sent normalize true: TEI L2-normalizes' : 'sent normalize false: vectors as pooled',
      };
    case 'ollama':
      return {
        api: 'ollama',
        serverTruncate: settings.serverTruncate ? "sent truncate true: Ollama cuts texts at the model's context" : 'sent truncate false: Ollama refuses texts longer than the context',
        serverNormalize: 'always: Ollama L2-normalizes every /api/embed vector (no field turns it off)',
      };
  }
}

/** Paths (from the server's root) that describe a server of this API, read once after open(). */
export function describePaths(api: HttpApi): string[] {
  return api === 'tei' ? ['/info'] : api === 'ollama' ? ['/api/version'] : [];
}

/** The report's serverInfo from those paths' JSON (null where a GET failed). */
export function describeFromPaths(api: HttpApi, replies: Record<string, unknown>): Record<string, unknown> {
  if (api === 'tei') {
    const info = replies['/info'] as Record<string, unknown> | null;
    if (!info || typeof info !== 'object') return {};
    const pick = ['model_id', 'model_dtype', 'max_input_length', 'max_client_batch_size', 'auto_truncate', 'version'] as const;
    return Object.fromEntries(pick.filter((k) => info[k] !== undefined).map((k) => [k, info[k]]));
  }
  if (api === 'ollama') {
    const v = replies['/api/version'] as { version?: unknown } | null;
    return typeof v?.version === 'string' ? { version: v.version } : {};
  }
  return {};
}
