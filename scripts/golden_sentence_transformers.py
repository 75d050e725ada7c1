#!/usr/bin/env python3
"""Golden vectors from sentence-transformers (PyTorch), in parity's golden format.

    python3 scripts/golden_sentence_transformers.py \
        --model fixtures/models/tiny-bert --corpus fixtures/corpus/default.jsonl \
        --out golden/tiny-bert/st.npy [--device cpu] [--batch-size 32] [--dtype float32|float64]
        [--model-dtype float32|float64] [--prompt-name NAME] [--truncate-dim N] [--attn-implementation eager|sdpa]

Loads SentenceTransformer(MODEL_DIR) from the local folder only (nothing is downloaded), encodes the
corpus texts in corpus order with the model's own modules (its Pooling, and its Normalize module if
modules.json has one; pass --normalize to L2-normalize on top of that), with the prompt that
encode() picks (config_sentence_transformers.json's default_prompt_name, or --prompt-name) and
truncate_dim (--truncate-dim: sentence-transformers slices after its Normalize module and does not
renormalize), and writes

  OUT       .npy, C order, little-endian ('<f4' or '<f8'), shape [texts, dim]
  OUT.meta  OUT with .npy replaced by .meta.json: parity's GoldenMeta (src/golden/golden.ts), whose
            corpus sha256 equals what `parity run` computes for the same corpus, so the file can be
            used as `"golden"` or compared as a `"runtime": "file"` backend.

Needs numpy, torch and sentence-transformers. The corpus reading and hashing at the top of this
file use only the standard library and are importable without them (the test suite checks that
corpus_hash() here equals corpusHash() in src/corpus/corpus.ts).
"""
from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import math
import os
import platform
import re
import sys

# --------------------------------------------------------------------------------------------------
# Standard library only from here to main(): corpus reading and hashing exactly as parity does it.
# --------------------------------------------------------------------------------------------------

# What JavaScript's String.prototype.trim() removes: WhiteSpace (incl. U+FEFF and category Zs) and
# LineTerminator. Python's str.strip() differs (it strips U+001C..U+001F and U+0085, keeps U+FEFF).
_JS_WHITESPACE = "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"


def js_trim(s: str) -> str:
    return s.strip(_JS_WHITESPACE)


def js_number_to_string(x: float) -> str:
    """JavaScript's Number::toString(x) for a double (ECMA-262 6.1.6.1.20)."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0:
        return "0"
    if x < 0:
        return "-" + js_number_to_string(-x)
    # repr() gives the shortest digits that round-trip, like JavaScript; only the layout differs.
    mantissa, _, exp = repr(x).partition("e")
    int_part, _, frac_part = mantissa.partition(".")
    combined = int_part + frac_part  # value = 0.<combined> * 10^(len(int_part) + exp)
    stripped = combined.lstrip("0")
    point = len(int_part) + (int(exp) if exp else 0) - (len(combined) - len(stripped))
    digits = stripped.rstrip("0") or "0"
    k, n = len(digits), point
    if k <= n <= 21:
        return digits + "0" * (n - k)
    if 0 < n <= 21:
        return digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return "0." + "0" * (-n) + digits
    e = n - 1
    sign = "+" if e >= 0 else "-"
    return (digits[0] + ("." + digits[1:] if k > 1 else "")) + "e" + sign + str(abs(e))


def js_string(v) -> str:
    """JavaScript's String(v) for a value json.loads produced (the corpus id conversion)."""
    if isinstance(v, str):
        return v
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return js_number_to_string(float(v)) if abs(v) >= 2**53 else str(v)
    if isinstance(v, float):
        return js_number_to_string(v)
    if isinstance(v, list):
        return ",".join("" if x is None else js_string(x) for x in v)
    return "[object Object]"


def _read_text(path: str) -> str:
    # Bytes, not text mode: universal newlines would turn "\r\n" into "\n" and change plain-text lines.
    with open(path, "rb") as f:
        return f.read().decode("utf-8", errors="replace")


def load_corpus(path: str) -> tuple[list[str], list[str]]:
    """(ids, texts) as src/corpus/corpus.ts loadCorpus reads them."""
    raw = _read_text(path)
    ext = os.path.splitext(path)[1].lower()
    ids: list[str] = []
    texts: list[str] = []
    if ext in (".jsonl", ".ndjson"):
        seen: dict[str, int] = {}
        for index, line in enumerate(raw.split("\n")):
            line_no = index + 1
            if js_trim(line) == "":
                continue
            try:
                entry = json.loads(line)
            except ValueError as error:
                raise SystemExit(f'{path}:{line_no}: not valid JSON ({error}); each line must be {{"id": "...", "text": "..."}}')
            if not isinstance(entry, dict) or not isinstance(entry.get("text"), str):
                raise SystemExit(f'{path}:{line_no}: each line must be an object with a string "text" (and an "id")')
            id_ = str(len(ids)) if "id" not in entry else js_string(entry["id"])
            if id_ in seen:
                raise SystemExit(f'{path}:{line_no}: duplicate id "{id_}" (first on line {seen[id_]})')
            seen[id_] = line_no
            ids.append(id_)
            texts.append(entry["text"])
    else:
        lines = raw.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        texts = [line[:-1] if line.endswith("\r") else line for line in lines]
        ids = [f"line-{i + 1}" for i in range(len(texts))]
    if not texts:
        raise SystemExit(f"corpus {path} has no texts")
    return ids, texts


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def js_json_stringify(value) -> str:
    """JSON.stringify(value) for strings/lists: same escapes, no spaces, raw non-ASCII, and lone
    surrogates as lowercase \\udxxx escapes (well-formed JSON.stringify, ES2019)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return _LONE_SURROGATE.sub(lambda m: "\\u%04x" % ord(m.group()), text)


def corpus_hash(ids: list[str], texts: list[str]) -> str:
    """sha256 of JSON.stringify([[id, text], ...]) as UTF-8 (src/corpus/corpus.ts corpusHash)."""
    pairs = [[i, t] for i, t in zip(ids, texts)]
    return hashlib.sha256(js_json_stringify(pairs).encode("utf-8")).hexdigest()


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _js_sort_key(name: str) -> bytes:
    return name.encode("utf-16-be", errors="surrogatepass")  # Array.prototype.sort: UTF-16 code units


def model_file_hashes(model_dir: str) -> dict[str, str]:
    """sha256 of every file under the model folder, keys relative with '/' (src/model/model-files.ts)."""
    out: dict[str, str] = {}

    def walk(d: str) -> None:
        for name in sorted(os.listdir(d), key=_js_sort_key):
            p = os.path.join(d, name)
            if os.path.isdir(p):
                walk(p)
            else:
                out[os.path.relpath(p, model_dir).replace(os.sep, "/")] = sha256_file(p)

    walk(model_dir)
    return out


def display_path(path: str) -> str:
    """Relative to the working folder when inside it (src/io/display-path.ts)."""
    absolute = os.path.abspath(path)
    rel = os.path.relpath(absolute, os.getcwd())
    return "." if rel == "." else absolute if rel.startswith("..") or os.path.isabs(rel) else rel


def iso_now() -> str:
    """Date.prototype.toISOString(): UTC, milliseconds, Z. SOURCE_DATE_EPOCH (seconds) pins it, for
    generated fixtures that must be byte-identical on every run."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        now = datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc)
    else:
        now = datetime.datetime.now(datetime.timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def meta_path_for(npy_path: str) -> str:
    return re.sub(r"\.npy$", "", npy_path, flags=re.IGNORECASE) + ".meta.json"


def _version(module: str) -> str:
    try:
        from importlib.metadata import version

        return version(module)
    except Exception:
        return "not installed"


# --------------------------------------------------------------------------------------------------
# Embedding: needs numpy, torch and sentence-transformers, imported only here.
# --------------------------------------------------------------------------------------------------


def _pooling_mode(model) -> str:
    for module in model:
        if type(module).__name__ == "Pooling":
            # sentence-transformers >= 6: one `pooling_mode` (a name or a tuple, concatenated in
            # order); parity writes the same names, joined with "+" (src/model/model-folder.ts).
            mode = getattr(module, "pooling_mode", None)
            if isinstance(mode, str):
                return "mean_sqrt_len" if mode == "mean_sqrt_len_tokens" else mode
            if isinstance(mode, (list, tuple)):
                return "+".join("mean_sqrt_len" if m == "mean_sqrt_len_tokens" else m for m in mode)
            # The names parity uses (src/model/model-folder.ts), checked in the same order.
            for attr, mode in (
                ("pooling_mode_mean_tokens", "mean"),
                ("pooling_mode_cls_token", "cls"),
                ("pooling_mode_max_tokens", "max"),
                ("pooling_mode_mean_sqrt_len_tokens", "mean_sqrt_len"),
            ):
                if getattr(module, attr, False):
                    return mode
            get = getattr(module, "get_pooling_mode_str", None)
            return get() if callable(get) else "unknown"
    return "cls"


def _attn_implementation(model) -> str | None:
    """What transformers actually used (config._attn_implementation), not what was asked for."""
    for module in model:
        auto = getattr(module, "auto_model", None)
        if auto is not None:
            return getattr(auto.config, "_attn_implementation", None)
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, help="local sentence-transformers model folder")
    parser.add_argument("--corpus", required=True, help="corpus: .jsonl/.ndjson of {id, text}, or plain text, one text per line")
    parser.add_argument("--out", required=True, help="output .npy (FILE.meta.json is written beside it)")
    parser.add_argument("--device", default="cpu", help="torch device (default cpu)")
    parser.add_argument("--batch-size", type=int, default=32, help="texts per forward pass (default 32)")
    parser.add_argument("--dtype", choices=("float32", "float64"), default="float32",
                        help="stored dtype; float64 alone only widens the model's float32 output (see --model-dtype)")
    parser.add_argument("--model-dtype", choices=("float32", "float64"), default="float32",
                        help="dtype the model runs in: float64 casts every weight and buffer (model.to(torch.float64)), "
                             "the float64 ground truth parity's goldens are measured against")
    parser.add_argument("--prompt-name", default=None,
                        help="a key of config_sentence_transformers.json's prompts (default: its default_prompt_name, if any)")
    parser.add_argument("--truncate-dim", type=int, default=None,
                        help="Matryoshka truncation: keep the first N dimensions (sentence-transformers' truncate_dim)")
    parser.add_argument("--attn-implementation", choices=("eager", "sdpa"), default=None,
                        help="transformers attention implementation (default: transformers' choice, sdpa); "
                             "eager is the plain softmax(QK^T)V the reference also computes")
    parser.add_argument("--normalize", action="store_true",
                        help="also L2-normalize (normalize_embeddings=True); by default only the model's own Normalize module applies")
    parser.add_argument("--name", default="sentence-transformers", help="backend name recorded in the meta (default sentence-transformers)")
    args = parser.parse_args(argv)

    if not os.path.isdir(args.model):
        parser.error(f"--model {args.model} is not a folder (this script never downloads models)")
    if not args.out.lower().endswith(".npy"):
        parser.error("--out must end in .npy")
    if args.batch_size < 1:
        parser.error("--batch-size must be >= 1")
    ids, texts = load_corpus(args.corpus)

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import numpy as np
    import torch
    from sentence_transformers import SentenceTransformer

    # model_kwargs only when asked: the call stays what it was for every other golden.
    st_kwargs = {"model_kwargs": {"attn_implementation": args.attn_implementation}} if args.attn_implementation else {}
    model = SentenceTransformer(os.path.abspath(args.model), device=args.device, **st_kwargs)
    if args.model_dtype == "float64":
        model.to(torch.float64)
    if args.prompt_name is not None and args.prompt_name not in (getattr(model, "prompts", None) or {}):
        parser.error(f"--prompt-name {args.prompt_name!r} is not one of the model's prompts {sorted(getattr(model, 'prompts', None) or {})}")
    if args.truncate_dim is not None and args.truncate_dim < 1:
        parser.error("--truncate-dim must be >= 1")
    # Only what was asked is passed on, so encode() resolves the default prompt itself.
    extra = {}
    if args.prompt_name is not None:
        extra["prompt_name"] = args.prompt_name
    if args.truncate_dim is not None:
        extra["truncate_dim"] = args.truncate_dim
    vectors = model.encode(
        texts,
        batch_size=args.batch_size,
        convert_to_numpy=True,
        normalize_embeddings=args.normalize,
        show_progress_bar=False,
        **extra,
    )
    prompt_name = args.prompt_name if args.prompt_name is not None else getattr(model, "default_prompt_name", None)
    prompt = (getattr(model, "prompts", None) or {}).get(prompt_name) if prompt_name is not None else None
    if vectors.ndim != 2 or vectors.shape[0] != len(texts):
        raise SystemExit(f"model returned shape {vectors.shape} for {len(texts)} texts")
    dtype = "<f4" if args.dtype == "float32" else "<f8"
    array = np.ascontiguousarray(vectors.astype(dtype))
    if not np.isfinite(array).all():
        print(f"warning: {int((~np.isfinite(array)).sum())} non-finite values in the output", file=sys.stderr)

    has_normalize = any(type(m).__name__ == "Normalize" for m in model)
    meta = {
        "schemaVersion": 1,
        "createdAt": iso_now(),
        "dtype": dtype,
        "shape": [int(array.shape[0]), int(array.shape[1])],
        "corpus": {"path": display_path(args.corpus), "sha256": corpus_hash(ids, texts), "count": len(texts), "ids": ids},
        "model": {"dir": display_path(args.model), "files": model_file_hashes(args.model)},
        "backend": {
            "name": args.name,
            "runtime": "sentence-transformers",
            "environment": {
                "runtime": "sentence-transformers",
                "device": str(model.device),
                "batchSize": args.batch_size,
                "normalizeEmbeddings": args.normalize,
                "modules": [type(m).__name__ for m in model],
                "torchDtype": str(next(model.parameters()).dtype),
                "modelDtype": args.model_dtype,
                "attnImplementation": _attn_implementation(model),
                "cuda": torch.version.cuda,
                "script": "scripts/golden_sentence_transformers.py",
            },
        },
        "tokenizer": f"transformers {type(model.tokenizer).__name__} (sentence-transformers)",
        "pooling": _pooling_mode(model),
        "normalize": bool(has_normalize or args.normalize),
        "maxSeqLength": int(model.max_seq_length),
        "promptName": prompt_name,
        "prompt": prompt,
        "truncateDim": args.truncate_dim,
        "packages": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "torch": torch.__version__,
            "transformers": _version("transformers"),
            "sentence-transformers": _version("sentence-transformers"),
            "tokenizers": _version("tokenizers"),
        },
    }

    out_dir = os.path.dirname(os.path.abspath(args.out))
    os.makedirs(out_dir, exist_ok=True)
    # Vectors first, meta second, each written to a temporary file and renamed (like writeGolden).
    tmp = f"{args.out}.{os.getpid()}.tmp"
    with open(tmp, "wb") as f:
        np.save(f, array, allow_pickle=False)
    os.replace(tmp, args.out)
    meta_path = meta_path_for(args.out)
    tmp = f"{meta_path}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(json.dumps(meta, indent=2, ensure_ascii=False) + "\n")
    os.replace(tmp, meta_path)
    print(f"wrote {args.out} {array.shape[0]}x{array.shape[1]} {dtype} and {meta_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
