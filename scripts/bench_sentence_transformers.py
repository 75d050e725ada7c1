#!/usr/bin/env python3
"""`parity bench`'s sentence-transformers row: PyTorch on the CPU, timed the way the Node rows are.

Driven by `parity bench` over stdin/stdout, one JSON object per line, one reply per request:
  {"type": "prepare", "model": DIR, "texts": [...], "batchSize": N, "threads": N|null}
      loads SentenceTransformer(DIR) (local files only), sets torch.set_num_threads, runs one untimed
      warm-up pass -> {"ok": true, "torch": ..., "threads": ...}
  {"type": "pass"}    one timed pass of model.encode(texts, batch_size) -> {"ok": true, "seconds": s}
  {"type": "finish"}  -> {"ok": true, "final": {"latencies": [ms per batch...], "peakRssMB": mb}}
Errors reply {"ok": false, "error": "..."}. Batch latencies come from forward hooks on the first and last
module (each encode() batch is one pass through them). Nothing else is printed on stdout.
"""
from __future__ import annotations

import json
import os
import resource
import sys
import time


def main() -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    out = sys.stdout
    sys.stdout = sys.stderr  # library chatter must not corrupt the protocol
    state: dict = {}

    def reply(obj: dict) -> None:
        out.write(json.dumps(obj) + "\n")
        out.flush()

    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        try:
            if request["type"] == "prepare":
                import torch
                from sentence_transformers import SentenceTransformer

                if request.get("threads"):
                    torch.set_num_threads(int(request["threads"]))
                model = SentenceTransformer(os.path.abspath(request["model"]), device="cpu")
                latencies: list[float] = []
                started: list[float] = []
                record = {"on": False}
                # encode() calls model.forward() directly (no hooks on the model itself), which calls each
                # module: first module's start to last module's end is one batch.
                # Hooks must return None: a forward hook's return value replaces the module's output.
                def before(*_):
                    started.append(time.perf_counter())

                def after(*_):
                    if record["on"]:
                        latencies.append((time.perf_counter() - started[-1]) * 1000)

                model[0].register_forward_pre_hook(before)
                model[len(model) - 1].register_forward_hook(after)
                texts, batch = request["texts"], int(request["batchSize"])

                def one_pass() -> None:
                    with torch.inference_mode():
                        model.encode(texts, batch_size=batch, convert_to_numpy=True, show_progress_bar=False)

                one_pass()  # warm-up, untimed
                record["on"] = True
                state.update(one_pass=one_pass, latencies=latencies)
                reply({"ok": True, "torch": torch.__version__, "threads": torch.get_num_threads()})
            elif request["type"] == "pass":
                t = time.perf_counter()
                state["one_pass"]()
                reply({"ok": True, "seconds": time.perf_counter() - t})
            elif request["type"] == "finish":
                peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
                reply({"ok": True, "final": {"latencies": state.get("latencies", []), "paddingEfficiency": None, "peakRssMB": peak_kb / 1024}})
                return 0
            else:
                reply({"ok": False, "error": f"unknown request {request['type']!r}"})
        except Exception as error:  # the parent shows it in the table, this row only
            reply({"ok": False, "error": f"{type(error).__name__}: {error}"})
    return 0


if __name__ == "__main__":
    sys.exit(main())
