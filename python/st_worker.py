#!/usr/bin/env python3
"""parity's `sentence-transformers` runtime: one SentenceTransformer kept loaded for a whole run.

Started by src/backends/sentence-transformers/runner.ts as

    python -B st_worker.py '<options JSON>'

with options {"modelDir", "device", "dtype", "attention" (or null), "batchSize", "threads" (or null: torch's
default), "python", "embedding"}.
"embedding" is the run's {"promptName", "truncateDim"}: encode() gets prompt_name=promptName, or
prompt="" when promptName is null (no prompt, even where the model has a default_prompt_name), and
truncate_dim=truncateDim; without "embedding" encode() applies the model's own defaults. The model
is loaded once; then requests arrive on stdin, one JSON object per line:

    {"op": "embed", "id": 3, "texts": [...], "batchSize": 16}
    {"op": "close"}                      (or end of stdin: the parent is gone)

Replies go to the ORIGINAL stdout as frames: a little-endian uint32 header length, the header (UTF-8
JSON), then `header["bytes"]` bytes of payload. Vectors are the payload of "vectors" frames, raw
little-endian float64 ('<f8', float64 models) or float32 ('<f4', everything else: float16 and
bfloat16 widen to float32 exactly), C order, one frame per chunk of texts, in request order:

    {"type": "ready", "environment": {...}}                  after the model loaded
    {"type": "vectors", "id", "start", "rows", "dim", "dtype", "bytes"} + payload
    {"type": "done", "id", "rows", "dim"}                     all chunks of request `id` sent
    {"type": "error", "id" (null while loading), "message", "traceback", "kind"}

Binary frames instead of JSON numbers: float64 text would be 3x the bytes and a round trip through
decimal is exactly where an oracle must not lose bits. File descriptor 1 is pointed at stderr before
anything is imported, so a library that prints cannot corrupt the frame stream.

sentence-transformers does all the work as a user would call it: its tokenizer, truncation
(max_seq_length), pooling and Normalize module; `encode()` sorts each chunk by length, like it does
for any list.
"""
from __future__ import annotations

import json
import os
import platform
import signal
import struct
import sys
import traceback

# Frames go to a private copy of stdout; fd 1 (and sys.stdout) becomes stderr for everyone else.
_FRAMES = os.fdopen(os.dup(1), "wb", buffering=0)
os.dup2(2, 1)
sys.stdout = sys.stderr

# Nothing is ever downloaded: the model folder is local, and the hub libraries are told so.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# Progress bars would fill the stderr tail that explains a crash.
os.environ.setdefault("TQDM_DISABLE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

# Texts per frame: a multiple of the batch size, so encode() batches exactly as it would on the
# whole request, and memory on both sides stays bounded on a large request (`parity golden`).
CHUNK_BATCHES = 16


def _die_with_parent() -> None:
    """On Linux, get SIGKILL when the parent dies, so a killed run never leaves a model in memory."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() == 1:  # the parent already died before prctl
            os._exit(1)
    except Exception:
        pass  # best effort: end of stdin stops the worker too


def send(header: dict, payload: bytes = b"") -> None:
    header = dict(header, bytes=len(payload))
    data = json.dumps(header, ensure_ascii=True).encode("utf-8")
    _FRAMES.write(struct.pack("<I", len(data)) + data + payload)


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    if sys.platform == "darwin":
        import subprocess

        try:
            return subprocess.run(["sysctl", "-n", "machdep.cpu.brand_string"], capture_output=True, text=True, timeout=5).stdout.strip()
        except Exception:
            pass
    return platform.processor() or platform.machine() or "unknown"


def _version(dist: str) -> str:
    try:
        from importlib.metadata import version

        return version(dist)
    except Exception:
        return "not installed"


class Fault:
    """PARITY_ST_WORKER_FAULT="kill:N" (or "exit:N") makes this worker SIGKILL itself (or exit 3)
    in the middle of its Nth embed request, after its first frame: the isolation tests' crash."""

    def __init__(self) -> None:
        kind, _, n = os.environ.get("PARITY_ST_WORKER_FAULT", "").partition(":")
        self.kind = kind if kind in ("kill", "exit") else None
        self.at = int(n) if n.isdigit() else 1
        self.embeds = 0

    def maybe(self, frames_sent: int) -> None:
        if self.kind and self.embeds == self.at and frames_sent >= 1:
            print(f"st_worker: injected fault {self.kind} in embed request {self.embeds}", file=sys.stderr, flush=True)
            if self.kind == "kill":
                os.kill(os.getpid(), signal.SIGKILL)
            os._exit(3)


class Worker:
    def __init__(self, options: dict) -> None:
        import torch

        self.torch = torch
        self.options = options
        self.device = options.get("device") or "cpu"
        self.dtype_name = options.get("dtype") or "float32"
        self.attention_requested = options.get("attention")
        self.batch_size = int(options.get("batchSize") or 32)
        self.fault = Fault()
        # The config's threads, or the run's share of the cores when several backends work at once;
        # absent: torch's default (one per core). Set before the first op, as torch asks.
        if options.get("threads"):
            torch.set_num_threads(int(options["threads"]))

        if self.device == "cuda" and not torch.cuda.is_available():
            raise DeviceMissing(f"torch {torch.__version__} sees no CUDA device (torch.cuda.is_available() is False; torch.version.cuda={torch.version.cuda})")
        if self.device == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
            raise DeviceMissing(f"torch {torch.__version__} has no MPS device (torch.backends.mps.is_available() is False)")

        from sentence_transformers import SentenceTransformer

        model_kwargs: dict = {"dtype": getattr(torch, self.dtype_name)}
        if self.attention_requested:
            model_kwargs["attn_implementation"] = self.attention_requested
        self.model = SentenceTransformer(
            os.path.abspath(options["modelDir"]),
            device=self.device,
            local_files_only=True,
            trust_remote_code=False,
            model_kwargs=model_kwargs,
        )
        self.model.eval()
        self.encode_kwargs, self.prompt = self._embedding_choices(options.get("embedding"))
        # What really loaded, read back rather than echoed from the options.
        self.param_dtype = next(self.model.parameters()).dtype
        self.out_dtype = "<f8" if self.param_dtype == torch.float64 else "<f4"

    def _embedding_choices(self, embedding: dict | None) -> tuple[dict, dict | None]:
        """encode() keyword arguments for the run's prompt and truncate_dim, and the prompt they select
        ({name, text} read back from the model's prompts, or None for none)."""
        if embedding is None:
            return {}, None
        kwargs: dict = {}
        name = embedding.get("promptName")
        if name is None:
            # An explicit empty prompt: prompt_name=None would fall back to default_prompt_name.
            kwargs["prompt"] = ""
            prompt = None
        else:
            if name not in self.model.prompts:
                raise ValueError(f"prompt name {name!r} is not in the model's prompts {sorted(self.model.prompts)}")
            kwargs["prompt_name"] = name
            prompt = {"name": name, "text": self.model.prompts[name]}
        truncate_dim = embedding.get("truncateDim")
        if truncate_dim is not None:
            kwargs["truncate_dim"] = int(truncate_dim)
        return kwargs, prompt

    def _attention(self) -> dict:
        first = self.model[0]
        auto = getattr(first, "auto_model", None) or getattr(first, "model", None)
        config = getattr(auto, "config", None)
        impl = getattr(config, "_attn_implementation", None) if config is not None else None
        info: dict = {"implementation": impl if isinstance(impl, str) else (json.dumps(impl) if impl is not None else None), "requested": self.attention_requested}
        torch = self.torch
        if impl == "sdpa" and self.device == "cuda":
            # SDPA dispatches to one of these kernels per call; which ones were allowed is what we can know.
            info["sdpaBackendsEnabled"] = {
                "flash": torch.backends.cuda.flash_sdp_enabled(),
                "memEfficient": torch.backends.cuda.mem_efficient_sdp_enabled(),
                "math": torch.backends.cuda.math_sdp_enabled(),
            }
        return info

    def environment(self) -> dict:
        torch = self.torch
        model = self.model
        device = self.device
        if device == "cuda":
            index = torch.cuda.current_device()
            device_name = torch.cuda.get_device_name(index)
            capability = ".".join(str(x) for x in torch.cuda.get_device_capability(index))
        elif device == "mps":
            device_name = f"Apple MPS ({_cpu_name()})"
            capability = None
        else:
            device_name = _cpu_name()
            capability = None
        first = model[0]
        tokenizer = getattr(model, "tokenizer", None)
        modules = [type(m).__name__ for m in model]
        pooling = None
        for m in model:
            if type(m).__name__ == "Pooling":
                get = getattr(m, "get_pooling_mode_str", None)
                pooling = get() if callable(get) else getattr(m, "pooling_mode", None)
        attention = self._attention()
        return {
            "runtime": "sentence-transformers",
            "python": platform.python_version(),
            "pythonExecutable": sys.executable,
            "pid": os.getpid(),
            "torch": torch.__version__,
            "transformers": _version("transformers"),
            "sentenceTransformers": _version("sentence-transformers"),
            "tokenizers": _version("tokenizers"),
            "numpy": _version("numpy"),
            "device": str(model.device),
            "deviceName": device_name,
            **({"cudaCapability": capability, "cuda": torch.version.cuda, "cudnn": torch.backends.cudnn.version()} if device == "cuda" else {}),
            "dtype": str(self.param_dtype).replace("torch.", ""),
            "outputDtype": self.out_dtype,
            "torchThreads": torch.get_num_threads(),
            "torchInteropThreads": torch.get_num_interop_threads(),
            "attention": attention["implementation"],
            "attentionRequested": attention["requested"],
            **({"sdpaBackendsEnabled": attention["sdpaBackendsEnabled"]} if "sdpaBackendsEnabled" in attention else {}),
            "modelClass": type(getattr(first, "auto_model", None)).__name__,
            "modules": modules,
            "tokenizer": f"sentence-transformers {type(tokenizer).__name__}" if tokenizer is not None else None,
            "maxSeqLength": model.max_seq_length,
            "pooling": pooling,
            "normalize": "Normalize" in modules,
            "batchSize": self.batch_size,
            "prompt": self.prompt,
            "truncateDim": self.encode_kwargs.get("truncate_dim"),
        }

    def embed(self, request: dict) -> None:
        torch = self.torch
        rid = request.get("id")
        texts = request.get("texts") or []
        batch_size = int(request.get("batchSize") or self.batch_size)
        chunk = batch_size * CHUNK_BATCHES
        self.fault.embeds += 1
        dim = 0
        sent = 0
        with torch.inference_mode():
            for start in range(0, len(texts), chunk):
                part = texts[start : start + chunk]
                emb = self.model.encode(part, batch_size=batch_size, convert_to_tensor=True, show_progress_bar=False, **self.encode_kwargs)
                if emb.dim() != 2 or emb.shape[0] != len(part):
                    raise RuntimeError(f"encode returned shape {tuple(emb.shape)} for {len(part)} texts")
                wide = torch.float64 if self.out_dtype == "<f8" else torch.float32
                array = emb.detach().to("cpu", dtype=wide).contiguous().numpy().astype(self.out_dtype, copy=False)
                dim = int(array.shape[1])
                send({"type": "vectors", "id": rid, "start": start, "rows": int(array.shape[0]), "dim": dim, "dtype": self.out_dtype}, array.tobytes(order="C"))
                sent += 1
                self.fault.maybe(sent)
        send({"type": "done", "id": rid, "rows": len(texts), "dim": dim})


class DeviceMissing(Exception):
    """The requested device is not there: the backend is skipped, not failed."""


def _make_worker(options: dict):
    """The sentence-transformers Worker, or another runtime's worker (its own module beside this one)
    that shares this process model and frames: {"runner": "openvino"} is python/openvino_runner.py."""
    if options.get("runner") == "openvino":
        from openvino_runner import OpenVinoWorker, PrecisionUnsupported

        try:
            return OpenVinoWorker(options, send)
        except PrecisionUnsupported as error:
            raise DeviceMissing(str(error)) from error
    return Worker(options)


def main() -> int:
    _die_with_parent()
    try:
        options = json.loads(sys.argv[1])
    except (IndexError, ValueError) as error:
        send({"type": "error", "id": None, "kind": "usage", "message": f"st_worker.py needs one JSON argument: {error}", "traceback": ""})
        return 2
    try:
        worker = _make_worker(options)
    except DeviceMissing as error:
        send({"type": "error", "id": None, "kind": "device", "message": str(error), "traceback": ""})
        return 0
    except ModuleNotFoundError as error:
        send({"type": "error", "id": None, "kind": "module", "message": f"{error} ({sys.executable})", "traceback": traceback.format_exc()})
        return 0
    except Exception as error:  # noqa: BLE001 - every load failure goes back with its traceback
        send({"type": "error", "id": None, "kind": "load", "message": f"{type(error).__name__}: {error}", "traceback": traceback.format_exc()})
        return 0
    send({"type": "ready", "environment": worker.environment()})

    for line in sys.stdin.buffer:
        if not line.strip():
            continue
        try:
            request = json.loads(line)
        except ValueError as error:
            send({"type": "error", "id": None, "kind": "protocol", "message": f"bad request line: {error}", "traceback": ""})
            continue
        op = request.get("op")
        rid = request.get("id")
        if op == "close":
            break
        try:
            if op in getattr(worker, "OPS", ("embed",)):
                getattr(worker, op)(request)
            else:
                send({"type": "error", "id": rid, "kind": "protocol", "message": f"unknown op {op!r}", "traceback": ""})
        except Exception as error:  # noqa: BLE001 - a failed request is reported; the model stays loaded
            send({"type": "error", "id": rid, "kind": "embed", "message": f"{type(error).__name__}: {error}", "traceback": traceback.format_exc()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
