#!/usr/bin/python3
"""Rebuild tools/work/aios-tiny.pt (the checkpoint `make_model.py --finetune` starts from) out of
the committed export: the weights from onnx/model.onnx (fp32), the BPE merges from tokenizer.json.
tools/work/ is git-ignored, so a fresh clone has no checkpoint; this makes one that gives the
committed fixture's greedy outputs (checked below).

    /usr/bin/python3 tools/onnx_to_checkpoint.py [--model public/models/aios-tiny] [--out tools/work/aios-tiny.pt]
"""
import argparse
import json
import os
import sys

import numpy as np
import onnx
from onnx import numpy_helper
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from aios_model import Config, TinyLlama  # noqa: E402
import aios_tokenizer as TK  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=os.path.join(ROOT, "public", "models", "aios-tiny"))
    ap.add_argument("--out", default=os.path.join(ROOT, "tools", "work", "aios-tiny.pt"))
    ap.add_argument("--fixture", default=os.path.join(ROOT, "test", "fixtures", "reference-greedy.json"))
    args = ap.parse_args()
    conf = json.load(open(os.path.join(args.model, "config.json")))
    arch = dict(vocab=conf["vocab_size"], hidden=conf["hidden_size"], mlp=conf["intermediate_size"], layers=conf["num_hidden_layers"],
                heads=conf["num_attention_heads"], kv_heads=conf["num_key_value_heads"], head_dim=conf["head_dim"])
    cfg = Config(vocab_size=arch["vocab"], hidden_size=arch["hidden"], intermediate_size=arch["mlp"], num_hidden_layers=arch["layers"],
                 num_attention_heads=arch["heads"], num_key_value_heads=arch["kv_heads"], head_dim=arch["head_dim"],
                 max_position_embeddings=conf["max_position_embeddings"])
    model = TinyLlama(cfg)
    g = onnx.load(os.path.join(args.model, "onnx", "model.onnx")).graph
    inits = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    # The projections are anonymous MatMul weights ([in, out]); the export traces each block as
    # q, k, v, o, gate, up, down, in graph order.
    matmuls = [n.input[1] for n in g.node if n.op_type == "MatMul" and n.input[1] in inits and n.input[1].startswith("onnx::")]
    assert len(matmuls) == 7 * arch["layers"], len(matmuls)
    state = {}
    for name, value in inits.items():
        if not name.startswith("onnx::"):
            state[name] = torch.from_numpy(np.array(value))
    for i in range(arch["layers"]):
        parts = ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj", "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"]
        for j, part in enumerate(parts):
            state[f"layers.{i}.{part}.weight"] = torch.from_numpy(np.array(inits[matmuls[7 * i + j]]).T.copy())
    missing, unexpected = model.load_state_dict(state, strict=False)
    assert not unexpected, unexpected
    assert not [m for m in missing if m != "lm_head.weight"], missing
    model.eval()
    tok_json = json.load(open(os.path.join(args.model, "tokenizer.json")))
    merges = [tuple(m) for m in tok_json["model"]["merges"]]
    tok = TK.Tokenizer(merges)
    assert len(tok) == arch["vocab"], len(tok)
    fixture = json.load(open(args.fixture))
    eos = fixture["eos_token_id"]
    checked = 0
    for case in fixture["cases"] + fixture["tool_cases"]:
        out = model.greedy(case["prompt_ids"], fixture["max_new_tokens"], eos)
        assert list(out) == case["output_ids"], (case["name"], tok.decode(out), case["text"])
        checked += 1
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    # steps/train_s/tokens as the committed run's figures are unknown here: 0 (a fine-tune adds its own).
    torch.save({"state_dict": model.state_dict(), "merges": merges, "arch": arch, "steps": 0, "train_s": 0, "tokens": 0,
                "final_ema": None, "cpu_s": 0}, args.out)
    print(f"{args.out}: {sum(p.numel() for p in model.parameters())} parameters; {checked} fixture cases give the same greedy ids")


if __name__ == "__main__":
    main()
