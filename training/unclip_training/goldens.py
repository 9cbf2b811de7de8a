"""Golden files that pin the Java side to this package's reference behaviour.

    /usr/bin/python3 -m unclip_training.goldens   (from training/)

writes text-encoder-svc/src/test/resources/tokenizer-golden.tsv: prompt, then the token ids and
mask exactly as the Java tokenizer must produce them from the family's tokenizer.json; and
gateway/src/test/resources/shapes-judge/: Shapes-world renders (at 256, 200 and 64 px, some with
added pixel noise, some rendered at 32/64 px and upsampled bicubically), lookalikes the judge must not
take for the world's shapes (rounded squares, a teardrop, eggs, a pawn), and judge-golden.tsv, what
the checker (judge.py) reads from each of them, which the Java port of the checker used by the
end-to-end tests must reproduce.
"""
from __future__ import annotations

import pathlib

import numpy as np

from . import judge_calibration as cal
from . import tokenizer, world
from .judge import MAX_SIDE, MIN_AREA_FRAC, _area_resize, _components, analyse, classify_pixels, judge

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


# lookalikes drawn at 256 px (judge_calibration.LOOKALIKES: kind, parameter, aspect h/w) with the seed of
# their placement: rounded squares (corner radius 20-40 % of the side), a teardrop, eggs and a pawn.
# The former rule of the Java port (_lenient_shapes) read each as a square, circle or triangle; the
# calibrated judge reads them as "other".
GOLDEN_LOOKALIKES = [(("rounded", 0.2, 1.0), 0), (("rounded", 0.3, 1.0), 1), (("rounded", 0.4, 1.0), 2),
                     (("teardrop", 1.3, 1.0), 3), (("egg", 0.25, 1.0), 4), (("egg", 0.0, 1.15), 5),
                     (("pawn", 0.45, 1.0), 6)]


def _lenient_shapes(img: np.ndarray) -> list:
    """The shapes the Java port's former rule read, largest object first: on the analysis-size
    component, fill > 0.89 square; fill > 0.64 with under 0.6 of the pixels in the lower half circle;
    else triangle if that share is >= 0.6, else circle above fill 0.55 and triangle below."""
    S = min(img.shape[0], MAX_SIDE)
    cls = classify_pixels(_area_resize(img, S))
    border = np.concatenate([cls[0], cls[-1], cls[:, 0], cls[:, -1]])
    bg = int(np.bincount(border, minlength=len(world.COLORS)).argmax())
    found = []
    for pix in _components(cls != bg):
        if len(pix) < MIN_AREA_FRAC * S * S:
            continue
        ys, xs = pix[:, 0], pix[:, 1]
        fill = len(pix) / float((xs.max() + 1 - xs.min()) * (ys.max() + 1 - ys.min()))
        lower = float(np.mean(ys >= (ys.min() + ys.max() + 1) / 2.0))
        if fill > 0.89:
            shape = "square"
        elif fill > 0.64 and lower < 0.6:
            shape = "circle"
        elif lower >= 0.6:
            shape = "triangle"
        else:
            shape = "circle" if fill > 0.55 else "triangle"
        found.append((len(pix), shape))
    return [shape for _, shape in sorted(found, key=lambda t: -t[0])]


def _lookalike_rows() -> list:
    """(file, caption, uint8 image): each lookalike captioned as the former rule read it (the size and
    position as the judge reads them), which the calibrated judge must reject."""
    rows = []
    for i, (kp, seed) in enumerate(GOLDEN_LOOKALIKES):
        img, _, _ = cal.shape_set([kp], 1, seed)[0]
        a = analyse(img)
        lenient = _lenient_shapes(img)
        if len(a["objects"]) != 1 or lenient[0] not in world.SHAPES or a["objects"][0]["shape"] != "other":
            raise AssertionError(f"{kp} seed {seed}: the judge reads {a['objects']}, the former rule {lenient}")
        o = a["objects"][0]
        phrase = world.POSITION_PHRASE[world.POSITIONS.index(o["position"])]
        rows.append((f"lookalike{i}-{kp[0]}.png",
                     f"a {o['size']} {o['color']} {lenient[0]} {phrase} on a {a['background']} background", img))
    return rows


def _upsampled_rows(rng) -> list:
    """(file, caption, uint8 image): generator scenes rendered at 32 or 64 px and brought to 256 px by
    bicubic interpolation (judge_calibration.good_set: what a perfect base decoder with upsamplers
    that add nothing delivers); and one scene rendered at 200 px, a side that is
    not a multiple of the analysis size."""
    rows = []
    for i, base in enumerate([32, 32, 64, 64]):
        imgs, recs = cal.good_set(1, int(rng.integers(1 << 30)), base=base)
        rows.append((f"up{i}-{base}px.png", world.record_caption(recs[0]), imgs[0]))
    sc = world.sample_scenes(rng, 1, p_two=0.0)
    rows.append(("side200.png", sc.captions()[0], _hwc(world.render(sc, 200)[0])))
    return rows


def _hwc(img: np.ndarray) -> np.ndarray:
    return np.moveaxis(np.floor(img + 0.5).astype(np.uint8), 0, -1)


def judge_golden(folder: pathlib.Path, n_one: int = 12, n_two: int = 6, n_noisy: int = 4) -> None:
    """Renders at 256, 200 and 64 px (clean, and with Gaussian pixel noise), upsampled 32/64 px
    renders, lookalikes, and the checker's verdicts."""
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
        rows.append((f"img{i:02d}.png", captions[i], _hwc(img)))
    # a few at the small output size and a few noisy ones, like an imperfect model's output
    sc = world.sample_scenes(rng, 4, p_two=0.5)
    for i, img in enumerate(world.render(sc, 64)):
        rows.append((f"small{i}.png", sc.captions()[i], _hwc(img)))
    small_one = world.render(one, 64)
    for i in range(n_noisy):
        cap, img = captions[i * 2], small_one[i * 2]
        noisy = np.clip(img + rng.normal(0, 25, img.shape), 0, 255)
        rows.append((f"noisy{i}.png", cap, _hwc(noisy)))
    rows += _upsampled_rows(rng) + _lookalike_rows()
    for k, (name, cap, hwc) in enumerate(rows):
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
