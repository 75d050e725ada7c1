#!/usr/bin/env python3
"""Small seeded embedding models of real architectures beyond BERT, and their float64 goldens.

    .venv/bin/python scripts/make_arch_fixtures.py [--out-models fixtures/models/arch] [--out-golden golden/arch]
    (npm run fixtures:arch)

For each fixture: a transformers model built from a config (hidden 32, 2 layers, random weights from a
fixed seed), a tokenizer built with the `tokenizers` library from fixtures/corpus/default.jsonl in the
layout and template of the real model family (vocabularies from its deterministic BPE trainer), the sentence-transformers files (modules.json,
1_Pooling/config.json, sentence_bert_config.json, config_sentence_transformers.json), onnx/model.onnx
exported with torch.onnx.export, and goldens from sentence-transformers run in float64
(scripts/golden_sentence_transformers.py --model-dtype float64).

| fixture            | model          | tokenizer                          | padding | pooling (sentence-transformers)     |
| ------------------ | -------------- | ---------------------------------- | ------- | ----------------------------------- |
| mpnet              | MPNetModel     | WordPiece, <s> $A </s>             | right   | mean + Normalize (+ model_pooled.onnx with sentence_embedding) |
| xlm-roberta        | XLMRobertaModel| Unigram, WhitespaceSplit + Metaspace, <s> $A </s> | right   | cls + Normalize, prompts query/passage, default query |
| modernbert         | ModernBertModel| byte-level BPE, [CLS] $A [SEP]     | right   | max + mean_sqrt_len_tokens (concatenated) |
| qwen3              | Qwen3Model     | byte-level BPE (Qwen2 split), $A <|endoftext|> | left | lasttoken + Normalize, prompts query/document |
| qwen3-weightedmean | the same weights and tokenizer | | left | weightedmean, include_prompt false, default prompt query |

Every output is byte-identical on re-run (fixed seeds, PYTHONHASHSEED 0, BPE-derived vocabularies,
goldens' createdAt pinned by SOURCE_DATE_EPOCH and their paths written repo-relative); test/fixtures/arch-fixtures-regen.test.ts
checks it against the committed files.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys

# The ONNX exporter merges equal constants (ModernBERT's two rotary inv_freq buffers) and keeps one
# name picked in set order, which follows str hashing: pinned, or the file differs between runs.
if os.environ.get("PYTHONHASHSEED") != "0":
    os.environ["PYTHONHASHSEED"] = "0"
    os.execv(sys.executable, [sys.executable, *sys.argv])

# Before tokenizers is imported: its trainers use a thread pool whose merge order must not vary.
os.environ["TOKENIZERS_PARALLELISM"] = "false"
os.environ["RAYON_NUM_THREADS"] = "1"
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
# The goldens' createdAt (golden_sentence_transformers.iso_now): 2026-01-01T00:00:00.000Z.
os.environ["SOURCE_DATE_EPOCH"] = "1767225600"

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import golden_sentence_transformers as golden_script  # noqa: E402

# The ONNX scrub python/export.py (`parity export`) uses too: one scrub for both.
sys.path.insert(0, os.path.join(ROOT, "python"))
import onnx_scrub  # noqa: E402

CORPUS = "fixtures/corpus/default.jsonl"
HIDDEN = 32
LAYERS = 2
HEADS = 4
INTERMEDIATE = 64
VOCAB = 1000
MAX_SEQ = 128
# Larger than transformers' default 0.02 so that attention is not uniform and the hidden states are
# not dominated by the embeddings: a wrong mask, position or pooling shows far above fp32 rounding.
INIT_RANGE = 0.2


def dump_json(path: str, value) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")


# ------------------------------------------------------------------------------------------------
# Tokenizers
# ------------------------------------------------------------------------------------------------


def corpus_texts() -> list[str]:
    _, texts = golden_script.load_corpus(os.path.join(ROOT, CORPUS))
    return texts


def _bpe_vocab(texts, normalizer, pre_tokenizer, specials, **trainer_args) -> dict[str, int]:
    """A vocabulary from the BPE trainer, the one `tokenizers` trainer that is deterministic: its
    WordPiece and Unigram trainers break ties and sum EM scores in HashMap order, so the same corpus
    gives other tokens (WordPiece) or scores (Unigram) on every run."""
    from tokenizers import Tokenizer, models, trainers

    tok = Tokenizer(models.BPE())
    if normalizer is not None:
        tok.normalizer = normalizer
    tok.pre_tokenizer = pre_tokenizer
    tok.train_from_iterator(texts, trainers.BpeTrainer(vocab_size=VOCAB, special_tokens=specials, show_progress=False, **trainer_args))
    return tok.get_vocab()


def wordpiece_mpnet(texts):
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    specials = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    normalizer = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True, strip_accents=None, lowercase=True)
    # WordPieceTrainer is BpeTrainer with "##" continuation pieces, and with that prefix BpeTrainer too
    # orders its alphabet by HashMap: the plain BPE pieces in their (deterministic) order instead,
    # each as a word start and as a "##" continuation, until the vocabulary is full.
    bpe = _bpe_vocab(texts, normalizer, pre_tokenizers.BertPreTokenizer(), specials)
    vocab = {t: i for i, t in enumerate(specials)}
    for piece, _ in sorted(bpe.items(), key=lambda kv: kv[1]):
        for token in (piece, "##" + piece):
            if piece not in specials and token not in vocab and len(vocab) < VOCAB:
                vocab[token] = len(vocab)
    tok = Tokenizer(models.WordPiece(vocab=vocab, unk_token="<unk>", max_input_chars_per_word=100))
    tok.normalizer = normalizer
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece(prefix="##")
    s, e = tok.token_to_id("<s>"), tok.token_to_id("</s>")
    tok.post_processor = processors.TemplateProcessing(single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>", special_tokens=[("<s>", s), ("</s>", e)])
    config = {
        "tokenizer_class": "MPNetTokenizer",
        "bos_token": "<s>", "eos_token": "</s>", "cls_token": "<s>", "sep_token": "</s>",
        "unk_token": "<unk>", "pad_token": "<pad>", "mask_token": "<mask>",
        "do_lower_case": True, "model_max_length": MAX_SEQ, "padding_side": "right",
    }
    return tok, config


def unigram_xlmr(texts):
    import math

    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors

    specials = ["<s>", "<pad>", "</s>", "<unk>"]
    # The pipeline transformers 5's XLMRobertaTokenizer builds (it rebuilds it from the class, not
    # from tokenizer.json): WhitespaceSplit + Metaspace, Unigram, <s> $A </s>; a real checkpoint adds
    # a Precompiled (sentencepiece charsmap) normalizer, which the `tokenizers` library cannot write.
    pre = pre_tokenizers.Sequence([
        pre_tokenizers.WhitespaceSplit(),
        pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always"),
    ])
    # Pieces from the deterministic BPE trainer, scored by their corpus frequency (log relative
    # counts over the pre-tokenized words), as a unigram language model would weigh them.
    bpe = _bpe_vocab(texts, None, pre, specials)
    pieces = [p for p, _ in sorted(bpe.items(), key=lambda kv: kv[1]) if p not in specials]
    words: dict[str, int] = {}
    for text in texts:
        for word, _ in pre.pre_tokenize_str(text):
            words[word] = words.get(word, 0) + 1
    counts = {p: 1 + sum(n * w.count(p) for w, n in words.items()) for p in pieces}
    total = sum(counts.values())
    vocab = [(t, 0.0) for t in specials] + [(p, round(math.log(counts[p] / total), 6)) for p in pieces]
    tok = Tokenizer(models.Unigram(vocab, unk_id=specials.index("<unk>"), byte_fallback=False))
    tok.pre_tokenizer = pre
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    s, e = tok.token_to_id("<s>"), tok.token_to_id("</s>")
    tok.post_processor = processors.TemplateProcessing(single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>", special_tokens=[("<s>", s), ("</s>", e)])
    config = {
        "tokenizer_class": "XLMRobertaTokenizer",
        "bos_token": "<s>", "eos_token": "</s>", "cls_token": "<s>", "sep_token": "</s>",
        "unk_token": "<unk>", "pad_token": "<pad>", "mask_token": "<mask>",
        "model_max_length": MAX_SEQ, "padding_side": "right",
    }
    return tok, config


def bytelevel_modernbert(texts):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

    specials = ["[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]"]
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(
        texts,
        trainers.BpeTrainer(vocab_size=VOCAB, special_tokens=specials, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False),
    )
    c, s = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B [SEP]", special_tokens=[("[CLS]", c), ("[SEP]", s)])
    config = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "cls_token": "[CLS]", "sep_token": "[SEP]", "unk_token": "[UNK]", "pad_token": "[PAD]", "mask_token": "[MASK]",
        "model_input_names": ["input_ids", "attention_mask"],
        "model_max_length": MAX_SEQ, "padding_side": "right",
    }
    return tok, config


QWEN2_SPLIT = r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""


def bytelevel_qwen(texts):
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    tok = Tokenizer(models.BPE())
    # Qwen2/Qwen3's tokenizer.json: NFC, the Qwen2 split regex then byte-level without its own regex.
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(QWEN2_SPLIT), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(
        texts,
        trainers.BpeTrainer(vocab_size=VOCAB, special_tokens=specials, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False),
    )
    eot = tok.token_to_id("<|endoftext|>")
    # Qwen3-Embedding appends <|endoftext|> to every text (no BOS); its last-token pooling reads it.
    tok.post_processor = processors.TemplateProcessing(single="$A <|endoftext|>", pair="$A <|endoftext|> $B <|endoftext|>", special_tokens=[("<|endoftext|>", eot)])
    config = {
        "tokenizer_class": "Qwen2Tokenizer",
        "bos_token": None, "eos_token": "<|im_end|>", "pad_token": "<|endoftext|>", "unk_token": None,
        "model_max_length": MAX_SEQ, "padding_side": "left",
    }
    return tok, config


def write_tokenizer(model_dir: str, tok, config: dict) -> None:
    tok.no_padding()
    tok.no_truncation()
    # The `tokenizers` library serializes some maps (TemplateProcessing's special_tokens) from a
    # HashMap, in a different order on every run: written again with those keys sorted.
    data = json.loads(tok.to_str())
    post = data.get("post_processor") or {}
    if isinstance(post.get("special_tokens"), dict):
        post["special_tokens"] = dict(sorted(post["special_tokens"].items()))
    dump_json(os.path.join(model_dir, "tokenizer.json"), data)
    dump_json(os.path.join(model_dir, "tokenizer_config.json"), {"clean_up_tokenization_spaces": False, **config})


# ------------------------------------------------------------------------------------------------
# Models
# ------------------------------------------------------------------------------------------------


def build_model(arch: str, tok, seed: int):
    import torch
    from transformers import ModernBertConfig, ModernBertModel, MPNetConfig, MPNetModel, Qwen3Config, Qwen3Model, XLMRobertaConfig, XLMRobertaModel

    vocab = tok.get_vocab_size()
    common = dict(vocab_size=vocab, hidden_size=HIDDEN, num_hidden_layers=LAYERS, num_attention_heads=HEADS, intermediate_size=INTERMEDIATE, initializer_range=INIT_RANGE)
    torch.manual_seed(seed)
    if arch == "mpnet":
        # RoBERTa-style positions: padding_idx + 1 + index, so 2 more than the longest sequence.
        cfg = MPNetConfig(**common, max_position_embeddings=MAX_SEQ + 2, pad_token_id=tok.token_to_id("<pad>"),
                          bos_token_id=tok.token_to_id("<s>"), eos_token_id=tok.token_to_id("</s>"))
        model = MPNetModel(cfg, add_pooling_layer=False)
        inputs = ["input_ids", "attention_mask"]
    elif arch == "xlm-roberta":
        cfg = XLMRobertaConfig(**common, max_position_embeddings=MAX_SEQ + 2, type_vocab_size=1, pad_token_id=tok.token_to_id("<pad>"),
                               bos_token_id=tok.token_to_id("<s>"), eos_token_id=tok.token_to_id("</s>"))
        model = XLMRobertaModel(cfg, add_pooling_layer=False)
        inputs = ["input_ids", "attention_mask"]
    elif arch == "modernbert":
        # local_attention 16 < max length: the sliding-window layers really cut attention on longer texts.
        cfg = ModernBertConfig(**common, max_position_embeddings=MAX_SEQ, local_attention=16, global_attn_every_n_layers=2,
                               pad_token_id=tok.token_to_id("[PAD]"), cls_token_id=tok.token_to_id("[CLS]"), sep_token_id=tok.token_to_id("[SEP]"),
                               bos_token_id=tok.token_to_id("[CLS]"), eos_token_id=tok.token_to_id("[SEP]"))
        model = ModernBertModel(cfg)
        inputs = ["input_ids", "attention_mask"]
    elif arch == "qwen3":
        eot = tok.token_to_id("<|endoftext|>")
        cfg = Qwen3Config(**common, num_key_value_heads=2, head_dim=HIDDEN // HEADS, max_position_embeddings=MAX_SEQ, use_cache=False,
                          tie_word_embeddings=False, bos_token_id=eot, eos_token_id=tok.token_to_id("<|im_end|>"))
        # No pad_token_id, as in Qwen3's config: it would make the appended <|endoftext|>'s embedding
        # an all-zero padding_idx row, and the text "" (that token alone) an all-zero vector.
        model = Qwen3Model(cfg)
        # Like optimum's feature-extraction export of a decoder: position_ids is an input.
        inputs = ["input_ids", "attention_mask", "position_ids"]
    else:
        raise SystemExit(f"unknown architecture {arch}")
    model.eval()
    return model, inputs




def export_onnx(model, inputs: list[str], path: str, pooled: str | None = None, normalize: bool = False) -> None:
    """torch.onnx.export (dynamo) with dynamic batch and sequence axes. `pooled` = "mean": the graph
    also pools (and normalizes) and has a single `sentence_embedding` output, like an export that
    includes the sentence-transformers head."""
    import torch

    class Wrapper(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, position_ids=None):
            kw = {} if position_ids is None else {"position_ids": position_ids}
            hidden = self.inner(input_ids=input_ids, attention_mask=attention_mask, **kw).last_hidden_state
            if pooled is None:
                return hidden
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            out = (hidden * mask).sum(1) / torch.clamp(mask.sum(1), min=1e-9)
            return torch.nn.functional.normalize(out, p=2, dim=1) if normalize else out

    wrapper = Wrapper(model).eval()
    batch, seq = 2, 9
    g = torch.Generator().manual_seed(1)
    ids = torch.randint(5, model.config.vocab_size, (batch, seq), generator=g)
    mask = torch.ones(batch, seq, dtype=torch.long)
    args = {"input_ids": ids, "attention_mask": mask}
    if "position_ids" in inputs:
        args["position_ids"] = torch.arange(seq).unsqueeze(0).expand(batch, seq).contiguous()
    output = "last_hidden_state" if pooled is None else "sentence_embedding"
    tmp = path + ".tmp.onnx"
    torch.onnx.export(
        wrapper, (), tmp, kwargs=args, input_names=inputs, output_names=[output],
        dynamic_shapes={n: {0: "batch", 1: "sequence"} for n in inputs}, dynamo=True, external_data=False, verbose=False,
    )
    import onnx

    m = onnx.load(tmp)
    os.remove(tmp)
    # Nothing machine- or time-dependent may stay in the file (it is compared byte for byte).
    onnx_scrub.scrub(m)
    onnx.save(m, path)


def write_st_files(model_dir: str, pooling: dict, normalize: bool, prompts: dict, default_prompt: str | None) -> None:
    modules = [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
    ]
    if normalize:
        modules.append({"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"})
        os.makedirs(os.path.join(model_dir, "2_Normalize"), exist_ok=True)
    dump_json(os.path.join(model_dir, "modules.json"), modules)
    os.makedirs(os.path.join(model_dir, "1_Pooling"), exist_ok=True)
    dump_json(os.path.join(model_dir, "1_Pooling", "config.json"), pooling)
    dump_json(os.path.join(model_dir, "sentence_bert_config.json"), {"max_seq_length": MAX_SEQ, "do_lower_case": False})
    dump_json(os.path.join(model_dir, "config_sentence_transformers.json"), {
        "prompts": prompts, "default_prompt_name": default_prompt, "similarity_fn_name": "cosine",
    })


def legacy_pooling(mode: str, dim: int = HIDDEN, include_prompt: bool = True) -> dict:
    """The 1_Pooling/config.json layout every published model ships (pooling_mode_* booleans)."""
    return {
        "word_embedding_dimension": dim,
        "pooling_mode_cls_token": mode == "cls",
        "pooling_mode_mean_tokens": mode == "mean",
        "pooling_mode_max_tokens": mode == "max",
        "pooling_mode_mean_sqrt_len_tokens": mode == "mean_sqrt_len_tokens",
        "pooling_mode_weightedmean_tokens": mode == "weightedmean",
        "pooling_mode_lasttoken": mode == "lasttoken",
        "include_prompt": include_prompt,
    }


FIXTURES = [
    # name, arch, tokenizer builder, seed, pooling config, normalize, prompts, default prompt, extra goldens
    dict(name="mpnet", arch="mpnet", tokenizer=wordpiece_mpnet, seed=11, pooling=legacy_pooling("mean"), normalize=True,
         prompts={}, default_prompt=None, pooled_onnx=True, goldens=[{"truncate_dim": 16}]),
    dict(name="xlm-roberta", arch="xlm-roberta", tokenizer=unigram_xlmr, seed=12, pooling=legacy_pooling("cls"), normalize=True,
         prompts={"query": "query: ", "passage": "passage: "}, default_prompt="query", goldens=[{"prompt_name": "passage"}]),
    # sentence-transformers >= 6 layout: one pooling_mode, here two modes concatenated ([max | mean_sqrt_len]).
    dict(name="modernbert", arch="modernbert", tokenizer=bytelevel_modernbert, seed=13,
         pooling={"embedding_dimension": HIDDEN, "pooling_mode": ["max", "mean_sqrt_len_tokens"], "include_prompt": True}, normalize=False,
         prompts={}, default_prompt=None, goldens=[]),
    dict(name="qwen3", arch="qwen3", tokenizer=bytelevel_qwen, seed=14, pooling=legacy_pooling("lasttoken"), normalize=True,
         prompts={"query": "Instruct: Given a web search query, retrieve relevant passages that answer the query\nQuery:", "document": ""},
         default_prompt=None, goldens=[{"prompt_name": "query"}]),
    dict(name="qwen3-weightedmean", same_as="qwen3", pooling=legacy_pooling("weightedmean", include_prompt=False), normalize=False,
         prompts={"query": "Instruct: Given a web search query, retrieve relevant passages that answer the query\nQuery:", "document": ""},
         default_prompt="query", goldens=[]),
]


def golden_name(fixture: str, extra: dict) -> str:
    parts = [fixture]
    if "prompt_name" in extra:
        parts.append(f"prompt-{extra['prompt_name']}")
    if "truncate_dim" in extra:
        parts.append(f"dim{extra['truncate_dim']}")
    return ".".join(parts) + ".npy"


def make_golden(model_rel: str, out_path: str, out_rel: str, extra: dict) -> None:
    argv = ["--model", os.path.join(ROOT, model_rel), "--corpus", os.path.join(ROOT, CORPUS), "--out", out_path,
            "--dtype", "float64", "--model-dtype", "float64", "--batch-size", "16", "--name", "pytorch-fp64"]
    if "prompt_name" in extra:
        argv += ["--prompt-name", extra["prompt_name"]]
    if "truncate_dim" in extra:
        argv += ["--truncate-dim", str(extra["truncate_dim"])]
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()):
        golden_script.main(argv)
    meta_path = golden_script.meta_path_for(out_path)
    with open(meta_path, encoding="utf-8") as f:
        meta = json.load(f)
    # Paths as seen from the repository root, wherever the files were written.
    meta["corpus"]["path"] = CORPUS
    meta["model"]["dir"] = model_rel
    dump_json(meta_path, meta)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out-models", default=os.path.join(ROOT, "fixtures/models/arch"))
    parser.add_argument("--out-golden", default=os.path.join(ROOT, "golden/arch"))
    parser.add_argument("--only", action="append", help="build only these fixtures (repeatable)")
    args = parser.parse_args(argv)

    import torch

    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    texts = corpus_texts()
    built = {}
    for fx in FIXTURES:
        if args.only and fx["name"] not in args.only:
            continue
        model_rel = f"fixtures/models/arch/{fx['name']}"
        model_dir = os.path.join(args.out_models, fx["name"])
        shutil.rmtree(model_dir, ignore_errors=True)
        os.makedirs(os.path.join(model_dir, "onnx"))
        if "same_as" in fx:
            src = os.path.join(args.out_models, fx["same_as"])
            for rel in ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "onnx/model.onnx"):
                shutil.copyfile(os.path.join(src, rel), os.path.join(model_dir, rel))
        else:
            tok, tok_config = fx["tokenizer"](texts)
            write_tokenizer(model_dir, tok, tok_config)
            model, inputs = build_model(fx["arch"], tok, fx["seed"])
            model.save_pretrained(model_dir, safe_serialization=True)
            export_onnx(model, inputs, os.path.join(model_dir, "onnx", "model.onnx"))
            if fx.get("pooled_onnx"):
                export_onnx(model, inputs, os.path.join(model_dir, "onnx", "model_pooled.onnx"), pooled="mean", normalize=fx["normalize"])
            built[fx["name"]] = model
        write_st_files(model_dir, fx["pooling"], fx["normalize"], fx["prompts"], fx["default_prompt"])
        os.makedirs(args.out_golden, exist_ok=True)
        for extra in [{}] + fx["goldens"]:
            name = golden_name(fx["name"], extra)
            make_golden(model_rel if os.path.abspath(args.out_models) == os.path.join(ROOT, "fixtures/models/arch") else model_dir,
                        os.path.join(args.out_golden, name), f"golden/arch/{name}", extra)
            # The meta names the model as the repository sees it, even when built elsewhere (the test).
            meta_path = golden_script.meta_path_for(os.path.join(args.out_golden, name))
            with open(meta_path, encoding="utf-8") as f:
                meta = json.load(f)
            meta["model"]["dir"] = model_rel
            dump_json(meta_path, meta)
        print(f"wrote {model_rel} and its goldens")
    return 0


if __name__ == "__main__":
    sys.exit(main())
