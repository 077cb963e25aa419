#!/usr/bin/python3
"""Run 10's checks: held-out arithmetic word problems and few-shot examples (aios_teams.py).

    /usr/bin/python3 tools/eval_teams.py --checkpoint tools/work/run10.pt [--json out.json]

word      -- tools/work/heldout_word.json (written by aios_teams.write_heldout_word; templates never
             trained), with the kernel's system prompt and LOOP_TOOLS: call = the exact call text,
             answer = the exact answer after the call and its result, notool = exactly
             "I have no tool for that here." without a Tools line.
copy      -- examples block, the request = one example's question or a light variant: the answer
             exactly that example's answer (held-out personal-fact questions, held-out classify frames).
nearest   -- labelled notes as examples, another note sharing a keyword with one: exactly its label
             (held-out request frames).
ordinary  -- tools/heldout_intents.json requests with an unrelated examples block: route as
             eval_intents (exact call with all tools; cant / name: no call and the expected text).
anchor    -- classify / personal-fact requests without examples: exactly "I have no tool for that here."
"""
import argparse
import json
import os
import random
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import aios_data as D  # noqa: E402
import aios_teams as T  # noqa: E402
import eval_intents as EI  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def load(path):
    from aios_model import Config, TinyLlama
    import aios_tokenizer as TK
    ck = torch.load(path)
    a = ck["arch"]
    cfg = Config(vocab_size=a["vocab"], hidden_size=a["hidden"], intermediate_size=a["mlp"], num_hidden_layers=a["layers"],
                 num_attention_heads=a["heads"], num_key_value_heads=a["kv_heads"], head_dim=a["head_dim"], max_position_embeddings=2048)
    model = TinyLlama(cfg)
    model.load_state_dict(ck["state_dict"])
    model.eval()
    return model, TK.Tokenizer([tuple(m) for m in ck["merges"]])


@torch.no_grad()
def gen_all(model, tok, prompts, max_new=80, bs=48):
    eos = tok.special_ids["<|im_end|>"]
    enc = [tok.encode(p) for p in prompts]
    order = sorted(range(len(enc)), key=lambda k: len(enc[k]))
    outs = [None] * len(enc)
    for k in range(0, len(order), bs):
        idx = order[k:k + bs]
        for j, o in zip(idx, model.greedy_batch([enc[j] for j in idx], max_new, eos)):
            outs[j] = tok.decode(o[:-1] if o and o[-1] == eos else o)
    return outs


def sys_msgs():
    return [D.S(EI.KERNEL_SYSTEM)]


def cases(seed=2468, n=60):
    r = random.Random(seed)
    copy, nearest, anchor = [], [], []
    while len(copy) < n:  # held-out questions (facts, classify frames) half the time, trained pools else
        held = len(copy) % 2 == 0
        pairs, req, a = T.copy_case(r, T.HELD_FACTS if held else T.FACTS, T.HELD_CLASSIFY_Q if held else T.CLASSIFY_Q)
        copy.append((T.with_examples(pairs, req), a))
    while len(nearest) < n:
        pairs, req, a = T.nearest_case(r, T.CLASSIFY_Q, T.HELD_CLASSIFY_Q)
        nearest.append((T.with_examples(pairs, req), a))
    for i in range(30):
        q = T.HELD_FACTS[i % len(T.HELD_FACTS)][0] if i % 2 else T.classify_q(r, T.topic_note(r, r.choice(list(T.TOPICS))), T.HELD_CLASSIFY_Q)
        anchor.append(q)
    ordinary = []
    for it in EI.load_items():
        msgs = [dict(m) for m in EI._messages(it)]
        pairs = T._distractors(r, r.choice([1, 2, 3]), [msgs[-1]["content"]], T.HELD_FACTS, T.HELD_CLASSIFY_Q)
        msgs[-1] = D.U(T.with_examples(pairs, msgs[-1]["content"]))
        ordinary.append((it, msgs))
    return copy, nearest, anchor, ordinary


def evaluate(model, tok, word_path):
    res = {}
    words = json.load(open(word_path))["items"]
    tools = EI.LOOP_TOOLS
    p_call = [D.render(sys_msgs() + [D.U(w["prompt"])], True, tools) for w in words]
    p_ans = [D.render(sys_msgs() + [D.U(w["prompt"]), D.A(w["call"]), D.T(D.result_text(w["result"]))], True, tools) for w in words]
    p_no = [D.render(sys_msgs() + [D.U(w["prompt"])], True, None) for w in words]
    o = gen_all(model, tok, p_call + p_ans + p_no)
    nw = len(words)
    oc, oa, on = o[:nw], o[nw:2 * nw], o[2 * nw:]
    res["word"] = {"call": sum(x == w["call"] for x, w in zip(oc, words)) / nw,
                   "answer": sum(x == w["answer"] for x, w in zip(oa, words)) / nw,
                   "both": sum(x == w["call"] and y == w["answer"] for x, y, w in zip(oc, oa, words)) / nw,
                   "notool": sum(x == D.NO_TOOL for x in on) / nw, "n": nw,
                   "misses": [(w["prompt"], x) for x, w in zip(oc, words) if x != w["call"]][:6]}
    copy, nearest, anchor, ordinary = cases()
    for name, items in (("copy", copy), ("nearest", nearest)):
        pr = []
        for i, (u, a) in enumerate(items):
            tl = None if i % 3 == 0 else (D.ALL_TOOLS if i % 3 == 1 else tools)
            pr.append(D.render(sys_msgs() + [D.U(u)], True, tl))
        o = gen_all(model, tok, pr)
        res[name] = {"exact": sum(x == a for x, (_, a) in zip(o, items)) / len(items), "n": len(items),
                     "misses": [(u.split("\n\n")[-1], a, x) for x, (u, a) in zip(o, items) if x != a][:6]}
    o = gen_all(model, tok, [D.render(sys_msgs() + [D.U(q)], True, tools if i % 2 else None) for i, q in enumerate(anchor)])
    res["anchor"] = {"no_tool": sum(x == D.NO_TOOL for x in o) / len(o), "n": len(o), "outputs": list(zip(anchor, o))[:6]}
    o = gen_all(model, tok, [D.render(m, True, D.ALL_TOOLS) for _, m in ordinary])
    ok = 0
    per = {}
    for (it, _), text in zip(ordinary, o):
        if it["tool"]:
            call = EI._parse_call(text)
            good = bool(call) and call.get("name") == it["tool"] and call.get("arguments") == it["args"]
        else:
            good = "<tool_call>" not in text and it["answer_contains"] in text
        ok += good
        s = per.setdefault(it["intent"], [0, 0])
        s[0] += good
        s[1] += 1
    res["ordinary"] = {"route": ok / len(ordinary), "n": len(ordinary), "per_intent": {k: round(a / b, 2) for k, (a, b) in per.items()}}
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--word", default=os.path.join(HERE, "work", "heldout_word.json"))
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    torch.set_num_threads(1)
    model, tok = load(args.checkpoint)
    res = evaluate(model, tok, args.word)
    w = res["word"]
    print(f"word problems (held-out templates): call {w['call']:.2f} answer {w['answer']:.2f} both {w['both']:.2f} notool {w['notool']:.2f} (n {w['n']})")
    for m in w["misses"]:
        print("   miss", m)
    for k in ("copy", "nearest"):
        print(f"examples {k}: {res[k]['exact']:.2f} (n {res[k]['n']})")
        for m in res[k]["misses"]:
            print("   miss", m)
    print(f"examples ordinary (held-out intents with an unrelated block): route {res['ordinary']['route']:.2f} (n {res['ordinary']['n']})")
    print("   " + json.dumps(res["ordinary"]["per_intent"]))
    print(f"anchor (no examples) -> no tool: {res['anchor']['no_tool']:.2f} (n {res['anchor']['n']})")
    for m in res["anchor"]["outputs"]:
        print("   ", m)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=1, ensure_ascii=False)


if __name__ == "__main__":
    main()
