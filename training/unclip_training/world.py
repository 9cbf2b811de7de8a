"""The Shapes world (DESIGN.md section 3): a seeded scene generator, renderer and caption grammar.

Scenes are sampled as structured attribute arrays (one row per scene) so that whole batches can be
rendered with numpy in one go. Rendering is analytic: each pixel gets the coverage of every shape,
estimated from the signed distance to its outline (``clip(0.5 - d, 0, 1)`` with ``d`` in pixels),
so interiors carry the exact palette colour and only the one-pixel edge ring is anti-aliased. The
same scene renders consistently at any size (32, 64, 256, or a crop window of any of them).
"""
from __future__ import annotations

import numpy as np

COLORS = ["red", "green", "blue", "yellow", "purple", "orange", "white", "black"]
PALETTE = np.array([
    (220, 40, 40), (40, 170, 60), (40, 80, 220), (240, 210, 40),
    (150, 60, 190), (245, 140, 30), (245, 245, 245), (20, 20, 20)], dtype=np.float32)
SHAPES = ["circle", "square", "triangle"]
SIZES = ["small", "large"]
SIZE_SIDE = {0: (0.25, 0.03), 1: (0.50, 0.05)}
POSITIONS = ["center", "left", "right", "top", "bottom"]
POSITION_XY = np.array([(0.50, 0.50), (0.27, 0.50), (0.73, 0.50), (0.50, 0.27), (0.50, 0.73)],
                       dtype=np.float64)
POSITION_PHRASE = ["in the center", "on the left", "on the right", "at the top", "at the bottom"]
POSITION_JITTER = 0.04
KINDS = ["one", "left_of", "above"]  # caption/scene kinds
TWO_SIDE = (0.25, 0.38)
TWO_OFFAXIS = 0.10

# Integer attribute fields of a scene or caption record; -1 means absent / omitted.
FIELDS = ["kind", "bg", "c1", "s1", "size1", "pos1", "c2", "s2"]
GEOM = ["cx1", "cy1", "side1", "cx2", "cy2", "side2"]

WORDS = sorted(set(
    "a small large in the center on left right at top bottom background to of above".split()
    + COLORS + SHAPES))


class Scenes:
    """A batch of scenes: integer attributes, geometry, and which attributes the caption states."""

    def __init__(self, attrs: dict, geom: dict, cap_size: np.ndarray, cap_pos: np.ndarray):
        self.attrs = {k: np.asarray(v, dtype=np.int64) for k, v in attrs.items()}
        self.geom = {k: np.asarray(v, dtype=np.float64) for k, v in geom.items()}
        self.cap_size = np.asarray(cap_size, dtype=bool)
        self.cap_pos = np.asarray(cap_pos, dtype=bool)
        self.warp = {}  # object "1"/"2" -> [N, 9] shape warp (see _coverage, warped); rendering only

    def __len__(self):
        return len(self.attrs["kind"])

    def subset(self, idx):
        out = Scenes({k: v[idx] for k, v in self.attrs.items()},
                     {k: v[idx] for k, v in self.geom.items()},
                     self.cap_size[idx], self.cap_pos[idx])
        out.warp = {k: v[idx] for k, v in self.warp.items()}
        return out

    def caption_records(self) -> np.ndarray:
        """[N, 8] int array (FIELDS order) describing what each caption says (-1 = not stated)."""
        rec = np.stack([self.attrs[k] for k in FIELDS], axis=1).copy()
        rec[~self.cap_size, FIELDS.index("size1")] = -1
        rec[~self.cap_pos, FIELDS.index("pos1")] = -1
        return rec

    def scene_records(self) -> np.ndarray:
        return np.stack([self.attrs[k] for k in FIELDS], axis=1)

    def captions(self) -> list:
        return [record_caption(r) for r in self.caption_records()]

    def records(self) -> list:
        """Structured attributes per scene (dicts, for the judge and for humans)."""
        out = []
        for i in range(len(self)):
            a = {k: int(v[i]) for k, v in self.attrs.items()}
            g = {k: float(v[i]) for k, v in self.geom.items()}
            r = {"kind": KINDS[a["kind"]], "background": COLORS[a["bg"]], "objects": []}
            r["objects"].append({"color": COLORS[a["c1"]], "shape": SHAPES[a["s1"]],
                                 "cx": g["cx1"], "cy": g["cy1"], "side": g["side1"]})
            if a["kind"] == 0:
                r["objects"][0]["size"] = SIZES[a["size1"]]
                r["objects"][0]["position"] = POSITIONS[a["pos1"]]
            else:
                r["objects"].append({"color": COLORS[a["c2"]], "shape": SHAPES[a["s2"]],
                                     "cx": g["cx2"], "cy": g["cy2"], "side": g["side2"]})
            r["caption"] = record_caption(self.caption_records()[i])
            out.append(r)
        return out


def record_caption(rec) -> str:
    kind, bg, c1, s1, size1, pos1, c2, s2 = [int(x) for x in rec]
    if kind == 0:
        words = ["a"]
        if size1 >= 0:
            words.append(SIZES[size1])
        words += [COLORS[c1], SHAPES[s1]]
        if pos1 >= 0:
            words.append(POSITION_PHRASE[pos1])
        words += ["on", "a", COLORS[bg], "background"]
    else:
        rel = "to the left of" if kind == 1 else "above"
        words = ["a", COLORS[c1], SHAPES[s1], rel, "a", COLORS[c2], SHAPES[s2],
                 "on", "a", COLORS[bg], "background"]
    return " ".join(words)


def parse_caption(text: str):
    """Parse a grammar caption into an 8-int record (FIELDS order), or None if it is not one."""
    w = text.lower().split()
    try:
        if len(w) >= 2 and w[0] == "a":
            for rel, kind in (("to the left of", 1), ("above", 2)):
                rw = rel.split()
                if w[3:3 + len(rw)] == rw:
                    rest = w[3 + len(rw):]
                    if (len(rest) == 7 and rest[0] == "a" and rest[3:5] == ["on", "a"]
                            and rest[6] == "background"):
                        return [kind, COLORS.index(rest[5]), COLORS.index(w[1]), SHAPES.index(w[2]),
                                -1, -1, COLORS.index(rest[1]), SHAPES.index(rest[2])]
                    return None
            i = 1
            size = -1
            if w[i] in SIZES:
                size = SIZES.index(w[i]); i += 1
            c1 = COLORS.index(w[i]); s1 = SHAPES.index(w[i + 1]); i += 2
            pos = -1
            for p, phrase in enumerate(POSITION_PHRASE):
                pw = phrase.split()
                if w[i:i + len(pw)] == pw:
                    pos = p; i += len(pw); break
            if w[i:i + 2] == ["on", "a"] and w[i + 3:] == ["background"]:
                return [0, COLORS.index(w[i + 2]), c1, s1, size, pos, -1, -1]
    except (ValueError, IndexError):
        return None
    return None


def caption_matches(cap: np.ndarray, scene: np.ndarray) -> np.ndarray:
    """M[i, j] = caption record i is true of scene record j. cap [T,8], scene [N,8] -> bool [T,N]."""
    c = cap[:, None, :]
    s = scene[None, :, :]
    eq = c == s
    k, bg, c1, s1, sz, ps, c2, s2 = range(8)
    m = eq[..., k] & eq[..., bg] & eq[..., c1] & eq[..., s1]
    m &= (c[..., sz] < 0) | eq[..., sz]
    m &= (c[..., ps] < 0) | eq[..., ps]
    m &= (c[..., k] == 0) | (eq[..., c2] & eq[..., s2])
    return m


def sample_scenes(rng: np.random.Generator, n: int, p_two: float = 0.4,
                  p_omit_size: float = 0.25, p_omit_pos: float = 0.25) -> Scenes:
    """Draw n random scenes with captions following the grammar."""
    r = rng.random(n)
    kind = np.where(r < p_two / 2, 1, np.where(r < p_two, 2, 0))
    # three distinct colours (bg, c1, c2) via a random permutation prefix
    perm = np.argsort(rng.random((n, len(COLORS))), axis=1)
    bg, c1, c2 = perm[:, 0], perm[:, 1], perm[:, 2]
    s1 = rng.integers(0, 3, n)
    s2 = rng.integers(0, 3, n)
    size1 = rng.integers(0, 2, n)
    pos1 = rng.integers(0, 5, n)
    one = kind == 0
    # geometry, one-object scenes
    base = np.where(size1 == 1, 0.50, 0.25)
    jit = np.where(size1 == 1, 0.05, 0.03)
    side1 = base + rng.uniform(-1, 1, n) * jit
    cx1 = POSITION_XY[pos1, 0] + rng.uniform(-1, 1, n) * POSITION_JITTER
    cy1 = POSITION_XY[pos1, 1] + rng.uniform(-1, 1, n) * POSITION_JITTER
    # two-object scenes
    tside1 = rng.uniform(*TWO_SIDE, n)
    tside2 = rng.uniform(*TWO_SIDE, n)
    off1 = 0.5 + rng.uniform(-1, 1, n) * TWO_OFFAXIS
    off2 = 0.5 + rng.uniform(-1, 1, n) * TWO_OFFAXIS
    left = kind == 1
    tcx1 = np.where(left, 0.27, off1)
    tcy1 = np.where(left, off1, 0.27)
    tcx2 = np.where(left, 0.73, off2)
    tcy2 = np.where(left, off2, 0.73)
    attrs = {
        "kind": kind, "bg": bg, "c1": c1, "s1": s1,
        "size1": np.where(one, size1, -1), "pos1": np.where(one, pos1, -1),
        "c2": np.where(one, -1, c2), "s2": np.where(one, -1, s2)}
    geom = {
        "cx1": np.where(one, cx1, tcx1), "cy1": np.where(one, cy1, tcy1),
        "side1": np.where(one, side1, tside1),
        "cx2": np.where(one, 0.0, tcx2), "cy2": np.where(one, 0.0, tcy2),
        "side2": np.where(one, 0.0, tside2)}
    cap_size = one & (rng.random(n) >= p_omit_size)
    cap_pos = one & (rng.random(n) >= p_omit_pos)
    return Scenes(attrs, geom, cap_size, cap_pos)


def low_contrast_pairs(count: int = 10) -> list[tuple[int, int]]:
    """The ``count`` (object colour, background) pairs whose palette colours lie closest (RGB
    distance), both orders: the pairs a decoder draws worst (an orange square on red comes out
    faint)."""
    d = np.linalg.norm(PALETTE[:, None, :] - PALETTE[None, :, :], axis=-1)
    pairs = sorted(((d[i, j], i, j) for i in range(len(COLORS)) for j in range(len(COLORS)) if i != j))
    return [(i, j) for _, i, j in pairs[:count]]


def oversample_pairs(rng: np.random.Generator, scenes: Scenes, pairs, p: float) -> Scenes:
    """Gives a fraction ``p`` of the scenes an object-on-background colour pair drawn from
    ``pairs`` (first object, background); a second object keeps a colour distinct from both."""
    n = len(scenes.attrs["kind"])
    pick = rng.random(n) < p
    which = rng.integers(0, len(pairs), n)
    pairs = np.asarray(pairs, dtype=np.int64)
    c1 = np.where(pick, pairs[which, 0], scenes.attrs["c1"])
    bg = np.where(pick, pairs[which, 1], scenes.attrs["bg"])
    # a fresh third colour for two-object scenes: any palette colour other than c1 and bg
    perm = np.argsort(rng.random((n, len(COLORS))), axis=1)
    taken = (perm == c1[:, None]) | (perm == bg[:, None])
    third = perm[np.arange(n), np.argmax(~taken, axis=1)]
    two = scenes.attrs["kind"] != 0
    attrs = dict(scenes.attrs)
    attrs["c1"], attrs["bg"] = c1, bg
    attrs["c2"] = np.where(pick & two, third, scenes.attrs["c2"])
    return Scenes(attrs, scenes.geom, scenes.cap_size, scenes.cap_pos)


def oversample_shape(rng: np.random.Generator, scenes: Scenes, shape: int, p: float) -> Scenes:
    """Redraws each object's shape as ``shape`` with probability ``p`` (the other attributes and
    the geometry stay), so a shape the decoder draws worst is seen more often."""
    n = len(scenes.attrs["kind"])
    attrs = dict(scenes.attrs)
    attrs["s1"] = np.where(rng.random(n) < p, shape, scenes.attrs["s1"])
    two = scenes.attrs["kind"] != 0
    attrs["s2"] = np.where(two & (rng.random(n) < p), shape, scenes.attrs["s2"])
    return Scenes(attrs, scenes.geom, scenes.cap_size, scenes.cap_pos)


def warped(rng: np.random.Generator, scenes: Scenes, p: float = 0.7, max_aspect: float = 0.06,
           max_radius: float = 0.3, max_lump: float = 0.06, max_shear: float = 0.06) -> Scenes:
    """The same scenes with a fraction ``p`` of the objects drawn as near misses: the box stretched
    by up to ``max_aspect`` either way and sheared by up to ``max_shear``, a square's corners each
    rounded (60 % of them) with a radius of up to ``max_radius`` of its side, a circle's outline
    made lumpy (radius varying by up to ``max_lump``, 2, 3, 5 or 6 lobes: four would read as a
    rounded square). An upsampler trained to bring such renders back to the world's shapes snaps
    what the decoder draws almost right."""
    n = len(scenes)
    out = Scenes(scenes.attrs, scenes.geom, scenes.cap_size, scenes.cap_pos)
    for o in ("1", "2"):
        on = rng.random(n) < p
        a = rng.uniform(-max_aspect, max_aspect, n)
        r = rng.uniform(0, max_radius, (n, 4)) * (rng.random((n, 4)) < 0.6)
        lump = rng.uniform(0, max_lump, n)
        k = rng.choice(np.array([2.0, 3.0, 5.0, 6.0]), n)
        phase = rng.uniform(0, 2 * np.pi, n)
        shear = rng.uniform(-max_shear, max_shear, n)
        w = np.concatenate([a[:, None], r, np.stack([lump, k, phase, shear], axis=1)], axis=1)
        out.warp[o] = np.where(on[:, None], w, 0.0)
    return out


def scenes_from_records(rng: np.random.Generator, recs) -> Scenes:
    """Scenes that satisfy the given caption records (omitted attributes drawn at random)."""
    recs = np.asarray(recs, dtype=np.int64).reshape(-1, 8)
    n = len(recs)
    s = sample_scenes(rng, n, p_two=0.0)
    two = sample_scenes(rng, n, p_two=1.0)
    kind = recs[:, 0]
    attrs, geom = {}, {}
    for k in FIELDS:
        attrs[k] = np.where(kind == 0, s.attrs[k], two.attrs[k])
    for k in GEOM:
        geom[k] = np.where(kind == 0, s.geom[k], two.geom[k])
    attrs["kind"] = kind.copy()
    for k in ("bg", "c1", "s1", "c2", "s2"):
        col = recs[:, FIELDS.index(k)]
        attrs[k] = np.where(col >= 0, col, attrs[k])
    attrs["c2"] = np.where(kind == 0, -1, attrs["c2"])
    attrs["s2"] = np.where(kind == 0, -1, attrs["s2"])
    # two-object geometry depends on the relation
    left = kind == 1
    off1 = 0.5 + rng.uniform(-1, 1, n) * TWO_OFFAXIS
    off2 = 0.5 + rng.uniform(-1, 1, n) * TWO_OFFAXIS
    for name, lv, av in (("cx1", 0.27, off1), ("cy1", off1, 0.27), ("cx2", 0.73, off2),
                         ("cy2", off2, 0.73)):
        geom[name] = np.where(kind == 0, geom[name], np.where(left, lv, av))
    # one-object: explicit size / position
    size_c, pos_c = recs[:, 4], recs[:, 5]
    size1 = np.where(size_c >= 0, size_c, attrs["size1"])
    pos1 = np.where(pos_c >= 0, pos_c, attrs["pos1"])
    one = kind == 0
    base = np.where(size1 == 1, 0.50, 0.25)
    jit = np.where(size1 == 1, 0.05, 0.03)
    side1 = base + rng.uniform(-1, 1, n) * jit
    cx1 = POSITION_XY[np.clip(pos1, 0, 4), 0] + rng.uniform(-1, 1, n) * POSITION_JITTER
    cy1 = POSITION_XY[np.clip(pos1, 0, 4), 1] + rng.uniform(-1, 1, n) * POSITION_JITTER
    attrs["size1"] = np.where(one, size1, -1)
    attrs["pos1"] = np.where(one, pos1, -1)
    geom["side1"] = np.where(one, side1, geom["side1"])
    geom["cx1"] = np.where(one, cx1, geom["cx1"])
    geom["cy1"] = np.where(one, cy1, geom["cy1"])
    return Scenes(attrs, geom, one & (size_c >= 0), one & (pos_c >= 0))


def _coverage(shape, cx, cy, side, xs, ys, size, warp=None):
    """Coverage in [0,1] of shape (int [N]) on grid xs [W], ys [H] (normalised coords) -> [N,H,W].

    warp: None (the world's shapes) or [N, 9] floats (a, r_tl, r_tr, r_bl, r_br, lump, k, phase,
    shear): the box stretched to half-extents h(1+a) across and h(1-a) down and sheared (x moves by
    shear * y), a square's corners rounded with radii r_* (a fraction of the side), a circle's
    radius varied by a factor 1 + lump * cos(k angle + phase) -- the near misses a decoder draws,
    used to degrade an upsampler's input."""
    h = (side / 2.0)[:, None, None]
    dx = xs[None, None, :] - cx[:, None, None]
    dy = ys[None, :, None] - cy[:, None, None]
    if warp is not None:
        warp = np.asarray(warp, dtype=np.float64)
        a = warp[:, 0][:, None, None]
        hx, hy = h * (1 + a), h * (1 - a)
        # measured in the unit box's frame (distances scaled by the shorter half-extent's ratio)
        dx, dy = (dx - warp[:, 8][:, None, None] * dy) * h / hx, dy * h / hy
    sd = np.empty((len(shape), len(ys), len(xs)), dtype=np.float64)
    for s in range(3):
        idx = np.nonzero(shape == s)[0]
        if len(idx) == 0:
            continue
        ddx, ddy, hh = dx[idx], dy[idx], h[idx]
        if s == 0 and warp is not None:  # lumpy circle
            lump, k, ph = (warp[idx, j][:, None, None] for j in (5, 6, 7))
            d = np.sqrt(ddx * ddx + ddy * ddy) - hh * (1 + lump * np.cos(k * np.arctan2(ddy, ddx) + ph))
        elif s == 0:  # circle: disk filling the bounding box
            d = np.sqrt(ddx * ddx + ddy * ddy) - hh
        elif s == 1 and warp is not None:  # square with rounded corners (radius per quadrant)
            r4 = warp[idx, 1:] * 2.0 * hh[:, :, 0]  # [n,4] radii in normalised units
            right, below = ddx > 0, ddy > 0
            r = np.where(below, np.where(right, r4[:, 3, None, None], r4[:, 2, None, None]),
                         np.where(right, r4[:, 1, None, None], r4[:, 0, None, None]))
            r = np.minimum(r, hh)
            qx, qy = np.abs(ddx) - (hh - r), np.abs(ddy) - (hh - r)
            rounded = (np.sqrt(np.maximum(qx, 0) ** 2 + np.maximum(qy, 0) ** 2)
                       + np.minimum(np.maximum(qx, qy), 0) - r)
            d = np.where(r > 0, rounded, np.maximum(qx, qy))  # the world's own edge where r = 0
        elif s == 1:  # axis-aligned square
            d = np.maximum(np.abs(ddx), np.abs(ddy)) - hh
        else:  # triangle: apex top centre, base along the bottom edge
            yt = ddy + hh  # y measured from the top of the box
            d1 = ddy - hh
            d2 = (-2.0 * ddx - yt) / np.sqrt(5.0)
            d3 = (2.0 * ddx - yt) / np.sqrt(5.0)
            d = np.maximum(d1, np.maximum(d2, d3))
        sd[idx] = d
    return np.clip(0.5 - sd * size, 0.0, 1.0)


def render(scenes: Scenes, size: int, window=None, dtype=np.float32) -> np.ndarray:
    """Render scenes to uint8-valued float RGB [N,3,H,W] in 0..255 (window=(x0,y0,w) crops)."""
    x0, y0, w = (0, 0, size) if window is None else window
    n = len(scenes)
    x0 = np.broadcast_to(np.asarray(x0), (n,))
    y0 = np.broadcast_to(np.asarray(y0), (n,))
    out = np.empty((n, 3, w, w), dtype=dtype)
    a, g = scenes.attrs, scenes.geom
    # group by window offsets only when windows differ; do it per-row vectorised over the grid
    for (ox, oy) in set(zip(x0.tolist(), y0.tolist())):
        sel = np.nonzero((x0 == ox) & (y0 == oy))[0]
        xs = (np.arange(ox, ox + w) + 0.5) / size
        ys = (np.arange(oy, oy + w) + 0.5) / size
        img = np.broadcast_to(PALETTE[a["bg"][sel]][:, :, None, None], (len(sel), 3, w, w)).astype(np.float64)
        for o in ("1", "2"):
            col = a["c" + o][sel]
            present = col >= 0
            if not present.any():
                continue
            idx = sel[present]
            warp = scenes.warp.get(o)
            cov = _coverage(a["s" + o][idx], g["cx" + o][idx], g["cy" + o][idx], g["side" + o][idx],
                            xs, ys, size, None if warp is None else warp[idx])[:, None]
            sub = img[present]
            img[present] = sub * (1 - cov) + PALETTE[a["c" + o][idx]][:, :, None, None] * cov
        out[sel] = img
    return out


def to_model(img255: np.ndarray) -> np.ndarray:
    """0..255 -> [-1, 1] float32."""
    return (img255.astype(np.float32) / 127.5 - 1.0).astype(np.float32)


def to_uint8(x: np.ndarray) -> np.ndarray:
    """[-1,1] float [...,3,H,W] -> uint8 [...,H,W,3] with the project's rounding rule."""
    y = np.clip((x + 1.0) / 2.0, 0.0, 1.0) * 255.0
    y = np.floor(y + 0.5).astype(np.uint8)  # round half up; Java uses Math.round on the same value
    return np.moveaxis(y, -3, -1)


def save_png(img_hwc_uint8: np.ndarray, path: str):
    from PIL import Image
    Image.fromarray(img_hwc_uint8).save(path)


def grid(images_hwc: list, cols: int, pad: int = 2) -> np.ndarray:
    h, w = images_hwc[0].shape[:2]
    rows = (len(images_hwc) + cols - 1) // cols
    out = np.full((rows * (h + pad) + pad, cols * (w + pad) + pad, 3), 128, dtype=np.uint8)
    for i, im in enumerate(images_hwc):
        r, c = divmod(i, cols)
        out[pad + r * (h + pad):pad + r * (h + pad) + h, pad + c * (w + pad):pad + c * (w + pad) + w] = im
    return out
