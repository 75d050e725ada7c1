"""numpy doing what `parity compare` does, as fast as numpy honestly can, for bench/compare-bench.mjs.

    python3 bench/compare-numpy.py GOLDEN.npy ACTUAL.npy [--atol 1e-5] [--rtol 1.3e-6] [--chunk-rows 16384]

Reads both files in row chunks into reused buffers (readinto, like parity's positional reads; no
whole-file load, no per-chunk allocation of the inputs) and computes per chunk, with numpy's
vectorised kernels: non-finite counts; |a-g| max + argmax and mean over finite pairs; the allclose
mismatch count (NaN mismatches, equal infinities match); min passing atol; per-row cosine and norm
deltas in float64 (float32 dot products are too coarse for a cosine delta of 1e-7); zero rows.
Elementwise differences are float32, as np.allclose computes them for float32 inputs.
Prints one JSON line: {"seconds", "maxrss_kb", "metrics"}; seconds excludes interpreter start-up.
"""
import json
import resource
import sys
import time

import numpy as np


def header(f):
    magic = f.read(6)
    if magic != b"\x93NUMPY":
        raise SystemExit("not a .npy file")
    major = f.read(2)[0]
    if major == 1:
        length = int.from_bytes(f.read(2), "little")
        start = 10
    else:
        length = int.from_bytes(f.read(4), "little")
        start = 12
    meta = eval(f.read(length).decode("latin1"))  # numpy's own header format (a dict literal)
    return np.dtype(meta["descr"]), tuple(meta["shape"]), start + length


def main():
    args = sys.argv[1:]
    opts = {"--atol": 1e-5, "--rtol": 1.3e-6, "--chunk-rows": 16384}
    paths = []
    i = 0
    while i < len(args):
        if args[i] in opts:
            opts[args[i]] = float(args[i + 1])
            i += 2
        else:
            paths.append(args[i])
            i += 1
    atol, rtol, chunk = opts["--atol"], opts["--rtol"], int(opts["--chunk-rows"])
    t0 = time.perf_counter()
    fg, fa = open(paths[0], "rb", buffering=0), open(paths[1], "rb", buffering=0)
    dtype, shape, off_g = header(fg)
    dtype_a, shape_a, off_a = header(fa)
    assert dtype == dtype_a and shape == shape_a, "shape or dtype mismatch"
    rows, dim = shape
    fg.seek(off_g)
    fa.seek(off_a)
    buf_g = np.empty((chunk, dim), dtype)
    buf_a = np.empty((chunk, dim), dtype)
    atol32, rtol32 = dtype.type(atol), dtype.type(rtol)

    nonfinite = golden_nonfinite = mismatches = zero_rows = golden_zero_rows = 0
    finite_pairs = 0
    sum_abs = 0.0
    max_abs, max_at = -1.0, None
    need = 0.0
    nonfinite_mismatch = False
    cos_max, cos_at, cos_sum, cos_rows = -np.inf, None, 0.0, 0
    norm_max, norm_at = -np.inf, None

    for r0 in range(0, rows, chunk):
        n = min(chunk, rows - r0)
        g, a = buf_g[:n], buf_a[:n]
        fg.readinto(memoryview(g).cast("B"))
        fa.readinto(memoryview(a).cast("B"))
        d = np.abs(a - g)
        ag = np.abs(g)
        allowed = atol32 + rtol32 * ag
        # d <= allowed is False for NaN; inf - inf is NaN too, so equal infinities are added back below.
        close = d <= allowed
        fin_a = np.isfinite(a)
        fin_g = np.isfinite(g)
        bad_a = a.size - np.count_nonzero(fin_a)
        bad_g = g.size - np.count_nonzero(fin_g)
        nonfinite += bad_a
        golden_nonfinite += bad_g
        if bad_a or bad_g:
            both = fin_a & fin_g
            equal_inf = (a == g) & ~fin_g
            close |= equal_inf
            if np.count_nonzero(~both & ~equal_inf):
                nonfinite_mismatch = True
            d = np.where(both, d, 0)
            a64 = np.where(both, a, 0).astype(np.float64)
            g64 = np.where(both, g, 0).astype(np.float64)
            finite_pairs += np.count_nonzero(both)
        else:
            a64 = a.astype(np.float64)
            g64 = g.astype(np.float64)
            finite_pairs += d.size
        mismatches += d.size - np.count_nonzero(close)
        k = int(d.argmax())
        if d.flat[k] > max_abs:
            max_abs, max_at = float(d.flat[k]), (r0 + k // dim, k % dim)
        sum_abs += float(d.sum(dtype=np.float64))
        need = max(need, float((d - rtol32 * ag).max()))
        dot = np.einsum("ij,ij->i", a64, g64)
        na = np.einsum("ij,ij->i", a64, a64)
        ng = np.einsum("ij,ij->i", g64, g64)
        with np.errstate(invalid="ignore", divide="ignore"):
            cos = dot / np.sqrt(na * ng)
        cos = np.where((na == 0) & (ng == 0), 1.0, np.where((na == 0) | (ng == 0), 0.0, cos))
        cdelta = 1 - cos
        j = int(cdelta.argmax())
        if cdelta[j] > cos_max:
            cos_max, cos_at = float(cdelta[j]), r0 + j
        cos_sum += float(cdelta.sum())
        cos_rows += n
        ndelta = np.abs(np.sqrt(na) - np.sqrt(ng))
        j = int(ndelta.argmax())
        if ndelta[j] > norm_max:
            norm_max, norm_at = float(ndelta[j]), r0 + j
        zero_rows += n - np.count_nonzero(a.any(axis=1))
        golden_zero_rows += n - np.count_nonzero(g.any(axis=1))

    seconds = time.perf_counter() - t0
    total = rows * dim
    metrics = {
        "shape": [rows, dim],
        "total": total,
        "maxAbs": max_abs,
        "maxAbsAt": {"row": max_at[0], "dim": max_at[1]} if max_at else None,
        "meanAbs": sum_abs / total,
        "mismatches": int(mismatches),
        "cosineDeltaMax": cos_max,
        "cosineDeltaMaxAt": cos_at,
        "cosineDeltaMean": cos_sum / cos_rows,
        "normDeltaMax": norm_max,
        "normDeltaMaxAt": norm_at,
        "nonFinite": int(nonfinite),
        "goldenNonFinite": int(golden_nonfinite),
        "zeroRows": int(zero_rows),
        "goldenZeroRows": int(golden_zero_rows),
        "minPassingAtol": None if nonfinite_mismatch else max(need, 0.0),
    }
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": seconds, "maxrss_kb": maxrss, "chunk_rows": chunk, "metrics": metrics}))


main()
