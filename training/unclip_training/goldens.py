"""Golden files that pin the Java side to this package's reference behaviour.

    /usr/bin/python3 -m unclip_training.goldens   (from training/)

writes text-encoder-svc/src/test/resources/tokenizer-golden.tsv: prompt, then the token ids and
mask exactly as the Java tokenizer must produce them from the family's tokenizer.json; and
gateway/src/test/resources/shapes-judge/: Shapes-world renders (some with added pixel noise) and
judge-golden.tsv, what the checker (judge.py) reads from each of them, which the Java port of the
checker used by the end-to-end tests must reproduce.
"""
from __future__ import annotations

import pathlib

import numpy as np

from . import tokenizer, world
from .judge import analyse, judge

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


def judge_golden(folder: pathlib.Path, n_one: int = 16, n_two: int = 8, n_noisy: int = 6) -> None:
    """Renders at 256 and 64 px (clean, and with Gaussian pixel noise) and the checker's verdicts."""
    rng = np.random.default_rng(2024)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    one = world.sample_scenes(rng, n_one, p_two=0.0)
    two = world.sample_scenes(rng, n_two, p_two=1.0)
    captions = one.captions() + two.captions()
    images = list(world.render(one, 256)) + list(world.render(two, 256))
    lines = ["# file\tcaption\tbackground\tobjects (colour:shape:size:position, largest first)"
             "\tok for the caption\tok for the next line's caption"]
    rows = []
    for i, img in enumerate(images):
        rows.append((f"img{i:02d}.png", captions[i], img))
    # a few at the small output size and a few noisy ones, like an imperfect model's output
    sc = world.sample_scenes(rng, 4, p_two=0.5)
    for i, img in enumerate(world.render(sc, 64)):
        rows.append((f"small{i}.png", sc.captions()[i], img))
    small_one = world.render(one, 64)
    for i in range(n_noisy):
        cap, img = captions[i * 2], small_one[i * 2]
        noisy = np.clip(img + rng.normal(0, 25, img.shape), 0, 255)
        rows.append((f"noisy{i}.png", cap, noisy))
    for k, (name, cap, img) in enumerate(rows):
        hwc = np.moveaxis(np.floor(img + 0.5).astype(np.uint8), 0, -1)
        world.save_png(hwc, str(folder / name))
        a = analyse(hwc)
        objs = ";".join(f"{o['color']}:{o['shape']}:{o['size']}:{o['position']}" for o in a["objects"])
        other = rows[(k + 1) % len(rows)][1]
        lines.append("\t".join([name, cap, a["background"], objs,
                                 str(judge(hwc, cap)["ok"]).lower(), str(judge(hwc, other)["ok"]).lower()]))
    (folder / "judge-golden.tsv").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    tokenizer_golden(ROOT / "text-encoder-svc/src/test/resources/tokenizer-golden.tsv")
    judge_golden(ROOT / "gateway/src/test/resources/shapes-judge")
