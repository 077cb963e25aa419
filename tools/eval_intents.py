#!/usr/bin/python3
"""Held-out paraphrase evaluation of aios-tiny (tools/heldout_intents.json).

For every item (hand-written prompts worded unlike the training templates):
  route   -- with the Tools line of ALL tools: greedy output is the expected call (same tool name and
             arguments, JSON-equal); for no-tool intents (cant, name): no call and the answer contains
             `answer_contains`
  answer  -- given the expected call and the canned result: the greedy answer contains `answer_contains`
  notool  -- the same prompt without a Tools line: no <tool_call> (and for no-tool intents the answer
             contains `answer_contains`)

    /usr/bin/python3 tools/eval_intents.py [--checkpoint tools/work/aios-tiny.pt] [--out tools/intents_report.json]

make_model.py calls run() after training and writes tools/work/intents_report.json and
tools/intents_report.json.
"""
import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import aios_data as D  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
HELDOUT = os.path.join(HERE, "heldout_intents.json")


def load_items(path=HELDOUT):
    with open(path, encoding="utf-8") as f:
        return json.load(f)["items"]


def _messages(it):
    return it["messages"] if "messages" in it else [{"role": "user", "content": it["prompt"]}]


def _parse_call(text):
    if not text.startswith("<tool_call>") or not text.endswith("</tool_call>"):
        return None
    try:
        return json.loads(text[len("<tool_call>"):-len("</tool_call>")])
    except ValueError:
        return None


@torch.no_grad()
def run(model, tok, path=HELDOUT, bs=64, max_new=80):
    items = load_items(path)
    eos = tok.special_ids["<|im_end|>"]
    jobs = []  # (item index, kind, prompt ids)
    for i, it in enumerate(items):
        msgs = _messages(it)
        jobs.append((i, "route", D.render(msgs, True, D.ALL_TOOLS)))
        jobs.append((i, "notool", D.render(msgs, True, None)))
        if it["tool"]:
            full = msgs + [D.A(D.tool_call(it["tool"], it["args"])), D.T(D.result_text(it["result"]))]
            jobs.append((i, "answer", D.render(full, True, D.ALL_TOOLS)))
    enc = [tok.encode(p) for _, _, p in jobs]
    order = sorted(range(len(jobs)), key=lambda k: len(enc[k]))
    outs = [None] * len(jobs)
    model.eval()
    for k in range(0, len(order), bs):
        idx = order[k:k + bs]
        res = model.greedy_batch([enc[j] for j in idx], max_new, eos)
        for j, o in zip(idx, res):
            outs[j] = tok.decode(o[:-1] if o and o[-1] == eos else o)
    per = {}
    misses = []
    for (i, kind, _), text in zip(jobs, outs):
        it = items[i]
        if kind == "route":
            if it["tool"]:
                call = _parse_call(text)
                ok = bool(call) and call.get("name") == it["tool"] and call.get("arguments") == it["args"]
            else:
                ok = "<tool_call>" not in text and it["answer_contains"] in text
        elif kind == "answer":
            ok = it["answer_contains"] in text
        else:
            ok = "<tool_call>" not in text and (it["tool"] is not None or it["answer_contains"] in text)
        s = per.setdefault(it["intent"], {"route": [0, 0], "answer": [0, 0], "notool": [0, 0]})
        s[kind][0] += int(ok)
        s[kind][1] += 1
        if not ok:
            misses.append({"intent": it["intent"], "kind": kind, "prompt": _messages(it)[-1]["content"], "got": text,
                           "want": D.tool_call(it["tool"], it["args"]) if kind == "route" and it["tool"] else it["answer_contains"]})
    table = {}
    for intent, s in per.items():
        table[intent] = {k: (round(a / n, 3) if n else None) for k, (a, n) in s.items()}
        table[intent]["n"] = s["route"][1]
    tot = {k: [sum(per[i][k][0] for i in per), sum(per[i][k][1] for i in per)] for k in ("route", "answer", "notool")}
    overall = {k: round(a / n, 3) if n else None for k, (a, n) in tot.items()}
    overall["n"] = tot["route"][1]
    return {"intents": table, "overall": overall, "misses": misses}


def format_table(rep):
    lines = [f"  {'intent':18s} {'route':>6s} {'answer':>6s} {'notool':>6s}  n"]
    for intent, v in list(rep["intents"].items()) + [("ALL", rep["overall"])]:
        f = lambda x: "   -  " if x is None else f"{x:6.2f}"
        lines.append(f"  {intent:18s} {f(v['route'])} {f(v['answer'])} {f(v['notool'])}  {v['n']}")
    return "\n".join(lines)


def write_reports(rep, work_dir=None, extra=None):
    """tools/work/intents_report.json (everything, misses included) and tools/intents_report.json (small)."""
    small = {"intents": rep["intents"], "overall": rep["overall"]}
    if extra:
        small.update(extra)
    if work_dir and os.path.isdir(work_dir):
        with open(os.path.join(work_dir, "intents_report.json"), "w", encoding="utf-8") as f:
            json.dump(dict(rep, **(extra or {})), f, ensure_ascii=False, indent=1)
    with open(os.path.join(HERE, "intents_report.json"), "w", encoding="utf-8") as f:
        json.dump(small, f, ensure_ascii=False, indent=1)
        f.write("\n")


def overlap_check(n=200000, seed=99):
    """How many held-out prompts equal (case-insensitively) a generated training prompt."""
    import random
    held = {(_messages(it)[-1]["content"]).lower().rstrip(".?! ") for it in load_items()}
    r = random.Random(seed)
    hits = set()
    for _ in range(n):
        c = D.sample_conversation(r)
        for m in c["messages"]:
            if m["role"] == "user":
                t = m["content"].lower().rstrip(".?! ")
                if t in held:
                    hits.add(t)
    return sorted(hits)


def main():
    from aios_model import Config, TinyLlama
    import aios_tokenizer as TK
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkpoint", default=os.path.join(HERE, "work", "aios-tiny.pt"))
    ap.add_argument("--heldout", default=HELDOUT)
    ap.add_argument("--overlap", type=int, default=0, help="also check N generated training conversations for exact prompt overlap")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    if args.overlap:
        hits = overlap_check(args.overlap)
        print(f"held-out prompts equal to a training prompt ({args.overlap} conversations): {len(hits)} {hits}")
    torch.set_num_threads(1)
    ck = torch.load(args.checkpoint)
    a = ck["arch"]
    cfg = Config(vocab_size=a["vocab"], hidden_size=a["hidden"], intermediate_size=a["mlp"], num_hidden_layers=a["layers"],
                 num_attention_heads=a["heads"], num_key_value_heads=a["kv_heads"], head_dim=a["head_dim"], max_position_embeddings=2048)
    model = TinyLlama(cfg)
    model.load_state_dict(ck["state_dict"])
    tok = TK.Tokenizer([tuple(m) for m in ck["merges"]])
    rep = run(model, tok, args.heldout)
    print(format_table(rep))
    for m in rep["misses"][:60]:
        print(f"  miss [{m['intent']}:{m['kind']}] {m['prompt']!r} -> {m['got']!r} (want {m['want']!r})")
    if not args.no_write:
        write_reports(rep, os.path.join(HERE, "work"), {"checkpoint": os.path.basename(args.checkpoint), "steps": ck.get("steps")})


if __name__ == "__main__":
    main()
