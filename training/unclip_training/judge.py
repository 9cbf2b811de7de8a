"""The project's Shapes-world checker: reads an RGB image back into attributes and judges captions.

Method: resize to at most 128 px (area average), classify every pixel to the nearest palette colour,
take the most frequent colour on the border as the background, find connected components of
non-background pixels, keep those larger than a noise threshold, and describe each by its majority
colour, its bounding box (size = side / canvas, position = nearest of the five anchor points) and its
shape.

Shape (`shape_of`) is read from the object's own mask at the input resolution when that is a
multiple of the analysis size (256 px images: at 256), else at the analysis size: the pixels within
one analysis pixel of the component that lie nearer the object's palette colour than the
background's (an anti-aliased edge pixel counts when more than half covered, whichever third palette
colour the blend happens to be nearest). The world's shapes fill a square bounding box exactly
(DESIGN.md section 3); on the mask's box, w x h pixels, s = max(w, h), n = its pixel count, fill =
n / (w h), every tolerance shrinking as 1/s (pixel quantisation), the shapes are tried in order:

* square: first the box is trimmed, on each side, of up to ceil(s/10) outer rows (columns) with
  fewer than half the pixels of the fullest row (column), if the row (column) inside them holds at
  least 0.8 of the fullest (a thinned half-covered edge, a small protrusion on a straight side).
  Then fill >= 0.9 and the corners present: in each corner the triangle of pixels i + j < k
  (k = ceil(s/4), T of them) misses, averaged over the four corners, at most 1 + 0.08 T pixels (a
  corner rounded with radius r misses about 0.21 r^2 pixels, T is about s^2/32: radii above about
  11 % of the side fail, and from 15 % reliably for objects of 56 px or more, from 20 % at 30 px);
* circle: |fill - pi/4| <= 0.02 + 1.5/s, and mirror-symmetric top/bottom and left/right:
  sum_j |row_j - row_(h-1-j)| / (2 n) <= 0.02 + 2/s, the same for columns (row_j, col_i: pixel
  counts) (eggs, teardrops, pawns fail);
* triangle: fill <= 0.59 + 1.5/s and at least 0.65 of the pixels in the lower half of the box
  (rows below the middle count 1, a middle row 1/2);
* and for all three |w - h| <= 1 + 0.08 s; otherwise the shape is "other".

The constants sit between two reference sets (judge_calibration.py): what a cascade with a perfect
32 or 64 px base decoder and upsamplers no better than bicubic would deliver (generator scenes
rendered at 32/64 px, bicubic to 256 px, with and without mild noise: faceted circles, softened
corners, blunted triangle apexes), which must be read right, and the lookalikes (rounded squares
from a corner radius of 15 %, teardrops, eggs, pawns; drawn at 256 px or at 32/64 px and upsampled
the same way), which must not be read as squares or circles. Where the two overlap the lookalikes
are rejected: a square of 7-9 base pixels loses as much of its corners to the 32 px grid as a
15 % corner radius takes, so the square's corner limit stays and a few of those small squares
(about 2 % of the squares from a 32 px base) are read as "other".

Before the measures (for the square after the trimming), a box that touches one canvas edge of an
axis and is shorter along that axis than across it was cut off by the canvas and is completed to
s x s (`complete`): for the square by repeating its last row/column, for the circle by mirroring,
for the triangle by mirroring left/right, with empty rows at the top (the apex) and repeated rows
at the bottom.
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


def _dilate(mask: np.ndarray) -> np.ndarray:
    """3x3 dilation (8-neighbourhood)."""
    d = mask.copy()
    d[1:] |= mask[:-1]
    d[:-1] |= mask[1:]
    e = d.copy()
    e[:, 1:] |= d[:, :-1]
    e[:, :-1] |= d[:, 1:]
    return e


def object_mask(full: np.ndarray, f: int, comp: np.ndarray, col: int, bg: int):
    """The object's pixels at the resolution of ``full`` (``f`` times the analysis size): those within
    one analysis pixel of the component ``comp`` [S,S] that are nearer palette colour ``col`` than
    the background ``bg``. -> (bool mask cropped to its bounding box, (top, left, canvas height,
    canvas width) of that box)."""
    near = _dilate(comp)
    if f > 1:
        near = np.repeat(np.repeat(near, f, axis=0), f, axis=1)
    fg_d = ((full - PALETTE[col]) ** 2).sum(-1)
    bg_d = ((full - PALETTE[bg]) ** 2).sum(-1)
    m = near & (fg_d < bg_d)
    ys, xs = np.nonzero(m)
    if len(ys) == 0:
        return np.zeros((1, 1), dtype=bool), None
    return m[ys.min():ys.max() + 1, xs.min():xs.max() + 1], (int(ys.min()), int(xs.min())) + m.shape


def canvas_edges(box: np.ndarray, frame) -> set:
    """The canvas edges ("left", "right", "top", "bottom") that a box at frame = (top, left, H, W)
    touches."""
    if frame is None:
        return set()
    y0, x0, H, W = frame
    h, w = box.shape
    return {name for name, hit in (("left", x0 == 0), ("right", x0 + w == W),
                                   ("top", y0 == 0), ("bottom", y0 + h == H)) if hit}


def body(box: np.ndarray, frame):
    """Trims, from each side, up to ceil(s/10) outermost rows (columns) that hold fewer than half the
    pixels of the fullest row (column) where the row (column) inside them is nearly full (>= 0.8 of
    the fullest): a square's half-covered edge that noise has thinned, or a small protrusion on a
    straight side. -> (trimmed box, its frame)."""
    lim = int(np.ceil(max(box.shape) / 10))

    def lead(counts):
        n, top = 0, counts.max()
        while n < lim and n < len(counts) - 1 and 2 * counts[n] < top:
            n += 1
        return n if counts[n] >= 0.8 * top else 0

    rows, cols = box.sum(axis=1), box.sum(axis=0)
    y0, y1 = lead(rows), len(rows) - lead(rows[::-1])
    x0, x1 = lead(cols), len(cols) - lead(cols[::-1])
    if frame is not None:
        frame = (frame[0] + y0, frame[1] + x0) + tuple(frame[2:])
    return box[y0:y1, x0:x1], frame


def complete(box: np.ndarray, edges, how: dict) -> np.ndarray:
    """Completes a shape cut off by the canvas: every world shape has a square bounding box, so a box
    that touches one canvas edge of an axis and is shorter along that axis than across it lost
    (longer - shorter) rows or columns there. They are added back per ``how`` ({"left"|...: "edge"
    (repeat the last row/column), "mirror" (reflect about the middle of the completed box) or
    "empty"}). Boxes that are not cut off come back unchanged."""
    h, w = box.shape
    s = max(h, w)
    # bring the cut side to the right: rotate so that side is axis 1, high end
    for side, k in (("right", 0), ("bottom", 1), ("left", 2), ("top", 3)):
        opposite = {"right": "left", "left": "right", "top": "bottom", "bottom": "top"}[side]
        if side not in edges or opposite in edges:
            continue
        b = np.rot90(box, k)  # the cut side is now on the right
        d = s - b.shape[1]
        if d <= 0 or d >= b.shape[1]:
            continue
        if how[side] == "edge":
            add = np.repeat(b[:, -1:], d, axis=1)
        elif how[side] == "mirror":
            add = b[:, s - 1 - np.arange(b.shape[1], s)]
        else:
            add = np.zeros((b.shape[0], d), dtype=bool)
        box = np.rot90(np.concatenate([b, add], axis=1), -k)
    return box


# how each shape is completed where the canvas cut it: squares continue their edges; circles are
# symmetric both ways; triangles left/right, and lose only their apex at the top or a sliver of
# base at the bottom
_COMPLETE = {
    "square": dict(left="edge", right="edge", top="edge", bottom="edge"),
    "circle": dict(left="mirror", right="mirror", top="mirror", bottom="mirror"),
    "triangle": dict(left="mirror", right="mirror", top="empty", bottom="edge"),
}


def shape_measures(box: np.ndarray) -> dict:
    """Measures of a shape mask cropped to its bounding box (see the module docstring)."""
    h, w = box.shape
    n = int(box.sum())
    s = max(w, h)
    rows = box.sum(axis=1)
    cols = box.sum(axis=0)
    yc = np.arange(h) + 0.5
    lower_w = np.where(yc > h / 2, 1.0, np.where(yc == h / 2, 0.5, 0.0))
    k = max(2, int(np.ceil(s / 4)))
    kk = min(k, w, h)
    ii, jj = np.mgrid[0:kk, 0:kk]
    tri = (ii + jj) < k
    corners = [box[:kk, :kk], box[::-1][:kk, :kk], box[:, ::-1][:kk, :kk], box[::-1, ::-1][:kk, :kk]]
    missing = [int(tri.sum() - c[tri].sum()) for c in corners]
    return {"w": w, "h": h, "side_px": s, "area_px": n, "fill": n / float(w * h),
            "lower": float((rows * lower_w).sum() / max(n, 1)),
            "row_asym": float(np.abs(rows - rows[::-1]).sum() / (2.0 * max(n, 1))),
            "col_asym": float(np.abs(cols - cols[::-1]).sum() / (2.0 * max(n, 1))),
            "corner_k": k, "corner_tri": int(tri.sum()), "corner_missing": missing}


def _is(shape: str, m: dict) -> bool:
    s, fill = m["side_px"], m["fill"]
    if abs(m["w"] - m["h"]) > 1 + 0.08 * s:
        return False
    if shape == "square":
        return fill >= 0.9 and float(np.mean(m["corner_missing"])) <= 1 + 0.08 * m["corner_tri"]
    if shape == "circle":
        sym = 0.02 + 2.0 / s
        return abs(fill - np.pi / 4) <= 0.02 + 1.5 / s and m["row_asym"] <= sym and m["col_asym"] <= sym
    return fill <= 0.59 + 1.5 / s and m["lower"] >= 0.65


def shape_of(box: np.ndarray, frame=None):
    """box: an object's mask cropped to its bounding box; frame: (top, left, H, W) of the box on the
    canvas, None if unknown. -> (one of world.SHAPES or "other", the measures it was accepted on;
    for "other", those of the mask as seen)."""
    for shape in ("square", "circle", "triangle"):
        b, fr = body(box, frame) if shape == "square" else (box, frame)
        m = shape_measures(complete(b, canvas_edges(b, fr), _COMPLETE[shape]))
        if _is(shape, m):
            return shape, m
    return "other", shape_measures(box)


def analyse(image: np.ndarray) -> dict:
    """image: uint8/float RGB [H,W,3] (0..255). -> {background, objects:[...]} sorted by area."""
    img = np.asarray(image)
    if img.ndim == 3 and img.shape[0] == 3 and img.shape[2] != 3:
        img = np.moveaxis(img, 0, -1)
    S = min(img.shape[0], MAX_SIDE)
    f = img.shape[0] // S if img.shape[0] % S == 0 and img.shape[0] == img.shape[1] else 1
    small = _area_resize(img, S)
    full = img.astype(np.float32) if f > 1 else small
    cls = classify_pixels(small)
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
        comp = np.zeros((S, S), dtype=bool)
        comp[ys, xs] = True
        shape, m = shape_of(*object_mask(full, f, comp, col, bg))
        side = max(w, h) / S
        cx, cy = (x0 + x1) / 2 / S, (y0 + y1) / 2 / S
        pos = int(((POSITION_XY - np.array([cx, cy])) ** 2).sum(1).argmin())
        objs.append({"color": COLORS[col], "shape": shape, "size": "large" if side > 0.375 else "small",
                     "position": POSITIONS[pos], "cx": cx, "cy": cy, "side": side, "fill": m["fill"],
                     "aspect": w / h, "lower_mass": m["lower"], "area": len(pix) / (S * S),
                     "measures": m})
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
