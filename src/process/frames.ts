/**
 * The frames python/st_worker.py writes to its stdout: a little-endian uint32 header length, a UTF-8
 * JSON header, then `header.bytes` bytes of payload (raw little-endian float32/float64 vectors).
 * Chunks from the pipe are kept in a list and joined once a whole frame is there, so a frame of
 * megabytes arriving in 64 KiB pieces is copied once, not once per piece.
 */

export interface FrameHeader {
  type: string;
  bytes: number;
  [key: string]: unknown;
}

export interface Frame {
  header: FrameHeader;
  payload: Buffer;
}

/** Headers are small JSON objects; anything bigger means the stream is not frames (a stray print). */
const MAX_HEADER_BYTES = 1 << 20;

export class FrameError extends Error {}

export class FrameReader {
  private chunks: Buffer[] = [];
  private length = 0;
  private header: FrameHeader | null = null;

  /** Feeds bytes from the pipe; returns the frames completed by them, in order. Throws FrameError on garbage. */
  push(chunk: Buffer): Frame[] {
    this.chunks.push(chunk);
    this.length += chunk.length;
    const frames: Frame[] = [];
    for (;;) {
      if (!this.header) {
        if (this.length < 4) break;
        const headerLength = this.peek(4).readUInt32LE(0);
        if (headerLength === 0 || headerLength > MAX_HEADER_BYTES) {
          throw new FrameError(`bad frame header length ${headerLength} (the worker's stdout is not a frame stream: ${JSON.stringify(this.peek(Math.min(this.length, 80)).toString('latin1'))})`);
        }
        if (this.length < 4 + headerLength) break;
        const raw = this.take(4 + headerLength).subarray(4);
        let header: FrameHeader;
        try {
          header = JSON.parse(raw.toString('utf8')) as FrameHeader;
        } catch (error) {
          throw new FrameError(`frame header is not JSON: ${(error as Error).message}`);
        }
        if (typeof header !== 'object' || header === null || typeof header.type !== 'string' || !Number.isInteger(header.bytes) || header.bytes < 0) {
          throw new FrameError(`frame header lacks "type" or "bytes": ${raw.toString('utf8').slice(0, 200)}`);
        }
        this.header = header;
      }
      if (this.length < this.header.bytes) break;
      frames.push({ header: this.header, payload: this.take(this.header.bytes) });
      this.header = null;
    }
    return frames;
  }

  /** Bytes received but not yet part of a complete frame (a worker that died mid-frame). */
  get pendingBytes(): number {
    return this.length;
  }

  private peek(n: number): Buffer {
    if (this.chunks[0].length < n) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0].subarray(0, n);
  }

  private take(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0);
    if (this.chunks[0].length < n) this.chunks = [Buffer.concat(this.chunks)];
    const first = this.chunks[0];
    const out = first.subarray(0, n);
    if (first.length === n) this.chunks.shift();
    else this.chunks[0] = first.subarray(n);
    this.length -= n;
    return out;
  }
}
