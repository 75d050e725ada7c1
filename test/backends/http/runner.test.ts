/**
 * The `http` runtime against a real node:http server on 127.0.0.1 that serves the golden rows of the
 * fixture corpus (looked up by text), or misbehaves on purpose. Every request loop is bounded: small
 * retry counts, short timeouts, and a server that is closed at the end.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURE } from '../../support/helpers.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { BackendContext, BackendSpec } from '../../../src/backends/backend.js';
import { HttpBackend } from '../../../src/backends/http/runner.js';
import { retryAfterMs, DEFAULT_RETRY_TIMING } from '../../../src/backends/http/retry.js';
import { redactUrl } from '../../../src/backends/http/url.js';
import { createBackends } from '../../../src/backends/registry.js';
import { loadCorpus } from '../../../src/corpus/corpus.js';
import { BackendError, InputError } from '../../../src/errors.js';
import { loadModelInfo, type EmbeddingChoices } from '../../../src/model/model-folder.js';
import { readNpy } from '../../../src/npy/npy.js';
import { runParity } from '../../../src/run/run.js';

const { model: MODEL, corpus: CORPUS, golden: GOLDEN } = FIXTURE;

const corpus = loadCorpus(CORPUS);
const golden = readNpy(GOLDEN);
const DIM = golden.dim;
const rowByText = new Map<string, number>();
corpus.texts.forEach((t, i) => {
  if (!rowByText.has(t)) rowByText.set(t, i);
});
/** Golden row for a text, rounded to float32 (what a float32 server would send). */
function goldenRow(text: string, scale = 1): number[] {
  const r = rowByText.get(text);
  if (r === undefined) throw new Error(`test server: unknown text ${JSON.stringify(text)}`);
  return Array.from(golden.data.subarray(r * DIM, (r + 1) * DIM), (v) => Math.fround(v * scale));
}
const expectedF32 = (texts: readonly string[]) => Float32Array.from(texts.flatMap((t) => goldenRow(t)));

interface Seen {
  body: { input: string[]; model: string; encoding_format: string };
  headers: IncomingHttpHeaders;
}
type Handler = (req: Seen, res: ServerResponse, n: number) => void;

const seen: Seen[] = [];
const hung: ServerResponse[] = [];
let handler: Handler;
let server: Server;
let url: string;

const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
};
/** OpenAI-style reply with golden rows; entries reversed (with index) to prove the client sorts by index. */
const serveGolden: Handler = (req, res) =>
  send(res, 200, {
    object: 'list',
    model: req.body.model,
    data: req.body.input.map((t, index) => ({ object: 'embedding', index, embedding: goldenRow(t) })).reverse(),
  });

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const s: Seen = { body: JSON.parse(Buffer.concat(chunks).toString('utf8')), headers: req.headers };
      seen.push(s);
      try {
        handler(s, res, seen.length);
      } catch (error) {
        send(res, 500, { error: String(error) });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/embeddings`;
});

afterAll(async () => {
  for (const res of hung) res.destroy();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  seen.length = 0;
  handler = serveGolden;
});

const FAST = { backoffBaseMs: 5, backoffCapMs: 20, retryAfterCapMs: 5_000 };
const spec = (options: Record<string, unknown>, name = 'srv'): BackendSpec => ({
  name,
  runtime: 'http',
  modelDir: MODEL,
  options: { url, apiModel: 'tiny-bert', ...options },
});
async function opened(options: Record<string, unknown> = {}, timing = FAST): Promise<HttpBackend> {
  const b = new HttpBackend(spec(options), timing);
  await b.open({} as BackendContext); // the http runtime does not use the harness model context
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

describe('http backend: happy path', () => {
  it('returns the vectors in corpus order, in batches of batchSize', async () => {
    const b = await opened({ batchSize: 32 });
    const m = await b.embed(corpus.texts);
    expect(m.rows).toBe(corpus.texts.length);
    expect(m.dim).toBe(DIM);
    expect(m.data).toBeInstanceOf(Float32Array);
    expect(m.data).toEqual(expectedF32(corpus.texts));
    expect(seen.length).toBe(Math.ceil(corpus.texts.length / 32));
    expect(seen.every((s) => s.body.input.length <= 32)).toBe(true);
    expect(seen.flatMap((s) => s.body.input)).toEqual(corpus.texts); // as-is, empty strings included
    expect(seen[0].body).toMatchObject({ model: 'tiny-bert', encoding_format: 'float' });
    expect(seen[0].headers.authorization).toBeUndefined();
    expect(b.environment()).toMatchObject({ runtime: 'http', requests: seen.length, retried: 0, replyModel: 'tiny-bert', apiKeySet: false });
    await b.close();
  });

  it('takes entries by position when the reply has no index', async () => {
    handler = (req, res) => send(res, 200, { data: req.body.input.map((t) => ({ embedding: goldenRow(t) })) });
    const texts = corpus.texts.slice(20, 30);
    const b = await opened({ batchSize: 4 });
    expect((await b.embed(texts)).data).toEqual(expectedF32(texts));
    expect(seen.length).toBe(3);
  });

  it('normalize: true L2-normalizes the returned vectors; the default compares them as returned', async () => {
    handler = (req, res) => send(res, 200, { data: req.body.input.map((t, index) => ({ index, embedding: goldenRow(t, 3) })) });
    const texts = corpus.texts.slice(40, 45);
    const raw = await (await opened()).embed(texts);
    const normed = await (await opened({ normalize: true })).embed(texts);
    for (let r = 0; r < texts.length; r++) {
      const row = (m: typeof raw) => Array.from(m.data.subarray(r * DIM, (r + 1) * DIM));
      const norm = (v: number[]) => Math.hypot(...v);
      expect(norm(row(raw))).toBeCloseTo(3 * norm(goldenRow(texts[r])), 4);
      expect(norm(row(normed))).toBeCloseTo(1, 6);
    }
  });

  it('an empty text list sends nothing', async () => {
    const m = await (await opened()).embed([]);
    expect(m).toMatchObject({ rows: 0, dim: 0 });
    expect(seen.length).toBe(0);
  });
});

describe('http backend: retries and timeouts', () => {
  it('retries a 503 and then succeeds', async () => {
    handler = (req, res, n) => (n <= 2 ? send(res, 503, { error: 'warming up' }) : serveGolden(req, res, n));
    const texts = corpus.texts.slice(0, 5);
    const b = await opened({ retries: 3 });
    expect((await b.embed(texts)).data).toEqual(expectedF32(texts));
    expect(seen.length).toBe(3);
    expect(b.environment()).toMatchObject({ requests: 3, retried: 2 });
  });

  it('gives up after retries + 1 attempts with the status in the message', async () => {
    handler = (_req, res) => send(res, 502, 'bad gateway');
    const b = await opened({ retries: 2 });
    const error = await embedError(b, corpus.texts.slice(0, 3));
    expect(seen.length).toBe(3);
    expect(error.message).toContain('srv: ');
    expect(error.message).toContain(url);
    expect(error.message).toContain('batch 1/1');
    expect(error.message).toContain('HTTP 502');
    expect(error.message).toContain('gave up after 3 attempts');
  });

  it('waits as long as Retry-After says on a 429', async () => {
    handler = (req, res, n) => (n === 1 ? send(res, 429, { error: 'slow down' }, { 'retry-after': '1' }) : serveGolden(req, res, n));
    const b = await opened({ retries: 1 });
    const started = performance.now();
    await b.embed(corpus.texts.slice(0, 2));
    expect(performance.now() - started).toBeGreaterThanOrEqual(950); // backoff alone would be 5 ms
    expect(seen.length).toBe(2);
  });

  it('caps a long Retry-After', async () => {
    handler = (req, res, n) => (n === 1 ? send(res, 429, {}, { 'retry-after': '3600' }) : serveGolden(req, res, n));
    const b = await opened({ retries: 1 }, { ...FAST, retryAfterCapMs: 50 });
    const started = performance.now();
    await b.embed(corpus.texts.slice(0, 2));
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(retryAfterMs('3600', DEFAULT_RETRY_TIMING)).toBe(DEFAULT_RETRY_TIMING.retryAfterCapMs);
    expect(retryAfterMs(new Date(Date.now() + 2_000).toUTCString(), DEFAULT_RETRY_TIMING)).toBeGreaterThan(0);
    expect(retryAfterMs('soon', DEFAULT_RETRY_TIMING)).toBeNull();
  });

  it('does not retry a 400 and shows what the server said', async () => {
    handler = (_req, res) => send(res, 400, { error: { message: 'input must not be empty' } });
    const error = await embedError(await opened({ retries: 3 }), ['']);
    expect(seen.length).toBe(1);
    expect(error.message).toMatch(/HTTP 400.*input must not be empty/);
  });

  it('times out a request that gets no reply, retries it, then fails clearly', async () => {
    handler = (_req, res) => void hung.push(res);
    const b = await opened({ requestTimeoutMs: 150, retries: 1 });
    const started = performance.now();
    const error = await embedError(b, corpus.texts.slice(0, 2));
    expect(performance.now() - started).toBeLessThan(3_000);
    expect(seen.length).toBe(2);
    expect(error.message).toContain('no complete reply within 150 ms ("requestTimeoutMs")');
    expect(error.message).toContain('gave up after 2 attempts');
  });

  it('close() cancels a request in flight', async () => {
    handler = (_req, res) => void hung.push(res);
    const b = await opened({ requestTimeoutMs: 20_000, retries: 0 });
    const pending = b.embed(['a']).then(
      () => null,
      (e: unknown) => e,
    );
    await new Promise((r) => setTimeout(r, 100));
    await b.close();
    const error = await pending;
    expect(error).toBeInstanceOf(BackendError);
    expect((error as Error).message).toContain('cancelled');
  });

  it('reports a refused connection as a network error after retrying', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const b = new HttpBackend(spec({ url: `http://127.0.0.1:${port}/v1/embeddings`, retries: 1 }), FAST);
    await b.open({} as BackendContext);
    const error = await embedError(b, ['a']);
    expect(error.message).toContain('request failed: fetch failed');
    expect(error.message).toContain('ECONNREFUSED');
    expect(error.cause).toBeDefined();
  });
});

describe('http backend: malformed replies', () => {
  const cases: [string, Handler, RegExp][] = [
    ['not JSON', (_q, res) => send(res, 200, '{"data": [1, 2'), /malformed reply: reply is not JSON/],
    ['no data array', (_q, res) => send(res, 200, { embeddings: [] }), /no "data" array \(keys: embeddings\)/],
    ['wrong count', (q, res) => send(res, 200, { data: q.body.input.slice(1).map((t) => ({ embedding: goldenRow(t) })) }), /reply has 2 embeddings for 3 texts/],
    [
      'non-numeric value',
      (q, res) => send(res, 200, { data: q.body.input.map((t, i) => ({ index: i, embedding: i === 1 ? [0.5, null] : goldenRow(t) })) }),
      /data\[1\]\.embedding\[1\] is null, not a finite number/,
    ],
    [
      'inconsistent dims',
      (q, res) => send(res, 200, { data: q.body.input.map((t, i) => ({ index: i, embedding: goldenRow(t).slice(0, i === 2 ? 10 : DIM) })) }),
      new RegExp(`data\\[2\\]\\.embedding has 10 values, but data\\[0\\] has ${DIM}`),
    ],
    ['base64 embedding', (q, res) => send(res, 200, { data: q.body.input.map(() => ({ embedding: 'AAAA' })) }), /is a string \(base64\?\)/],
    ['bad index', (q, res) => send(res, 200, { data: q.body.input.map((t) => ({ index: 7, embedding: goldenRow(t) })) }), /data\[0\]\.index is 7/],
  ];
  for (const [what, h, pattern] of cases) {
    it(`${what} → a BackendError naming backend, url and batch`, async () => {
      handler = h;
      const error = await embedError(await opened({ retries: 3 }), corpus.texts.slice(0, 3));
      expect(error.message).toMatch(pattern);
      expect(error.message).toContain(`srv: POST ${url} batch 1/1 (texts 0–2)`);
      expect(seen.length).toBe(1); // a malformed 200 is not retried
    });
  }

  it('dims that change between batches', async () => {
    handler = (q, res, n) => send(res, 200, { data: q.body.input.map((t) => ({ embedding: goldenRow(t).slice(0, n === 1 ? DIM : 8) })) });
    const error = await embedError(await opened({ batchSize: 2 }), corpus.texts.slice(0, 4));
    expect(error.message).toContain(`batch 2/2 (texts 2–3): malformed reply: data[0].embedding has 8 values, but earlier batches had ${DIM}`);
  });
});

describe('http backend: API key', () => {
  const KEY = 'sk-test-0123456789abcdef';
  const ENV = 'PARITY_HTTP_TEST_KEY';

  it('sends the key as a bearer token and never writes it to environment() or errors', async () => {
    process.env[ENV] = KEY;
    try {
      handler = (q, res, n) =>
        n === 1 && q.headers.authorization === `Bearer ${KEY}`
          ? serveGolden(q, res, n)
          : send(res, 401, { error: { message: `invalid key ${q.headers.authorization}` } });
      const b = await opened({ apiKeyEnv: ENV, retries: 0 });
      expect(await b.availability()).toEqual({ available: true });
      await b.embed(['a']);
      const env = b.environment();
      expect(env).toMatchObject({ apiKeyEnv: ENV, apiKeySet: true });
      expect(JSON.stringify(env)).not.toContain(KEY);
      const error = await embedError(b, ['a']); // second request: the server echoes the header in a 401
      expect(error.message).toContain('HTTP 401');
      expect(error.message).toContain('Bearer ***');
      expect(error.message).not.toContain(KEY);
    } finally {
      delete process.env[ENV];
    }
  });

  it('is unavailable, without any request, when the named variable is not set', async () => {
    delete process.env[ENV];
    const b = new HttpBackend(spec({ apiKeyEnv: ENV }));
    expect(await b.availability()).toEqual({ available: false, reason: `environment variable ${ENV} (named by "apiKeyEnv") is not set` });
    expect(b.environment()).toMatchObject({ apiKeyEnv: ENV, apiKeySet: false });
    expect(seen.length).toBe(0);
  });
});

describe('http backend: config', () => {
  it('availability checks the url without touching the network', async () => {
    expect(await new HttpBackend(spec({})).availability()).toEqual({ available: true });
    expect(await new HttpBackend(spec({ url: 'not a url' })).availability()).toMatchObject({ available: false, reason: expect.stringContaining('not a valid URL') });
    expect(await new HttpBackend(spec({ url: 'ftp://127.0.0.1/x' })).availability()).toMatchObject({ available: false });
    const withCreds = new HttpBackend(spec({ url: 'http://user:hunter22@127.0.0.1:1/v1/embeddings' }));
    expect(await withCreds.availability()).toMatchObject({ available: false, reason: expect.stringContaining('apiKeyEnv') });
    expect(JSON.stringify(withCreds.environment())).not.toContain('hunter22');
    expect(seen.length).toBe(0);
  });

  it('rejects bad options with the backend and key named', () => {
    const bad: [Record<string, unknown>, string][] = [
      [{ url: 3 }, '"url"'],
      [{ apiModel: '' }, '"apiModel"'],
      [{ batchSize: 0 }, '"batchSize"'],
      [{ requestTimeoutMs: 1.5 }, '"requestTimeoutMs"'],
      [{ retries: -1 }, '"retries"'],
      [{ normalize: 'yes' }, '"normalize"'],
      [{ apiKeyEnv: 'sk-live-abc' }, '"apiKeyEnv"'],
      [{ prompt: 'none' }, '"prompt"'],
      [{ prompt: true }, '"prompt"'],
    ];
    for (const [options, key] of bad) {
      expect(() => new HttpBackend(spec(options))).toThrow(InputError);
      expect(() => new HttpBackend(spec(options))).toThrow(new RegExp(`backend "srv": ${key}`));
    }
    expect(() => createBackends([spec({ batchSize: 'x' })])).toThrow(/"batchSize"/);
  });

  it('redacts credentials and secret-looking query values from the url it shows', () => {
    expect(redactUrl('https://u:p@example.com/v1/embeddings?api_key=abc&api-version=2024')).toBe(
      'https://***:***@example.com/v1/embeddings?api_key=***&api-version=2024',
    );
  });
});

describe("http backend: the run's sentence-transformers prompt", () => {
  // xlm-roberta: prompts {query: "query: ", passage: "passage: "}, default "query", include_prompt true.
  // qwen3-weightedmean: Qwen3-Embedding's instruction as default "query", "document": "", include_prompt false.
  const XLMR = join(FIXTURE.model, '../arch/xlm-roberta');
  const QWEN_WM = join(FIXTURE.model, '../arch/qwen3-weightedmean');
  const QWEN_QUERY = 'Instruct: Given a web search query, retrieve relevant passages that answer the query\nQuery:';
  const texts = ['2024', '', 'ünïcödé text'];
  /** Any vectors: these tests look at what the server was sent. */
  const serveAny: Handler = (req, res) => send(res, 200, { data: req.body.input.map((_t, index) => ({ index, embedding: [index, 1] })) });
  async function sent(options: Record<string, unknown>, modelDir: string, choices: EmbeddingChoices = {}) {
    handler = serveAny;
    const b = new HttpBackend(spec({ batchSize: 2, ...options }), FAST);
    await b.open({ model: loadModelInfo(modelDir, choices) } as BackendContext);
    await b.embed(texts);
    await b.close();
    return { inputs: seen.flatMap((s) => s.body.input), env: b.environment() };
  }

  it('default: parity prepends the default prompt to every text, as encode() does, and says so', async () => {
    const { inputs, env } = await sent({}, XLMR);
    expect(inputs).toEqual(['query: 2024', 'query: ', 'query: ünïcödé text']);
    expect(env.prompt).toEqual({ name: 'query', applied: 'prepended by parity' });
    expect(env).not.toHaveProperty('promptNote');
  });

  it('promptName picks another prompt; "prepend" spelled out is the default', async () => {
    const { inputs, env } = await sent({ prompt: 'prepend' }, XLMR, { promptName: 'passage' });
    expect(inputs).toEqual(texts.map((t) => 'passage: ' + t));
    expect(env.prompt).toEqual({ name: 'passage', applied: 'prepended by parity' });
  });

  it('prompt "server": the texts go as-is and the prompt is recorded as left to the server', async () => {
    const { inputs, env } = await sent({ prompt: 'server' }, XLMR);
    expect(inputs).toEqual(texts);
    expect(env.prompt).toEqual({ name: 'query', applied: 'left to the server' });
  });

  it('no prompt for the run (promptName null or ""), an empty prompt text, or no prompts at all: texts as-is, nothing recorded', async () => {
    for (const [dir, choices] of [
      [XLMR, { promptName: null }],
      [XLMR, { promptName: '' }],
      [QWEN_WM, { promptName: 'document' }], // "document": "" is no prompt to sentence-transformers either
      [MODEL, {}],
    ] as [string, EmbeddingChoices][]) {
      seen.length = 0;
      const { inputs, env } = await sent({}, dir, choices);
      expect(inputs).toEqual(texts);
      expect(env).not.toHaveProperty('prompt');
      expect(env).not.toHaveProperty('promptNote');
    }
  });

  it('include_prompt false: the prompt is prepended and the environment says the server pools over it', async () => {
    const { inputs, env } = await sent({}, QWEN_WM);
    expect(inputs).toEqual(texts.map((t) => QWEN_QUERY + t));
    expect(env.prompt).toEqual({ name: 'query', applied: 'prepended by parity' });
    expect(env.promptNote).toMatch(/include_prompt false: .*the server pools over the prompt parity prepended, so its vectors are not expected to match/);
    seen.length = 0;
    const server = await sent({ prompt: 'server' }, QWEN_WM);
    expect(server.inputs).toEqual(texts);
    expect(server.env.promptNote).toMatch(/include_prompt false: .*up to the server/);
  });

  it('a bad "prompt" is a config error naming backend and key, before any request', () => {
    expect(() => createBackends([spec({ prompt: 'append' })])).toThrow(InputError);
    expect(() => createBackends([spec({ prompt: 'append' })])).toThrow(
      'backend "srv": "prompt" must be "prepend" (parity prepends the run\'s prompt to each text) or "server" (the server applies it itself), got "append"',
    );
    expect(seen.length).toBe(0);
  });

  it('runParity with a model whose default prompt is "query: ": the server gets prompt + text and the run passes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parity-http-prompt-'));
    try {
      // tiny-bert with a default prompt; the golden without its meta (made without a prompt) stands
      // in for one made with it: the server answers "query: X" with X's golden row.
      const model = join(dir, 'model');
      cpSync(MODEL, model, { recursive: true });
      writeFileSync(join(model, 'config_sentence_transformers.json'), JSON.stringify({ prompts: { query: 'query: ' }, default_prompt_name: 'query' }));
      cpSync(GOLDEN, join(dir, 'golden.npy'));
      handler = (req, res) => {
        const bare = req.body.input.map((t) => {
          if (!t.startsWith('query: ')) throw new Error(`no prompt on ${JSON.stringify(t)}`);
          return t.slice('query: '.length);
        });
        send(res, 200, { data: bare.map((t, index) => ({ index, embedding: goldenRow(t) })) });
      };
      const config = join(dir, 'parity.config.json');
      const backends = [{ name: 'server', runtime: 'http', url, apiModel: 'tiny-bert', batchSize: 64, retries: 0, precision: 'fp32' }];
      writeFileSync(config, JSON.stringify({ model, corpus: CORPUS, golden: join(dir, 'golden.npy'), blockTexts: 304, checks: { batchInvarianceSample: 0 }, backends }));
      const { report } = await runParity({ config, out: join(dir, 'report') });
      const b = report.backends[0];
      expect(b.reason).toBeNull();
      expect(b.status).toBe('pass');
      expect(b.environment).toMatchObject({ prompt: { name: 'query', applied: 'prepended by parity' } });
      expect(seen.flatMap((s) => s.body.input)).toEqual(corpus.texts.map((t) => 'query: ' + t));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('http backend: end to end through runParity', () => {
  it('passes against the golden when the server returns the golden rows as float32', async () => {
    const KEY = 'e2e-secret-key-987654321';
    const ENV = 'PARITY_HTTP_E2E_KEY';
    process.env[ENV] = KEY;
    const dir = mkdtempSync(join(tmpdir(), 'parity-http-'));
    try {
      const config = join(dir, 'parity.config.json');
      writeFileSync(
        config,
        JSON.stringify({
          model: MODEL,
          corpus: CORPUS,
          golden: GOLDEN,
          // One block for the whole corpus and no batch-invariance requests, so the request count is
          // exactly the corpus in batches of 50.
          blockTexts: 304,
          checks: { batchInvarianceSample: 0 },
          backends: [{ name: 'server', runtime: 'http', url, apiModel: 'tiny-bert', apiKeyEnv: ENV, batchSize: 50, precision: 'fp32' }],
        }),
      );
      const { report } = await runParity({ config, out: join(dir, 'report') });
      const b = report.backends[0];
      expect(b.reason).toBeNull();
      expect(b.status).toBe('pass');
      expect(report.verdict).toBe('pass');
      let maxGolden = 0;
      for (const v of golden.data) maxGolden = Math.max(maxGolden, Math.abs(v));
      expect(b.metrics!.maxAbs).toBeLessThanOrEqual(maxGolden * 2 ** -24); // float32 rounding, half an ulp
      expect(seen.length).toBe(Math.ceil(corpus.texts.length / 50));
      expect(readFileSync(join(dir, 'report', 'report.json'), 'utf8')).not.toContain(KEY);
    } finally {
      delete process.env[ENV];
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000); // a whole run with worker processes: seconds on a loaded machine
});
