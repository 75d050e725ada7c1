"""parity's `openvino` runtime: one ONNX file compiled by OpenVINO's CPU plugin, kept for a whole run.

Loaded by st_worker.py (same process model, same frames) when its options say {"runner": "openvino"}:

    {"runner": "openvino", "modelFile": "<abs .onnx>", "inferencePrecision": "f32"|"bf16"|"f16", "threads": n|null}

Unlike the sentence-transformers worker it neither tokenizes nor pools: the harness sends padded int64
batches and gets last_hidden_state back, as onnxruntime-node does, so the two differ only in the runtime
that runs the graph. One request, one reply:

    {"op": "forward", "id": 3, "batch": B, "seq": S, "output": "last_hidden_state",
     "inputs": {"input_ids": [B*S ints], "attention_mask": [...], "token_type_ids": [...]}}
    -> {"type": "hidden", "id": 3, "dims": [B, S, H], "dtype": "<f4", "bytes": ...} + payload

The precision is always set explicitly: the CPU plugin's default INFERENCE_PRECISION_HINT is bf16 on a
CPU that has it (AMX, AVX512_BF16), so "default" would mean different numbers on different machines.
It is read back from the compiled model, because the plugin silently falls back to f32 where the CPU
lacks the requested type.
"""
from __future__ import annotations

import os
import platform
from typing import Callable

import numpy as np

# The names parity's harness knows how to pick (src/backends/ort-io.ts selectModelOutput).
KNOWN_OUTPUTS = ("last_hidden_state", "token_embeddings", "sentence_embedding")
# parity's precision option -> the capability the CPU plugin lists in OPTIMIZATION_CAPABILITIES.
CAPABILITY = {"f32": "FP32", "bf16": "BF16", "f16": "FP16"}


class PrecisionUnsupported(Exception):
    """The CPU cannot run the requested precision: the backend is skipped, not failed."""


def _output_name(output) -> str:
    names = output.get_names()
    for known in KNOWN_OUTPUTS:
        if known in names:
            return known
    return output.get_any_name()


class OpenVinoWorker:
    """st_worker.py's main loop calls the ops listed in OPS with each request."""

    OPS = ("forward",)

    def __init__(self, options: dict, send: Callable[..., None]) -> None:
        import openvino as ov

        self.ov = ov
        self.send = send
        self.core = ov.Core()
        self.precision = options.get("inferencePrecision") or "f32"
        self.model_file = options["modelFile"]
        self.threads = options.get("threads")
        self.capabilities = list(self.core.get_property("CPU", "OPTIMIZATION_CAPABILITIES"))
        if CAPABILITY[self.precision] not in self.capabilities:
            raise PrecisionUnsupported(
                f"OpenVINO {ov.__version__} CPU plugin on {self.core.get_property('CPU', 'FULL_DEVICE_NAME')} lists "
                f"OPTIMIZATION_CAPABILITIES {self.capabilities}, without {CAPABILITY[self.precision]}: "
                f"inferencePrecision {self.precision} would silently run in f32"
            )
        config: dict = {"INFERENCE_PRECISION_HINT": self.precision}
        if self.threads:
            config["INFERENCE_NUM_THREADS"] = int(self.threads)
        model = self.core.read_model(self.model_file)
        self.compiled = self.core.compile_model(model, "CPU", config)
        self.inputs = [i.get_any_name() for i in self.compiled.inputs]
        self.outputs = {_output_name(o): o for o in self.compiled.outputs}
        self.request = self.compiled.create_infer_request()
        # What really compiled, read back rather than echoed from the options.
        self.used_precision = self.compiled.get_property("INFERENCE_PRECISION_HINT").to_string()
        if self.used_precision != self.precision:
            raise PrecisionUnsupported(f"asked the CPU plugin for {self.precision} and it compiled {self.used_precision}")

    def environment(self) -> dict:
        from importlib.metadata import version

        compiled = self.compiled
        return {
            "runtime": "openvino",
            "version": self.ov.__version__,
            "openvinoPackage": version("openvino"),
            "python": platform.python_version(),
            "pid": os.getpid(),
            "device": "CPU",
            "deviceName": self.core.get_property("CPU", "FULL_DEVICE_NAME"),
            "optimizationCapabilities": self.capabilities,
            "inferencePrecision": self.used_precision,
            "inferenceNumThreads": int(compiled.get_property("INFERENCE_NUM_THREADS")),
            "performanceHint": str(compiled.get_property("PERFORMANCE_HINT")),
            "executionMode": str(compiled.get_property("EXECUTION_MODE_HINT")),
            "inputs": self.inputs,
            "outputs": list(self.outputs),
        }

    def forward(self, request: dict) -> None:
        rid = request.get("id")
        batch, seq = int(request["batch"]), int(request["seq"])
        name = request["output"]
        if name not in self.outputs:
            raise KeyError(f"the compiled model has no output {name!r} (it has {list(self.outputs)})")
        feeds = {}
        for input_name in self.inputs:
            values = request["inputs"].get(input_name)
            if values is None:
                raise KeyError(f"the request lacks model input {input_name!r}")
            feeds[input_name] = np.asarray(values, dtype=np.int64).reshape(batch, seq)
        result = self.request.infer(feeds)
        array = np.ascontiguousarray(result[self.outputs[name]], dtype="<f4")
        self.send({"type": "hidden", "id": rid, "dims": [int(d) for d in array.shape], "dtype": "<f4"}, array.tobytes(order="C"))
