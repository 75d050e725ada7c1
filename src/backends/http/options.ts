/**
 * Config keys of the `http` runtime, validated up front so that a typo fails at config time with the
 * backend and key named, like every other runner's options.
 */
import { InputError } from '../../errors.js';
import type { BackendSpec } from '../backend.js';
import { HTTP_APIS, SERVER_TRUNCATE_DEFAULT, type HttpApi } from './api.js';
import { parseServeOptions, type ServeOptions } from './serve-options.js';

export const HTTP_OPTION_KEYS = ['api', 'serverTruncate', 'serverNormalize', 'url', 'apiModel', 'apiKeyEnv', 'batchSize', 'requestTimeoutMs', 'retries', 'normalize', 'encoding', 'serve', 'describeServer', 'prompt'] as const;

export interface HttpOptions {
  /** The request/reply format (api.ts): "openai" (default), "tei" (TEI's /embed) or "ollama" (/api/embed). */
  api: HttpApi;
  /** TEI / Ollama: the "truncate" field sent; default each API's documented default (TEI false, Ollama true). */
  serverTruncate: boolean;
  /** TEI: the "normalize" field sent; default true, TEI's own default. */
  serverNormalize: boolean;
  /**
   * Full endpoint URL, e.g. http://127.0.0.1:7997/v1/embeddings (checked for syntax in availability()),
   * or with `serve` the path on the started server, e.g. /v1/embeddings.
   */
  url: string;
  /** The "model" field of the request body (the name the server knows the model by; unused by TEI's /embed). */
  apiModel: string;
  /** Name of the environment variable that holds the API key (sent as `Authorization: Bearer`). */
  apiKeyEnv?: string;
  /** Texts per request. */
  batchSize: number;
  /** Limit for one request (connect + reply body), milliseconds. */
  requestTimeoutMs: number;
  /** Further attempts after a 429, 408, 5xx, network error or request timeout. */
  retries: number;
  /** true: the harness L2-normalizes the server's vectors; false (default): compare them as returned. */
  normalize: boolean;
  /** "encoding_format" asked for: float (JSON numbers) or base64 (little-endian float32 bytes, exact and smaller). */
  encoding: 'float' | 'base64';
  /** Start this server for the run (see serve-options.ts); absent: the server is already running at `url`. */
  serve?: ServeOptions;
  /** GET {prefix}/models and {prefix}/openapi.json after opening, for environment() (default: true with `serve`). */
  describeServer: boolean;
  /**
   * The run's sentence-transformers prompt (the model's default_prompt_name, or promptName /
   * --prompt-name): "prepend" (default) sends prompt + text, the string concatenation
   * encode(prompt_name=…) does, since OpenAI-style APIs have no prompt field; "server" sends the
   * texts as-is because the server applies the prompt itself (e.g. TEI's --default-prompt-name).
   */
  prompt: HttpPromptMode;
}

export type HttpPromptMode = 'prepend' | 'server';

export const HTTP_DEFAULTS = { batchSize: 32, requestTimeoutMs: 30_000, retries: 3, normalize: false } as const;

export function parseHttpOptions(spec: BackendSpec): HttpOptions {
  const o = spec.options;
  const fail = (key: string, expected: string): never => {
    throw new InputError(`backend "${spec.name}": "${key}" must be ${expected}, got ${JSON.stringify(o[key])}`);
  };
  const int = (key: string, min: number, fallback: number): number => {
    const v = o[key];
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) fail(key, `an integer >= ${min}`);
    return v as number;
  };
  const serve = o.serve === undefined ? undefined : parseServeOptions(spec, o.serve);
  if (serve) {
    if (typeof o.url !== 'string' || !o.url.startsWith('/')) fail('url', 'the endpoint path on the server that "serve" starts, e.g. "/v1/embeddings"');
  } else if (typeof o.url !== 'string' || o.url.trim() === '') fail('url', 'the full endpoint URL, e.g. "http://127.0.0.1:7997/v1/embeddings"');
  const api = o.api ?? 'openai';
  if (typeof api !== 'string' || !(HTTP_APIS as readonly string[]).includes(api)) fail('api', `one of ${HTTP_APIS.join(', ')}`);
  if (api === 'tei') {
    if (o.apiModel !== undefined && (typeof o.apiModel !== 'string' || o.apiModel === '')) fail('apiModel', 'a non-empty string (TEI\'s /embed ignores it; {apiModel} in "serve" may use it)');
  } else if (typeof o.apiModel !== 'string' || o.apiModel === '') fail('apiModel', 'the model name the server expects in the request body (a non-empty string)');
  if (api === 'openai') {
    for (const key of ['serverTruncate', 'serverNormalize']) {
      if (o[key] !== undefined) fail(key, 'left out with "api": "openai" (the OpenAI format has no truncate or normalize field); use "api": "tei" or "ollama"');
    }
  }
  if (api === 'ollama' && o.serverNormalize !== undefined) fail('serverNormalize', 'left out with "api": "ollama" (Ollama always L2-normalizes /api/embed vectors; "normalize": true normalizes in the harness)');
  const serverTruncate = o.serverTruncate ?? SERVER_TRUNCATE_DEFAULT[api as HttpApi] ?? false;
  if (typeof serverTruncate !== 'boolean') fail('serverTruncate', 'true or false');
  const serverNormalize = o.serverNormalize ?? true;
  if (typeof serverNormalize !== 'boolean') fail('serverNormalize', 'true or false');
  if (api !== 'openai' && o.encoding !== undefined && o.encoding !== 'float') fail('encoding', `left out with "api": "${api}" (only the OpenAI format has base64 vectors)`);
  const apiKeyEnv = o.apiKeyEnv;
  if (apiKeyEnv !== undefined && (typeof apiKeyEnv !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(apiKeyEnv))) {
    fail('apiKeyEnv', 'the NAME of an environment variable holding the API key (not the key itself)');
  }
  const normalize = o.normalize ?? HTTP_DEFAULTS.normalize;
  if (typeof normalize !== 'boolean') fail('normalize', 'true or false');
  const encoding = o.encoding ?? 'float';
  if (encoding !== 'float' && encoding !== 'base64') fail('encoding', '"float" or "base64"');
  const describeServer = o.describeServer ?? serve !== undefined;
  if (typeof describeServer !== 'boolean') fail('describeServer', 'true or false');
  const prompt = o.prompt ?? 'prepend';
  if (prompt !== 'prepend' && prompt !== 'server') {
    fail('prompt', '"prepend" (parity prepends the run\'s prompt to each text) or "server" (the server applies it itself)');
  }
  return {
    api: api as HttpApi,
    serverTruncate: serverTruncate as boolean,
    serverNormalize: serverNormalize as boolean,
    url: (o.url as string).trim(),
    apiModel: (o.apiModel as string | undefined) ?? '',
    apiKeyEnv: apiKeyEnv as string | undefined,
    batchSize: int('batchSize', 1, HTTP_DEFAULTS.batchSize),
    requestTimeoutMs: int('requestTimeoutMs', 1, HTTP_DEFAULTS.requestTimeoutMs),
    retries: int('retries', 0, HTTP_DEFAULTS.retries),
    normalize: normalize as boolean,
    encoding: encoding as 'float' | 'base64',
    ...(serve ? { serve } : {}),
    describeServer: describeServer as boolean,
    prompt: prompt as HttpPromptMode,
  };
}
