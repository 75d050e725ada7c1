/**
 * `http`: an embeddings server over HTTP, in the format named by `api` (api.ts): `openai` (default:
 * Infinity, text-embeddings-inference, vLLM, OpenAI: `POST {url}` with `{"input": [texts], "model":
 * apiModel, "encoding_format": "float"}`), `tei` (TEI's own /embed) or `ollama` (/api/embed).
 *
 * The server tokenizes, pools and (maybe) normalizes by itself: the harness tokenizer is not used,
 * and the vectors are compared as returned unless `normalize: true` asks the harness to L2-normalize
 * them. The run's sentence-transformers prompt (the model's default_prompt_name, or promptName) is
 * prepended to each text before it is sent, as encode(prompt_name=…) does, since OpenAI-style APIs
 * have no prompt field and servers apply none unless started to; `prompt: "server"` sends the texts
 * as-is for a server that applies the prompt itself. Either way environment() says which.
 *
 * Requests go in batches of `batchSize`, one at a time; 429, 408, 5xx, network errors and request
 * timeouts are retried `retries` times with exponential backoff (or the server's
 * Retry-After, capped), so the time one batch can take is bounded by
 * (retries + 1) × requestTimeoutMs plus the capped waits. The API key is read from the environment
 * variable named by `apiKeyEnv` and never written anywhere: environment() records the variable's
 * name and whether it was set, and every message is scrubbed of the key.
 *
 * With `serve`, the backend starts the server itself (server-process.ts) on a free loopback port in
 * open() and stops it in close(); a server that dies mid-run fails the backend at once with its exit
 * code or signal and the tail of its output, instead of being retried like a network hiccup.
 */
import { existsSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { availableParallelism } from 'node:os';
import { BackendError, describeCause } from '../../errors.js';
import { findPython, missingPythonModules, PYTHON_SETUP_HINT, type PythonInterpreter } from '../../python/interpreter.js';
import type { Availability, Backend, BackendContext, BackendFactory, BackendSpec } from '../backend.js';
import type { Matrix } from '../../numeric/matrix.js';
import type { ModelInfo } from '../../model/model-folder.js';
import { parseHttpOptions, type HttpOptions } from './options.js';
import { fillPlaceholders, type Placeholder } from './serve-options.js';
import { describeExit } from '../../process/supervisor.js';
import { freePort, LOOPBACK, ServerProcess } from './server-process.js';
import { describeFromPaths, describePaths, errorText, parseReply, requestBody, serverSettingsEnvironment, statusHint } from './api.js';
import { ReplyError, snippet, type EmbeddingsReply } from './reply.js';
import { backoffMs, DEFAULT_RETRY_TIMING, retryAfterMs, sleep, type RetryTiming } from './retry.js';
import { redactUrl } from './url.js';

type Attempt =
  | { ok: true; body: string }
  | { ok: false; retryable: boolean; problem: string; retryAfterMs: number | null; cause?: unknown };

/** Shortest key that is scrubbed from messages (a one-letter "key" would mangle every message). */
const MIN_REDACT_LENGTH = 4;

export class HttpBackend implements Backend {
  readonly name: string;
  readonly options: HttpOptions;
  private readonly timing: RetryTiming;
  private displayUrl: string;
  /** The endpoint requests go to: `url`, or with `serve` the started server's address + `url`. */
  private endpoint: string;
  private readonly spec: BackendSpec;
  private server: ServerProcess | null = null;
  private served: { argv: string[]; threads: number | null; python: PythonInterpreter | null; port: number } | null = null;
  private serverInfo: Record<string, unknown> | null = null;
  private closer = new AbortController();
  /** Called with each batch's milliseconds (request to parsed reply, retries included): `parity bench`'s latencies. */
  requestObserver: ((ms: number) => void) | null = null;
  private opened = false;
  private apiKey: string | undefined;
  /** The run's prompt as open() found it in the model info; null: none (or an empty prompt text). */
  private prompt: ActivePrompt | null = null;
  private stats = { requests: 0, retried: 0, replyModel: undefined as string | undefined, server: undefined as string | undefined };

  /** `timing` is for tests; configs get DEFAULT_RETRY_TIMING. */
  constructor(spec: BackendSpec, timing: Partial<RetryTiming> = {}) {
    this.name = spec.name;
    this.spec = spec;
    this.options = parseHttpOptions(spec);
    this.timing = { ...DEFAULT_RETRY_TIMING, ...timing };
    this.endpoint = this.options.url;
    this.displayUrl = redactUrl(this.options.url);
  }

  /** The interpreter {python} stands for (same lookup as every Python worker of parity). */
  private python(): PythonInterpreter {
    const serve = this.options.serve!;
    return findPython({ configured: serve.python, configDir: this.spec.configDir, venv: serve.venv });
  }

  private usesPython(): boolean {
    return this.options.serve!.command.some((a) => a.includes('{python}'));
  }

  async availability(): Promise<Availability> {
    if (this.options.serve) return this.serveAvailability();
    // No network probe here: `parity backends` must stay fast, and a probe would not prove that
    // the endpoint embeds anyway. An unreachable server is an error at embed time, with the reason.
    let url: URL;
    try {
      url = new URL(this.options.url);
    } catch {
      return { available: false, reason: `"url" ${JSON.stringify(this.displayUrl)} is not a valid URL (expected e.g. http://127.0.0.1:7997/v1/embeddings)` };
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      return { available: false, reason: `"url" must be http:// or https://, got ${url.protocol}` };
    }
    if (url.username || url.password) {
      return { available: false, reason: `"url" must not contain credentials; put the key in an environment variable and name it in "apiKeyEnv"` };
    }
    const env = this.options.apiKeyEnv;
    if (env !== undefined && !process.env[env]) {
      return { available: false, reason: `environment variable ${env} (named by "apiKeyEnv") is not set` };
    }
    return { available: true };
  }

  /** With `serve`: the program exists and {python} imports what `serve.requires` names; no server is started. */
  private async serveAvailability(): Promise<Availability> {
    const serve = this.options.serve!;
    if (this.usesPython()) {
      const python = this.python();
      const missing = missingPythonModules(python.command, serve.requires);
      if (missing === null) return { available: false, reason: `Python ${python.command} (from ${python.source}) does not start; build it with \`${PYTHON_SETUP_HINT}\` or set "serve.python"` };
      if (missing.length) {
        return { available: false, reason: `Python ${python.command} (from ${python.source}) cannot import ${missing.join(', ')}; build ${serve.venv} with \`${PYTHON_SETUP_HINT}\` or set "serve.python"` };
      }
    } else {
      const program = serve.command[0];
      if ((isAbsolute(program) || program.includes('/')) && !existsSync(program)) return { available: false, reason: `"serve.command" program ${program} does not exist` };
    }
    const env = this.options.apiKeyEnv;
    if (env !== undefined && !process.env[env]) return { available: false, reason: `environment variable ${env} (named by "apiKeyEnv") is not set` };
    return { available: true };
  }

  async open(context: BackendContext): Promise<void> {
    this.closer = new AbortController();
    this.prompt = activePrompt(context.model);
    this.apiKey = this.options.apiKeyEnv !== undefined ? process.env[this.options.apiKeyEnv] || undefined : undefined;
    if (this.options.serve) await this.startServer({ threads: context.threads });
    if (this.options.describeServer) this.serverInfo = await this.describeServer();
    this.opened = true;
  }

  /**
   * `parity serve`: only start the server (on `port`, or a free one), for a user who runs it by hand.
   * Resolves once it is healthy; `exited` resolves when it dies; close() stops it.
   */
  async serveOnly(options: { port?: number; onOutput?: (chunk: Buffer) => void } = {}): Promise<{ url: string; pid: number | null; exited: Promise<string> }> {
    if (!this.options.serve) throw new BackendError(this.name, 'has no "serve" command to start');
    this.closer = new AbortController();
    await this.startServer(options);
    const server = this.server!;
    return { url: this.endpoint, pid: server.pid, exited: server.exited.then(() => server.deathMessage()) };
  }

  private async startServer(options: { port?: number; onOutput?: (chunk: Buffer) => void; threads?: number } = {}): Promise<void> {
    await this.server?.stop(); // reopened after a worker restart: never two servers for one backend
    const serve = this.options.serve!;
    const python = this.usesPython() ? this.python() : null;
    const port = options.port ?? (await freePort());
    const values: Record<Placeholder, string> = {
      python: python?.command ?? '',
      model: this.spec.modelDir,
      host: LOOPBACK,
      port: String(port),
      apiModel: this.options.apiModel,
      batchSize: String(this.options.batchSize),
      configDir: this.spec.configDir ?? process.cwd(),
      threads: String(options.threads ?? availableParallelism()),
    };
    const argv = serve.command.map((a) => fillPlaceholders(a, values));
    const env = Object.fromEntries(Object.entries(serve.env).map(([k, v]) => [k, fillPlaceholders(v, values)]));
    // serve.env is not recorded (it may hold a token); the threads it was given are, when it asked for them.
    const usesThreads = [...serve.command, ...Object.values(serve.env)].some((t) => t.includes('{threads}'));
    this.served = { argv, threads: usesThreads ? Number(values.threads) : null, python, port };
    const base = `http://${LOOPBACK}:${port}`;
    this.endpoint = base + this.options.url;
    this.displayUrl = this.endpoint;
    this.server = await ServerProcess.start({
      backend: this.name,
      argv,
      env,
      readyUrl: base + serve.ready,
      startupTimeoutMs: serve.startupTimeoutMs,
      stopTimeoutMs: serve.stopTimeoutMs,
      signal: this.closer.signal,
      onOutput: options.onOutput,
    });
  }

  /**
   * What the server says about itself, for the report: GET {prefix}/models (OpenAI: the model ids;
   * Infinity adds the engine and capabilities) and {prefix}/openapi.json (FastAPI servers such as
   * Infinity: title and version). Best effort: a server without them still embeds.
   */
  private async describeServer(): Promise<Record<string, unknown>> {
    const api = this.options.api;
    const prefix = api === 'openai' ? this.endpoint.replace(/\/embeddings\/?$/, '') : this.endpoint.replace(/\/(api\/)?embed\/?$/, '');
    const get = async (path: string): Promise<unknown> => {
      try {
        const headers: Record<string, string> = { accept: 'application/json' };
        if (this.apiKey) headers.authorization = `Bearer ${this.apiKey}`;
        const res = await fetch(prefix + path, { headers, signal: AbortSignal.timeout(5_000) });
        return res.ok ? await res.json() : null;
      } catch {
        return null;
      }
    };
    if (api !== 'openai') {
      // TEI: GET /info (model, max_input_length, max_client_batch_size, auto_truncate, version); Ollama: GET /api/version.
      const replies: Record<string, unknown> = {};
      for (const path of describePaths(api)) replies[path] = await get(path);
      return describeFromPaths(api, replies);
    }
    const info: Record<string, unknown> = {};
    const models = (await get('/models')) as { data?: Record<string, unknown>[] } | null;
    if (Array.isArray(models?.data)) {
      info.models = models.data.map((m) => ({
        id: m.id,
        ...(m.backend !== undefined ? { engine: m.backend } : {}),
        ...(m.capabilities !== undefined ? { capabilities: m.capabilities } : {}),
        ...(typeof m.stats === 'object' && m.stats && 'batch_size' in m.stats ? { batchSize: (m.stats as { batch_size: unknown }).batch_size } : {}),
      }));
      const first = models.data[0];
      if (first?.backend !== undefined) info.engine = first.backend;
    }
    const openapi = (await get('/openapi.json')) as { info?: { title?: unknown; version?: unknown } } | null;
    if (typeof openapi?.info?.version === 'string') info.version = openapi.info.version;
    if (typeof openapi?.info?.title === 'string') info.title = openapi.info.title;
    return info;
  }

  async embed(texts: readonly string[]): Promise<Matrix> {
    if (!this.opened) throw new BackendError(this.name, 'embed() called before open()');
    const { batchSize, normalize } = this.options;
    const batches = Math.ceil(texts.length / batchSize);
    let out: Float32Array | null = null;
    let dim = 0;
    for (let b = 0; b < batches; b++) {
      const start = b * batchSize;
      const end = Math.min(texts.length, start + batchSize);
      const where = `POST ${this.displayUrl} batch ${b + 1}/${batches} (texts ${start}–${end - 1})`;
      const sent = performance.now();
      const reply = await this.request(this.inputs(texts.slice(start, end)), where, out ? dim : undefined);
      this.requestObserver?.(performance.now() - sent);
      if (!out) {
        dim = reply.dim;
        out = new Float32Array(texts.length * dim);
      }
      reply.vectors.forEach((v, r) => writeRow(out!, (start + r) * dim, v, normalize));
    }
    return { rows: texts.length, dim, data: out ?? new Float32Array(0) };
  }

  /** What the server is sent for these texts: prompt + text when parity applies the prompt, else the texts. */
  private inputs(texts: string[]): string[] {
    const prompt = this.prompt;
    if (!prompt || this.options.prompt === 'server') return texts;
    return texts.map((t) => prompt.text + t);
  }

  private async request(texts: string[], where: string, expectedDim: number | undefined): Promise<EmbeddingsReply> {
    // TEI applies a named prompt itself: with "prompt": "server" it is told which one.
    const promptName = this.options.api === 'tei' && this.options.prompt === 'server' && this.prompt ? this.prompt.name : null;
    const body = JSON.stringify(requestBody(this.options, texts, promptName));
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (this.apiKey) headers.authorization = `Bearer ${this.apiKey}`;
    const attempts = this.options.retries + 1;
    for (let attempt = 1; ; attempt++) {
      const result = await this.attempt(body, headers, where);
      if (result.ok) {
        try {
          const reply = parseReply(this.options, result.body, texts.length, expectedDim);
          if (reply.model !== undefined) this.stats.replyModel = reply.model;
          return reply;
        } catch (error) {
          if (error instanceof ReplyError) throw this.error(`${where}: malformed reply: ${error.message}`, error);
          throw error;
        }
      }
      if (!result.retryable) throw this.error(`${where}: ${result.problem}`, result.cause);
      if (attempt >= attempts) {
        throw this.error(`${where}: ${result.problem}; gave up after ${attempts} attempt${attempts > 1 ? 's' : ''} ("retries": ${this.options.retries})`, result.cause);
      }
      this.stats.retried++;
      try {
        await sleep(result.retryAfterMs ?? backoffMs(attempt, this.timing), this.closer.signal);
      } catch (error) {
        throw this.error(`${where}: cancelled while waiting to retry (backend closed)`, error);
      }
    }
  }

  private async attempt(body: string, headers: Record<string, string>, where: string): Promise<Attempt> {
    if (this.closer.signal.aborted) throw this.error(`${where}: cancelled (backend closed)`);
    if (this.server?.exit) throw this.error(`${where}: ${this.server.deathMessage()}`);
    // One controller per request, aborted by its timer or by close() (no AbortSignal.any: Node >= 20.3).
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new Error('request timeout'));
    }, this.options.requestTimeoutMs);
    const onClose = () => controller.abort(new Error('backend closed'));
    this.closer.signal.addEventListener('abort', onClose, { once: true });
    this.stats.requests++;
    try {
      const res = await fetch(this.endpoint, { method: 'POST', headers, body, signal: controller.signal });
      const text = await res.text(); // still under the timeout: a server that stalls mid-body times out too
      const server = res.headers.get('server');
      if (server) this.stats.server = server;
      if (res.ok) return { ok: true, body: text };
      const retryable = res.status === 429 || res.status === 408 || res.status >= 500;
      return {
        ok: false,
        retryable,
        problem: this.describeStatus(res.status, res.statusText, text),
        retryAfterMs: retryable ? retryAfterMs(res.headers.get('retry-after'), this.timing) : null,
      };
    } catch (error) {
      if (this.closer.signal.aborted) throw this.error(`${where}: cancelled (backend closed)`, error);
      if (this.server) {
        // The connection broke: if our server died, say so now instead of retrying into a dead port.
        // Its exit is noticed a moment after the socket closes, hence the short wait.
        const exited = await Promise.race([this.server.exited, sleep(1_000, this.closer.signal).then(() => null, () => null)]);
        if (exited) throw this.error(`${where}: ${this.server.deathMessage()}`, error);
      }
      if (timedOut) {
        return { ok: false, retryable: true, problem: `no complete reply within ${this.options.requestTimeoutMs} ms ("requestTimeoutMs")`, retryAfterMs: null, cause: error };
      }
      return { ok: false, retryable: true, problem: `request failed: ${networkCause(error)}`, retryAfterMs: null, cause: error };
    } finally {
      clearTimeout(timer);
      this.closer.signal.removeEventListener('abort', onClose);
    }
  }

  /** "HTTP 413 Payload Too Large: <the server's error in its API's shape>; <what that status means here>". */
  private describeStatus(status: number, statusText: string, text: string): string {
    let said: string | null = null;
    try {
      said = errorText(JSON.parse(text));
    } catch {
      /* not JSON: the raw body below */
    }
    const body = said ?? text.trim();
    const hint = statusHint(this.options.api, status, this.options.batchSize);
    return `HTTP ${status}${statusText ? ` ${statusText}` : ''}${body ? `: ${snippet(body)}` : ''}${hint ? ` (${hint})` : ''}`;
  }

  /** BackendError with the API key scrubbed from the message. */
  private error(message: string, cause?: unknown): BackendError {
    return new BackendError(this.name, this.redact(message), cause === undefined ? undefined : { cause });
  }

  private redact(text: string): string {
    const key = this.apiKey ?? (this.options.apiKeyEnv ? process.env[this.options.apiKeyEnv] : undefined);
    return key && key.length >= MIN_REDACT_LENGTH ? text.split(key).join('***') : text;
  }

  environment(): Record<string, unknown> {
    const env = this.options.apiKeyEnv;
    return {
      runtime: 'http',
      url: this.displayUrl,
      apiModel: this.options.apiModel,
      apiKeyEnv: env ?? null,
      apiKeySet: env !== undefined ? Boolean(process.env[env]) : false,
      batchSize: this.options.batchSize,
      requestTimeoutMs: this.options.requestTimeoutMs,
      retries: this.options.retries,
      normalize: this.options.normalize ? 'harness L2-normalizes the returned vectors' : 'none (compared as returned)',
      ...serverSettingsEnvironment(this.options),
      tokenizer: 'server-side (the harness tokenizer is not used)',
      ...this.promptEnvironment(),
      requests: this.stats.requests,
      retried: this.stats.retried,
      ...(this.stats.replyModel !== undefined ? { replyModel: this.redact(this.stats.replyModel) } : {}),
      ...(this.stats.server !== undefined ? { server: this.redact(this.stats.server) } : {}),
      ...(this.options.api === 'openai' ? { encoding: this.options.encoding } : {}),
      ...(this.serverInfo ? { serverInfo: this.serverInfo, ...(this.serverInfo.engine !== undefined ? { engine: this.serverInfo.engine } : {}), ...(this.serverInfo.version !== undefined ? { serverVersion: this.serverInfo.version } : {}) } : {}),
      ...(this.options.serve ? { serve: this.serveEnvironment() } : {}),
    };
  }

  /** Whether the prompt was prepended or left to the server, and where that cannot match sentence-transformers. */
  private promptEnvironment(): Record<string, unknown> {
    const prompt = this.prompt;
    if (!prompt) return {};
    const server = this.options.prompt === 'server';
    const env: Record<string, unknown> = { prompt: { name: prompt.name, applied: server ? 'left to the server' : 'prepended by parity' } };
    if (!prompt.includePrompt) {
      env.promptNote = server
        ? `the model's Pooling has include_prompt false: sentence-transformers leaves the prompt's tokens out of pooling; whether this server does too is up to the server`
        : `the model's Pooling has include_prompt false: sentence-transformers leaves the prompt's tokens out of pooling, but the server pools over the prompt parity prepended, so its vectors are not expected to match`;
    }
    return env;
  }

  private serveEnvironment(): Record<string, unknown> {
    const s = this.server;
    return {
      command: this.served?.argv ?? this.options.serve!.command,
      ...(this.served?.threads ? { threads: this.served.threads } : {}),
      ...(this.served?.python ? { python: this.served.python } : {}),
      ...(this.served ? { port: this.served.port } : {}),
      ...(s ? { pid: s.pid, readyMs: s.readyMs === null ? null : Math.round(s.readyMs) } : {}),
      ...(s?.exit && !s.stopRequested ? { died: describeExit(s.exit) } : {}),
    };
  }

  async close(): Promise<void> {
    // Stops in-flight requests and retry waits, e.g. when the harness's per-backend timeoutMs fired.
    this.closer.abort(new Error('backend closed'));
    this.opened = false;
    this.apiKey = undefined;
    await this.server?.stop(); // kept afterwards: environment() still reports its pid and how it ended
  }
}

interface ActivePrompt {
  name: string;
  text: string;
  /** The model's Pooling include_prompt. */
  includePrompt: boolean;
}

/**
 * The prompt sentence-transformers' encode() would prepend for this run; an empty prompt text
 * ("document": "" in Qwen3-Embedding) is no prompt, there as in the harness tokenizer. No model info
 * (a caller that opens the backend without one) is no prompt.
 */
function activePrompt(model: ModelInfo | undefined): ActivePrompt | null {
  const prompt = model?.prompt;
  if (!prompt?.text) return null;
  return { name: prompt.name, text: prompt.text, includePrompt: model!.pooling.includePrompt };
}

function writeRow(out: Float32Array, offset: number, v: readonly number[], normalize: boolean): void {
  let scale = 1;
  if (normalize) {
    let sum = 0;
    for (const x of v) sum += x * x;
    if (sum > 0) scale = 1 / Math.sqrt(sum);
  }
  for (let j = 0; j < v.length; j++) out[offset + j] = v[j] * scale;
}

/** undici's "fetch failed" hides the useful part (ECONNREFUSED, ENOTFOUND...) in `cause`. */
function networkCause(error: unknown): string {
  const message = describeCause(error);
  const cause = (error as { cause?: unknown } | null)?.cause;
  if (cause === undefined) return message;
  const code = (cause as { code?: unknown }).code;
  const detail = describeCause(cause);
  return `${message} (${typeof code === 'string' && !detail.includes(code) ? `${code}: ` : ''}${detail})`;
}

export const createHttpBackend: BackendFactory = (spec) => new HttpBackend(spec);
