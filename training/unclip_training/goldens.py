"""Golden files that pin the Java side to this package's reference behaviour.

    /usr/bin/python3 -m unclip_training.goldens   (from training/)

writes text-encoder-svc/src/test/resources/tokenizer-golden.tsv: prompt, then the token ids and
mask exactly as the Java tokenizer must produce them from the family's tokenizer.json.
"""
from __future__ import annotations

import pathlib

from . import tokenizer

ROOT = pathlib.Path(__file__).resolve().parents[2]

PROMPTS = [
    "",
    "a red circle",
    "a large red circle in the center on a blue background",
    "A SMALL Green Triangle at the top on a white background",
    "a purple square to the left of a yellow circle on a black background",
    "an orange triangle above a white square on a green background",
    "a red circle, on a blue background!",
    "a zebra made of glass",
    " ".join(["a red circle on a blue background"] * 5),
]


def tokenizer_golden(path: pathlib.Path) -> None:
    lines = ["# prompt\tids (space separated)\tmask (0/1, space separated)"]
    for p in PROMPTS:
        ids, mask = tokenizer.encode(p)
        lines.append("\t".join([p, " ".join(map(str, ids.tolist())),
                                " ".join("1" if m else "0" for m in mask.tolist())]))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    tokenizer_golden(ROOT / "text-encoder-svc/src/test/resources/tokenizer-golden.tsv")
