"""Intermediate tensors of a sentence-transformers model, for `parity bisect` across frameworks.

    python layer_dump.py REQUEST.json OUTDIR

REQUEST: {"modelDir", "device", "dtype", "attention" (or null), "sequences": [{"ids": [...], "typeIds": [...]}]}.
The model is loaded exactly as python/st_worker.py loads it (SentenceTransformer with model_kwargs dtype and
attn_implementation, offline). Forward hooks on every module of the transformer (model[0].auto_model) record
each module's output for each sequence, run alone and unpadded (attention_mask of ones), so no padding enters
the comparison. For sequence k and module path P the tensor [seq, hidden] (batch axis dropped; tuples give
their first element) goes to OUTDIR/k/P.npy as float64. OUTDIR/index.json lists the paths in the order the
modules ran, with their shapes, and what really ran (dtype, attention implementation, versions).
"""
import json
import os
import sys


def main() -> int:
    request = json.load(open(sys.argv[1]))
    out_dir = sys.argv[2]
    import numpy as np
    import torch
    from sentence_transformers import SentenceTransformer

    device = request.get("device") or "cpu"
    dtype_name = request.get("dtype") or "float32"
    model_kwargs = {"dtype": getattr(torch, dtype_name)}
    if request.get("attention"):
        model_kwargs["attn_implementation"] = request["attention"]
    model = SentenceTransformer(os.path.abspath(request["modelDir"]), device=device, local_files_only=True, trust_remote_code=False, model_kwargs=model_kwargs)
    model.eval()
    auto = model[0].auto_model
    order: list = []
    shapes: dict = {}
    current: dict = {}

    def hook(path):
        def record(_module, _inputs, output):
            t = output[0] if isinstance(output, (tuple, list)) else output
            if hasattr(t, "last_hidden_state"):
                t = t.last_hidden_state
            if not torch.is_tensor(t) or not t.is_floating_point():
                return
            t = t.detach().to("cpu", dtype=torch.float64)
            if t.dim() >= 1 and t.shape[0] == 1:
                t = t[0]
            current[path] = t.numpy()
            if path not in shapes:
                order.append(path)
                shapes[path] = list(t.shape)
        return record

    for path, module in auto.named_modules():
        if path:
            module.register_forward_hook(hook(path))
    with torch.inference_mode():
        for k, seq in enumerate(request["sequences"]):
            current.clear()
            ids = torch.tensor([seq["ids"]], dtype=torch.long, device=device)
            feeds = {"input_ids": ids, "attention_mask": torch.ones_like(ids)}
            if "token_type_ids" in model[0].tokenizer.model_input_names or getattr(auto.config, "type_vocab_size", 0):
                feeds["token_type_ids"] = torch.tensor([seq["typeIds"]], dtype=torch.long, device=device)
            auto(**feeds)
            os.makedirs(os.path.join(out_dir, str(k)), exist_ok=True)
            for path, array in current.items():
                np.save(os.path.join(out_dir, str(k), path + ".npy"), np.ascontiguousarray(array))
    config = auto.config
    import sentence_transformers
    import transformers
    json.dump(
        {
            "order": order,
            "shapes": shapes,
            "dtype": str(next(model.parameters()).dtype).replace("torch.", ""),
            "attention": getattr(config, "_attn_implementation", None),
            "torch": torch.__version__,
            "transformers": transformers.__version__,
            "sentenceTransformers": sentence_transformers.__version__,
        },
        open(os.path.join(out_dir, "index.json"), "w"),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
