#!/usr/bin/env python3
"""ONNX exports of a fixture made the way parity does not make them, for the tests of choosing an
output and feeding inputs (test/backends/foreign-exports.test.ts):

  anonymous.onnx   plain torch.onnx.export of BertModel with no output_names: two outputs named by
                   torch ("output"-less numbering), last_hidden_state [batch, seq, hidden] and
                   pooler_output [batch, hidden]; dynamic batch and sequence
  hidden.onnx      the same with output_hidden_states: several [batch, seq, hidden] outputs, so only
                   a config "output" can choose
  fixed.onnx       int32 input_ids and attention_mask only (no token_type_ids), a dynamic batch but a
                   sequence length fixed at --fixed-seq, its weights in fixed.onnx_data (external data)

    .venv/bin/python test/support/make_foreign_exports.py MODEL_DIR OUT_DIR [--fixed-seq 40]
"""
import argparse
import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("out")
    parser.add_argument("--fixed-seq", type=int, default=40)
    args = parser.parse_args()
    import onnx
    import torch
    from transformers import AutoModel

    torch.manual_seed(0)
    model = AutoModel.from_pretrained(args.model, attn_implementation="eager", local_files_only=True).eval()
    os.makedirs(args.out, exist_ok=True)
    ids = torch.tensor([[2, 7, 8, 3], [2, 9, 3, 0]], dtype=torch.int64)
    mask = torch.tensor([[1, 1, 1, 1], [1, 1, 1, 0]], dtype=torch.int64)
    types = torch.zeros_like(ids)
    dyn = {0: "batch", 1: "sequence"}

    class Plain(torch.nn.Module):
        def __init__(self, hidden_states: bool):
            super().__init__()
            self.m, self.hidden_states = model, hidden_states

        def forward(self, input_ids, attention_mask, token_type_ids):
            out = self.m(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids, output_hidden_states=self.hidden_states)
            return (out.last_hidden_state, out.pooler_output, *(out.hidden_states if self.hidden_states else ()))

    with torch.no_grad():
        for name, hs in (("anonymous.onnx", False), ("hidden.onnx", True)):
            torch.onnx.export(Plain(hs), (ids, mask, types), os.path.join(args.out, name), input_names=["input_ids", "attention_mask", "token_type_ids"],
                              dynamic_axes={"input_ids": dyn, "attention_mask": dyn, "token_type_ids": dyn}, opset_version=17, dynamo=False)

    class Int32Fixed(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.m = model

        def forward(self, input_ids, attention_mask):
            return self.m(input_ids=input_ids.long(), attention_mask=attention_mask.long()).last_hidden_state

    seq = args.fixed_seq
    ids32 = torch.zeros(2, seq, dtype=torch.int32)
    ids32[:, :4] = ids.to(torch.int32)
    mask32 = torch.zeros(2, seq, dtype=torch.int32)
    mask32[:, :4] = mask.to(torch.int32)
    tmp = os.path.join(args.out, "fixed.tmp.onnx")
    with torch.no_grad():
        torch.onnx.export(Int32Fixed(), (ids32, mask32), tmp, input_names=["input_ids", "attention_mask"], output_names=["last_hidden_state"],
                          dynamic_axes={"input_ids": {0: "batch"}, "attention_mask": {0: "batch"}, "last_hidden_state": {0: "batch"}}, opset_version=17, dynamo=False)
    m = onnx.load(tmp)
    os.remove(tmp)
    onnx.save(m, os.path.join(args.out, "fixed.onnx"), save_as_external_data=True, all_tensors_to_one_file=True, location="fixed.onnx_data", size_threshold=0)


if __name__ == "__main__":
    main()
