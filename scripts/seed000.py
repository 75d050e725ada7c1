#!/usr/bin/env python3
"""Seed 000 on a CPU: how far apart are sentence-transformers and Infinity, and on "2024" dim 383?

    .venv/bin/python scripts/seed000.py --model DIR --corpus fixtures/corpus/default.jsonl \
        --out /tmp/seed000 [--infinity NAME=VECTORS.npy ...] [--threads N]

Encodes the corpus with sentence-transformers (this interpreter's torch, CPU) four ways — attention
"eager" and "sdpa", computing in float32 and in float64 (the model cast with .to(torch.float64)) —
and writes each as OUT/st-ATTN-DTYPE.npy. Every --infinity file (for example the vectors/NAME.npy
of a `parity run` with a served Infinity backend, rows in corpus order) is compared too. Prints, for
each, max |a-b| and max (1 - cos) against st-eager-float64 and against st-sdpa-float32 (what a default
sentence-transformers gives), and the value of dim 383 of the text "2024", in the corpus batch and
encoded alone. --json prints the same as JSON.
"""
from __future__ import annotations

import argparse
import json
import os
import sys


def load_texts(path: str) -> list[str]:
    texts = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                texts.append(json.loads(line)["text"] if path.endswith((".jsonl", ".ndjson")) else line.rstrip("\n"))
    return texts


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True)
    p.add_argument("--corpus", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--infinity", action="append", default=[], metavar="NAME=FILE.npy")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--text", default="2024")
    p.add_argument("--dim", type=int, default=383)
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import numpy as np
    import torch
    import sentence_transformers
    import transformers
    from sentence_transformers import SentenceTransformer

    if args.threads:
        torch.set_num_threads(args.threads)
    texts = load_texts(args.corpus)
    if args.text not in texts:
        p.error(f"{args.text!r} is not a text of {args.corpus}")
    row = texts.index(args.text)
    os.makedirs(args.out, exist_ok=True)

    vectors: dict[str, np.ndarray] = {}
    alone: dict[str, float] = {}
    for attn in ("eager", "sdpa"):
        for dtype in ("float32", "float64"):
            model = SentenceTransformer(os.path.abspath(args.model), device="cpu", model_kwargs={"attn_implementation": attn})
            if dtype == "float64":
                model = model.to(torch.float64)
            name = f"st-{attn}-{dtype}"
            with torch.inference_mode():
                v = model.encode(texts, batch_size=args.batch_size, convert_to_numpy=True, show_progress_bar=False)
                a = model.encode([args.text], batch_size=1, convert_to_numpy=True, show_progress_bar=False)
            vectors[name] = np.asarray(v, dtype=np.float64)
            alone[name] = float(a[0][args.dim])
            np.save(os.path.join(args.out, f"{name}.npy"), np.asarray(v))
    for spec in args.infinity:
        name, _, path = spec.partition("=")
        v = np.load(path).astype(np.float64)
        if v.shape != vectors["st-eager-float64"].shape:
            p.error(f"{path} has shape {v.shape}, expected {vectors['st-eager-float64'].shape} (rows in corpus order)")
        vectors[name] = v

    def delta(a: np.ndarray, b: np.ndarray) -> dict:
        cos = (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
        diff = np.abs(a - b)
        r, d = np.unravel_index(int(diff.argmax()), diff.shape)
        return {"maxAbs": float(diff.max()), "at": [texts[r], int(d)], "maxCosDelta": float((1 - cos).max()), "meanAbs": float(diff.mean())}

    result = {
        "packages": {"torch": torch.__version__, "transformers": transformers.__version__, "sentence-transformers": sentence_transformers.__version__},
        "threads": torch.get_num_threads(),
        "text": args.text,
        "dim": args.dim,
        "rows": {},
    }
    for name, v in vectors.items():
        result["rows"][name] = {
            "inCorpus": float(v[row][args.dim]),
            "alone": alone.get(name),
            "vsEagerFloat64": delta(v, vectors["st-eager-float64"]),
            "vsSdpaFloat32": delta(v, vectors["st-sdpa-float32"]),
        }
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"torch {torch.__version__}, transformers {transformers.__version__}, sentence-transformers {sentence_transformers.__version__}, {result['threads']} threads")
    print(f"{'':22} {args.text!r} dim {args.dim:<5} {'(alone)':>22}   vs st-eager-float64: max abs / max cos Δ   vs st-sdpa-float32: max abs / max cos Δ")
    for name, r in result["rows"].items():
        a, b = r["vsEagerFloat64"], r["vsSdpaFloat32"]
        al = f"{r['alone']:.20f}" if r["alone"] is not None else ""
        print(f"{name:22} {r['inCorpus']:.20f} {al:>24}   {a['maxAbs']:.3e} / {a['maxCosDelta']:.3e}   {b['maxAbs']:.3e} / {b['maxCosDelta']:.3e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
