"""Word-level tokenizer for the Shapes-world grammar, written as a Hugging Face tokenizer.json.

Ids: 0 <|pad|>, 1 <|unk|>, then the grammar words sorted, then <|startoftext|> = V-2 and
<|endoftext|> = V-1 (the largest id, so the text encoder pools at argmax(input_ids) like CLIP).
"""
from __future__ import annotations

import json
import re

import numpy as np

from .world import WORDS

PAD, UNK = "<|pad|>", "<|unk|>"
SOT, EOT = "<|startoftext|>", "<|endoftext|>"
CONTEXT_LENGTH = 24
_PRE = re.compile(r"\w+|[^\w\s]+")


def vocab() -> dict:
    v = {PAD: 0, UNK: 1}
    for w in WORDS:
        v[w] = len(v)
    v[SOT] = len(v)
    v[EOT] = len(v)
    return v


VOCAB = vocab()
VOCAB_SIZE = len(VOCAB)
SOT_ID = VOCAB[SOT]
EOT_ID = VOCAB[EOT]


def encode(text: str, length: int = CONTEXT_LENGTH):
    """-> (ids int64 [L], mask bool [L]) exactly as the Java side builds them."""
    toks = [SOT_ID] + [VOCAB.get(t, 1) for t in _PRE.findall(text.lower())] + [EOT_ID]
    if len(toks) > length:
        toks = toks[:length]
        toks[-1] = EOT_ID
    ids = np.zeros(length, dtype=np.int64)
    ids[:len(toks)] = toks
    mask = np.zeros(length, dtype=bool)
    mask[:len(toks)] = True
    return ids, mask


def encode_batch(texts, length: int = CONTEXT_LENGTH):
    ids = np.zeros((len(texts), length), dtype=np.int64)
    mask = np.zeros((len(texts), length), dtype=bool)
    for i, t in enumerate(texts):
        ids[i], mask[i] = encode(t, length)
    return ids, mask


def tokenizer_json() -> dict:
    added = []
    for tok in (PAD, UNK, SOT, EOT):
        added.append({"id": VOCAB[tok], "content": tok, "single_word": False, "lstrip": False,
                      "rstrip": False, "normalized": False, "special": True})
    special = lambda t: {"SpecialToken": {"id": t, "type_id": 0}}
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": {"type": "Lowercase"},
        "pre_tokenizer": {"type": "Whitespace"},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [special(SOT), {"Sequence": {"id": "A", "type_id": 0}}, special(EOT)],
            "pair": [special(SOT), {"Sequence": {"id": "A", "type_id": 0}}, special(EOT),
                     {"Sequence": {"id": "B", "type_id": 1}}, special(EOT)],
            "special_tokens": {
                SOT: {"id": SOT, "ids": [SOT_ID], "tokens": [SOT]},
                EOT: {"id": EOT, "ids": [EOT_ID], "tokens": [EOT]}},
        },
        "decoder": None,
        "model": {"type": "WordLevel", "vocab": VOCAB, "unk_token": UNK},
    }


def write_tokenizer_json(path: str):
    with open(path, "w") as f:
        json.dump(tokenizer_json(), f, indent=1)
        f.write("\n")
