#!/usr/bin/env python3
"""GGUF files from a Hugging Face model folder with llama.cpp's own converter, convert_hf_to_gguf.py,
as fetched (pinned) by scripts/setup-gguf-converter.sh into vendor/gguf-converter/.

The converter runs unchanged, through its command line, in this interpreter (the project's .venv:
torch, numpy, PyYAML, tqdm; its sentencepiece/requests imports are lazy and unused for BERT
WordPiece models). Nothing is downloaded. The output is written beside the target and renamed into
place, so an interrupted conversion never leaves a half-written file.

    convert(model_dir, out_path, outtype) -> {"outtype", "sha256", "bytes", "converter": {...}}

outtype is one of OUTTYPES: the types convert_hf_to_gguf.py writes itself. The q4/q5/k-quant types
need llama.cpp's compiled `llama-quantize` tool, which no package installable here ships prebuilt.

    .venv/bin/python python/gguf_convert.py MODEL_DIR OUT.gguf --outtype f16
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONVERTER_DIR = Path(os.environ.get("PARITY_GGUF_CONVERTER", ROOT / "vendor" / "gguf-converter"))
OUTTYPES = ("f32", "f16", "bf16", "q8_0")
INSTALL_STEP = "bash scripts/setup-gguf-converter.sh (run by npm run setup:python)"


class ConverterMissing(RuntimeError):
    """vendor/gguf-converter is not there: say which command fetches it."""


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def converter_info() -> dict:
    """Which converter: llama-cpp-python's pin and sdist hash (VERSION.json) and the script's sha256."""
    script = CONVERTER_DIR / "convert_hf_to_gguf.py"
    version = CONVERTER_DIR / "VERSION.json"
    if not script.exists() or not version.exists():
        raise ConverterMissing(f"llama.cpp's converter is not at {CONVERTER_DIR}; fetch it with {INSTALL_STEP}")
    info = json.loads(version.read_text())
    return {
        "package": info["package"],
        "version": info["version"],
        "sdistSha256": info["sdistSha256"],
        "convert_hf_to_gguf.py": sha256(script),
    }


def convert(model_dir: str | os.PathLike, out_path: str | os.PathLike, outtype: str, name: str | None = None) -> dict:
    """Writes out_path (a .gguf of `outtype`) from model_dir; returns its sha256, size and the converter.

    The converter writes metadata it guesses from the folder's name (general.finetune and the like),
    so it is shown model_dir under `name` (default: model_dir's own name) through a symlink in a
    temporary folder: a build folder named after a process id would otherwise change the bytes."""
    if outtype not in OUTTYPES:
        raise ValueError(f"outtype {outtype!r}: convert_hf_to_gguf.py writes {', '.join(OUTTYPES)}; other types need llama-quantize")
    info = converter_info()
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.{os.getpid()}.tmp"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    # NO_LOCAL_GGUF unset: the script puts its own gguf-py first on sys.path, so the gguf package is
    # the one of this pin, not whatever else is installed.
    env.pop("NO_LOCAL_GGUF", None)
    with tempfile.TemporaryDirectory() as view:
        shown = Path(view) / (name or Path(model_dir).resolve().name)
        shown.symlink_to(Path(model_dir).resolve(), target_is_directory=True)
        command = [sys.executable, str(CONVERTER_DIR / "convert_hf_to_gguf.py"), str(shown), "--outfile", str(tmp), "--outtype", outtype]
        _run(command, env, tmp, out, outtype)
    return {"outtype": outtype, "sha256": sha256(out), "bytes": out.stat().st_size, "converter": info}


def _run(command: list[str], env: dict, tmp: Path, out: Path, outtype: str) -> None:
    try:
        r = subprocess.run(command, env=env, capture_output=True, text=True)
        if r.returncode != 0:
            tail = "\n".join((r.stderr or r.stdout).strip().splitlines()[-15:])
            raise RuntimeError(f"convert_hf_to_gguf.py --outtype {outtype} failed (exit {r.returncode}):\n{tail}")
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)


def main() -> int:
    parser = argparse.ArgumentParser(description="GGUF from a Hugging Face model folder with llama.cpp's convert_hf_to_gguf.py")
    parser.add_argument("model_dir")
    parser.add_argument("out")
    parser.add_argument("--outtype", choices=OUTTYPES, default="f32")
    parser.add_argument("--name", help="the folder name the converter sees (default: MODEL_DIR's own)")
    args = parser.parse_args()
    try:
        result = convert(args.model_dir, args.out, args.outtype, name=args.name)
    except ConverterMissing as e:
        print(f"gguf_convert: {e}", file=sys.stderr)
        return 2
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
