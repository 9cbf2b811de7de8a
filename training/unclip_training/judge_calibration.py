"""Reference sets for the judge's shape thresholds (judge.py), and their shape statistics.

    /usr/bin/python3 -m unclip_training.judge_calibration [--grid /tmp/ref.png --json /tmp/ref.json]
                                                          (from training/)

good set: what a cascade with a perfect base decoder could at best deliver: generator scenes
(world.sample_scenes, every attribute stated) rendered at 32 or 64 px and brought to 256 px by
bicubic interpolation only, i.e. upsamplers that add nothing: PIL's bicubic (a = -0.5) on the
8-bit image, or the cascade's own resize (reference_sampler.resize: bicubic a = -0.75,
antialiased) on the [-1, 1] image, in one step or through 64 px as the cascade does; optionally
with mild noise (Gaussian, in 8-bit levels, at the low resolution and again at 256 px). The judge
must call these right.

failure set: shapes the decoder draws that are not the world's: rounded squares (corner radius
>= 15 % of the side), teardrops, eggs (aspect >= 1.15, or one end narrower), pawn-like blobs
(a head on a wider body), drawn at 256 px by supersampling, or at 32 / 64 px and upsampled like
the good set (the same softness). The judge must not take them for squares or circles.

The statistics are those the judge decides on (judge.shape_measures), per object, on the mask the
judge reads (for squares after judge.body, completed where the canvas cuts the box): fill, row/column
mirror asymmetry, corner-triangle misses, aspect; with --grid, also on the objects of an
evaluate_mesh grid (10 columns, 2 px padding, 256 px images).
"""
from __future__ import annotations

import argparse
import json

import numpy as np

from . import world
from . import judge as J

# ---- the good set -------------------------------------------------------------------------------


def upsample(img255: np.ndarray, size: int, how: str) -> np.ndarray:
    """img255: float 0..255 [N,3,h,w] -> uint8 [N,size,size,3].

    how: "pil" (PIL bicubic on the 8-bit image), "torch" (reference_sampler.resize on the [-1,1]
    image, one step), "cascade" (the same through 64 px, as the cascade resizes before each
    upsampler)."""
    if how == "pil":
        from PIL import Image
        u8 = world.to_uint8(world.to_model(img255))
        return np.stack([np.asarray(Image.fromarray(im).resize((size, size), Image.BICUBIC)) for im in u8])
    import torch
    from .reference_sampler import resize
    x = torch.from_numpy(world.to_model(img255))
    steps = [64, size] if how == "cascade" and x.shape[-1] < 64 else [size]
    for s in steps:
        x = resize(x.clamp(-1, 1), s)
    return world.to_uint8(x.clamp(-1, 1).numpy())


def _noisy(img255: np.ndarray, sigma: float, rng) -> np.ndarray:
    if sigma <= 0:
        return img255
    return np.clip(img255 + rng.normal(0, sigma, img255.shape), 0, 255)


def good_set(n: int, seed: int, base: int = 32, how: str = "pil", noise: float = 0.0,
             p_two: float = 0.4, size: int = 256):
    """-> (uint8 images [n,size,size,3], caption records [n,8] with every attribute stated).
    noise: sigma in 8-bit levels, added at the base resolution and again (half of it) at `size`."""
    rng = np.random.default_rng(seed)
    sc = world.sample_scenes(rng, n, p_two=p_two, p_omit_size=0.0, p_omit_pos=0.0)
    low = _noisy(world.render(sc, base).astype(np.float64), noise, rng)
    imgs = upsample(low.astype(np.float32), size, how) if base != size else world.to_uint8(world.to_model(low))
    if noise > 0:
        imgs = np.floor(_noisy(imgs.astype(np.float64), noise / 2, rng) + 0.5).astype(np.uint8)
    return imgs, sc.caption_records()


# ---- the failure set ----------------------------------------------------------------------------


def inside(kind, u, v, p):
    """Shapes in box coordinates u, v in [-1, 1] (v down): the world's square and circle, and
    lookalikes: rounded (corner radius p of the side), teardrop (a disk with a point on top at p
    radii from its centre, squeezed into the box), egg (half-width (1 + p v) sqrt(1 - v^2): narrower
    at the top), pawn (a head of radius p on a wider body)."""
    if kind == "square":
        return (np.abs(u) <= 1) & (np.abs(v) <= 1)
    if kind == "circle":
        return u * u + v * v <= 1
    if kind == "rounded":
        r = 2 * p
        qx, qy = np.abs(u) - (1 - r), np.abs(v) - (1 - r)
        return np.hypot(np.maximum(qx, 0), np.maximum(qy, 0)) + np.minimum(np.maximum(qx, qy), 0) <= r
    if kind == "teardrop":
        y = (v + 1) / 2 * (1 + p) - p
        s = 1.0 / p
        cone = (y >= -p) & (y <= -s) & (np.abs(u) <= (y + p) * s / np.sqrt(1 - s * s))
        return (u * u + y * y <= 1) | cone
    if kind == "egg":
        return (u / (1 + p * v)) ** 2 + v * v <= 1
    if kind == "pawn":
        hr = p or 0.45
        return (u * u + (v + 1 - hr) ** 2 <= hr ** 2) | (u * u + ((v - 0.3) / 0.7) ** 2 <= 1)
    raise ValueError(kind)


# (kind, parameter, aspect h/w): the known failure shapes
LOOKALIKES = [("rounded", 0.15, 1.0), ("rounded", 0.2, 1.0), ("rounded", 0.3, 1.0), ("rounded", 0.4, 1.0),
              ("teardrop", 1.3, 1.0), ("teardrop", 1.6, 1.0), ("teardrop", 1.6, 1.3),
              ("egg", 0.2, 1.0), ("egg", 0.25, 1.0), ("egg", 0.0, 1.15), ("egg", 0.0, 0.87), ("egg", 0.3, 1.15),
              ("pawn", 0.45, 1.0), ("pawn", 0.35, 1.0)]
# what each must not be taken for
NOT = {k: ("square", "circle") for k in ("rounded", "teardrop", "egg", "pawn")}


def draw(kind, p, cx, cy, side, size, fg, bg, aspect=1.0, ss=8) -> np.ndarray:
    """float 0..255 [3,size,size]: one shape on a background, coverage by ss x ss supersampling."""
    g = (np.arange(size * ss) + 0.5) / (size * ss)
    u = (g[None, :] - cx) / (side / 2)
    v = (g[:, None] - cy) / (side * aspect / 2)
    cov = inside(kind, u, v, p).astype(np.float64).reshape(size, ss, size, ss).mean(axis=(1, 3))
    img = world.PALETTE[bg][:, None, None] * (1 - cov) + world.PALETTE[fg][:, None, None] * cov
    return img.astype(np.float32)


def shape_set(kinds, n: int, seed: int, base: int = 256, how: str = "pil", noise: float = 0.0,
              sides=(0.22, 0.55), size: int = 256):
    """n images of each (kind, p, aspect) in kinds, one object each: uniform side in `sides`,
    centre in [0.3, 0.7]^2, two distinct palette colours; drawn at `base` px and upsampled to
    `size` like good_set. -> list of (uint8 image, (kind, p, aspect), side)."""
    rng = np.random.default_rng(seed)
    out = []
    for kp in kinds:
        kind, p, aspect = kp
        low, meta = [], []
        for _ in range(n):
            fg, bg = rng.choice(len(world.COLORS), 2, replace=False)
            cx, cy = rng.uniform(0.3, 0.7, 2)
            side = rng.uniform(*sides)
            low.append(_noisy(draw(kind, p, cx, cy, side, base, fg, bg, aspect).astype(np.float64), noise, rng))
            meta.append(side)
        low = np.stack(low).astype(np.float32)
        imgs = upsample(low, size, how) if base != size else world.to_uint8(world.to_model(low))
        if noise > 0:
            imgs = np.floor(_noisy(imgs.astype(np.float64), noise / 2, rng) + 0.5).astype(np.uint8)
        out += [(im, kp, s) for im, s in zip(imgs, meta)]
    return out


# ---- statistics ---------------------------------------------------------------------------------


def object_stats(image: np.ndarray) -> list:
    """Per object (as judge.analyse finds them, largest first): the shape the judge reads and the
    statistics each shape's test uses, on the mask that test sees."""
    img = np.asarray(image)
    S = min(img.shape[0], J.MAX_SIDE)
    f = img.shape[0] // S if img.shape[0] % S == 0 and img.shape[0] == img.shape[1] else 1
    small = J._area_resize(img, S)
    full = img.astype(np.float32) if f > 1 else small
    cls = J.classify_pixels(small)
    border = np.concatenate([cls[0], cls[-1], cls[:, 0], cls[:, -1]])
    bg = int(np.bincount(border, minlength=len(world.COLORS)).argmax())
    out = []
    for pix in J._components(cls != bg):
        if len(pix) < J.MIN_AREA_FRAC * S * S:
            continue
        col = int(np.bincount(cls[pix[:, 0], pix[:, 1]], minlength=len(world.COLORS)).argmax())
        comp = np.zeros((S, S), dtype=bool)
        comp[pix[:, 0], pix[:, 1]] = True
        box, frame = J.object_mask(full, f, comp, col, bg)
        r = {"shape": J.shape_of(box, frame)[0], "color": world.COLORS[col], "area": len(pix)}
        for shape in ("square", "circle", "triangle"):
            b, fr = J.body(box, frame) if shape == "square" else (box, frame)
            m = J.shape_measures(J.complete(b, J.canvas_edges(b, fr), J._COMPLETE[shape]))
            s = m["side_px"]
            st = {"s": s, "aspect_excess": (abs(m["w"] - m["h"]) - 1) / s, "fill": m["fill"]}
            if shape == "square":
                st["corner"] = (float(np.mean(m["corner_missing"])) - 1) / m["corner_tri"]
                st["corner_max"] = (float(np.max(m["corner_missing"])) - 1) / m["corner_tri"]
                st["corner_missing"], st["corner_tri"] = m["corner_missing"], m["corner_tri"]
            elif shape == "circle":
                st["fill_dev"] = abs(m["fill"] - np.pi / 4)
                st["asym"] = max(m["row_asym"], m["col_asym"])
            else:
                st["lower"] = m["lower"]
            r[shape] = st
        out.append(r)
    out.sort(key=lambda o: -o["area"])
    return out


def grid_images(path: str, cell: int = 256, pad: int = 2, cols: int = 10, count=None) -> list:
    """The images of a world.grid PNG (evaluate_mesh --grid)."""
    from PIL import Image
    g = np.asarray(Image.open(path).convert("RGB"))
    rows = (g.shape[0] - pad) // (cell + pad)
    out = []
    for r in range(rows):
        for c in range(cols):
            y, x = pad + r * (cell + pad), pad + c * (cell + pad)
            im = g[y:y + cell, x:x + cell]
            if (im == 128).all():
                continue
            out.append(im)
    return out[:count] if count else out


# ---- report -------------------------------------------------------------------------------------

GOOD_CONFIGS = [(base, how, noise) for base in (32, 64) for how in ("pil", "cascade") for noise in (0.0, 2.0)]
FAIL_CONFIGS = [(256, "pil", 0.0)] + [(base, how, noise) for base in (64, 32) for how in ("pil", "cascade")
                                      for noise in (0.0, 2.0)]


def good_rate(base, how, noise, n, seed) -> float:
    """Fraction of good_set images the judge calls right (every attribute)."""
    imgs, recs = good_set(n, seed, base, how, noise)
    return float(np.mean([J.judge(im, r)["ok"] for im, r in zip(imgs, recs)]))


def fail_rates(base, how, noise, n, seed, kinds=LOOKALIKES) -> dict:
    """Per lookalike, the fraction not read as a square or circle (one object seen)."""
    out = {}
    for im, kp, _ in shape_set(kinds, n, seed, base, how, noise):
        objs = J.analyse(im)["objects"]
        out.setdefault(kp, []).append(len(objs) == 1 and objs[0]["shape"] not in NOT[kp[0]])
    return {kp: float(np.mean(v)) for kp, v in out.items()}


# the statistics the shape tests decide on (judge._is), as (name, shape or None for all, value)
TESTS = [
    ("square (corner misses - 1) / T (<= 0.08)", "square", lambda st: st["corner"]),
    ("square fill (>= 0.9)", "square", lambda st: st["fill"]),
    ("circle |fill - pi/4| (<= 0.02 + 1.5/s)", "circle", lambda st: st["fill_dev"]),
    ("circle mirror asymmetry (<= 0.02 + 2/s)", "circle", lambda st: st["asym"]),
    ("triangle fill (<= 0.59 + 1.5/s)", "triangle", lambda st: st["fill"]),
    ("triangle lower mass (>= 0.65)", "triangle", lambda st: st["lower"]),
    ("(|w - h| - 1) / s (<= 0.08)", None, lambda st: st["aspect_excess"]),
]


# the world shape each lookalike imitates
MIMICS = {"rounded": ("square", "circle"), "teardrop": ("circle",), "egg": ("circle",), "pawn": ("circle",)}


def describe(objs: list) -> dict:
    """objs: object_stats rows with "true" (the shape the object should be, or a lookalike's kind)
    and "group" (a label). -> {test name: {group: [p1, median, p99, max, min, n]}}, the statistic of
    each object under the test of the shape it should be (a lookalike: of the shapes it imitates)."""
    out = {}
    for name, shape, value in TESTS:
        groups = {}
        for o in objs:
            t = o["true"]
            for sh in [t] if t in world.SHAPES else MIMICS[t]:
                if (shape or sh) == sh:
                    groups.setdefault(o["group"], []).append(value(o[sh]))
        out[name] = {g: [float(np.percentile(v, 1)), float(np.median(v)), float(np.percentile(v, 99)),
                         float(np.max(v)), float(np.min(v)), len(v)] for g, v in groups.items()}
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n-good", type=int, default=150, help="scenes per good-set configuration")
    ap.add_argument("--n-fail", type=int, default=10, help="images per lookalike and configuration")
    ap.add_argument("--grid", help="an evaluate_mesh --grid PNG (with --json): statistics of its objects")
    ap.add_argument("--json", help="the evaluate_mesh --json of that grid")
    ap.add_argument("--out", help="write every figure here (JSON)")
    args = ap.parse_args(argv)
    from .common import setup_threads
    setup_threads()
    res = {"good": {}, "fail": {}}
    print("good set (every attribute right, whole image):")
    for k, (base, how, noise) in enumerate(GOOD_CONFIGS):
        r = good_rate(base, how, noise, args.n_good, 5000 + k)
        res["good"][f"{base}->256 {how} noise {noise:g}"] = r
        print(f"  {base:3d} px -> 256 {how:8s} noise {noise:g}: {r:6.1%} (n={args.n_good})")
    print("failure set (not read as a square or circle):")
    for k, (base, how, noise) in enumerate(FAIL_CONFIGS):
        r = fail_rates(base, how, noise, args.n_fail, 6000 + k)
        key = f"{base}->256 {how} noise {noise:g}"
        res["fail"][key] = {f"{kp[0]} {kp[1]:g} aspect {kp[2]:g}": v for kp, v in r.items()}
        worst = min(r.items(), key=lambda kv: kv[1])
        print(f"  {base:3d} px -> 256 {how:8s} noise {noise:g}: {np.mean(list(r.values())):6.1%} "
              f"(n={args.n_fail * len(r)}; weakest {worst[0][0]} {worst[0][1]:g} aspect {worst[0][2]:g} {worst[1]:.0%})")
    # statistics: the good set at 32 -> 256 (cascade resize, noise 2), the failure set alike
    imgs, recs = good_set(args.n_good, 7000, 32, "cascade", 2.0)
    objs = []

    def wanted(r):
        want = {world.COLORS[r[2]]: world.SHAPES[r[3]]}
        if r[0] != 0:
            want[world.COLORS[r[6]]] = world.SHAPES[r[7]]
        return want

    for im, r in zip(imgs, recs):
        want = wanted(r)
        objs += [dict(o, true=want[o["color"]], group=f"good 32->256: {want[o['color']]}")
                 for o in object_stats(im) if o["color"] in want]
    for im, kp, _ in shape_set(LOOKALIKES, args.n_fail, 7001, 32, "cascade", 2.0):
        objs += [dict(o, true=kp[0], group=f"lookalike 32->256: {kp[0]} {kp[1]:g}/{kp[2]:g}")
                 for o in object_stats(im)[:1]]
    if args.grid and args.json:
        d = json.load(open(args.json))
        items = [v for g in ("one_object", "one_object_omit", "two_object") if g in d["results"]
                 for v in d["results"][g]["verdicts"]]
        for im, v in zip(grid_images(args.grid, count=len(items)), items):
            want = wanted(v["record"])
            objs += [dict(o, true=want[o["color"]], group=f"cascade: {want[o['color']]}")
                     for o in object_stats(im) if o["color"] in want]
    stats = describe(objs)
    print("statistics (p1 / median / p99 / max, min; n) under the test of the shape each object should be"
          " (a lookalike: of the shapes it imitates):")
    order = lambda g: (["good", "lookalike", "cascade"].index(g.split(":")[0].split()[0]), g)
    for name, groups in stats.items():
        print(f"  {name}")
        for g, (p1, p50, p99, mx, mn, n) in sorted(groups.items(), key=lambda kv: order(kv[0])):
            print(f"    {g:34s} {p1:7.4f} {p50:7.4f} {p99:7.4f} {mx:7.4f}  min {mn:7.4f}  n={n}")
    res["statistics"] = stats
    if args.out:
        with open(args.out, "w") as f:
            json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
