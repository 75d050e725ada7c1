/**
 * Writes an .npy row block by row block as a run produces vectors, so memory stays bounded and an
 * interrupted run leaves a usable partial file. The header reserves a fixed length and says 0 rows
 * until `finish` rewrites it with the real count; until then the file is NAME.npy.partial, and the
 * rows on disk are (size − header) / row bytes. `finish` renames it into place atomically.
 */
import { closeSync, existsSync, fstatSync, ftruncateSync, fsyncSync, mkdirSync, openSync, readSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { InputError } from '../errors.js';
import { npyHeaderBytes, parseNpyHeader, type NpyDtype } from './npy.js';

/** Room for any shape a run can produce, so the header can be rewritten in place. */
const HEADER_BYTES = 128;

function fixedHeader(dtype: NpyDtype, rows: number, dim: number): Buffer {
  const h = npyHeaderBytes(dtype, [rows, dim]);
  // npyHeaderBytes pads to 64; widen to the reserved size with spaces before the final newline.
  if (h.length > HEADER_BYTES) throw new Error(`npy header longer than ${HEADER_BYTES} bytes`);
  const out = Buffer.alloc(HEADER_BYTES, 0x20);
  h.copy(out, 0, 0, h.length - 1);
  out[HEADER_BYTES - 1] = 0x0a;
  out.writeUInt16LE(HEADER_BYTES - 10, 8);
  return out;
}

export class NpyAppendWriter {
  private rowsWritten: number;

  private constructor(
    readonly path: string,
    private readonly fd: number,
    readonly dtype: NpyDtype,
    readonly dim: number,
    rows: number,
  ) {
    this.rowsWritten = rows;
  }

  get partialPath(): string {
    return `${this.path}.partial`;
  }

  get rows(): number {
    return this.rowsWritten;
  }

  static create(path: string, dtype: NpyDtype, dim: number): NpyAppendWriter {
    mkdirSync(dirname(path), { recursive: true });
    const fd = openSync(`${path}.partial`, 'w');
    writeSync(fd, fixedHeader(dtype, 0, dim), 0, HEADER_BYTES, 0);
    return new NpyAppendWriter(path, fd, dtype, dim, 0);
  }

  /** Reopens NAME.npy.partial keeping its first `keepRows` rows (a block half-written when the run stopped is dropped). */
  static resume(path: string, keepRows: number): NpyAppendWriter {
    const partial = `${path}.partial`;
    if (!existsSync(partial)) throw new InputError(`cannot resume: ${partial} is missing`);
    const fd = openSync(partial, 'r+');
    const head = Buffer.alloc(HEADER_BYTES);
    readSync(fd, head, 0, HEADER_BYTES, 0);
    const header = parseNpyHeader(head, partial);
    const dtype = header.dtype as NpyDtype;
    const dim = header.shape[1];
    const rowBytes = dim * (dtype === '<f8' ? 8 : dtype === '<f4' ? 4 : 2);
    const onDisk = Math.floor((fstatSync(fd).size - HEADER_BYTES) / rowBytes);
    if (onDisk < keepRows) {
      closeSync(fd);
      throw new InputError(`cannot resume: ${partial} holds ${onDisk} rows, the run state says ${keepRows} were done`);
    }
    ftruncateSync(fd, HEADER_BYTES + keepRows * rowBytes);
    return new NpyAppendWriter(path, fd, dtype, dim, keepRows);
  }

  append(data: Float32Array | Float64Array): void {
    const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const rowBytes = this.dim * data.BYTES_PER_ELEMENT;
    writeSync(this.fd, bytes, 0, bytes.length, HEADER_BYTES + this.rowsWritten * rowBytes);
    this.rowsWritten += data.length / this.dim;
  }

  /** Reads rows back (for resuming the comparison from disk). */
  read(firstRow: number, count: number): Float32Array | Float64Array {
    const out = this.dtype === '<f8' ? new Float64Array(count * this.dim) : new Float32Array(count * this.dim);
    readSync(this.fd, new Uint8Array(out.buffer), 0, out.byteLength, HEADER_BYTES + firstRow * this.dim * out.BYTES_PER_ELEMENT);
    return out;
  }

  /** Fixes the header to the rows written and moves the file into place. */
  finish(): void {
    writeSync(this.fd, fixedHeader(this.dtype, this.rowsWritten, this.dim), 0, HEADER_BYTES, 0);
    fsyncSync(this.fd);
    closeSync(this.fd);
    renameSync(this.partialPath, this.path);
  }

  /** Leaves the partial file for --resume. */
  close(): void {
    closeSync(this.fd);
  }
}
