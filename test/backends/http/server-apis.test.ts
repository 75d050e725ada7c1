/**
 * The `http` runtime's `api: "tei"` and `api: "ollama"` formats, against node:http servers on
 * 127.0.0.1 that implement the documented requests and replies: TEI's POST /embed
 * ({"inputs", "normalize", "truncate"} → [[...]], errors {"error", "error_type"} with 413 for more
 * inputs than its max client batch size and 424 for a failed forward pass, GET /info) and Ollama's
 * POST /api/embed ({"model", "input", "truncate"} → {"model", "embeddings"}, always L2-normalized,
 * errors {"error"}, GET /api/version). The vectors served are the fixture golden's rows, so every
 * number checked is what the backend read and normalized. Neither real server runs here.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { BackendContext, BackendSpec } from '../../../src/backends/backend.js';
import { HttpBackend } from '../../../src/backends/http/runner.js';
import { createBackends } from '../../../src/backends/registry.js';
import { loadCorpus } from '../../../src/corpus/corpus.js';
import { BackendError, InputError } from '../../../src/errors.js';
import { readNpy } from '../../../src/npy/npy.js';
import { FIXTURE } from '../../support/helpers.js';

const corpus = loadCorpus(FIXTURE.corpus);
const golden = readNpy(FIXTURE.golden);
const DIM = golden.dim;
const rowByText = new Map<string, number>();
corpus.texts.forEach((t, i) => {
  if (!rowByText.has(t)) rowByText.set(t, i);
});
/** The golden row of a text (the fixture model has no Normalize module: its rows are not unit length). */
function goldenRow(text: string): number[] {
  const r = rowByText.get(text);
  if (r === undefined) throw new Error(`test server: unknown text ${JSON.stringify(text)}`);
  return Array.from(golden.data.subarray(r * DIM, (r + 1) * DIM));
}
/** What a float32 server that L2-normalizes sends. */
function unitRow(text: string): number[] {
  const v = goldenRow(text);
  const norm = Math.hypot(...v);
  return v.map((x) => Math.fround(x / norm));
}

const TEI_MAX_CLIENT_BATCH = 4;
const TEI_INFO = { model_id: 'tiny-bert', model_dtype: 'float32', max_input_length: 512, max_client_batch_size: TEI_MAX_CLIENT_BATCH, auto_truncate: false, version: '1.8.3' };
const OLLAMA_MODEL = 'tiny-bert:latest';

interface Seen {
  method: string;
  path: string;
  body: Record<string, unknown> | null;
}
const seen: Seen[] = [];
/** Set by a test to make the next POST fail its own way; null: the documented happy path. */
let fault: ((req: Seen, res: ServerResponse) => boolean) | null = null;
let server: Server;
let base: string;

const send = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

/** TEI's POST /embed and GET /info, as its API documents them. */
function tei(req: Seen, res: ServerResponse): void {
  if (req.method === 'GET' && req.path === '/info') return send(res, 200, TEI_INFO);
  if (req.method !== 'POST' || req.path !== '/embed') return send(res, 404, { error: 'not found', error_type: 'Empty' });
  const body = req.body!;
  const inputs = typeof body.inputs === 'string' ? [body.inputs] : (body.inputs as string[]);
  if (!Array.isArray(inputs) || inputs.length === 0) return send(res, 400, { error: '`inputs` cannot be empty', error_type: 'Empty' });
  if (inputs.length > TEI_MAX_CLIENT_BATCH) {
    return send(res, 413, { error: `batch size ${inputs.length} > maximum allowed batch size ${TEI_MAX_CLIENT_BATCH}`, error_type: 'Validation' });
  }
  const normalize = body.normalize ?? true;
  send(res, 200, inputs.map((t) => (normalize ? unitRow(t) : goldenRow(t).map(Math.fround))));
}

/** Ollama's POST /api/embed and GET /api/version, as its API documents them. */
function ollama(req: Seen, res: ServerResponse): void {
  if (req.method === 'GET' && req.path === '/api/version') return send(res, 200, { version: '0.12.3' });
  if (req.method !== 'POST' || req.path !== '/api/embed') return send(res, 404, { error: 'not found' });
  const body = req.body!;
  if (body.model !== OLLAMA_MODEL) return send(res, 404, { error: `model '${String(body.model)}' not found` });
  const input = typeof body.input === 'string' ? [body.input] : (body.input as string[]);
  send(res, 200, { model: OLLAMA_MODEL, embeddings: input.map(unitRow), total_duration: 14143917, load_duration: 1019500, prompt_eval_count: 8 });
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const s: Seen = { method: req.method ?? '', path: req.url ?? '', body: text ? JSON.parse(text) : null };
      seen.push(s);
      if (s.method === 'POST' && fault?.(s, res)) return;
      (s.path.startsWith('/api/') ? ollama : tei)(s, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  seen.length = 0;
  fault = null;
});

const FAST = { backoffBaseMs: 5, backoffCapMs: 20, retryAfterCapMs: 5_000 };
const teiSpec = (options: Record<string, unknown> = {}): BackendSpec => ({
  name: 'tei',
  runtime: 'http',
  modelDir: FIXTURE.model,
  options: { api: 'tei', url: `${base}/embed`, batchSize: TEI_MAX_CLIENT_BATCH, describeServer: true, ...options },
});
const ollamaSpec = (options: Record<string, unknown> = {}): BackendSpec => ({
  name: 'ollama',
  runtime: 'http',
  modelDir: FIXTURE.model,
  options: { api: 'ollama', url: `${base}/api/embed`, apiModel: OLLAMA_MODEL, batchSize: 8, describeServer: true, ...options },
});
async function opened(spec: BackendSpec): Promise<HttpBackend> {
  const b = new HttpBackend(spec, FAST);
  await b.open({} as BackendContext);
  return b;
}
async function embedError(b: HttpBackend, texts: readonly string[]): Promise<BackendError> {
  const error = await b.embed(texts).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(BackendError);
  return error as BackendError;
}
const posts = () => seen.filter((s) => s.method === 'POST');
const texts = corpus.texts.slice(0, 10);

describe('http api "tei": POST /embed', () => {
  it('sends {"inputs", "normalize", "truncate"} in batches, reads [[...]], and reports the settings and /info', async () => {
    const b = await opened(teiSpec());
    const m = await b.embed(texts);
    expect([m.rows, m.dim]).toEqual([texts.length, DIM]);
    expect(Array.from(m.data)).toEqual(texts.flatMap(unitRow));
    expect(posts().map((s) => s.body)).toEqual([
      { inputs: texts.slice(0, 4), normalize: true, truncate: false },
      { inputs: texts.slice(4, 8), normalize: true, truncate: false },
      { inputs: texts.slice(8, 10), normalize: true, truncate: false },
    ]);
    expect(b.environment()).toMatchObject({
      api: 'tei',
      serverTruncate: expect.stringMatching(/^sent truncate false: TEI refuses texts over its max_input_length \(413\)/),
      serverNormalize: expect.stringMatching(/^sent normalize true: TEI L2-normalizes/),
      serverInfo: { model_id: 'tiny-bert', max_client_batch_size: 4, auto_truncate: false, version: '1.8.3' },
      serverVersion: '1.8.3',
    });
    expect(b.environment()).not.toHaveProperty('encoding');
    await b.close();
  });

  it('serverNormalize false and serverTruncate true are sent as such, and the vectors come back as pooled', async () => {
    const b = await opened(teiSpec({ serverNormalize: false, serverTruncate: true }));
    const m = await b.embed(texts.slice(0, 3));
    expect(Array.from(m.data)).toEqual(texts.slice(0, 3).flatMap((t) => goldenRow(t).map(Math.fround)));
    expect(posts()[0].body).toEqual({ inputs: texts.slice(0, 3), normalize: false, truncate: true, truncation_direction: 'Right' });
    expect(b.environment()).toMatchObject({ serverTruncate: expect.stringMatching(/^sent truncate true/), serverNormalize: expect.stringMatching(/^sent normalize false/) });
    await b.close();
  });

  it('the run\'s prompt: prepended by parity by default; with "prompt": "server", TEI is sent its prompt_name and the bare texts', async () => {
    fault = (req, res) => {
      send(res, 200, (req.body!.inputs as string[]).map(() => unitRow(texts[0])));
      return true;
    };
    const context = { model: { prompt: { name: 'query', text: 'query: ' }, pooling: { includePrompt: true } } } as unknown as BackendContext;
    for (const prompt of ['prepend', 'server'] as const) {
      const b = new HttpBackend(teiSpec({ prompt }), FAST);
      await b.open(context);
      await b.embed(texts.slice(0, 2));
      await b.close();
    }
    expect(posts().map((s) => s.body)).toEqual([
      { inputs: texts.slice(0, 2).map((t) => `query: ${t}`), normalize: true, truncate: false },
      { inputs: texts.slice(0, 2), normalize: true, truncate: false, prompt_name: 'query' },
    ]);
  });

  it('413 (more inputs than --max-client-batch-size) fails at once with TEI\'s error and what to change', async () => {
    const b = await opened(teiSpec({ batchSize: 6, retries: 3 }));
    const error = await embedError(b, texts);
    expect(error.message).toMatch(/HTTP 413 Payload Too Large: Validation error: batch size 6 > maximum allowed batch size 4 \(TEI's 413 is a validation error: .*batchSize 6: lower it/);
    expect(posts().length).toBe(1); // a validation error is not retried
    await b.close();
  });

  it('424 (the forward pass failed) is reported with TEI\'s JSON error and not retried; 500 is retried then reported', async () => {
    fault = (_req, res) => {
      send(res, 424, { error: 'Inference failed: DriverError(CUDA_ERROR_OUT_OF_MEMORY)', error_type: 'Backend' });
      return true;
    };
    const b = await opened(teiSpec({ retries: 2 }));
    const error = await embedError(b, texts);
    expect(error.message).toMatch(/HTTP 424 Failed Dependency: Backend error: Inference failed: DriverError\(CUDA_ERROR_OUT_OF_MEMORY\) \(TEI's 424 is a backend error/);
    expect(posts().length).toBe(1);
    seen.length = 0;
    fault = (_req, res) => {
      send(res, 500, { error: 'tokenizer worker panicked', error_type: 'Backend' });
      return true;
    };
    const retried = await embedError(b, texts);
    expect(retried.message).toMatch(/HTTP 500 Internal Server Error: Backend error: tokenizer worker panicked; gave up after 3 attempts/);
    expect(posts().length).toBe(3);
    await b.close();
  });

  it('a reply in another API\'s shape is a malformed reply that says what was expected', async () => {
    fault = (req, res) => {
      send(res, 200, { data: (req.body!.inputs as string[]).map((t) => ({ embedding: unitRow(t) })) });
      return true;
    };
    const b = await opened(teiSpec());
    expect((await embedError(b, texts)).message).toMatch(/malformed reply: expected TEI's array of embeddings \[\[\.\.\.\], \.\.\.\], got object/);
    fault = (req, res) => {
      const rows = (req.body!.inputs as string[]).map(unitRow);
      send(res, 200, [...rows.slice(0, -1), rows[0].slice(1)]);
      return true;
    };
    expect((await embedError(b, texts)).message).toMatch(/reply\[3\] has 63 values, but reply\[0\] has 64/);
    await b.close();
  });
});

describe('http api "ollama": POST /api/embed', () => {
  it('sends {"model", "input", "truncate"}, reads {"embeddings"}, and records that Ollama always normalizes', async () => {
    const b = await opened(ollamaSpec());
    const m = await b.embed(texts);
    expect(Array.from(m.data)).toEqual(texts.flatMap(unitRow));
    expect(posts().map((s) => s.body)).toEqual([
      { model: OLLAMA_MODEL, input: texts.slice(0, 8), truncate: true },
      { model: OLLAMA_MODEL, input: texts.slice(8, 10), truncate: true },
    ]);
    expect(b.environment()).toMatchObject({
      api: 'ollama',
      replyModel: OLLAMA_MODEL,
      serverTruncate: expect.stringMatching(/^sent truncate true: Ollama cuts texts at the model's context/),
      serverNormalize: expect.stringMatching(/^always: Ollama L2-normalizes/),
      serverVersion: '0.12.3',
    });
    await b.close();
  });

  it('a model Ollama has not pulled is its 404 {"error"}, with the hint; a 500 {"error"} is retried then reported', async () => {
    const unknown = await opened(ollamaSpec({ apiModel: 'nomic-embed-text' }));
    expect((await embedError(unknown, texts)).message).toMatch(/HTTP 404 Not Found: model 'nomic-embed-text' not found \(Ollama answers 404 for a model it has not pulled/);
    expect(posts().length).toBe(1);
    seen.length = 0;
    fault = (_req, res) => {
      send(res, 500, { error: 'llama runner process has terminated: exit status 2' });
      return true;
    };
    const b = await opened(ollamaSpec({ retries: 1 }));
    expect((await embedError(b, texts)).message).toMatch(/HTTP 500 Internal Server Error: llama runner process has terminated: exit status 2; gave up after 2 attempts/);
    expect(posts().length).toBe(2);
  });

  it('an embedding with a null in it is named by its place', async () => {
    fault = (req, res) => {
      const rows: (number | null)[][] = (req.body!.input as string[]).map(unitRow);
      rows[1][5] = null;
      send(res, 200, { model: OLLAMA_MODEL, embeddings: rows });
      return true;
    };
    const b = await opened(ollamaSpec());
    expect((await embedError(b, texts)).message).toMatch(/malformed reply: embeddings\[1\]\[5\] is null, not a finite number/);
  });
});

describe('http api options', () => {
  it('are checked when the config loads, naming the backend and key', () => {
    const make = (options: Record<string, unknown>) => () => createBackends([{ name: 'x', runtime: 'http', modelDir: FIXTURE.model, options: { url: 'http://127.0.0.1:1/embed', ...options } }]);
    expect(make({ api: 'cohere', apiModel: 'm' })).toThrow(InputError);
    expect(make({ api: 'cohere', apiModel: 'm' })).toThrow(/backend "x": "api" must be one of openai, tei, ollama/);
    expect(make({ apiModel: 'm', serverTruncate: true })).toThrow(/"serverTruncate" must be left out with "api": "openai"/);
    expect(make({ api: 'ollama', apiModel: 'm', serverNormalize: false })).toThrow(/Ollama always L2-normalizes/);
    expect(make({ api: 'tei', encoding: 'base64' })).toThrow(/only the OpenAI format has base64 vectors/);
    expect(make({ api: 'ollama' })).toThrow(/"apiModel" must be the model name/);
    expect(make({ api: 'tei', serverTruncate: 'yes' })).toThrow(/"serverTruncate" must be true or false/);
    expect(make({ api: 'tei' })).not.toThrow(); // TEI's /embed has no model field
  });
});
