/**
 * Vectors as a caller holds them — nested arrays, one typed array per text, a flat matrix, or an .npy
 * path — turned into the harness's Matrix. Used by the programmatic API and the vitest matcher, so a
 * JS test compares the output of its own pipeline without writing a file first.
 */
import type { Matrix } from '../numeric/matrix.js';
import { InputError } from '../errors.js';
import { readNpy, type NpyDtype } from '../npy/npy.js';

export type Row = ArrayLike<number>;
/** One row per text: number[][], Float32Array[], …; a {rows, dim, data} matrix; or the path of an .npy file. */
export type VectorsInput = readonly Row[] | Matrix | string;

export interface LoadedVectors extends Matrix {
  /** '<f2' / '<f4' / '<f8' for an .npy file or typed rows; null for plain numbers (precision unknown). */
  dtype: NpyDtype | null;
  /** The path when read from a file, else "(in memory)". */
  label: string;
}

function isMatrix(v: unknown): v is Matrix {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && 'data' in v && 'rows' in v && 'dim' in v;
}

export function loadVectors(input: VectorsInput, what: string): LoadedVectors {
  if (typeof input === 'string') {
    const m = readNpy(input);
    return { rows: m.rows, dim: m.dim, data: m.data, dtype: m.dtype, label: input };
  }
  if (isMatrix(input)) {
    if (!(input.data instanceof Float32Array || input.data instanceof Float64Array)) {
      throw new InputError(`${what}: matrix data must be a Float32Array or Float64Array`);
    }
    if (input.data.length !== input.rows * input.dim) {
      throw new InputError(`${what}: matrix data has ${input.data.length} values, rows × dim is ${input.rows}×${input.dim}`);
    }
    return { rows: input.rows, dim: input.dim, data: input.data, dtype: input.data instanceof Float64Array ? '<f8' : '<f4', label: '(in memory)' };
  }
  if (!Array.isArray(input)) {
    throw new InputError(`${what} must be an array of vectors (number[][], Float32Array[]), a {rows, dim, data} matrix or an .npy path, got ${typeof input}`);
  }
  const rows = input.length;
  const dim = rows ? input[0].length : 0;
  const allFloat32 = input.every((r) => r instanceof Float32Array);
  const allFloat64 = !allFloat32 && input.every((r) => r instanceof Float64Array);
  // Float32 rows stay float32 so the comparison sees exactly the values the caller's runtime produced.
  const data = allFloat32 ? new Float32Array(rows * dim) : new Float64Array(rows * dim);
  input.forEach((row, i) => {
    if (row === null || typeof row !== 'object' || typeof row.length !== 'number') {
      throw new InputError(`${what}: row ${i} is not an array of numbers`);
    }
    if (row.length !== dim) throw new InputError(`${what}: row ${i} has ${row.length} values, row 0 has ${dim} (ragged vectors)`);
    for (let j = 0; j < dim; j++) data[i * dim + j] = Number(row[j]);
  });
  return { rows, dim, data, dtype: allFloat32 ? '<f4' : allFloat64 ? '<f8' : null, label: '(in memory)' };
}
