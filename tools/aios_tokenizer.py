"""Byte-level BPE tokenizer for aios-tiny (training, encoding, tokenizer.json export).

The encoder here reproduces exactly what Hugging Face `tokenizers` (and the JS
port used by Transformers.js) do with the tokenizer.json we write:

  added tokens (special) are split out first, then each remaining segment is
  pre-tokenized by   Split(PRETOK_REGEX, behavior=Isolated, invert=false)
  followed by        ByteLevel(add_prefix_space=false, use_regex=false)
  and every piece is BPE-encoded (lowest merge rank first, leftmost on ties).
"""
import collections
import json
import re

# ASCII-only regex, identical semantics in Python `re`, JS (u flag) and Oniguruma.
# Digits are isolated one by one (optionally with a leading space) so arithmetic
# tokenizes digit by digit.  Whitespace is an explicit ASCII class so that the
# three regex engines agree on it.
WS = r"\t\n\v\f\r "
PRETOK_REGEX = (
    r"'s|'t|'re|'ve|'m|'ll|'d| ?[A-Za-z]+| ?[0-9]| ?[^" + WS + r"A-Za-z0-9]+"
    r"|[" + WS + r"]+(?![^" + WS + r"])|[" + WS + r"]+"
)
_PRETOK = re.compile(PRETOK_REGEX)

SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
_SPECIAL_RE = re.compile("(" + "|".join(re.escape(t) for t in SPECIAL_TOKENS) + ")")


def bytes_to_unicode():
    """GPT-2's reversible byte -> printable unicode char mapping."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("\xa1"), ord("\xac") + 1)) + list(
        range(ord("\xae"), ord("\xff") + 1)
    )
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


BYTE_ENCODER = bytes_to_unicode()
BYTE_DECODER = {v: k for k, v in BYTE_ENCODER.items()}


def pretokenize(text):
    """Split a special-token-free segment into pieces; returns [(piece, start_char)]."""
    out = []
    pos = 0
    for m in _PRETOK.finditer(text):
        if m.start() > pos:  # never happens with this regex (it covers every char), kept for safety
            out.append((text[pos:m.start()], pos))
        if m.end() > m.start():
            out.append((m.group(0), m.start()))
        pos = m.end()
    if pos < len(text):
        out.append((text[pos:], pos))
    return out


def to_byte_symbols(piece):
    return "".join(BYTE_ENCODER[b] for b in piece.encode("utf-8"))


def train_bpe(texts, num_new_tokens):
    """Train byte-level BPE merges on an iterable of (special-token-free) strings.

    Stops once the merges have produced `num_new_tokens` distinct new tokens, so the
    final vocab size is exactly len(SPECIAL_TOKENS) + 256 + num_new_tokens."""
    word_counts = collections.Counter()
    for t in texts:
        for piece, _ in pretokenize(t):
            word_counts[to_byte_symbols(piece)] += 1
    words = [list(w) for w in word_counts]
    counts = [word_counts[w] for w in word_counts]

    # pair -> count, pair -> set of word indices
    pair_counts = collections.Counter()
    where = collections.defaultdict(set)
    for i, w in enumerate(words):
        for a, b in zip(w, w[1:]):
            pair_counts[(a, b)] += counts[i]
            where[(a, b)].add(i)

    merges = []
    produced = set()
    while len(produced) < num_new_tokens:
        if not pair_counts:
            break
        # highest count, ties broken deterministically by the pair itself
        best = max(pair_counts.items(), key=lambda kv: (kv[1], kv[0]))[0] if pair_counts else None
        if best is None or pair_counts[best] < 2:
            break
        merges.append(best)
        a, b = best
        produced.add(a + b)
        new = a + b
        for i in list(where[best]):
            w = words[i]
            c = counts[i]
            # remove old pairs of this word
            for p in zip(w, w[1:]):
                pair_counts[p] -= c
                if pair_counts[p] <= 0:
                    del pair_counts[p]
                where[p].discard(i)
            # merge
            j = 0
            nw = []
            while j < len(w):
                if j < len(w) - 1 and w[j] == a and w[j + 1] == b:
                    nw.append(new)
                    j += 2
                else:
                    nw.append(w[j])
                    j += 1
            words[i] = nw
            for p in zip(nw, nw[1:]):
                pair_counts[p] += c
                where[p].add(i)
        where.pop(best, None)
        pair_counts.pop(best, None)
    return merges


class Tokenizer:
    def __init__(self, merges):
        self.merges = [tuple(m) for m in merges]
        self.ranks = {m: i for i, m in enumerate(self.merges)}
        vocab = {}
        for t in SPECIAL_TOKENS:
            vocab[t] = len(vocab)
        for b in range(256):
            vocab[BYTE_ENCODER[b]] = len(vocab)
        for a, b in self.merges:
            if a + b not in vocab:
                vocab[a + b] = len(vocab)
        self.vocab = vocab
        self.id_to_token = {i: t for t, i in vocab.items()}
        self.special_ids = {t: vocab[t] for t in SPECIAL_TOKENS}
        self._cache = {}

    def __len__(self):
        return len(self.vocab)

    def bpe(self, symbols):
        if symbols in self._cache:
            return self._cache[symbols]
        word = list(symbols)
        while len(word) > 1:
            best_rank, best_i = None, None
            for i in range(len(word) - 1):
                r = self.ranks.get((word[i], word[i + 1]))
                if r is not None and (best_rank is None or r < best_rank):
                    best_rank, best_i = r, i
            if best_rank is None:
                break
            word[best_i:best_i + 2] = [word[best_i] + word[best_i + 1]]
        self._cache[symbols] = word
        return word

    def encode_with_offsets(self, text):
        """Returns (ids, starts) where starts[k] is the char offset where token k's piece begins."""
        ids, starts = [], []
        pos = 0
        for seg in _SPECIAL_RE.split(text):
            if not seg:
                continue
            if seg in self.special_ids:
                ids.append(self.special_ids[seg])
                starts.append(pos)
            else:
                for piece, off in pretokenize(seg):
                    for tok in self.bpe(to_byte_symbols(piece)):
                        ids.append(self.vocab[tok])
                        starts.append(pos + off)
            pos += len(seg)
        return ids, starts

    def encode(self, text):
        return self.encode_with_offsets(text)[0]

    def decode(self, ids, skip_special_tokens=False):
        out = []
        buf = []
        for i in ids:
            t = self.id_to_token[i]
            if t in self.special_ids:
                if buf:
                    out.append(bytes(buf).decode("utf-8", errors="replace"))
                    buf = []
                if not skip_special_tokens:
                    out.append(t)
            else:
                buf.extend(BYTE_DECODER[c] for c in t)
        if buf:
            out.append(bytes(buf).decode("utf-8", errors="replace"))
        return "".join(out)

    def to_json(self):
        added = [
            {
                "id": self.special_ids[t],
                "content": t,
                "single_word": False,
                "lstrip": False,
                "rstrip": False,
                "normalized": False,
                "special": True,
            }
            for t in SPECIAL_TOKENS
        ]
        return {
            "version": "1.0",
            "truncation": None,
            "padding": None,
            "added_tokens": added,
            "normalizer": None,
            "pre_tokenizer": {
                "type": "Sequence",
                "pretokenizers": [
                    {
                        "type": "Split",
                        "pattern": {"Regex": PRETOK_REGEX},
                        "behavior": "Isolated",
                        "invert": False,
                    },
                    {
                        "type": "ByteLevel",
                        "add_prefix_space": False,
                        "trim_offsets": False,
                        "use_regex": False,
                    },
                ],
            },
            "post_processor": None,
            "decoder": {
                "type": "ByteLevel",
                "add_prefix_space": False,
                "trim_offsets": False,
                "use_regex": False,
            },
            "model": {
                "type": "BPE",
                "dropout": None,
                "unk_token": None,
                "continuing_subword_prefix": None,
                "end_of_word_suffix": None,
                "fuse_unk": False,
                "byte_fallback": False,
                "ignore_merges": False,
                "vocab": self.vocab,
                "merges": [[a, b] for a, b in self.merges],
            },
        }

    def save(self, path):
        with open(path, "w", encoding="utf-8") as f:
            json.dump(self.to_json(), f, ensure_ascii=False, indent=1)
