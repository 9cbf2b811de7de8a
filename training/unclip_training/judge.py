"""The project's Shapes-world checker: reads an RGB image back into attributes and judges captions.

Method: resize to at most 128 px (area average), classify every pixel to the nearest palette colour,
take the most frequent colour on the border as the background, find connected components of
non-background pixels, keep those larger than a noise threshold, and describe each by its majority
colour, its bounding box (size = side / canvas, position = nearest of the five anchor points) and its
shape (fill ratio of the bounding box: square ~1, circle ~pi/4, triangle ~1/2 with most of its mass
in the lower half).
"""
from __future__ import annotations

from collections import deque

import numpy as np

from .world import COLORS, PALETTE, SHAPES, SIZES, POSITIONS, POSITION_XY, parse_caption

MAX_SIDE = 128
MIN_AREA_FRAC = 0.006  # components smaller than this fraction of the canvas are noise


def _area_resize(img: np.ndarray, size: int) -> np.ndarray:
    h = img.shape[0]
    if h == size:
        return img.astype(np.float32)
    if h % size == 0:
        f = h // size
        return img.reshape(size, f, size, f, 3).mean(axis=(1, 3)).astype(np.float32)
    from PIL import Image
    return np.asarray(Image.fromarray(img.astype(np.uint8)).resize((size, size), Image.BOX), np.float32)


def classify_pixels(img: np.ndarray) -> np.ndarray:
    d = ((img[:, :, None, :] - PALETTE[None, None]) ** 2).sum(-1)
    return d.argmin(-1)


def _components(mask: np.ndarray):
    H, W = mask.shape
    labels = -np.ones((H, W), dtype=np.int64)
    comps = []
    for y0, x0 in zip(*np.nonzero(mask)):
        if labels[y0, x0] >= 0:
            continue
        lab = len(comps)
        q = deque([(y0, x0)])
        labels[y0, x0] = lab
        pix = []
        while q:
            y, x = q.popleft()
            pix.append((y, x))
            for dy, dx in ((1, 0), (-1, 0), (0, 1), (0, -1)):
                yy, xx = y + dy, x + dx
                if 0 <= yy < H and 0 <= xx < W and mask[yy, xx] and labels[yy, xx] < 0:
                    labels[yy, xx] = lab
                    q.append((yy, xx))
        comps.append(np.array(pix))
    return comps


def analyse(image: np.ndarray) -> dict:
    """image: uint8/float RGB [H,W,3] (0..255). -> {background, objects:[...]} sorted by area."""
    img = np.asarray(image)
    if img.ndim == 3 and img.shape[0] == 3 and img.shape[2] != 3:
        img = np.moveaxis(img, 0, -1)
    S = min(img.shape[0], MAX_SIDE)
    img = _area_resize(img, S)
    cls = classify_pixels(img)
    border = np.concatenate([cls[0], cls[-1], cls[:, 0], cls[:, -1]])
    bg = int(np.bincount(border, minlength=len(COLORS)).argmax())
    objs = []
    for pix in _components(cls != bg):
        if len(pix) < MIN_AREA_FRAC * S * S:
            continue
        ys, xs = pix[:, 0], pix[:, 1]
        col = int(np.bincount(cls[ys, xs], minlength=len(COLORS)).argmax())
        y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
        w, h = x1 - x0, y1 - y0
        fill = len(pix) / float(w * h)
        # mass distribution: a triangle has most of its pixels in the lower half of its box
        lower = float((ys >= (y0 + y1) / 2).mean())
        if fill > 0.89:
            shape = "square"
        elif fill > 0.64 and lower < 0.6:
            shape = "circle"
        elif lower >= 0.6:
            shape = "triangle"
        else:
            shape = "circle" if fill > 0.55 else "triangle"
        side = max(w, h) / S
        cx, cy = (x0 + x1) / 2 / S, (y0 + y1) / 2 / S
        pos = int(((POSITION_XY - np.array([cx, cy])) ** 2).sum(1).argmin())
        objs.append({"color": COLORS[col], "shape": shape, "size": "large" if side > 0.375 else "small",
                     "position": POSITIONS[pos], "cx": cx, "cy": cy, "side": side, "fill": fill,
                     "aspect": w / h, "lower_mass": lower, "area": len(pix) / (S * S)})
    objs.sort(key=lambda o: -o["area"])
    return {"background": COLORS[bg], "objects": objs}


def judge(image: np.ndarray, caption) -> dict:
    """Judge an image against a grammar caption (str) or an 8-int record (world.FIELDS order).

    Returns {"ok": bool, "checks": {name: bool}, "analysis": ...}. Only attributes the caption states
    are checked; the object count must match exactly.
    """
    rec = parse_caption(caption) if isinstance(caption, str) else [int(x) for x in caption]
    if rec is None:
        raise ValueError(f"not a Shapes-world caption: {caption!r}")
    kind, bg, c1, s1, size1, pos1, c2, s2 = rec
    a = analyse(image)
    objs = a["objects"]
    checks = {"background": a["background"] == COLORS[bg]}
    if kind == 0:
        checks["count"] = len(objs) == 1
        o = objs[0] if objs else None
        checks["color"] = o is not None and o["color"] == COLORS[c1]
        checks["shape"] = o is not None and o["shape"] == SHAPES[s1]
        if size1 >= 0:
            checks["size"] = o is not None and o["size"] == SIZES[size1]
        if pos1 >= 0:
            checks["position"] = o is not None and o["position"] == POSITIONS[pos1]
    else:
        checks["count"] = len(objs) == 2
        o1 = next((o for o in objs if o["color"] == COLORS[c1]), None)
        o2 = next((o for o in objs if o["color"] == COLORS[c2] and o is not o1), None)
        checks["color"] = o1 is not None and o2 is not None
        checks["shape"] = bool(o1 and o2 and o1["shape"] == SHAPES[s1] and o2["shape"] == SHAPES[s2])
        if o1 and o2:
            if kind == 1:
                rel = o1["cx"] < o2["cx"] and abs(o1["cx"] - o2["cx"]) > abs(o1["cy"] - o2["cy"])
            else:
                rel = o1["cy"] < o2["cy"] and abs(o1["cy"] - o2["cy"]) > abs(o1["cx"] - o2["cx"])
        else:
            rel = False
        checks["relation"] = rel
    return {"ok": all(checks.values()), "checks": checks, "analysis": a}


def score(images, captions) -> dict:
    """Fraction of images fully right, plus per-check accuracy."""
    res = [judge(im, c) for im, c in zip(images, captions)]
    out = {"n": len(res), "all": float(np.mean([r["ok"] for r in res]))}
    names = sorted({k for r in res for k in r["checks"]})
    for k in names:
        v = [r["checks"][k] for r in res if k in r["checks"]]
        out[k] = float(np.mean(v))
    return out
