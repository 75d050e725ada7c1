/** The binary frames python/st_worker.py writes, parsed however the pipe happens to split them. */
import { describe, expect, it } from 'vitest';
import { FrameError, FrameReader } from '../../src/process/frames.js';

function frame(header: Record<string, unknown>, payload: Buffer = Buffer.alloc(0)): Buffer {
  const json = Buffer.from(JSON.stringify({ ...header, bytes: payload.length }), 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32LE(json.length, 0);
  return Buffer.concat([length, json, payload]);
}

const f64 = Buffer.from(new Float64Array([1 / 3, -2.5e-300, Math.PI]).buffer);
const f32 = Buffer.from(new Float32Array([0.1, 0.2]).buffer);
const stream = Buffer.concat([
  frame({ type: 'ready', environment: { torch: '2.13.0' } }),
  frame({ type: 'vectors', id: 1, start: 0, rows: 1, dim: 3, dtype: '<f8' }, f64),
  frame({ type: 'vectors', id: 1, start: 1, rows: 1, dim: 2, dtype: '<f4' }, f32),
  frame({ type: 'done', id: 1, rows: 2 }),
]);

describe('FrameReader', () => {
  it('gives the same frames, bit for bit, whether the stream arrives whole, byte by byte or in odd pieces', () => {
    const whole = new FrameReader().push(stream);
    expect(whole.map((f) => f.header.type)).toEqual(['ready', 'vectors', 'vectors', 'done']);
    expect(whole[0].header.environment).toEqual({ torch: '2.13.0' });
    const v = whole[1].payload;
    expect(Array.from(new Float64Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.length)))).toEqual([1 / 3, -2.5e-300, Math.PI]);
    for (const step of [1, 3, 7, 64]) {
      const reader = new FrameReader();
      const frames = [];
      for (let i = 0; i < stream.length; i += step) frames.push(...reader.push(stream.subarray(i, i + step)));
      expect(frames.map((f) => f.header)).toEqual(whole.map((f) => f.header));
      expect(frames.map((f) => f.payload.toString('hex'))).toEqual(whole.map((f) => f.payload.toString('hex')));
      expect(reader.pendingBytes).toBe(0);
    }
  });

  it('counts the bytes of an unfinished frame (a worker that died mid-frame)', () => {
    const reader = new FrameReader();
    const cut = stream.length - 10;
    expect(reader.push(stream.subarray(0, cut)).map((f) => f.header.type)).toEqual(['ready', 'vectors', 'vectors']);
    expect(reader.pendingBytes).toBe(cut - (stream.length - frame({ type: 'done', id: 1, rows: 2 }).length));
  });

  it('refuses a stream that is not frames (text printed to stdout) instead of reading garbage as vectors', () => {
    expect(() => new FrameReader().push(Buffer.from('Loading weights: 100%|██████████|\n'))).toThrow(FrameError);
    expect(() => new FrameReader().push(Buffer.from('Loading weights: 100%|██████████|\n'))).toThrow(/bad frame header length \d+ \(the worker's stdout is not a frame stream: "Load/);
    const notJson = Buffer.concat([Buffer.from([3, 0, 0, 0]), Buffer.from('{x}')]);
    expect(() => new FrameReader().push(notJson)).toThrow(/frame header is not JSON/);
    const noBytes = Buffer.concat([Buffer.from([13, 0, 0, 0]), Buffer.from('{"type":"x"}\n')]);
    expect(() => new FrameReader().push(noBytes)).toThrow(/lacks "type" or "bytes"/);
  });
});
