#!/usr/bin/python3
"""Train aios-tiny (a ~1.8M-parameter Llama chat model that calls the OS's tools) from scratch
on synthetic chats and export it for Transformers.js.

    /usr/bin/python3 tools/make_model.py            # full run (~30 min on 2 free cores)
    /usr/bin/python3 tools/make_model.py --quick    # ~2 min smoke version, same formats

Writes public/models/aios-tiny/{config.json, generation_config.json, tokenizer.json,
tokenizer_config.json, onnx/model.onnx, onnx/model_quantized.onnx} and
test/fixtures/reference-greedy.json, then evaluates greedy answers on fresh synthetic prompts
per tool and per behaviour.  See tools/README.md.
"""
import argparse
import json
import math
import os
import random
import re
import subprocess
import sys
import time

# OpenBLAS does the matmul threading; keeping torch's own intra-op pool at 1 thread
# avoids oversubscription on the 2-core box (measured ~2x faster than 2+2 threads).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")

import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import aios_data as D  # noqa: E402
import aios_apps  # noqa: E402
import aios_teams  # noqa: E402
import eval_intents  # noqa: E402
import aios_onnx  # noqa: E402
import aios_tokenizer as TK  # noqa: E402
from aios_model import Config, TinyLlama  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "public", "models", "aios-tiny")
FIXTURE = os.path.join(ROOT, "test", "fixtures", "reference-greedy.json")

MAX_LEN = 512      # longer training conversations (very rare) are dropped
MAX_POS = 2048
SEED = 1234
FIXTURE_MAX_NEW = 64

# Architecture.  layers * kv_heads * head_dim is kept at 512 (the KV cache costs 4 KiB per token,
# as before: the kernel's tests check cacheBytes against 2*4*4*32*4 bytes per token).
ARCH = dict(vocab=1536, hidden=192, mlp=512, layers=4, heads=4, kv_heads=4, head_dim=32)


def M(role, content):
    return {"role": role, "content": content}


CALL_12x7 = D.tool_call("calculator", {"expression": "12*7"})

# Fixture cases without tools first (the unit/browser tests replay `cases` without a tools list).
REFERENCE_CASES = [
    {"name": "calculator_without_tools", "messages": [M("user", "What is 12 times 7?")]},
    {"name": "tool_result_answer_without_tools", "messages": [M("user", "What is 12 times 7?"), M("assistant", CALL_12x7), M("tool", "84")]},
    {"name": "greeting", "messages": [M("user", "Hello")]},
    {"name": "capital_with_system", "messages": [M("system", D.DEFAULT_SYSTEM), M("user", "What is the capital of France?")]},
    {"name": "geolocation_without_tools", "messages": [M("user", "Where am I?")]},
    {"name": "long_answer", "messages": [M("user", "Tell me about operating systems.")]},
    {"name": "story", "messages": [M("user", "Tell me a story about a cat.")]},
]

# Cases rendered with a `tools` list (OpenAI tool entries; the template shows their names).
TOOL_REFERENCE_CASES = [
    {"name": "tool_call_calculator", "tools": ["calculator", "clock"], "messages": [M("user", "What is 12 times 7?")]},
    {"name": "tool_result_answer", "tools": ["calculator", "clock"],
     "messages": [M("user", "What is 12 times 7?"), M("assistant", CALL_12x7), M("tool", "84")]},
    {"name": "capital_with_tools", "tools": list(D.ALL_TOOLS), "messages": [M("user", "What is the capital of France?")]},
    {"name": "units_call", "tools": ["units", "calculator"], "messages": [M("user", "How many miles is 5 km?")]},
    {"name": "units_answer", "tools": ["units", "calculator"], "messages": [
        M("user", "How many miles is 5 km?"), M("assistant", D.tool_call("units", {"value": 5, "from": "km", "to": "mi"})),
        M("tool", '{"value":3.10686,"unit":"mi"}')]},
    {"name": "clock_zone_call", "tools": ["clock", "geolocation"], "messages": [M("user", "What time is it in Tokyo?")]},
    {"name": "clock_add_answer", "tools": ["clock"], "messages": [
        M("user", "What date is it in 10 days?"), M("assistant", D.tool_call("clock", {"add": {"days": 10}})),
        M("tool", '{"date":"2026-12-09","time":"11:33","weekday":"Wednesday","timeZone":"Europe/Berlin","utcOffset":"+01:00"}')]},
    {"name": "files_write_call", "tools": ["files.write", "files.search", "files.read"], "messages": [M("user", "write a note that I must buy milk")]},
    {"name": "files_search_answer", "tools": ["files.search", "files.write"], "messages": [
        M("user", "find my note about milk"), M("assistant", D.tool_call("files.search", {"query": "milk"})),
        M("tool", '[{"path":"notes/buy-milk.md","snippet":"I must buy milk."}]')]},
    {"name": "js_call", "tools": ["js", "calculator"], "messages": [M("user", "run this javascript: [1,2,3].map(x => x*2)")]},
    {"name": "web_read_call", "tools": ["web.read", "fetch"],
     "messages": [M("system", "You are a research agent."), M("user", "read this page http://127.0.0.1:8123/kyoto.html")]},
    {"name": "web_read_error", "tools": ["web.read", "fetch"], "messages": [
        M("user", "read this page http://127.0.0.1:8123/kyoto.html"),
        M("assistant", D.tool_call("web.read", {"url": "http://127.0.0.1:8123/kyoto.html"})),
        M("tool", "Error: EPERM the user denied network:127.0.0.1:8123 for web.read")]},
    {"name": "fetch_not_offered", "tools": ["calculator", "clock", "files.read"], "messages": [M("user", "fetch http://127.0.0.1:8123/api/status")]},
    {"name": "geolocation_call", "tools": ["geolocation", "clock"], "messages": [M("user", "Where am I?")]},
    {"name": "files_read_call", "tools": ["files.read", "files.list", "files.write"], "messages": [M("user", "what does notes/buy-milk.md say?")]},
    {"name": "files_list_call", "tools": list(D.ALL_TOOLS), "messages": [M("user", "what notes do I have")]},
    {"name": "fetch_post_call", "tools": ["fetch", "web.read"], "messages": [M("user", "post hello to http://127.0.0.1:8123/echo")]},
    {"name": "speak_call", "tools": ["speak", "clipboard.write", "notify"], "messages": [M("user", "say good morning aloud")]},
    {"name": "clipboard_write_call", "tools": list(D.ALL_TOOLS), "messages": [M("user", "copy hello world to my clipboard")]},
    {"name": "camera_read_answer", "tools": ["camera.read", "camera.snapshot"], "messages": [
        M("user", "What does this say?"), M("assistant", D.tool_call("camera.read", {})),
        M("tool", '{"text":"OPEN 9 TO 5","confidence":0.91}')]},
    {"name": "two_turn_history", "tools": ["calculator", "files.write"], "messages": [
        M("user", "What is 12 times 7?"), M("assistant", CALL_12x7), M("tool", "84"), M("assistant", "12*7 = 84."),
        M("user", "note: call mom on Friday")]},
]

TOKENIZER_CASES = [
    "Hello, world! What is 12*7?",
    '<tool_call>{"name": "calculator", "arguments": {"expression": "(3+4)*5"}}</tool_call>',
    '{"latitude":-48.8566,"longitude":2.35}',
    '{"date":"2026-11-29","time":"11:33","weekday":"Sunday","timeZone":"Asia/Tokyo","utcOffset":"+09:00"}',
    '<tool_call>{"name": "web.read", "arguments": {"url": "http://127.0.0.1:8123/kyoto.html"}}</tool_call>',
    "  two  spaces,\ttab\n\nnewlines   \n end ",
    "I'm sure it's John's cat, we'll see; they've I'd you're.",
    "Caf\u00e9 na\u00efve \u00fcber \u2014 \u65e5\u672c\u8a9e \U0001F600 \u00a0nbsp 20\u00b0C",
    "<|im_start|>user\nhi<|im_end|>\n<|endoftext|>",
    "1234567890 3.14159 -42 1,000,000",
    "MIXED case WORDS and_snake_case camelCase",
    "\n\nTools: calculator, units, clock, files.write, files.search, files.read, files.list, js, web.read, fetch, geolocation",
    "\n\nTools: " + ", ".join(D.ALL_TOOLS),
]

# Hand-written prompts (printed after training): (tools or None, messages)
SAMPLE_PROMPTS = [
    (None, "What is 12 times 7?"), (None, "Hello"), (None, "who are you"), (None, "What is the capital of France?"),
    (None, "What is the capital of Japan?"), (None, "What is the opposite of hot?"),
    (None, "repeat after me: the quick brown fox"), (None, "count to 5"), (None, "What is a computer?"),
    (None, "Tell me about operating systems."), (None, "thanks"), (None, "what time is it?"),
    (["calculator", "clock"], "What is 12 times 7?"), (["calculator"], "what is 15% of 80?"),
    (["clock", "calculator"], "What is the capital of France?"),
    (["units"], "convert 100 fahrenheit to celsius"), (["units", "clock"], "72 kg in pounds"),
    (["units"], "how many cups in 2 liters"), (["clock"], "what time is it in Tokyo?"),
    (["clock"], "what day will it be tomorrow?"), (["clock", "units"], "what time will it be in 3 hours?"),
    (["files.write", "files.read"], "note: call mom on Friday"),
    (["files.write"], "save a note saying the wifi password is tulip42"),
    (["files.search", "files.list"], "search my files for the wifi password"),
    (["files.read", "files.list"], "what does notes/buy-milk.md say?"), (list(D.ALL_TOOLS), "what notes do I have"),
    (["js"], "run this JS: 1+2"), (["js", "fetch"], "execute: Math.max(4, 9)"),
    (["web.read", "fetch"], "what does https://example.com/a say?"),
    (["web.read", "fetch"], "summarize https://en.wikipedia.org/wiki/Kyoto"),
    (["fetch", "web.read"], "GET http://localhost:3000/health"), (["fetch"], "post hello to http://127.0.0.1:8123/echo"),
    (["calculator", "units"], "What time is it?"), (["files.read"], "write a note that I must buy milk"),
    (list(D.ALL_TOOLS), "take a photo"), (list(D.ALL_TOOLS), "what does this sign say?"), (list(D.ALL_TOOLS), "paste"),
    (list(D.ALL_TOOLS), "copy tulip42 to my clipboard"), (list(D.ALL_TOOLS), "remind me to call mom"),
    (list(D.ALL_TOOLS), "say hello everyone out loud"), (list(D.ALL_TOOLS), "Say hello everyone"),
    (list(D.ALL_TOOLS), "import a file from my computer"), (list(D.ALL_TOOLS), "export notes/buy-milk.md"),
    (list(D.ALL_TOOLS), "Write an essay about dogs."), (None, "Translate hello into French."),
    (list(D.ALL_TOOLS), "Where am I?"), (list(D.ALL_TOOLS), "Read this page http://127.0.0.1:31337/travel.html"),
    (list(D.ALL_TOOLS), "What tools do you have?"), (["geolocation"], "Where am I?"), (["clock"], "Where am I?"),
]


def log(*a):
    print(*a, flush=True)


W_FIRST = 4.0     # loss weight of the first token of every assistant turn (the routing decision)


def encode_example(tok, conv):
    """(ids, labels, weights): labels are the ids inside assistant turns (else -100); the first
    token of each assistant turn weighs W_FIRST in the loss."""
    text, spans = D.render_with_spans(conv["messages"], conv["tools"])
    ids, starts = tok.encode_with_offsets(text)
    labels, weights = [], []
    si = 0
    first = True
    for i, st in zip(ids, starts):
        while si < len(spans) and st >= spans[si][1]:
            si += 1
            first = True
        inside = si < len(spans) and spans[si][0] <= st < spans[si][1]
        labels.append(i if inside else -100)
        weights.append(W_FIRST if inside and first else 1.0)
        if inside:
            first = False
    return ids, labels, weights


P_DRAFT = 0.14    # "make me an app that ..." -> the app as JSON (aios_apps.py)
P_APP_USE = 0.05  # a drafted app at work (its instructions as the system prompt)
# Off by default: the committed weights (runs 8-9) were made without them; runs 10-12 (tools/README.md) tried them.
P_EXAMPLES = 0.0  # few-shot examples from the user's feedback (aios_teams.py; runs 10-12: 0.06-0.2)
P_WORD = 0.0      # arithmetic word problems -> calculator (aios_teams.py; runs 10-12: 0.05-0.07)


def sample_mixture(r, twins):
    k = r.random()
    if k < P_DRAFT:
        return [aios_apps.draft_sample(r)]
    if k < P_DRAFT + P_APP_USE:
        return [aios_apps.app_use_sample(r)]
    if k < P_DRAFT + P_APP_USE + P_EXAMPLES:
        return aios_teams.examples_sample(r) if twins else aios_teams.examples_sample(r)[:1]
    if k < P_DRAFT + P_APP_USE + P_EXAMPLES + P_WORD:
        return aios_teams.word_training(r) if twins else aios_teams.word_training(r)[:1]
    return D.sample_training(r) if twins else [D.sample_conversation(r)]


def build_dataset(tok, r, n, twins=True):
    data = []
    while len(data) < n:
        for conv in sample_mixture(r, twins):
            ids, labels, weights = encode_example(tok, conv)
            if len(ids) <= MAX_LEN and any(l != -100 for l in labels[1:]):
                data.append((ids, labels, weights))
    return data


def make_batches(data, r, tokens_per_batch, max_bs):
    """Length-bucketed padded batches (little padding waste)."""
    order = sorted(range(len(data)), key=lambda i: (len(data[i][0]), r.random()))
    batches = []
    cur = []
    for i in order:
        L = len(data[i][0])
        if cur and (len(cur) + 1) * L > tokens_per_batch or len(cur) >= max_bs:
            batches.append(cur)
            cur = []
        cur.append(i)
    if cur:
        batches.append(cur)
    r.shuffle(batches)
    return batches


def collate(data, idx, pad_id):
    L = max(len(data[i][0]) for i in idx)
    ids = torch.full((len(idx), L), pad_id, dtype=torch.long)
    lab = torch.full((len(idx), L), -100, dtype=torch.long)
    wts = torch.ones((len(idx), L), dtype=torch.float32)
    mask = torch.zeros((len(idx), L), dtype=torch.long)
    for j, i in enumerate(idx):
        a, b, w = data[i]
        ids[j, :len(a)] = torch.tensor(a)
        lab[j, :len(b)] = torch.tensor(b)
        wts[j, :len(w)] = torch.tensor(w)
        mask[j, :len(a)] = 1
    return ids, mask, lab, wts


def train(model, data, steps, lr, r, tokens_per_batch=4096, max_bs=96, warmup=None, pad_id=0, time_limit=None):
    decay, no_decay = [], []
    for n, p in model.named_parameters():
        (no_decay if p.dim() < 2 else decay).append(p)
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.05}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=lr, betas=(0.9, 0.95), eps=1e-8)
    warmup = warmup if warmup is not None else max(10, min(200, steps // 20))
    batches = []
    t0 = time.time()
    ema = None
    seen = 0
    model.train()
    for step in range(steps):
        if not batches:
            batches = make_batches(data, r, tokens_per_batch, max_bs)
        idx = batches.pop()
        if step < warmup:
            cur_lr = lr * (step + 1) / warmup
        else:
            prog = (step - warmup) / max(1, steps - warmup)
            cur_lr = lr * (0.03 + 0.97 * 0.5 * (1 + math.cos(math.pi * prog)))
        for g in opt.param_groups:
            g["lr"] = cur_lr
        ids, mask, lab, wts = collate(data, idx, pad_id)
        seen += int(mask.sum())
        loss = model.loss(ids, mask, lab, wts)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        lv = loss.item()
        ema = lv if ema is None else 0.98 * ema + 0.02 * lv
        if step % 100 == 0 or step == steps - 1:
            el = time.time() - t0
            log(f"step {step:5d}/{steps} loss {lv:.4f} ema {ema:.4f} lr {cur_lr:.2e} bs {ids.shape[0]}x{ids.shape[1]} "
                f"{el:.0f}s ({seen / max(el, 1e-6):.0f} tok/s)")
    model.eval()
    return ema, time.time() - t0, seen


@torch.no_grad()
def eval_loss(model, data, pad_id):
    model.eval()
    tot, n = 0.0, 0
    for k in range(0, len(data), 64):
        idx = list(range(k, min(k + 64, len(data))))
        ids, mask, lab, _ = collate(data, idx, pad_id)
        cnt = int((lab[:, 1:] != -100).sum())
        tot += float(model.loss(ids, mask, lab)) * cnt
        n += cnt
    return tot / max(1, n)


# ----------------------------------------------------------------------------
# evaluation on fresh synthetic prompts
# ----------------------------------------------------------------------------
_FACT_RE = re.compile(r"[^\s,:()]*[0-9/@][^\s,:()]*")
_STORY_RE = re.compile(
    r"Once upon a time, there was a cat named (\w+) who lived in (.+?)\. Every morning, \1 sat by the window and watched "
    r"the world go by\. One day, \1 saw (.+?) outside and decided to follow it\. The adventure took \1 through gardens "
    r"and over fences, until the sun began to set\. Tired but happy, \1 walked back home, curled up on a warm blanket, "
    r"and fell asleep\. The end\.$")


def acceptable(user, target, text):
    """Exact match, except where the target is one random pick among equally right answers:
    a joke (any of the jokes) or a cat story (any name/place/thing of the template, the
    requested name if the user gave one)."""
    if text == target:
        return True
    if target in D.JOKE_A:
        return text in D.JOKE_A
    m = _STORY_RE.match(text)
    if m and _STORY_RE.match(target):
        named = re.search(r"named (\w+)", user)
        return (m.group(1) in D.CAT_NAMES and m.group(2) in D.CAT_PLACES and m.group(3) in D.CAT_THINGS
                and (not named or named.group(1) == m.group(1)))
    return False


def key_facts(target):
    """The values an answer must carry: numbers, paths, dates, times, URLs."""
    return [f.rstrip(".") for f in _FACT_RE.findall(target) if f.rstrip(".")]


def eval_items(n, seed):
    """(category, prompt conversation, tools, target) for greedy checks; categories:
    <exchange>:call|answer|noroute|error, chat:<exchange>[+tools|-tools], history:<kind>."""
    r = random.Random(seed)
    items = []

    def add(conv, cat_fn, only_ex=None):
        kinds = iter(conv["kinds"])
        for k, m in enumerate(conv["messages"]):
            if m["role"] != "assistant":
                continue
            ex, kind, exi = next(kinds)
            if only_ex is not None and exi != only_ex:
                continue
            cat = cat_fn(ex, kind)
            if cat:
                items.append((cat, conv["messages"][:k], conv["tools"], m["content"]))

    for nm in D.TOOL_EXCHANGES:
        for _ in range(n):
            add(D.sample_conversation(r, first=nm, offer=True, err=False, n_ex=1), lambda ex, kind: f"{ex}:{kind}" if kind != "chat" else None)
        for _ in range(max(1, n // 2)):
            add(D.sample_conversation(r, first=nm, offer=False, n_ex=1), lambda ex, kind: f"{ex}:{kind}" if kind == "noroute" else None)
        for _ in range(max(1, n // 4)):
            add(D.sample_conversation(r, first=nm, offer=True, err=True, n_ex=1), lambda ex, kind: f"{ex}:{kind}" if kind == "error" else None)
    for nm in D.CHAT_EXCHANGES:
        for on in (True, False):
            for _ in range(max(1, n // 2)):
                add(D.sample_conversation(r, first=nm, n_ex=1, tools_on=on),
                    lambda ex, kind, on=on: f"chat:{ex}{'+tools' if on else '-tools'}" if ex == nm else None)
    for _ in range(2 * n):  # the second exchange of a two-exchange conversation
        first = r.choice(D.TOOL_EXCHANGES)
        conv = D.sample_conversation(r, first=first, n_ex=2)
        add(conv, lambda ex, kind: f"history:{kind}", only_ex=1)
    return items


@torch.no_grad()
def evaluate(model, tok, n=40, seed=SEED + 7, bs=96):
    eos = tok.special_ids["<|im_end|>"]
    items = eval_items(n, seed)
    enc = [(tok.encode(D.render(msgs, True, tools)), tok.encode(target)) for _, msgs, tools, target in items]
    order = sorted(range(len(items)), key=lambda i: (len(enc[i][1]), len(enc[i][0])))
    outs = [None] * len(items)
    for k in range(0, len(order), bs):
        idx = order[k:k + bs]
        mx = max(len(enc[i][1]) for i in idx) + 6
        res = model.greedy_batch([enc[i][0] for i in idx], mx, eos)
        for i, o in zip(idx, res):
            outs[i] = o
    per = {}
    fails = {}
    for (cat, msgs, tools, target), o in zip(items, outs):
        text = tok.decode(o[:-1] if o and o[-1] == eos else o)
        exact = bool(o and o[-1] == eos and acceptable(msgs[-1]["content"], target, text))
        facts = key_facts(target)
        if target.startswith("<tool_call>"):
            try:
                facts_ok = json.loads(text[len("<tool_call>"):-len("</tool_call>")]) == json.loads(target[len("<tool_call>"):-len("</tool_call>")])
            except ValueError:
                facts_ok = False
        else:
            facts_ok = all(f in text for f in facts) if facts else exact
        s = per.setdefault(cat, [0, 0, 0])
        s[0] += int(exact)
        s[1] += int(facts_ok)
        s[2] += 1
        if not exact and len(fails.setdefault(cat, [])) < 2:
            fails[cat].append(f"    [{cat}] tools={tools} {msgs[-1]['content']!r}\n        -> {text!r}\n        want {target!r}")
    return {c: (round(a / t, 3), round(b / t, 3), t) for c, (a, b, t) in sorted(per.items())}, fails


def summarize(acc):
    """Group figures: per tool (call / answer / not offered / error), chat, history."""
    groups = {}
    for cat, (ex, fa, t) in acc.items():
        if cat.startswith("chat:"):
            key = "chat" + ("+tools" if cat.endswith("+tools") else "-tools")
        elif cat.startswith("history:"):
            key = cat
        else:
            nm, kind = cat.split(":")
            key = f"{D.EXCHANGES[nm][1]}:{kind}"
        g = groups.setdefault(key, [0.0, 0.0, 0])
        g[0] += ex * t
        g[1] += fa * t
        g[2] += t
    return {k: (round(a / t, 3), round(b / t, 3), t) for k, (a, b, t) in sorted(groups.items())}


def write_json(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, indent=2)
        f.write("\n")


def write_configs(tok, cfg):
    eos = tok.special_ids["<|im_end|>"]
    bos = tok.special_ids["<|endoftext|>"]
    pad = tok.special_ids["<|endoftext|>"]
    write_json(os.path.join(OUT, "config.json"), {
        "model_type": "llama",
        "architectures": ["LlamaForCausalLM"],
        "vocab_size": cfg.vocab_size,
        "hidden_size": cfg.hidden_size,
        "intermediate_size": cfg.intermediate_size,
        "num_hidden_layers": cfg.num_hidden_layers,
        "num_attention_heads": cfg.num_attention_heads,
        "num_key_value_heads": cfg.num_key_value_heads,
        "head_dim": cfg.head_dim,
        "max_position_embeddings": cfg.max_position_embeddings,
        "rms_norm_eps": cfg.rms_norm_eps,
        "rope_theta": cfg.rope_theta,
        "attention_bias": False,
        "mlp_bias": False,
        "tie_word_embeddings": True,
        "bos_token_id": bos,
        "eos_token_id": eos,
        "pad_token_id": pad,
        "torch_dtype": "float32",
        "hidden_act": "silu",
        "use_cache": True,
    })
    write_json(os.path.join(OUT, "generation_config.json"), {
        "bos_token_id": bos,
        "eos_token_id": eos,
        "pad_token_id": pad,
        "do_sample": False,
        "max_new_tokens": 256,
    })
    tok.save(os.path.join(OUT, "tokenizer.json"))
    write_json(os.path.join(OUT, "tokenizer_config.json"), {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": "<|endoftext|>",
        "eos_token": "<|im_end|>",
        "pad_token": "<|endoftext|>",
        "unk_token": None,
        "add_bos_token": False,
        "add_eos_token": False,
        "clean_up_tokenization_spaces": False,
        "model_max_length": cfg.max_position_embeddings,
        "padding_side": "left",
        "chat_template": D.CHAT_TEMPLATE,
        "added_tokens_decoder": {
            str(tok.special_ids[t]): {"content": t, "lstrip": False, "normalized": False, "rstrip": False,
                                      "single_word": False, "special": True}
            for t in TK.SPECIAL_TOKENS
        },
    })


def reference_case(model, tok, c, eos, tools=None):
    prompt = D.render(c["messages"], add_generation_prompt=True, tools=tools)
    pids = tok.encode(prompt)
    out = model.greedy(pids, FIXTURE_MAX_NEW, eos)
    case = {"name": c["name"]}
    if tools is not None:
        case["tools"] = D.openai_tools(tools)
    case.update({"messages": c["messages"], "prompt": prompt, "prompt_ids": pids, "output_ids": out,
                 "text": tok.decode(out, skip_special_tokens=True)})
    return case


def blas_check():
    a, b = torch.randn(1024, 512), torch.randn(512, 512)
    t = time.time()
    for _ in range(4):
        a @ b
    gf = 4 * 2 * 1024 * 512 * 512 / max(time.time() - t, 1e-9) / 1e9
    if gf < 8:
        log(f"WARNING: matmul runs at {gf:.1f} GFLOP/s: torch is probably using the reference BLAS. Point "
            "libblas.so.3 at OpenBLAS (see tools/README.md) or training takes many times longer.")
    return gf


def main():
    global OUT, FIXTURE, P_EXAMPLES, P_WORD
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="~2 min training (smoke-test weights, same formats)")
    ap.add_argument("--steps", type=int, default=None, help="override the number of training steps")
    ap.add_argument("--threads", type=int, default=1, help="torch intra-op threads (BLAS threads: OPENBLAS_NUM_THREADS)")
    ap.add_argument("--out", default=None, help="model output dir (default public/models/aios-tiny)")
    ap.add_argument("--fixture", default=None, help="fixture path (default test/fixtures/reference-greedy.json)")
    ap.add_argument("--no-export", action="store_true", help="train and evaluate only")
    ap.add_argument("--no-eval", action="store_true", help="skip the evaluation (e.g. a re-export with --checkpoint)")
    ap.add_argument("--eval-n", type=int, default=None, help="evaluation samples per category (default 40, quick 6)")
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--tokens-per-batch", type=int, default=4096)
    ap.add_argument("--n-train", type=int, default=None, help="training conversations (default 70000, quick 6000)")
    ap.add_argument("--checkpoint", default=None, help="skip training: evaluate and export a saved tools/work/aios-tiny.pt")
    ap.add_argument("--p-examples", type=float, default=P_EXAMPLES, help="share of few-shot examples conversations (aios_teams.py; default 0)")
    ap.add_argument("--p-word", type=float, default=P_WORD, help="share of arithmetic word problems (aios_teams.py; default 0)")
    ap.add_argument("--finetune", default=None, help="start from a saved checkpoint (its tokenizer and weights) and train --steps more on today's data mixture")
    for k, v in ARCH.items():
        ap.add_argument("--" + k.replace("_", "-"), type=int, default=v)
    args = ap.parse_args()
    P_EXAMPLES, P_WORD = args.p_examples, args.p_word
    OUT = os.path.abspath(args.out) if args.out else OUT
    FIXTURE = os.path.abspath(args.fixture) if args.fixture else FIXTURE

    torch.set_num_threads(args.threads)
    torch.manual_seed(SEED)
    np.random.seed(SEED)
    r = random.Random(SEED)
    if not args.no_export:
        os.makedirs(os.path.join(OUT, "onnx"), exist_ok=True)
        os.makedirs(os.path.dirname(FIXTURE), exist_ok=True)
    t_all = time.time()
    log(f"matmul: {blas_check():.0f} GFLOP/s (OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')})")

    ckpt = torch.load(args.checkpoint) if args.checkpoint else None
    base = torch.load(args.finetune) if args.finetune else None
    for c in (ckpt, base):
        if c:
            for k in ARCH:
                setattr(args, k, c["arch"][k])

    # 1. tokenizer ---------------------------------------------------------------
    t0 = time.time()
    texts = []
    for _ in range(6000 if args.quick else 30000):
        c = D.sample_conversation(r)
        text, _ = D.render_with_spans(c["messages"], c["tools"])
        texts += [s for s in TK._SPECIAL_RE.split(text) if s and s not in TK.SPECIAL_TOKENS]
    kept = ckpt or base
    merges = [tuple(m) for m in kept["merges"]] if kept else TK.train_bpe(texts, args.vocab - 256 - len(TK.SPECIAL_TOKENS))
    tok = TK.Tokenizer(merges)
    assert len(tok) == args.vocab, len(tok)
    for s in texts[:2000]:
        assert tok.decode(tok.encode(s)) == s
    log(f"tokenizer: {len(merges)} merges, vocab {len(tok)} ({time.time() - t0:.1f}s)")

    # 2. data --------------------------------------------------------------------
    t0 = time.time()
    n_train = 10 if ckpt else args.n_train or (6000 if args.quick else 70000)
    data = build_dataset(tok, r, n_train)
    heldout = build_dataset(tok, random.Random(SEED + 1), 500, twins=False)
    ntok = sum(len(a) for a, _, _ in data)
    nlab = sum(sum(1 for l in b if l != -100) for _, b, _ in data)
    log(f"data: {len(data)} conversations, {ntok} tokens ({nlab} trained), max len {max(len(a) for a, _, _ in data)} ({time.time() - t0:.1f}s)")

    # 3. model + training -----------------------------------------------------------
    cfg = Config(vocab_size=args.vocab, hidden_size=args.hidden, intermediate_size=args.mlp, num_hidden_layers=args.layers,
                 num_attention_heads=args.heads, num_key_value_heads=args.kv_heads, head_dim=args.head_dim,
                 max_position_embeddings=MAX_POS)
    model = TinyLlama(cfg)
    n_params = sum(p.numel() for p in model.parameters())
    log(f"params: {n_params} (layers {cfg.num_hidden_layers}, hidden {cfg.hidden_size}, heads {cfg.num_attention_heads}"
        f"/{cfg.num_key_value_heads} kv x {cfg.head_dim}, mlp {cfg.intermediate_size}, vocab {cfg.vocab_size})")
    steps = args.steps or (150 if args.quick else 2600)
    pad_id = tok.special_ids["<|endoftext|>"]
    work = os.path.join(ROOT, "tools", "work")
    if ckpt:
        model.load_state_dict(ckpt["state_dict"])
        model.eval()
        steps, train_s, seen, final_ema, cpu_s = ckpt["steps"], ckpt["train_s"], ckpt["tokens"], ckpt["final_ema"], ckpt.get("cpu_s")
        log(f"loaded {args.checkpoint} ({steps} steps)")
    else:
        if base:
            # Fine-tuning: the base run's weights, trained further; its steps and time count too.
            model.load_state_dict(base["state_dict"])
            log(f"fine-tuning {args.finetune} ({base['steps']} steps) for {steps} more")
        c0 = time.process_time()
        final_ema, train_s, seen = train(model, data, steps, args.lr, r, tokens_per_batch=args.tokens_per_batch, pad_id=pad_id)
        cpu_s = time.process_time() - c0
        if base:
            steps, train_s, seen, cpu_s = steps + base["steps"], train_s + base["train_s"], seen + base["tokens"], cpu_s + (base.get("cpu_s") or 0)
        if os.path.isdir(work):
            torch.save({"state_dict": model.state_dict(), "merges": merges, "arch": {k: getattr(args, k) for k in ARCH},
                        "steps": steps, "train_s": train_s, "tokens": seen, "final_ema": final_ema, "cpu_s": cpu_s},
                       os.path.join(work, "aios-tiny.pt"))
    held = eval_loss(model, heldout, pad_id)
    log(f"training: {steps} steps, {seen} tokens in {train_s:.0f}s ({cpu_s or 0:.0f} CPU-s), final train loss (ema) {final_ema:.4f}, held-out loss {held:.4f}")

    # 4. evaluation ----------------------------------------------------------------
    t0 = time.time()
    acc, fails = ({}, {}) if args.no_eval else evaluate(model, tok, n=args.eval_n or (6 if args.quick else 40))
    groups = summarize(acc)
    log(f"\nevaluation ({time.time() - t0:.0f}s): exact-match / call-args-or-key-facts / n, per category")
    for k, v in acc.items():
        log(f"  {k:28s} {v[0]:.3f} {v[1]:.3f} {v[2]}")
    log("grouped:")
    for k, v in groups.items():
        log(f"  {k:28s} {v[0]:.3f} {v[1]:.3f} {v[2]}")
    log("some misses:")
    for cat in acc:
        for f in fails.get(cat, [])[:1]:
            log(f)

    intents = None
    if not args.no_eval:
        t0 = time.time()
        intents = eval_intents.run(model, tok)
        log(f"\nheld-out paraphrase intents ({time.time() - t0:.0f}s): route (call with all tools offered) / answer (from a canned result) / notool (no call without a Tools line)")
        log(eval_intents.format_table(intents))
        for m in intents["misses"][:40]:
            log(f"  miss [{m['intent']}:{m['kind']}] {m['prompt']!r} -> {m['got']!r}")
        eval_intents.write_reports(intents, work if os.path.isdir(work) else None, {"steps": steps, "quick": bool(args.quick)})
        held_apps = aios_apps.heldout_requests()
        drafts = aios_apps.eval_draft_splits(model, tok, held_apps)
        for split, d in drafts.items():
            log(f"\nheld-out app requests, {split} (greedy, no grammar): {d['json']}/{d['n']} parse as JSON, "
                f"{d['family']}/{d['n']} ask for the family's capabilities")
            for q, got in d["misses"][:8]:
                log(f"  miss {q!r} -> {got!r}")
        intents["drafts"] = {split: {k: v for k, v in d.items() if k != "misses"} for split, d in drafts.items()}
        if not args.no_export:
            aios_apps.write_heldout(os.path.join(ROOT, "tools", "heldout_apps.json"))
        suite = eval_intents.run_suite(model, tok)
        log("\nthe browser tests' prompts, rendered as the kernel renders them (all must pass before the weights are committed):")
        log(eval_intents.format_suite(suite))

    eos = tok.special_ids["<|im_end|>"]
    log("\nsample greedy outputs:")
    for tools, p in SAMPLE_PROMPTS:
        out = model.greedy(tok.encode(D.render([{"role": "user", "content": p}], True, tools)), 120, eos)
        log(f"  {tools} {p!r} -> {tok.decode(out, skip_special_tokens=True)!r}{'' if out and out[-1] == eos else ' [no eos]'}")

    report = {"steps": steps, "train_s": round(train_s), "cpu_s": round(cpu_s or 0), "tokens": seen, "final_ema": final_ema, "heldout": held,
              "params": n_params, "arch": {k: getattr(args, k) for k in ARCH}, "groups": groups, "accuracy": acc,
              "intents": intents and {"intents": intents["intents"], "overall": intents["overall"]}, "drafts": intents and intents.get("drafts"),
              "suite": intents and {"passed": sum(ok for _, ok, _ in suite), "of": len(suite)}}
    if args.no_export:
        log(json.dumps(report["groups"]))
        log(f"done in {time.time() - t_all:.0f}s")
        return

    # 5. export ------------------------------------------------------------------
    write_configs(tok, cfg)
    fp32 = os.path.join(OUT, "onnx", "model.onnx")
    q8 = os.path.join(OUT, "onnx", "model_quantized.onnx")
    aios_onnx.export_fp32(model, cfg, fp32)
    nq = aios_onnx.quantize_dynamic_int8(fp32, q8)
    aios_onnx.dedupe_q8_embedding(q8, cfg.vocab_size)
    aios_onnx.dedupe_fp32(fp32)
    log(f"onnx: exported, {nq} MatMuls quantized")
    # The copies optimized for ONNX Runtime's CPU kernels, which wasm and Node load.
    subprocess.run(["node", os.path.join(ROOT, "tools", "optimize_onnx.mjs"), OUT], check=True)

    # 6. reference outputs ------------------------------------------------------------
    cases = [reference_case(model, tok, c, eos) for c in REFERENCE_CASES]
    tool_cases = [reference_case(model, tok, c, eos, c["tools"]) for c in TOOL_REFERENCE_CASES]
    write_json(FIXTURE, {
        "model": "aios-tiny",
        "max_new_tokens": FIXTURE_MAX_NEW,
        "eos_token_id": eos,
        "eos_included": True,
        "note": "output_ids are the greedy continuation (KV-cached, fp32 torch). Generation stops after "
                "the eos token <|im_end|>, which is included as the last id when it was produced within "
                "max_new_tokens; text is the decoded output with special tokens skipped. `cases` are rendered "
                "without tools; `tool_cases` with apply_chat_template(messages, { tools, add_generation_prompt: true }) "
                "where tools are the OpenAI tool entries given.",
        "cases": cases,
        "tool_cases": tool_cases,
        "tokenizer_cases": [{"text": t, "ids": tok.encode(t)} for t in TOKENIZER_CASES],
    })
    for c in cases + tool_cases:
        log(f"  [{c['name']}] -> {c['text']!r}")

    sizes = {f: os.path.getsize(os.path.join(OUT, f)) for f in
             ["config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json",
              "onnx/model.onnx", "onnx/model_quantized.onnx"]}
    log("\nfiles: " + ", ".join(f"{k} {v / 1024:.0f} KiB" for k, v in sizes.items()) +
        f"; total {sum(sizes.values()) / 1e6:.2f} MB")
    log(f"done in {time.time() - t_all:.0f}s")
    report["sizes"] = sizes
    report["total_s"] = round(time.time() - t_all)
    if os.path.isdir(work) and not args.no_eval:
        with open(os.path.join(work, "last_run.json"), "w") as f:
            json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
