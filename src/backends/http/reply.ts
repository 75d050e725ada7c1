/**
 * Reading an OpenAI-style embeddings reply, `{"data": [{"embedding": [...], "index": i}, ...]}`,
 * strictly: every way it can be wrong gets its own message that says where (data[i].embedding[j])
 * and what was found, because a misread reply would show up later as a baffling numeric mismatch.
 */

/** What was wrong with a reply; the runner adds backend, url and batch. */
export class ReplyError extends Error {}

export interface EmbeddingsReply {
  /** One vector per text, in request order (sorted by "index" when the server sends it). */
  vectors: number[][];
  dim: number;
  /** The reply's "model" field, when present. */
  model?: string;
}

const typeName = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v);

export function snippet(text: string, max = 200): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

/** One base64 embedding (Infinity, OpenAI: the raw little-endian float32 bytes) as numbers. */
export function decodeBase64Embedding(text: string, where: string): number[] {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) throw new ReplyError(`${where} is not base64 (starts ${JSON.stringify(snippet(text, 40))})`);
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length % 4 !== 0) throw new ReplyError(`${where} decodes to ${bytes.length} bytes, not a whole number of float32 values`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Array<number>(bytes.length / 4);
  for (let j = 0; j < out.length; j++) out[j] = view.getFloat32(j * 4, true);
  return out;
}

export function parseEmbeddingsReply(body: string, expectedCount: number, expectedDim?: number, encoding: 'float' | 'base64' = 'float'): EmbeddingsReply {
  const json = parseJsonBody(body);
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new ReplyError(`reply is ${typeName(json)}, expected an object with a "data" array`);
  }
  const reply = json as Record<string, unknown>;
  if (!Array.isArray(reply.data)) {
    // OpenAI and Infinity's own errors: {"error": {"message"}}; FastAPI's validation: {"detail": ...}.
    const err = (reply.error ?? reply.detail) as { message?: unknown } | string | undefined;
    const errText = typeof err === 'string' ? err : typeof err?.message === 'string' ? err.message : err !== undefined ? JSON.stringify(err) : undefined;
    throw new ReplyError(
      errText !== undefined
        ? `reply has no "data" array; the server says: ${snippet(errText)}`
        : `reply has no "data" array (keys: ${Object.keys(reply).join(', ') || 'none'})`,
    );
  }
  const data = reply.data as unknown[];
  if (data.length !== expectedCount) {
    throw new ReplyError(`reply has ${data.length} embeddings for ${expectedCount} texts`);
  }

  const withIndex = data.filter((e) => typeof e === 'object' && e !== null && (e as { index?: unknown }).index !== undefined).length;
  if (withIndex !== 0 && withIndex !== data.length) {
    throw new ReplyError(`${withIndex} of ${data.length} entries have an "index" and the others do not; cannot tell the order`);
  }
  const vectors: number[][] = new Array(data.length);
  let dim = expectedDim ?? -1;
  data.forEach((entry, i) => {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      throw new ReplyError(`data[${i}] is ${typeName(entry)}, expected an object with an "embedding" array`);
    }
    const e = entry as { embedding?: unknown; index?: unknown };
    let position = i;
    if (withIndex) {
      const index = e.index;
      if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= data.length) {
        throw new ReplyError(`data[${i}].index is ${JSON.stringify(index)}, expected an integer from 0 to ${data.length - 1}`);
      }
      if (vectors[index] !== undefined) throw new ReplyError(`index ${index} appears twice in data`);
      position = index;
    }
    let embedding = e.embedding;
    if (typeof embedding === 'string') {
      if (encoding !== 'base64') throw new ReplyError(`data[${i}].embedding is a string (base64?); the server ignored "encoding_format": "float"`);
      embedding = decodeBase64Embedding(embedding, `data[${i}].embedding`);
    } // with base64 asked, a server that sends numbers anyway is read as numbers: the same vector
    dim = checkVector(embedding, `data[${i}].embedding`, dim, expectedDim !== undefined ? 'earlier batches had' : 'data[0] has');
    vectors[position] = embedding as number[];
  });
  return { vectors, dim, model: typeof reply.model === 'string' ? reply.model : undefined };
}

/**
 * Checks one returned vector, `where` naming it in the reply: a non-empty array of finite numbers of
 * `dim` values (-1: the first vector, which sets it; `dimSource` says where `dim` came from). Returns
 * the dimension. Every API format's reader calls it, so each wrong reply reads the same way.
 */
export function checkVector(embedding: unknown, where: string, dim: number, dimSource: string): number {
  if (!Array.isArray(embedding)) throw new ReplyError(`${where} is ${typeName(embedding)}, expected an array of numbers`);
  if (embedding.length === 0) throw new ReplyError(`${where} is empty`);
  for (let j = 0; j < embedding.length; j++) {
    const v = embedding[j];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new ReplyError(`${where}[${j}] is ${JSON.stringify(v) ?? typeName(v)}, not a finite number`);
    }
  }
  if (dim !== -1 && embedding.length !== dim) throw new ReplyError(`${where} has ${embedding.length} values, but ${dimSource} ${dim}`);
  return embedding.length;
}

/** Parses a reply body as JSON, or says what it was. */
export function parseJsonBody(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch (error) {
    throw new ReplyError(`reply is not JSON (${(error as Error).message}); body starts ${JSON.stringify(snippet(body, 120))}`);
  }
}

export { typeName };
