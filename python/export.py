#!/usr/bin/env python3
"""`parity export`'s exporter: ONNX files of a sentence-transformers / Hugging Face checkpoint
(model.safetensors or pytorch_model.bin), written into a staging folder that `parity export`
(src/export/export.ts) checks against PyTorch and then moves into the model folder.

  onnx        onnx/model.onnx            fp32 AutoModel, one output last_hidden_state, dynamic batch and
                                         sequence axes. BERT: torch.onnx's TorchScript exporter (eager
                                         attention; the way optimum/Xenova files were made; inputs
                                         input_ids/attention_mask/token_type_ids). MPNet, XLM-RoBERTa,
                                         ModernBERT, Qwen3: the dynamo exporter (the TorchScript one cannot
                                         trace their mask code), inputs input_ids/attention_mask, plus
                                         position_ids for decoders (as optimum's feature-extraction export)
  onnx-fp16   onnx/model_fp16.onnx       onnxruntime.transformers.float16, keep_io_types, its default op
                                         block list (transformers.js' scripts/quantize.py)
  onnx-int8   onnx/model_quantized.onnx  dynamic int8 as transformers.js' "q8" (see export_q8)
  onnx-mha    onnx/model_mha.onnx        BERT only: attention fused into com.microsoft.MultiHeadAttention
                                         by parity's own builder (bin/write-mha.js, src/fixtures/mha.ts)

Every exporter here is deterministic (PYTHONHASHSEED 0, set by the caller: the exporter merges equal
constants and keeps a name picked in set order), and nothing machine- or time-dependent stays in a file.
The last line on stdout is JSON: {"files": [...], "tools": {...}}. An architecture it cannot export
is one line on stderr and exit code 3.

    PYTHONHASHSEED=0 .venv/bin/python python/export.py --model DIR --out STAGING --to onnx,onnx-fp16
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent
# Its own modules beside it (onnx_scrub, gguf_convert), even where Python leaves the script's folder
# off sys.path (PYTHONSAFEPATH).
sys.path.insert(0, str(Path(__file__).resolve().parent))
OPSET = 17
FILES = {
    "onnx": "onnx/model.onnx",
    "onnx-fp16": "onnx/model_fp16.onnx",
    "onnx-int8": "onnx/model_quantized.onnx",
    "onnx-mha": "onnx/model_mha.onnx",
    # llama.cpp's own convert_hf_to_gguf.py (python/gguf_convert.py: the pinned copy fetched by
    # scripts/setup-gguf-converter.sh), one file per --outtype.
    "gguf-f32": "gguf/model-f32.gguf",
    "gguf-f16": "gguf/model-f16.gguf",
    "gguf-q8_0": "gguf/model-q8_0.gguf",
}
# model_type -> (exporter, extra inputs after input_ids/attention_mask)
ARCHITECTURES = {
    "bert": ("torchscript", ["token_type_ids"]),
    "mpnet": ("dynamo", []),
    "xlm-roberta": ("dynamo", []),
    "modernbert": ("dynamo", []),
    "qwen3": ("dynamo", ["position_ids"]),
}


class Unsupported(Exception):
    pass


def tool_versions() -> dict:
    import importlib.metadata as md

    return {name: md.version(name) for name in ("torch", "transformers", "onnx", "onnxruntime", "numpy", "safetensors")} | {"python": sys.version.split()[0]}


def load_model(model_dir: Path):
    import torch
    from transformers import AutoModel

    config = json.loads((model_dir / "config.json").read_text())
    model_type = config.get("model_type")
    if model_type not in ARCHITECTURES:
        raise Unsupported(f"model_type {model_type!r} ({', '.join(config.get('architectures') or []) or 'no architectures'}) in {model_dir / 'config.json'}: "
                          f"parity export handles {', '.join(sorted(ARCHITECTURES))}; export it with optimum-cli export onnx --task feature-extraction and point parity at the file")
    if not any((model_dir / f).exists() for f in ("model.safetensors", "pytorch_model.bin")):
        raise Unsupported(f"{model_dir} has no model.safetensors or pytorch_model.bin to export from")
    torch.manual_seed(0)
    model = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager", local_files_only=True, dtype=torch.float32).eval()
    return model, model_type, config


def strip_provenance(path: Path) -> None:
    """Nothing machine- or time-dependent may stay in the file (re-runs are byte-identical): see onnx_scrub.py."""
    import onnx
    from onnx_scrub import scrub

    m = onnx.load(str(path))
    scrub(m)
    onnx.save(m, str(path))


def export_fp32(model, model_type: str, out: Path) -> None:
    import torch

    exporter, extra = ARCHITECTURES[model_type]
    inputs = ["input_ids", "attention_mask", *extra]

    class LastHiddenState(torch.nn.Module):
        """The base model returning only last_hidden_state, the single output parity (and optimum's
        feature-extraction export) reads."""

        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, extra=None):
            kw = {} if extra is None else {inputs[2]: extra}
            return self.inner(input_ids=input_ids, attention_mask=attention_mask, **kw).last_hidden_state

    wrapper = LastHiddenState(model).eval()
    if exporter == "torchscript":
        # Trace inputs inside any vocabulary (the values do not shape the graph); one padded position.
        ids = torch.randint(5, model.config.vocab_size, (2, 4), generator=torch.Generator().manual_seed(1))
        mask = torch.tensor([[1, 1, 1, 1], [1, 1, 1, 0]], dtype=torch.int64)
        dyn = {0: "batch_size", 1: "sequence_length"}
        with torch.no_grad():
            torch.onnx.export(
                wrapper, (ids, mask, torch.zeros_like(ids)), str(out), input_names=inputs, output_names=["last_hidden_state"],
                dynamic_axes={**{n: dyn for n in inputs}, "last_hidden_state": dyn}, opset_version=OPSET, do_constant_folding=True,
                # The TorchScript exporter: deterministic; the dynamo one names nodes differently per run for BERT.
                dynamo=False,
            )
        return
    batch, seq = 2, 9
    g = torch.Generator().manual_seed(1)
    args = {"input_ids": torch.randint(5, model.config.vocab_size, (batch, seq), generator=g), "attention_mask": torch.ones(batch, seq, dtype=torch.long)}
    if extra:
        args["extra"] = torch.arange(seq).unsqueeze(0).expand(batch, seq).contiguous()
    tmp = out.with_suffix(".tmp.onnx")
    torch.onnx.export(
        wrapper, (), str(tmp), kwargs=args, input_names=inputs, output_names=["last_hidden_state"],
        dynamic_shapes={n: {0: "batch", 1: "sequence"} for n in args}, dynamo=True, external_data=False, verbose=False,
    )
    tmp.rename(out)
    strip_provenance(out)


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
        # 22,840,592), i.e. the older convert.py's settings. Today's scripts/quantize.py leaves both off; measured
        # against the float64 golden of all-MiniLM-L6-v2, per-tensor QInt8 is far worse (cosine delta up to 0.176,
        # median 0.037) than per-channel with 7-bit weights (0.035, median 0.008). reduce_range also keeps
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


def export_mha(model_dir: Path, model_type: str, out: Path) -> None:
    if model_type != "bert":
        raise Unsupported(f"onnx-mha: parity's MultiHeadAttention builder is BERT-only and this model is {model_type!r}; leave onnx-mha out of --to")
    node = os.environ.get("PARITY_NODE", "node")
    subprocess.run([node, str(ROOT / "bin" / "write-mha.js"), str(model_dir), str(out)], check=True, stdout=subprocess.DEVNULL)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--to", required=True, help="comma-separated: " + ", ".join(FILES))
    args = parser.parse_args()
    model_dir = Path(args.model).resolve()
    out = Path(args.out).resolve()
    targets = [t for t in args.to.split(",") if t]
    unknown = [t for t in targets if t not in FILES]
    if unknown:
        print(f"export.py: unknown targets {', '.join(unknown)} (this script makes {', '.join(FILES)})", file=sys.stderr)
        return 2
    gguf = [t for t in targets if t.startswith("gguf-")]
    converter = None
    if gguf:
        import gguf_convert

        try:
            converter = gguf_convert.converter_info()
        except gguf_convert.ConverterMissing as error:
            print(f"parity export: {error}", file=sys.stderr)
            return 3
    import torch

    torch.set_num_threads(1)
    (out / "onnx").mkdir(parents=True, exist_ok=True)
    try:
        model, model_type, _ = load_model(model_dir)
        fp32 = out / FILES["onnx"]
        if any(t in targets for t in ("onnx", "onnx-fp16", "onnx-int8")):
            export_fp32(model, model_type, fp32)
        if "onnx-fp16" in targets:
            export_fp16(fp32, out / FILES["onnx-fp16"])
        if "onnx-int8" in targets:
            export_q8(fp32, out / FILES["onnx-int8"])
        if "onnx-mha" in targets:
            export_mha(model_dir, model_type, out / FILES["onnx-mha"])
        if "onnx" not in targets and fp32.exists():
            fp32.unlink()  # only the source of fp16/int8 here
        for t in gguf:
            (out / "gguf").mkdir(parents=True, exist_ok=True)
            # Named after the model folder, as a user's own conversion of DIR would be (and the same
            # bytes from any staging folder).
            gguf_convert.convert(model_dir, out / FILES[t], t.removeprefix("gguf-"), name=model_dir.name)
    except Unsupported as error:
        print(f"parity export: {error}", file=sys.stderr)
        return 3
    print(json.dumps({"files": [FILES[t] for t in targets], "tools": tool_versions(), "opset": OPSET, "modelType": model_type, **({"ggufConverter": converter} if converter else {})}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
