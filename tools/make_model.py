#!/usr/bin/python3
"""Train aios-tiny (a ~1M-parameter Llama chat model) from scratch on synthetic
chats and export it for Transformers.js.

    /usr/bin/python3 tools/make_model.py            # full run (~7 min on 2 cores)
    /usr/bin/python3 tools/make_model.py --quick    # ~30 s smoke version, same formats

Writes public/models/aios-tiny/{config.json, generation_config.json, tokenizer.json,
tokenizer_config.json, onnx/model.onnx, onnx/model_quantized.onnx} and
test/fixtures/reference-greedy.json.  See tools/README.md.
"""
import argparse
import json
import math
import os
import random
import sys
import time

# OpenBLAS does the matmul threading; keeping torch's own intra-op pool at 1 thread
# avoids oversubscription on the 2-core box (measured ~2x faster than 2+2 threads).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")

import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import aios_data as D  # noqa: E402
import aios_onnx  # noqa: E402
import aios_tokenizer as TK  # noqa: E402
from aios_model import Config, TinyLlama  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "public", "models", "aios-tiny")
FIXTURE = os.path.join(ROOT, "test", "fixtures", "reference-greedy.json")

VOCAB_SIZE = 1024
MAX_LEN = 256
MAX_POS = 2048
SEED = 1234

REFERENCE_CASES = [
    {"name": "tool_call_calculator", "messages": [{"role": "user", "content": "What is 12 times 7?"}]},
    {"name": "tool_result_answer", "messages": [
        {"role": "user", "content": "What is 12 times 7?"},
        {"role": "assistant", "content": D.tool_call("calculator", {"expression": "12*7"})},
        {"role": "tool", "content": "84"},
    ]},
    {"name": "greeting", "messages": [{"role": "user", "content": "Hello"}]},
    {"name": "capital_with_system", "messages": [
        {"role": "system", "content": "You are AIOS, a helpful assistant inside a browser operating system."},
        {"role": "user", "content": "What is the capital of France?"},
    ]},
    {"name": "geolocation_call", "messages": [{"role": "user", "content": "Where am I?"}]},
    {"name": "long_answer", "messages": [{"role": "user", "content": "Tell me about operating systems."}]},
    {"name": "story", "messages": [{"role": "user", "content": "Tell me a story about a cat."}]},
]

TOKENIZER_CASES = [
    "Hello, world! What is 12*7?",
    '<tool_call>{"name": "calculator", "arguments": {"expression": "(3+4)*5"}}</tool_call>',
    '{"latitude": -48.8566, "longitude": 2.35}',
    "It is 2026-11-24T10:30:00Z.",
    "  two  spaces,\ttab\n\nnewlines   \n end ",
    "I'm sure it's John's cat, we'll see; they've I'd you're.",
    "Caf\u00e9 na\u00efve \u00fcber \u2014 \u65e5\u672c\u8a9e \U0001F600 \u00a0nbsp",
    "<|im_start|>user\nhi<|im_end|>\n<|endoftext|>",
    "1234567890 3.14159 -42 1,000,000",
    "MIXED case WORDS and_snake_case camelCase",
]

SAMPLE_PROMPTS = [
    "What is 12 times 7?", "calculate 45+17", "how much is 9*8", "What is 100 divided by 4?", "Hello",
    "who are you", "What is the capital of France?", "What is the capital of Japan?", "What is the opposite of hot?",
    "repeat after me: the quick brown fox", "count to 5", "where am I?", "what time is it?", "What is a computer?",
    "Tell me about operating systems.", "Tell me a story about a cat.", "thanks",
]


def log(*a):
    print(*a, flush=True)


def encode_example(tok, messages):
    text, spans = D.render_with_spans(messages)
    ids, starts = tok.encode_with_offsets(text)
    labels = []
    for i, st in zip(ids, starts):
        inside = any(a <= st < b for a, b in spans)
        labels.append(i if inside else -100)
    return ids, labels


def build_dataset(tok, r, n):
    data = []
    for _ in range(n):
        ids, labels = encode_example(tok, D.sample_conversation(r))
        if len(ids) > MAX_LEN:
            ids, labels = ids[:MAX_LEN], labels[:MAX_LEN]
        if any(l != -100 for l in labels[1:]):
            data.append((ids, labels))
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
    mask = torch.zeros((len(idx), L), dtype=torch.long)
    for j, i in enumerate(idx):
        a, b = data[i]
        ids[j, :len(a)] = torch.tensor(a)
        lab[j, :len(b)] = torch.tensor(b)
        mask[j, :len(a)] = 1
    return ids, mask, lab


def train(model, data, steps, lr, r, tokens_per_batch=4096, max_bs=64, warmup=None, pad_id=0):
    decay, no_decay = [], []
    for n, p in model.named_parameters():
        (no_decay if p.dim() < 2 else decay).append(p)
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.05}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=lr, betas=(0.9, 0.95), eps=1e-8)
    warmup = warmup if warmup is not None else max(10, min(200, steps // 20))
    batches = []
    t0 = time.time()
    ema = None
    model.train()
    for step in range(steps):
        if not batches:
            batches = make_batches(data, r, tokens_per_batch, max_bs)
        idx = batches.pop()
        if step < warmup:
            cur_lr = lr * (step + 1) / warmup
        else:
            prog = (step - warmup) / max(1, steps - warmup)
            cur_lr = lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * prog)))
        for g in opt.param_groups:
            g["lr"] = cur_lr
        ids, mask, lab = collate(data, idx, pad_id)
        loss = model.loss(ids, mask, lab)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        lv = loss.item()
        ema = lv if ema is None else 0.98 * ema + 0.02 * lv
        if step % 100 == 0 or step == steps - 1:
            log(f"step {step:5d}/{steps} loss {lv:.4f} ema {ema:.4f} lr {cur_lr:.2e} bs {ids.shape[0]}x{ids.shape[1]} {time.time() - t0:.0f}s")
    model.eval()
    return ema, time.time() - t0


@torch.no_grad()
def eval_loss(model, data, pad_id):
    model.eval()
    tot, n = 0.0, 0
    for k in range(0, len(data), 64):
        idx = list(range(k, min(k + 64, len(data))))
        ids, mask, lab = collate(data, idx, pad_id)
        cnt = int((lab[:, 1:] != -100).sum())
        tot += float(model.loss(ids, mask, lab)) * cnt
        n += cnt
    return tot / max(1, n)


@torch.no_grad()
def task_accuracy(model, tok, n=40, seed=SEED + 7):
    """Exact-match rate of greedy assistant turns on fresh synthetic conversations, per category."""
    eos = tok.special_ids["<|im_end|>"]
    r = random.Random(seed)
    res = {}
    fails = []
    for fn, _ in D.SINGLE:
        ok = tot = 0
        nf = 0
        for _ in range(n):
            conv = fn(r)
            for k, m in enumerate(conv):
                if m["role"] != "assistant":
                    continue
                out = model.greedy(tok.encode(D.render(conv[:k], True)), 160, eos)
                good = bool(out and out[-1] == eos and tok.decode(out[:-1]) == m["content"])
                ok += int(good)
                tot += 1
                if not good and nf < 3:
                    nf += 1
                    fails.append(f"    {fn.__name__}: {conv[k - 1]['content']!r} -> {tok.decode(out)!r} (want {m['content']!r})")
        res[fn.__name__.replace("_sample", "")] = round(ok / tot, 3)
    return res, fails


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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="~30 s training (smoke-test weights, same formats)")
    ap.add_argument("--steps", type=int, default=None, help="override the number of training steps")
    ap.add_argument("--threads", type=int, default=1, help="torch intra-op threads (BLAS threads: OPENBLAS_NUM_THREADS)")
    ap.add_argument("--out", default=None, help="model output dir (default public/models/aios-tiny)")
    ap.add_argument("--fixture", default=None, help="fixture path (default test/fixtures/reference-greedy.json)")
    args = ap.parse_args()
    global OUT, FIXTURE
    OUT = os.path.abspath(args.out) if args.out else OUT
    FIXTURE = os.path.abspath(args.fixture) if args.fixture else FIXTURE

    torch.set_num_threads(args.threads)
    torch.manual_seed(SEED)
    np.random.seed(SEED)
    r = random.Random(SEED)
    os.makedirs(os.path.join(OUT, "onnx"), exist_ok=True)
    os.makedirs(os.path.dirname(FIXTURE), exist_ok=True)
    t_all = time.time()

    # 1. tokenizer ---------------------------------------------------------------
    t0 = time.time()
    texts = []
    for _ in range(6000 if args.quick else 30000):
        text, _ = D.render_with_spans(D.sample_conversation(r))
        texts += [s for s in TK._SPECIAL_RE.split(text) if s and s not in TK.SPECIAL_TOKENS]
    merges = TK.train_bpe(texts, VOCAB_SIZE - 256 - len(TK.SPECIAL_TOKENS))
    tok = TK.Tokenizer(merges)
    assert len(tok) == VOCAB_SIZE, len(tok)
    for s in texts[:2000]:
        assert tok.decode(tok.encode(s)) == s
    log(f"tokenizer: {len(merges)} merges, vocab {len(tok)} ({time.time() - t0:.1f}s)")

    # 2. data --------------------------------------------------------------------
    t0 = time.time()
    n_train = 4000 if args.quick else 100000
    data = build_dataset(tok, r, n_train)
    heldout = build_dataset(tok, random.Random(SEED + 1), 500)
    ntok = sum(len(a) for a, _ in data)
    nlab = sum(sum(1 for l in b if l != -100) for _, b in data)
    log(f"data: {len(data)} conversations, {ntok} tokens ({nlab} trained), max len {max(len(a) for a, _ in data)} ({time.time() - t0:.1f}s)")

    # 3. model + training -----------------------------------------------------------
    cfg = Config(vocab_size=VOCAB_SIZE, max_position_embeddings=MAX_POS)
    model = TinyLlama(cfg)
    log(f"params: {sum(p.numel() for p in model.parameters())}")
    steps = args.steps or (100 if args.quick else 1450)
    pad_id = tok.special_ids["<|endoftext|>"]
    final_ema, train_s = train(model, data, steps, 3e-3, r, pad_id=pad_id)
    held = eval_loss(model, heldout, pad_id)
    log(f"training: {steps} steps in {train_s:.0f}s, final train loss (ema) {final_ema:.4f}, held-out loss {held:.4f}")

    t0 = time.time()
    acc, fails = task_accuracy(model, tok, n=8 if args.quick else 40)
    log(f"task exact-match accuracy ({time.time() - t0:.0f}s): {json.dumps(acc)}")
    log("  some misses:\n" + "\n".join(fails[:30]))
    if os.path.isdir(os.path.join(ROOT, "tools", "work")) and not args.out:
        torch.save({"state_dict": model.state_dict(), "merges": merges},
                   os.path.join(ROOT, "tools", "work", "aios-tiny.pt"))

    # 4. export ------------------------------------------------------------------
    write_configs(tok, cfg)
    fp32 = os.path.join(OUT, "onnx", "model.onnx")
    q8 = os.path.join(OUT, "onnx", "model_quantized.onnx")
    aios_onnx.export_fp32(model, cfg, fp32)
    nq = aios_onnx.quantize_dynamic_int8(fp32, q8)
    log(f"onnx: exported, {nq} MatMuls quantized")

    # 5. reference outputs ------------------------------------------------------------
    eos = tok.special_ids["<|im_end|>"]
    cases = []
    for c in REFERENCE_CASES:
        prompt = D.render(c["messages"], add_generation_prompt=True)
        pids = tok.encode(prompt)
        out = model.greedy(pids, 48, eos)
        cases.append({"name": c["name"], "messages": c["messages"], "prompt": prompt, "prompt_ids": pids,
                      "output_ids": out, "text": tok.decode(out, skip_special_tokens=True)})
    write_json(FIXTURE, {
        "model": "aios-tiny",
        "max_new_tokens": 48,
        "eos_token_id": eos,
        "eos_included": True,
        "note": "output_ids are the greedy continuation (KV-cached, fp32 torch). Generation stops after "
                "the eos token <|im_end|>, which is included as the last id when it was produced within "
                "max_new_tokens; text is the decoded output with special tokens skipped.",
        "cases": cases,
        "tokenizer_cases": [{"text": t, "ids": tok.encode(t)} for t in TOKENIZER_CASES],
    })

    log("\nsample greedy outputs:")
    for p in SAMPLE_PROMPTS:
        out = model.greedy(tok.encode(D.render([{"role": "user", "content": p}], True)), 120, eos)
        log(f"  {p!r} -> {tok.decode(out, skip_special_tokens=True)!r}{'' if out and out[-1] == eos else ' [no eos]'}")
    for c in cases:
        log(f"  [{c['name']}] -> {c['text']!r}")

    sizes = {f: os.path.getsize(os.path.join(OUT, f)) for f in
             ["config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json",
              "onnx/model.onnx", "onnx/model_quantized.onnx"]}
    log("\nfiles: " + ", ".join(f"{k} {v / 1024:.0f} KiB" for k, v in sizes.items()) +
        f"; total {sum(sizes.values()) / 1e6:.2f} MB")
    log(f"done in {time.time() - t_all:.0f}s")
    with open(os.path.join(ROOT, "tools", "work", "last_run.json") if os.path.isdir(os.path.join(ROOT, "tools", "work")) else os.devnull, "w") as f:
        json.dump({"steps": steps, "train_s": train_s, "final_ema": final_ema, "heldout": held, "accuracy": acc, "sizes": sizes}, f)


if __name__ == "__main__":
    main()
