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


# The prompts the browser tests assert on, rendered exactly as the kernel renders them (system prompt
# of the memory manager, the Tools line in the kernel's registry order for the process's declared
# capabilities). A model run is committed only when all of these pass (MODEL-DEPENDENT tests).
KERNEL_SYSTEM = "You are a helpful assistant."
LOOP_TOOLS = ["calculator", "units", "clock", "files.write", "files.read", "files.search", "files.list", "fetch", "web.read", "js"]
DEVICE_TOOLS = ["geolocation", "camera.snapshot", "camera.read", "clipboard.read", "clipboard.write", "notify", "speak",
                "files.import", "files.export"]
_CLOCK_TOKYO = {"date": "2026-11-29", "time": "20:15", "weekday": "Sunday", "timeZone": "Asia/Tokyo", "utcOffset": "+09:00"}
SUITE = [
    # test/browser/agent-loop.test.ts
    ("loop calculator", LOOP_TOOLS, [], "What is 12 times 7?", ("calculator", {"expression": "12*7"}), 84, "84"),
    ("loop units", LOOP_TOOLS, [], "How many miles is 5 km?", ("units", {"value": 5, "from": "km", "to": "mi"}), {"value": 3.10686, "unit": "mi"}, "3.10686"),
    ("loop clock", LOOP_TOOLS, [], "What time is it in Tokyo?", ("clock", {"timeZone": "Asia/Tokyo"}), _CLOCK_TOKYO, "20:15"),
    ("loop write", LOOP_TOOLS, [], "Write a note that I must buy milk", ("files.write", {"path": "notes/buy-milk.md", "content": "I must buy milk."}), {"path": "notes/buy-milk.md", "version": 1}, "notes/buy-milk.md"),
    ("loop js", LOOP_TOOLS, [], "Run this JS: [1,2,3].map(x => x * 2)", ("js", {"code": "[1,2,3].map(x => x * 2)"}), {"value": [2, 4, 6]}, "[2,4,6]"),
    ("loop no tools", None, [], "What is 12 times 7?", None, None, None),
    # test/browser/agent-devices.test.ts
    ("dev geolocation", DEVICE_TOOLS, [], "Where am I?", ("geolocation", {}), {"latitude": 48.86, "longitude": 2.29, "accuracy": 1000}, "48.86"),
    ("dev snapshot", DEVICE_TOOLS, [], "Take a photo.", ("camera.snapshot", {}), {"path": "camera/photo-20261129-101500.jpg", "width": 640, "height": 480, "bytes": 21934}, "camera/photo-20261129-101500.jpg"),
    ("dev read", DEVICE_TOOLS, [], "What does this say?", ("camera.read", {}), {"text": "EXIT", "confidence": 0.91}, '"EXIT"'),
    ("dev copy", DEVICE_TOOLS, [], "Copy hello world to my clipboard.", ("clipboard.write", {"text": "hello world"}), {"written": 11}, "hello world"),
    ("dev paste", DEVICE_TOOLS, [], "What's on my clipboard?", ("clipboard.read", {}), {"text": "hello world"}, "hello world"),
    ("dev remind", DEVICE_TOOLS, [], "Remind me to call mom.", ("notify", {"title": "call mom"}), {"shown": True}, "call mom"),
    ("dev speak", DEVICE_TOOLS, [], "Say good morning aloud.", ("speak", {"text": "good morning"}), "Error: ENODEV this browser has no voice for speech synthesis", "Sorry, I could not use speak: ENODEV."),
    ("dev import", DEVICE_TOOLS, [], "Let me give you a file.", ("files.import", {}), {"path": "imports/recipe.txt", "name": "recipe.txt", "bytes": 13, "type": "text/plain"}, "imports/recipe.txt"),
    ("dev export", DEVICE_TOOLS, [], "Save notes/buy-milk.md to my computer.", ("files.export", {"path": "notes/buy-milk.md"}), {"saved": True, "name": "buy-milk.md", "bytes": 16}, "buy-milk.md"),
    ("dev essay", DEVICE_TOOLS, [], "Write an essay about climate change.", None, None, "I can't do that with the built-in model"),
    ("shell read", D.KERNEL_ORDER, [], "What does this say?", ("camera.read", {}), {"text": "EXIT", "confidence": 0.91}, '"EXIT"'),
    ("shell snapshot", D.KERNEL_ORDER, [D.U("What does this say?"), D.A(D.tool_call("camera.read", {})), D.T('{"text":"EXIT","confidence":0.91}'),
                                         D.A('The camera sees this text: "EXIT".')], "Take a photo.", ("camera.snapshot", {}),
     {"path": "camera/photo-20261129-101522.jpg", "width": 640, "height": 480, "bytes": 21934}, "camera/photo-20261129-101522.jpg"),
    ("dev name 1", ["calculator", "geolocation"], [], "My name is Ada.", None, None, "Ada"),
    ("dev name 2", ["calculator", "geolocation"], [D.U("My name is Ada."), D.A("Nice to meet you, Ada.")], "What is 12 times 7?", ("calculator", {"expression": "12*7"}), 84, "84"),
    ("dev name 3", ["calculator", "geolocation"], [D.U("My name is Ada."), D.A("Nice to meet you, Ada."), D.U("What is 12 times 7?"), D.A(D.tool_call("calculator", {"expression": "12*7"})), D.T("84"), D.A("12*7 = 84.")], "What is my name?", None, None, "Your name is Ada."),
]


@torch.no_grad()
def run_suite(model, tok, max_new=80):
    """[(name, ok, what happened)] for SUITE: the first greedy turn, then (for a call) the answer after the result."""
    eos = tok.special_ids["<|im_end|>"]
    model.eval()

    def gen(msgs, tools):
        ids = tok.encode(D.render(msgs, True, tools))
        o = model.greedy_batch([ids], max_new, eos)[0]
        return tok.decode(o[:-1] if o and o[-1] == eos else o)

    out = []
    for name, tools, history, text, call, result, want in SUITE:
        msgs = [D.S(KERNEL_SYSTEM)] + history + [D.U(text)]
        first = gen(msgs, tools)
        if call is None:
            ok = "<tool_call>" not in first and (want is None or want in first)
            out.append((name, ok, first))
            continue
        got = _parse_call(first)
        if not got or got.get("name") != call[0] or got.get("arguments") != call[1]:
            out.append((name, False, first))
            continue
        answer = gen(msgs + [D.A(first), D.T(D.result_text(result))], tools)
        out.append((name, want in answer, f"{first} -> {answer}"))
    return out


def format_suite(res):
    return "\n".join(f"  {'ok  ' if ok else 'FAIL'} {name:18s} {what}" for name, ok, what in res) + \
        f"\n  suite: {sum(ok for _, ok, _ in res)}/{len(res)}"


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
    ap.add_argument("--suite", action="store_true", help="only the browser tests' prompts, rendered as the kernel renders them")
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
    if args.suite:
        print(format_suite(run_suite(model, tok)))
        return
    rep = run(model, tok, args.heldout)
    print(format_table(rep))
    for m in rep["misses"][:60]:
        print(f"  miss [{m['intent']}:{m['kind']}] {m['prompt']!r} -> {m['got']!r} (want {m['want']!r})")
    if not args.no_write:
        write_reports(rep, os.path.join(HERE, "work"), {"checkpoint": os.path.basename(args.checkpoint), "steps": ck.get("steps")})


if __name__ == "__main__":
    main()
