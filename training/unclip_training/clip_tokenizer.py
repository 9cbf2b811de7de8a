"""CLIP's byte-level BPE tokenizer: a tokenizer.json from vocab.json + merges.txt, and the same
tokenisation in Python for the reference run.

Karlo's `tokenizer/` folder (transformers' CLIPTokenizer of openai/clip-vit-large-patch14) holds
vocab.json and merges.txt; the Java text encoder reads a Hugging Face tokenizer.json. `write_tokenizer_json`
writes the file transformers' CLIPTokenizerFast would save for them: NFC, whitespace runs -> one
space, lowercase; CLIP's split pattern; byte-level characters; BPE with the `</w>` end-of-word suffix;
start/end-of-text added around each prompt. `ClipBpe.encode` tokenises as that file does (no
ftfy, like the fast tokenizer), and `encode_batch` makes the rows models/CONTRACT.md prescribes
(pad 0, the cut row's last token end-of-text, mask SOT..EOT).
"""
from __future__ import annotations

import json
import unicodedata
from functools import lru_cache
from pathlib import Path

import numpy as np

SOT, EOT = "<|startoftext|>", "<|endoftext|>"
SPLIT_PATTERN = ("<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]"
                 "|[^\\s\\p{L}\\p{N}]+")
_CONTRACTIONS = ("'s", "'t", "'re", "'ve", "'m", "'ll", "'d")


@lru_cache()
def bytes_to_unicode() -> dict:
    """GPT-2 / CLIP byte -> printable character map."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, (chr(c) for c in cs)))


def _is_letter(ch):
    return unicodedata.category(ch).startswith("L")


def _is_number(ch):
    return unicodedata.category(ch).startswith("N")


def split_words(text: str) -> list:
    """CLIP's split pattern (kept matches, whitespace dropped), without the `regex` module."""
    out, i, n = [], 0, len(text)
    while i < n:
        ch = text[i]
        for special in (SOT, EOT):
            if text.startswith(special, i):
                out.append(special)
                i += len(special)
                break
        else:
            c = next((c for c in _CONTRACTIONS if text.startswith(c, i)), None)
            if c:
                out.append(c)
                i += len(c)
            elif _is_letter(ch):
                j = i
                while j < n and _is_letter(text[j]):
                    j += 1
                out.append(text[i:j])
                i = j
            elif _is_number(ch):
                out.append(ch)
                i += 1
            elif ch.isspace():
                i += 1
            else:
                j = i
                while j < n and not (text[j].isspace() or _is_letter(text[j]) or _is_number(text[j])):
                    j += 1
                out.append(text[i:j])
                i = j
    return out


def normalize(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    text = " ".join(text.split()) if text.strip() else ""
    return text.lower()


class ClipBpe:
    def __init__(self, vocab: dict, merges: list):
        self.vocab = dict(vocab)
        self.merges = [tuple(m) for m in merges]
        self.ranks = {m: i for i, m in enumerate(self.merges)}
        self.sot, self.eot = self.vocab[SOT], self.vocab[EOT]
        self.byte_map = bytes_to_unicode()

    @classmethod
    def from_files(cls, vocab_json, merges_txt):
        vocab = json.loads(Path(vocab_json).read_text(encoding="utf-8"))
        lines = Path(merges_txt).read_text(encoding="utf-8").split("\n")
        merges = [tuple(l.split()) for l in lines if l and not l.startswith("#version")]
        return cls(vocab, merges)

    def _bpe(self, word: str) -> list:
        parts = list(word[:-1]) + [word[-1] + "</w>"]
        while len(parts) > 1:
            pairs = [(self.ranks.get((a, b), 1 << 30), k) for k, (a, b) in enumerate(zip(parts, parts[1:]))]
            rank, _ = min(pairs)
            if rank == 1 << 30:
                break
            a, b = self.merges[rank]
            merged, k = [], 0
            while k < len(parts):
                if k + 1 < len(parts) and parts[k] == a and parts[k + 1] == b:
                    merged.append(a + b)
                    k += 2
                else:
                    merged.append(parts[k])
                    k += 1
            parts = merged
        return parts

    def encode(self, text: str) -> list:
        """-> ids of SOT, the prompt's tokens, EOT (unknown tokens -> EOT, the unk token)."""
        ids = [self.sot]
        for w in split_words(normalize(text)):
            if w in (SOT, EOT):
                ids.append(self.vocab[w])
                continue
            mapped = "".join(self.byte_map[b] for b in w.encode("utf-8"))
            ids.extend(self.vocab.get(t, self.eot) for t in self._bpe(mapped))
        ids.append(self.eot)
        return ids

    def encode_batch(self, texts, length: int = 77):
        ids = np.zeros((len(texts), length), dtype=np.int64)
        mask = np.zeros((len(texts), length), dtype=bool)
        for i, t in enumerate(texts):
            toks = self.encode(t)
            if len(toks) > length:
                toks = toks[:length]
                toks[-1] = self.eot
            ids[i, :len(toks)] = toks
            mask[i, :len(toks)] = True
        return ids, mask

    def tokenizer_json(self) -> dict:
        special = lambda tok: {"id": self.vocab[tok], "content": tok, "single_word": False, "lstrip": False,
                               "rstrip": False, "normalized": False, "special": True}
        return {
            "version": "1.0",
            "truncation": None,
            "padding": None,
            "added_tokens": [special(SOT), special(EOT)],
            "normalizer": {"type": "Sequence", "normalizers": [
                {"type": "NFC"},
                {"type": "Replace", "pattern": {"Regex": "\\s+"}, "content": " "},
                {"type": "Lowercase"}]},
            "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
                {"type": "Split", "pattern": {"Regex": SPLIT_PATTERN}, "behavior": "Removed", "invert": True},
                {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}]},
            "post_processor": {"type": "RobertaProcessing", "sep": [EOT, self.eot], "cls": [SOT, self.sot],
                               "trim_offsets": False, "add_prefix_space": False},
            "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
            "model": {"type": "BPE", "dropout": None, "unk_token": EOT, "continuing_subword_prefix": "",
                      "end_of_word_suffix": "</w>", "fuse_unk": False, "byte_fallback": False,
                      "vocab": self.vocab, "merges": [f"{a} {b}" for a, b in self.merges]},
        }

    def write_tokenizer_json(self, path):
        Path(path).write_text(json.dumps(self.tokenizer_json(), ensure_ascii=False), encoding="utf-8")


def small_vocabulary(words) -> ClipBpe:
    """A CLIP-format vocabulary of a few hundred ids: every byte character with and without `</w>`
    (so any text tokenises), merges that spell out `words`, then SOT and EOT as the two largest
    ids (as in CLIP, where the text encoder pools at argmax(input_ids))."""
    chars = list(bytes_to_unicode().values())
    vocab = {}
    for c in chars:
        vocab[c] = len(vocab)
    for c in chars:
        vocab[c + "</w>"] = len(vocab)
    merges = []
    for w in words:
        parts = list(w[:-1]) + [w[-1] + "</w>"]
        cur = parts[0]
        for p in parts[1:]:
            if (cur, p) not in merges:
                merges.append((cur, p))
            cur = cur + p
            vocab.setdefault(cur, len(vocab))
    vocab[SOT] = len(vocab)
    vocab[EOT] = len(vocab)
    return ClipBpe(vocab, merges)
