"""last_hidden_state of a RoFormer model folder in PyTorch float64, for test/rotary-torch.test.ts.

stdin: {"model": DIR, "ids": [[...], ...]}; stdout: {"hidden": [[[...]]]} (one unpadded sequence each).
RoFormer builds its sinusoidal table through torch.FloatTensor (float32) even in a float64 model;
it is rebuilt here with the same formula in float64, so both sides compute angles in float64.
"""
import json
import sys

import numpy as np
import torch
from transformers import RoFormerModel

req = json.load(sys.stdin)
model = RoFormerModel.from_pretrained(req["model"], dtype=torch.float64).eval()
table = model.encoder.embed_positions
n_pos, dim = table.weight.shape
enc = np.array([[pos / np.power(10000, 2 * (j // 2) / dim) for j in range(dim)] for pos in range(n_pos)])
with torch.no_grad():
    table.weight[:, : dim // 2] = torch.from_numpy(np.sin(enc[:, 0::2]))
    table.weight[:, dim // 2 :] = torch.from_numpy(np.cos(enc[:, 1::2]))
out = []
with torch.no_grad():
    for ids in req["ids"]:
        t = torch.tensor([ids])
        out.append(model(input_ids=t, attention_mask=torch.ones_like(t), token_type_ids=torch.zeros_like(t)).last_hidden_state[0].tolist())
json.dump({"hidden": out}, sys.stdout)
