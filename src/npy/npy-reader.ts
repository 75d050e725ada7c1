/**
 * Streaming .npy reader: the header from the file's first bytes, then blocks of rows by positional
 * reads into buffers that are allocated once and reused, so that a file of any size is read in
 * constant memory. Rows come back as Float32Array ('<f2' decoded, '<f4' as stored) or Float64Array
 * ('<f8') views on those buffers: a view is valid until the next `read`.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { InputError } from '../errors.js';
import { float16BitsToFloat32 } from '../numeric/float16.js';
import { checkEmbeddingHeader, parseNpyHeader, type NpyDtype } from './npy.js';

/** Bytes read for the header at first; a longer header (format 2.0/3.0) is read in full after. */
const HEADER_PROBE = 64 * 1024;

export const NPY_ITEM_BYTES: Record<NpyDtype, number> = { '<f2': 2, '<f4': 4, '<f8': 8 };

export interface NpyInfo {
  path: string;
  dtype: NpyDtype;
  rows: number;
  dim: number;
  /** Byte offset of the first element. */
  dataOffset: number;
  /** Size of the file in bytes. */
  fileSize: number;
}

function cannot(path: string, error: unknown): InputError {
  return new InputError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? error}`, { cause: error });
}

/** Reads exactly `length` bytes at `position` into `into` (from its index 0), or fewer at end of file. */
function readFully(fd: number, into: Uint8Array, length: number, position: number, path: string): number {
  let done = 0;
  while (done < length) {
    let n: number;
    try {
      n = readSync(fd, into, done, length - done, position + done);
    } catch (error) {
      throw cannot(path, error);
    }
    if (n === 0) break;
    done += n;
  }
  return done;
}

/** Where the header of a .npy starting with `b` ends, by its length field; null when `b` is too short or not .npy (parseNpyHeader says why). */
function headerEnd(b: Uint8Array): number | null {
  if (b.length < 12 || b[0] !== 0x93) return null;
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (b[6] === 1) return 10 + view.getUint16(8, true);
  if (b[6] === 2 || b[6] === 3) return 12 + view.getUint32(8, true);
  return null;
}

/** Parses and checks the header of an open .npy; the data's size is checked against the file's. */
function readInfo(fd: number, path: string): NpyInfo {
  let fileSize: number;
  try {
    fileSize = fstatSync(fd).size;
  } catch (error) {
    throw cannot(path, error);
  }
  let probe = new Uint8Array(Math.min(HEADER_PROBE, fileSize));
  let got = readFully(fd, probe, probe.length, 0, path);
  const end = headerEnd(probe.subarray(0, got));
  if (end !== null && end > got) {
    if (end > fileSize) {
      throw new InputError(`${path}: file is truncated inside its .npy header (${fileSize} bytes, header needs ${end})`);
    }
    probe = new Uint8Array(end);
    got = readFully(fd, probe, probe.length, 0, path);
  }
  const header = parseNpyHeader(probe.subarray(0, got), path);
  const { dtype, rows, dim } = checkEmbeddingHeader(header, path);
  const need = rows * dim * NPY_ITEM_BYTES[dtype];
  const have = fileSize - header.dataOffset;
  if (have < need) {
    throw new InputError(
      `${path}: file is truncated (${have} data bytes, shape (${rows}, ${dim}) ${dtype} needs ${need}); ` +
        `was it copied or written completely?`,
    );
  }
  return { path, dtype, rows, dim, dataOffset: header.dataOffset, fileSize };
}

/** Header facts of an .npy file, read from its first bytes only. */
export function readNpyInfo(path: string): NpyInfo {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    throw cannot(path, error);
  }
  try {
    return readInfo(fd, path);
  } finally {
    closeSync(fd);
  }
}

let F16_TABLE: Float32Array | null = null;

/** All 65536 half-precision values, for decoding by lookup (256 KiB, built on first use). */
function float16Table(): Float32Array {
  if (!F16_TABLE) {
    const table = new Float32Array(65536);
    for (let bits = 0; bits < 65536; bits++) table[bits] = float16BitsToFloat32(bits);
    F16_TABLE = table;
  }
  return F16_TABLE;
}

export class NpyRowReader {
  readonly info: NpyInfo;
  /** Rows per `read` at most (the buffers' size). */
  readonly chunkRows: number;
  private fd: number | null;
  private readonly bytes: Uint8Array;
  private readonly view: Float32Array | Float64Array | Uint16Array;
  private readonly decoded: Float32Array | null;

  /** Opens `path` and checks its header; throws InputError for anything that is not a readable embedding matrix. */
  constructor(path: string, options: { chunkRows?: number } = {}) {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (error) {
      throw cannot(path, error);
    }
    this.fd = fd;
    try {
      this.info = readInfo(fd, path);
    } catch (error) {
      this.close();
      throw error;
    }
    const { dtype, rows, dim } = this.info;
    this.chunkRows = Math.max(1, Math.min(Math.floor(options.chunkRows ?? 512), Math.max(rows, 1)));
    const item = NPY_ITEM_BYTES[dtype];
    // A fresh ArrayBuffer is aligned for any typed view, whatever the data offset in the file.
    const buffer = new ArrayBuffer(this.chunkRows * Math.max(dim, 1) * item);
    this.bytes = new Uint8Array(buffer);
    if (dtype === '<f4') this.view = new Float32Array(buffer);
    else if (dtype === '<f8') this.view = new Float64Array(buffer);
    else this.view = new Uint16Array(buffer);
    this.decoded = dtype === '<f2' ? new Float32Array(this.chunkRows * Math.max(dim, 1)) : null;
  }

  /** The file's bytes of rows [firstRow, firstRow + count) into `into`. */
  private readBytes(firstRow: number, count: number, into: Uint8Array): void {
    const { path, dtype, rows, dim, dataOffset } = this.info;
    if (this.fd === null) throw new Error(`${path}: reader is closed`);
    if (!Number.isInteger(firstRow) || !Number.isInteger(count) || firstRow < 0 || count < 0 || firstRow + count > rows || count > this.chunkRows) {
      throw new RangeError(`${path}: rows [${firstRow}, ${firstRow + count}) outside the file's ${rows} or the reader's chunk of ${this.chunkRows}`);
    }
    const item = NPY_ITEM_BYTES[dtype];
    const length = count * dim * item;
    const got = readFully(this.fd, into, length, dataOffset + firstRow * dim * item, path);
    if (got < length) {
      // The size was checked at open: the file shrank while being read.
      throw new InputError(`${path}: file is truncated (ended at row ${firstRow + Math.floor(got / (dim * item))} of ${rows} while reading)`);
    }
  }

  get rows(): number {
    return this.info.rows;
  }

  get dim(): number {
    return this.info.dim;
  }

  /**
   * Rows [firstRow, firstRow + count) as a view on the reader's reused buffer (valid until the
   * next call); count is at most `chunkRows`.
   */
  read(firstRow: number, count: number): Float32Array | Float64Array {
    const { dim } = this.info;
    const values = count * dim;
    this.readBytes(firstRow, count, this.bytes);
    if (this.decoded) {
      const table = float16Table();
      const bits = this.view as Uint16Array;
      const out = this.decoded;
      for (let i = 0; i < values; i++) out[i] = table[bits[i]];
      return out.subarray(0, values);
    }
    return (this.view as Float32Array | Float64Array).subarray(0, values);
  }

  /**
   * Rows [firstRow, firstRow + count) as float32 into `target` (from its index 0), read straight
   * into it: '<f4' and '<f2' files only (false for '<f8', nothing read then).
   */
  readInto(firstRow: number, count: number, target: Float32Array): boolean {
    const { dtype, dim } = this.info;
    if (dtype === '<f8') return false;
    if (target.length < count * dim) throw new RangeError(`readInto: target holds ${target.length} values, ${count * dim} needed`);
    if (dtype === '<f2') {
      target.set(this.read(firstRow, count));
      return true;
    }
    this.readBytes(firstRow, count, new Uint8Array(target.buffer, target.byteOffset, count * dim * 4));
    return true;
  }

  close(): void {
    if (this.fd !== null) {
      const fd = this.fd;
      this.fd = null;
      closeSync(fd);
    }
  }
}

/**
 * Rows of an .npy file in the order given, as one matrix ('<f8' stays float64, '<f4'/'<f2' become
 * float32). Runs of consecutive rows are read in one call each.
 */
export function readNpyRows(path: string, rows: readonly number[], chunkRows = 1024): { rows: number; dim: number; data: Float32Array | Float64Array } {
  const reader = new NpyRowReader(path, { chunkRows });
  try {
    const dim = reader.dim;
    const data = reader.info.dtype === '<f8' ? new Float64Array(rows.length * dim) : new Float32Array(rows.length * dim);
    for (let k = 0; k < rows.length; ) {
      let n = 1;
      while (k + n < rows.length && n < chunkRows && rows[k + n] === rows[k] + n) n++;
      data.set(reader.read(rows[k], n), k * dim);
      k += n;
    }
    return { rows: rows.length, dim, data };
  } finally {
    reader.close();
  }
}
