"""A minimal Llama (HF LlamaForCausalLM-compatible math) written for a clean ONNX export.

forward(input_ids, attention_mask, position_ids, *past) -> (logits, *present)
  input_ids       [B, S]      int64
  attention_mask  [B, P+S]    int64 (1 = attend, 0 = padding)
  position_ids    [B, S]      int64
  past            2*L tensors [B, H, P, D] (key, value per layer), P may be 0
  present         2*L tensors [B, H, P+S, D]
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

NEG = -1.0e9


class Config:
    def __init__(self, vocab_size, hidden_size=128, intermediate_size=352, num_hidden_layers=4,
                 num_attention_heads=4, head_dim=32, max_position_embeddings=2048, rms_norm_eps=1e-5,
                 rope_theta=10000.0, num_key_value_heads=None):
        self.vocab_size = vocab_size
        self.hidden_size = hidden_size
        self.intermediate_size = intermediate_size
        self.num_hidden_layers = num_hidden_layers
        self.num_attention_heads = num_attention_heads
        # grouped-query attention (HF repeat_kv order: query head i reads kv head i // n_rep)
        self.num_key_value_heads = num_key_value_heads or num_attention_heads
        assert num_attention_heads % self.num_key_value_heads == 0
        self.head_dim = head_dim
        self.max_position_embeddings = max_position_embeddings
        self.rms_norm_eps = rms_norm_eps
        self.rope_theta = rope_theta


class RMSNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x):
        var = x.pow(2).mean(-1, keepdim=True)
        return self.weight * (x * torch.rsqrt(var + self.eps))


def rotate_half(x):
    half = x.shape[-1] // 2
    x1 = x[..., :half]
    x2 = x[..., half:]
    return torch.cat((-x2, x1), dim=-1)


class Attention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        h, nh, hd, kvh = cfg.hidden_size, cfg.num_attention_heads, cfg.head_dim, cfg.num_key_value_heads
        self.nh, self.hd, self.kvh = nh, hd, kvh
        self.q_proj = nn.Linear(h, nh * hd, bias=False)
        self.k_proj = nn.Linear(h, kvh * hd, bias=False)
        self.v_proj = nn.Linear(h, kvh * hd, bias=False)
        self.o_proj = nn.Linear(nh * hd, h, bias=False)

    def repeat_kv(self, x):
        if self.kvh == self.nh:
            return x
        b = x.shape[0]
        n_rep = self.nh // self.kvh
        return x[:, :, None].expand(b, self.kvh, n_rep, x.shape[2], self.hd).reshape(b, self.nh, -1, self.hd)

    def forward(self, x, cos, sin, bias, past_k=None, past_v=None):
        b, s = x.shape[0], x.shape[1]
        q = self.q_proj(x).view(b, s, self.nh, self.hd).transpose(1, 2)
        k = self.k_proj(x).view(b, s, self.kvh, self.hd).transpose(1, 2)
        v = self.v_proj(x).view(b, s, self.kvh, self.hd).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        if past_k is not None:
            k = torch.cat([past_k, k], dim=2)
            v = torch.cat([past_v, v], dim=2)
        scores = torch.matmul(q, self.repeat_kv(k).transpose(2, 3)) * (1.0 / math.sqrt(self.hd)) + bias
        p = torch.softmax(scores, dim=-1)
        o = torch.matmul(p, self.repeat_kv(v)).transpose(1, 2).reshape(b, s, self.nh * self.hd)
        return self.o_proj(o), k, v


class MLP(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.gate_proj = nn.Linear(cfg.hidden_size, cfg.intermediate_size, bias=False)
        self.up_proj = nn.Linear(cfg.hidden_size, cfg.intermediate_size, bias=False)
        self.down_proj = nn.Linear(cfg.intermediate_size, cfg.hidden_size, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class Block(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.input_layernorm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)
        self.self_attn = Attention(cfg)
        self.post_attention_layernorm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)
        self.mlp = MLP(cfg)

    def forward(self, x, cos, sin, bias, past_k=None, past_v=None):
        a, k, v = self.self_attn(self.input_layernorm(x), cos, sin, bias, past_k, past_v)
        x = x + a
        x = x + self.mlp(self.post_attention_layernorm(x))
        return x, k, v


class TinyLlama(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.embed_tokens = nn.Embedding(cfg.vocab_size, cfg.hidden_size)
        self.layers = nn.ModuleList([Block(cfg) for _ in range(cfg.num_hidden_layers)])
        self.norm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)
        inv_freq = 1.0 / (cfg.rope_theta ** (torch.arange(0, cfg.head_dim, 2, dtype=torch.float32) / cfg.head_dim))
        self.register_buffer("inv_freq", inv_freq, persistent=False)
        self.apply(self._init)
        # scaled init of residual projections
        for n, p in self.named_parameters():
            if n.endswith("o_proj.weight") or n.endswith("down_proj.weight"):
                nn.init.normal_(p, std=0.02 / math.sqrt(2 * cfg.num_hidden_layers))

    @staticmethod
    def _init(m):
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, std=0.02)
        elif isinstance(m, nn.Embedding):
            nn.init.normal_(m.weight, std=0.02)

    def rope(self, position_ids):
        freqs = position_ids.unsqueeze(-1).to(torch.float32) * self.inv_freq  # [B,S,D/2]
        emb = torch.cat((freqs, freqs), dim=-1)
        return emb.cos().unsqueeze(1), emb.sin().unsqueeze(1)  # [B,1,S,D]

    def forward(self, input_ids, attention_mask, position_ids, *past):
        s = input_ids.shape[1]
        x = self.embed_tokens(input_ids)
        cos, sin = self.rope(position_ids)
        total = attention_mask.shape[1]
        past_len = total - s
        # causal + padding mask as an additive bias [B,1,S,T]
        kidx = torch.arange(total, device=input_ids.device).unsqueeze(0)  # [1,T]
        qidx = torch.arange(s, device=input_ids.device).unsqueeze(1) + past_len  # [S,1]
        causal = (kidx <= qidx).to(torch.float32)  # [S,T]
        # float math only (no And/Greater/Where): friendlier to every ORT execution provider
        allowed = causal.unsqueeze(0).unsqueeze(0) * attention_mask.unsqueeze(1).unsqueeze(1).to(torch.float32)
        bias = (1.0 - allowed) * NEG
        presents = []
        for i, layer in enumerate(self.layers):
            pk = past[2 * i] if past else None
            pv = past[2 * i + 1] if past else None
            x, k, v = layer(x, cos, sin, bias, pk, pv)
            presents += [k, v]
        x = self.norm(x)
        logits = torch.matmul(x, self.embed_tokens.weight.t())
        return (logits, *presents)

    def hidden(self, input_ids, attention_mask):
        b, s = input_ids.shape
        x = self.embed_tokens(input_ids)
        cos, sin = self.rope(torch.arange(s).unsqueeze(0))
        causal = torch.ones(s, s).tril()
        allowed = causal.unsqueeze(0).unsqueeze(0) * attention_mask.unsqueeze(1).unsqueeze(1).to(torch.float32)
        bias = (1.0 - allowed) * NEG
        for layer in self.layers:
            x = layer(x, cos, sin, bias)[0]
        return self.norm(x)

    def loss(self, input_ids, attention_mask, labels, weights=None):
        """Next-token cross-entropy on the positions whose target label is not -100
        (logits are only computed there, which saves most of the lm-head cost); `weights`
        [B, S] (aligned with labels) makes it a weighted mean."""
        h = self.hidden(input_ids, attention_mask)[:, :-1]
        tgt = labels[:, 1:]
        sel = tgt != -100
        logits = torch.matmul(h[sel], self.embed_tokens.weight.t())
        if weights is None:
            return F.cross_entropy(logits, tgt[sel])
        w = weights[:, 1:][sel]
        return (F.cross_entropy(logits, tgt[sel], reduction="none") * w).sum() / w.sum()

    @torch.no_grad()
    def greedy(self, prompt_ids, max_new_tokens, eos_id):
        """Greedy decode with a KV cache, mirroring how Transformers.js calls the ONNX model."""
        ids = torch.tensor([prompt_ids], dtype=torch.long)
        mask = torch.ones_like(ids)
        pos = torch.arange(ids.shape[1]).unsqueeze(0)
        past = ()
        out = []
        for _ in range(max_new_tokens):
            res = self.forward(ids, mask, pos, *past)
            logits, past = res[0], res[1:]
            nxt = int(torch.argmax(logits[0, -1]))
            out.append(nxt)
            if nxt == eos_id:
                break
            ids = torch.tensor([[nxt]], dtype=torch.long)
            mask = torch.cat([mask, torch.ones(1, 1, dtype=torch.long)], dim=1)
            pos = torch.tensor([[mask.shape[1] - 1]], dtype=torch.long)
        return out

    @torch.no_grad()
    def greedy_batch(self, prompts, max_new_tokens, eos_id, pad_id=0):
        """Greedy decode of many prompts at once (left padding, KV cache); for evaluation.
        Masked keys get exactly zero attention weight, so rows match `greedy` up to float
        summation order."""
        B = len(prompts)
        L = max(len(p) for p in prompts)
        ids = torch.full((B, L), pad_id, dtype=torch.long)
        mask = torch.zeros((B, L), dtype=torch.long)
        for i, p in enumerate(prompts):
            ids[i, L - len(p):] = torch.tensor(p, dtype=torch.long)
            mask[i, L - len(p):] = 1
        pos = (mask.cumsum(1) - 1).clamp(min=0)
        past = ()
        out = [[] for _ in range(B)]
        done = [False] * B
        for _ in range(max_new_tokens):
            res = self.forward(ids, mask, pos, *past)
            logits, past = res[0], res[1:]
            nxt = logits[:, -1].argmax(-1)
            for i in range(B):
                if not done[i]:
                    t = int(nxt[i])
                    out[i].append(t)
                    done[i] = t == eos_id
            if all(done):
                break
            ids = nxt.unsqueeze(1)
            mask = torch.cat([mask, torch.ones(B, 1, dtype=torch.long)], dim=1)
            pos = pos[:, -1:] + 1
        return out
