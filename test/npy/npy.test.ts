import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeNpy, encodeNpy, readNpy, writeNpy } from '../../src/npy/npy.js';
import { InputError } from '../../src/errors.js';
import { requirePythonEnv, VENV_PYTHON } from '../support/installs.js';

const pythonEnv = requirePythonEnv();
const dir = mkdtempSync(join(tmpdir(), 'parity-npy-'));

describe('.npy', () => {
  it('round-trips float32 and float64 exactly, header aligned to 64 bytes', () => {
    for (const data of [Float32Array.from([1.5, -2.25, 3e-39, NaN, 65504, -0]), Float64Array.from([Math.PI, 1e-310, -Infinity, 0, 2, 3])]) {
      const bytes = encodeNpy({ rows: 2, dim: 3, data });
      const headerLength = Buffer.from(bytes).readUInt16LE(8);
      expect((10 + headerLength) % 64).toBe(0);
      const back = decodeNpy(bytes);
      expect(back.rows).toBe(2);
      expect(back.dim).toBe(3);
      expect(back.data.constructor).toBe(data.constructor);
      expect(Array.from(back.data)).toEqual(Array.from(data));
    }
  });

  it('rejects what it cannot read correctly, with a fix in the message', () => {
    const f4 = Buffer.from(encodeNpy({ rows: 1, dim: 2, data: Float32Array.from([1, 2]) }));
    const swap = (from: string, to: string) => Buffer.from(f4.toString('latin1').replace(from, to), 'latin1');
    expect(() => decodeNpy(swap("'<f4'", "'>f4'"), 'x.npy')).toThrow(/dtype '>f4' is not supported.*astype\('<f4'\)/);
    expect(() => decodeNpy(swap("'<f4'", "'<i4'"), 'x.npy')).toThrow(InputError);
    expect(() => decodeNpy(swap('False', 'True '), 'x.npy')).toThrow(/Fortran order/);
    expect(() => decodeNpy(swap('(1, 2)', '(2,)  '), 'x.npy')).toThrow(/expected a 2-D array/);
    expect(() => decodeNpy(Buffer.from('not numpy at all'), 'x.npy')).toThrow(/not a \.npy file/);
    expect(() => decodeNpy(f4.subarray(0, f4.length - 1), 'x.npy')).toThrow(/truncated/);
  });

  it.skipIf(!pythonEnv.present)(pythonEnv.title('numpy reads what parity writes and parity reads what numpy writes (f2, f4, f8)'), () => {
    const ours = join(dir, 'ours.npy');
    writeNpy(ours, { rows: 2, dim: 2, data: Float32Array.from([0.1, -0.2, 0.3, 1e-8]) });
    const fromNumpy = execFileSync(VENV_PYTHON, ['-c', `import numpy as np, json; a=np.load(${JSON.stringify(ours)}); print(json.dumps([str(a.dtype), list(a.shape), a.astype(np.float64).ravel().tolist()]))`]).toString();
    expect(JSON.parse(fromNumpy)).toEqual(['float32', [2, 2], Array.from(Float32Array.from([0.1, -0.2, 0.3, 1e-8]))]);
    for (const dtype of ['float16', 'float32', 'float64']) {
      const path = join(dir, `${dtype}.npy`);
      execFileSync(VENV_PYTHON, ['-c', `import numpy as np; np.save(${JSON.stringify(path)}, np.array([[0.1, 2.5, -3.0], [65504, 1e-4, 0]], dtype=np.${dtype}))`]);
      const m = readNpy(path);
      const expected = execFileSync(VENV_PYTHON, ['-c', `import numpy as np, json; print(json.dumps(np.load(${JSON.stringify(path)}).astype(np.float64).ravel().tolist()))`]).toString();
      expect(m.rows).toBe(2);
      expect(m.dim).toBe(3);
      expect(Array.from(m.data)).toEqual(JSON.parse(expected));
    }
  });

  it('writes atomically: a failed write leaves the old file intact', () => {
    const path = join(dir, 'keep.npy');
    writeNpy(path, { rows: 1, dim: 1, data: Float32Array.from([7]) });
    const before = readFileSync(path);
    const bad = { rows: 1, dim: 1, get data(): Float32Array { throw new Error('boom'); } };
    expect(() => writeNpy(path, bad as never)).toThrow('boom');
    expect(readFileSync(path).equals(before)).toBe(true);
    writeFileSync(join(dir, 'unused'), '');
  });
});
