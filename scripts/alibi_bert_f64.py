"""last_hidden_state of an ALiBi fixture (tiny-alibi, tiny-alibi-causal) in PyTorch float64, through
transformers' built-in BertModel, for test/backends/reference/alibi-torch.test.ts.

transformers has no bidirectional ALiBi architecture (JinaBERT is remote code) and its ALiBi models
(BLOOM, MPT, Falcon) have other blocks. But an ALiBi encoder is a BertModel without a position
table whose attention scores get a per-head bias, and BertModel adds a 4-D float attention_mask
[batch, heads, q, k] to its scores as given. So: load the fixture's weights into BertModel (float64,
eager attention), zero the position table it does not have, and pass ALiBi (-m*|i-j|, or -m*(i-j)
with -inf above the diagonal for is_decoder) as that mask.

stdin: {"model": DIR, "ids": [[...], ...]}; stdout: {"hidden": [[[...]]]} (one unpadded sequence each).
"""
import json
import sys

import torch
from transformers import BertConfig, BertModel

req = json.load(sys.stdin)
raw = json.load(open(f"{req['model']}/config.json"))
slopes = torch.tensor(raw.pop("alibi_slopes"), dtype=torch.float64)
causal = bool(raw.pop("is_decoder", False))
raw.pop("position_embedding_type", None)
config = BertConfig(**raw)
model = BertModel.from_pretrained(req["model"], config=config, dtype=torch.float64, attn_implementation="eager", add_pooling_layer=False).eval()
with torch.no_grad():
    model.embeddings.position_embeddings.weight.zero_()

out = []
with torch.no_grad():
    for ids in req["ids"]:
        S = len(ids)
        pos = torch.arange(S, dtype=torch.float64)
        signed = pos[:, None] - pos[None, :]  # i - j
        distance = signed if causal else signed.abs()
        bias = -slopes[:, None, None] * distance
        if causal:
            bias = bias.masked_fill(signed < 0, float("-inf"))
        t = torch.tensor([ids])
        hidden = model(input_ids=t, attention_mask=bias[None], token_type_ids=torch.zeros_like(t)).last_hidden_state[0]
        out.append(hidden.tolist())
json.dump({"hidden": out}, sys.stdout)
