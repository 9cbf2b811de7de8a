"""Judge the running mesh (or the PyTorch reference cascade on the same weights): a fixed, held-out
prompt set, each image judged by the project's Shapes-world checker.

    ./unclip up
    /usr/bin/python3 training/evaluate_mesh.py                   # 100 + 60 one-object and 50 two-object prompts
    /usr/bin/python3 training/evaluate_mesh.py --one 20 --omit 12 --two 10 --grid /tmp/mesh.png --json /tmp/mesh.json
    /usr/bin/python3 training/evaluate_mesh.py --reference --one 40 --omit 18 --two 20   # no services needed
    /usr/bin/python3 training/evaluate_mesh.py --pair orange:yellow --one 30 --omit 30 --two 20   # one colour pair

Prompt groups (drawn from the caption grammar, world.py):
  one_object       every attribute stated ("a large red circle on the left on a blue background")
  one_object_omit  size and/or position left out, as the grammar allows, in equal thirds
                   (size / position / both omitted); the omitted attributes are not judged
  two_object       "a <c1> <s1> to the left of|above a <c2> <s2> on a <bg> background"

Figures: per group the fraction of images with every stated attribute right and per check; for
two-object prompts separately colours (both stated colours drawn), shapes (the two drawn shapes are
the stated ones, whichever colour carries which), binding (each colour carries its own shape) and
relation (the first object left of / above the second); per object-on-background colour pair and
per shape the fraction of objects drawn right (an object of a one-object prompt is right when the
whole image is; an object of a two-object prompt when background and count are right and an object
of its colour has its shape), with the weakest pairs listed. --json writes all of it, and every
prompt's verdict. --pair C:B gives every prompt's (first) object colour C on background B (a
second object keeps its colour unless it clashes), to measure one colour pair on more images than
the mixed set holds.

Held out and reproducible: prompts come from PROMPT_SEED (the omit group from its own stream) and
image i of group g (GROUPS order) gets seed IMAGE_SEED + 10000 g + i. Training draws scenes from
other streams (rng seeds 1-5; the other evaluations use 77, 99, 999, 2024, 12345), and the previous
evaluation set was prompt seed 31337 with image seeds 4242 + i (`--prompt-seed 31337 --omit 0`
draws its prompts again).

--reference runs the prompts through reference_sampler.Cascade on the torch weights the family was
exported from (--ckpt-dir, default training/checkpoints/<family name>), with the family's default
preset (samplers, steps, guidance from family.json) or what --extra names (preset, prior_steps,
decoder_steps, upsampler_steps, prior_guidance_scale, decoder_guidance_scale, as the gateway reads
them), same seeds, 256 px. It first checks that re-exporting those weights gives the family's graphs
(parity.weight_mismatches; --skip-weight-check skips it).
"""
from __future__ import annotations

import argparse
import base64
import io
import json
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
from PIL import Image

from . import world
from .judge import judge

PROMPT_SEED = 271828  # the held-out prompt set (the previous one was 31337)
IMAGE_SEED = 610000   # image i of group g: IMAGE_SEED + 10000 * g + i (previously 4242 + i)
GROUPS = ("one_object", "one_object_omit", "two_object")
OMIT_PATTERNS = ("size", "position", "size+position")


def with_pair(sc: world.Scenes, pair) -> world.Scenes:
    """The scenes with every first object in colour pair[0] on background pair[1] (indices into
    world.COLORS); a second object keeps its colour unless it clashes, then takes the first free one."""
    c, b = pair
    a = sc.attrs
    a["c1"][:], a["bg"][:] = c, b
    free = [k for k in range(len(world.COLORS)) if k not in (c, b)]
    clash = (a["c2"] == c) | (a["c2"] == b)
    a["c2"][clash] = free[0]
    return sc


def prompt_set(n_one: int, n_two: int, n_omit: int = 0, seed: int = PROMPT_SEED,
               image_seed: int = IMAGE_SEED, pair=None) -> list:
    """-> [{"group", "prompt", "record", "omits", "seed"}], groups in GROUPS order.

    one_object and two_object are drawn in that order from default_rng(seed) (as before the omit
    group existed); one_object_omit from default_rng([seed, 1]), its i-th prompt omitting
    OMIT_PATTERNS[i % 3]."""
    rng = np.random.default_rng(seed)
    one = world.sample_scenes(rng, n_one, p_two=0.0, p_omit_size=0.0, p_omit_pos=0.0)
    two = world.sample_scenes(rng, n_two, p_two=1.0)
    omit = world.sample_scenes(np.random.default_rng([seed, 1]), n_omit, p_two=0.0,
                               p_omit_size=0.0, p_omit_pos=0.0)
    if pair is not None:
        one, two, omit = (with_pair(sc, pair) for sc in (one, two, omit))
    pattern = np.arange(n_omit) % 3
    omit.cap_size[:] = pattern == 1          # size stated only where just the position is omitted
    omit.cap_pos[:] = pattern == 0           # position stated only where just the size is omitted
    out = []
    for g, (group, sc) in enumerate(zip(GROUPS, (one, omit, two))):
        recs = sc.caption_records()
        for i, rec in enumerate(recs):
            out.append({"group": group, "prompt": world.record_caption(rec),
                        "record": [int(x) for x in rec],
                        "omits": OMIT_PATTERNS[i % 3] if group == "one_object_omit" else None,
                        "seed": image_seed + 10000 * g + i})
    return out


# ---- image sources ------------------------------------------------------------------------------
def generate(url: str, prompt: str, seed: int, extra: dict, timeout: float) -> np.ndarray:
    body = dict(prompt=prompt, n=1, size="256x256", response_format="b64_json", seed=seed, **extra)
    req = urllib.request.Request(url.rstrip("/") + "/v1/images/generations",
                                 data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            data = json.load(r)
    except urllib.error.HTTPError as e:
        raise SystemExit(f"gateway answered {e.code}: {e.read().decode(errors='replace')}")
    except urllib.error.URLError as e:
        raise SystemExit(f"no gateway at {url} ({e.reason}); start the mesh (./unclip up) or use --reference")
    png = base64.b64decode(data["data"][0]["b64_json"])
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def reference_settings(fj: dict, extra: dict) -> dict:
    """The family's per-stage samplers, steps and guidance for a request with these extras, read as
    the gateway reads them (steps 0 or absent: the preset's; a sampler the preset does not name:
    DDPM)."""
    known = {"preset", "prior_steps", "decoder_steps", "upsampler_steps", "prior_guidance_scale",
             "decoder_guidance_scale"}
    unknown = set(extra) - known
    if unknown:
        raise SystemExit(f"--reference does not know the request fields {sorted(unknown)}")
    preset = extra.get("preset") or fj.get("default_preset", "quality")
    pick = lambda stage, key: extra.get(key) or stage["steps"][preset]
    sampler = lambda stage: stage.get("samplers", {}).get(preset, "ddpm")
    out = {"preset": preset,
           "prior": {"steps": pick(fj["prior"], "prior_steps"), "sampler": sampler(fj["prior"]),
                     "guidance": float(extra.get("prior_guidance_scale") or fj["prior"]["guidance"]["default"])},
           "decoder": {"steps": pick(fj["decoder"], "decoder_steps"), "sampler": sampler(fj["decoder"]),
                       "guidance": float(extra.get("decoder_guidance_scale") or fj["decoder"]["guidance"]["default"])},
           "upsamplers": [{"name": u["name"], "steps": pick(u, "upsampler_steps"), "sampler": sampler(u)}
                          for u in fj["upsamplers"]]}
    return out


class ReferenceSource:
    """The PyTorch reference cascade on the torch modules a family was exported from."""

    def __init__(self, family_dir, ckpt_dir, extra: dict, batch: int, check_weights: bool, log):
        from .export import load_family_modules
        from .reference_sampler import Cascade
        fj = json.loads((Path(family_dir) / "family.json").read_text())
        mods = load_family_modules(ckpt_dir)
        if check_weights:
            from .parity import weight_mismatches
            t = time.time()
            problems = weight_mismatches(family_dir, mods)
            if problems:
                raise SystemExit(f"{ckpt_dir} is not what {family_dir} was exported from:\n  "
                                 + "\n  ".join(problems) + "\n(--skip-weight-check to run anyway)")
            log(f"weights: {ckpt_dir} re-export to the graphs of {family_dir} ({time.time() - t:.0f} s)")
        self.cas = Cascade(mods, fj)
        self.settings = reference_settings(fj, extra)
        self.batch = batch

    def images(self, prompts, seeds):
        """Yields one uint8 [256,256,3] image per prompt, in order, generating `batch` at a time."""
        st, cas = self.settings, self.cas
        for i in range(0, len(prompts), self.batch):
            p, s = prompts[i:i + self.batch], seeds[i:i + self.batch]
            emb, text = cas.prior(p, s, st["prior"]["steps"], st["prior"]["guidance"], st["prior"]["sampler"])
            x = cas.decoder(emb, text, s, st["decoder"]["steps"], st["decoder"]["guidance"], st["decoder"]["sampler"])
            for k, u in enumerate(st["upsamplers"]):
                x = cas.upsample(x, s, 2 + k, u["name"], u["steps"], u["sampler"])
            yield from world.to_uint8(x.numpy())


# ---- figures ------------------------------------------------------------------------------------
def two_object_checks(verdict: dict, rec) -> dict:
    """Splits a two-object verdict: colours, shapes (as a multiset), binding, relation."""
    c1, s1, c2, s2 = rec[2], rec[3], rec[6], rec[7]
    objs = verdict["analysis"]["objects"]
    ch = verdict["checks"]
    drawn = sorted(o["shape"] for o in objs)
    return {"background": ch["background"], "count": ch["count"], "colours": ch["color"],
            "shapes": len(objs) == 2 and drawn == sorted([world.SHAPES[s1], world.SHAPES[s2]]),
            "binding": ch["shape"], "relation": ch["relation"]}


def object_outcomes(item: dict) -> list:
    """[(colour, background, shape, right)] for each object the prompt names."""
    rec, v = item["record"], item
    bg = world.COLORS[rec[1]]
    if rec[0] == 0:
        return [(world.COLORS[rec[2]], bg, world.SHAPES[rec[3]], v["ok"])]
    base = v["checks"]["background"] and v["checks"]["count"]
    objs = v["objects"]
    out = []
    taken = None
    for c, s in ((rec[2], rec[3]), (rec[6], rec[7])):
        o = next((o for o in objs if o["color"] == world.COLORS[c] and o is not taken), None)
        taken = o if o is not None else taken
        out.append((world.COLORS[c], bg, world.SHAPES[s], bool(base and o is not None and o["shape"] == world.SHAPES[s])))
    return out


def rate(values) -> dict:
    values = list(values)
    return {"n": len(values), "right": int(sum(values)), "rate": float(np.mean(values)) if values else None}


def summarise(items) -> dict:
    out = {"n": len(items), "all_right": float(np.mean([v["ok"] for v in items])) if items else None}
    for name in sorted({k for v in items for k in v["checks"]}):
        vals = [v["checks"][name] for v in items if name in v["checks"]]
        out[name] = float(np.mean(vals))
    return out


def figures(items) -> dict:
    groups = {g: [v for v in items if v["group"] == g] for g in GROUPS}
    out = {"groups": {g: summarise(v) for g, v in groups.items() if v}}
    om = groups["one_object_omit"]
    if om:
        out["omitted"] = {p: summarise([v for v in om if v["omits"] == p]) for p in OMIT_PATTERNS}
    one = groups["one_object"] + om
    if one:
        out["one_object_all"] = summarise(one)
    two = groups["two_object"]
    if two:
        parts = [v["two_object_checks"] for v in two]
        out["two_object"] = {"n": len(two), "fully_right": float(np.mean([v["ok"] for v in two]))}
        for k in ("colours", "shapes", "binding", "relation", "background", "count"):
            out["two_object"][k] = float(np.mean([p[k] for p in parts]))
        for kind, name in ((1, "left_of"), (2, "above")):
            sel = [v for v in two if v["record"][0] == kind]
            if sel:
                out["two_object"][name] = {"n": len(sel), "fully_right": float(np.mean([v["ok"] for v in sel])),
                                           "relation": float(np.mean([v["two_object_checks"]["relation"] for v in sel]))}
    objs = [o for v in items for o in object_outcomes(v)]
    pairs = {}
    for c, bg, _, ok in objs:
        pairs.setdefault((c, bg), []).append(ok)
    out["pairs"] = [{"color": c, "background": bg, **rate(v)} for (c, bg), v in sorted(pairs.items())]
    out["weakest_pairs"] = sorted((p for p in out["pairs"] if p["rate"] < 1),
                                  key=lambda p: (p["rate"], -p["n"]))[:10]
    out["shapes"] = {s: rate(ok for _, _, sh, ok in objs if sh == s) for s in world.SHAPES}
    out["object_colors"] = {c: rate(ok for cc, _, _, ok in objs if cc == c) for c in world.COLORS}
    out["backgrounds"] = {c: rate(ok for _, bg, _, ok in objs if bg == c) for c in world.COLORS}
    return out


def pct(x):
    return "  —  " if x is None else f"{x:6.1%}"


def report(fig: dict, print_=print):
    names = {"one_object": "one object, every attribute stated",
             "one_object_omit": "one object, size and/or position omitted",
             "two_object": "two objects"}
    for g, s in fig["groups"].items():
        checks = ", ".join(f"{k} {v:.1%}" for k, v in s.items() if k not in ("n", "all_right"))
        print_(f"{names[g]} (n={s['n']}): every stated attribute right {s['all_right']:.1%}  ({checks})")
    if "omitted" in fig:
        print_("  by what is omitted: " + ", ".join(
            f"{p} {s['all_right']:.1%} (n={s['n']})" for p, s in fig["omitted"].items() if s["n"]))
    if "two_object" in fig:
        t = fig["two_object"]
        print_(f"  two objects: fully right {t['fully_right']:.1%}, colours {t['colours']:.1%}, shapes "
               f"{t['shapes']:.1%}, binding {t['binding']:.1%}, relation {t['relation']:.1%}"
               + "".join(f"; {k.replace('_', ' ')} {t[k]['fully_right']:.1%} (n={t[k]['n']})"
                         for k in ("left_of", "above") if k in t))
    print_("objects drawn right per shape: " + ", ".join(
        f"{s} {pct(r['rate']).strip()} ({r['right']}/{r['n']})" for s, r in fig["shapes"].items() if r["n"]))
    print_("objects drawn right per colour pair (rows: object colour, columns: background; right/n; "
           "the last column and row: per object colour, per background):")
    cell = {(p["color"], p["background"]): p for p in fig["pairs"]}
    print_(" " * 8 + "".join(f"{c:>8}" for c in world.COLORS))
    for c in world.COLORS:
        row = "".join(f"{(str(cell[(c, b)]['right']) + '/' + str(cell[(c, b)]['n'])) if (c, b) in cell else '':>8}"
                      for b in world.COLORS)
        r = fig["object_colors"][c]
        print_(f"{c:>8}{row}   {pct(r['rate'])}")
    print_(f"{'all':>8}" + "".join(f"{pct(fig['backgrounds'][b]['rate']):>8}" for b in world.COLORS))
    if fig["weakest_pairs"]:
        print_("weakest pairs: " + ", ".join(f"{p['color']} on {p['background']} {p['right']}/{p['n']}"
                                             for p in fig["weakest_pairs"]))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", default="http://127.0.0.1:8080")
    ap.add_argument("--one", type=int, default=100, help="one-object prompts stating every attribute")
    ap.add_argument("--omit", type=int, default=60, help="one-object prompts omitting size and/or position")
    ap.add_argument("--two", type=int, default=50, help="two-object prompts")
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument("--extra", default="{}", help="extra request fields as JSON, e.g. '{\"decoder_guidance_scale\": 4}'")
    ap.add_argument("--grid", help="write a PNG grid of every image here")
    ap.add_argument("--json", help="write every figure and per-prompt verdict here")
    ap.add_argument("--prompt-seed", type=int, default=PROMPT_SEED)
    ap.add_argument("--pair", default=None, metavar="COLOUR:BACKGROUND",
                    help="every prompt's (first) object in this colour on this background, e.g. orange:yellow")
    ap.add_argument("--image-seed", type=int, default=IMAGE_SEED)
    ap.add_argument("--reference", action="store_true",
                    help="the PyTorch reference cascade on the family's weights instead of the mesh")
    ap.add_argument("--family-dir", default=None, help="with --reference (default models/shapes-tiny)")
    ap.add_argument("--ckpt-dir", default=None,
                    help="with --reference: the family's torch weights (default training/checkpoints/<family name>)")
    ap.add_argument("--batch", type=int, default=1, help="with --reference: prompts per cascade call")
    ap.add_argument("--skip-weight-check", action="store_true")
    args = ap.parse_args(argv)
    extra = json.loads(args.extra)
    log = lambda *a: print(*a, file=sys.stderr, flush=True)

    pair = None
    if args.pair:
        names = args.pair.split(":")
        if len(names) != 2 or any(n not in world.COLORS for n in names) or names[0] == names[1]:
            ap.error(f"--pair wants two different colours of {world.COLORS}, e.g. orange:yellow")
        pair = tuple(world.COLORS.index(n) for n in names)
    items = prompt_set(args.one, args.two, args.omit, args.prompt_seed, args.image_seed, pair)
    prompts, seeds = [v["prompt"] for v in items], [v["seed"] for v in items]
    settings = {"prompt_seed": args.prompt_seed, "image_seed": args.image_seed, "extra": extra,
                "pair": args.pair,
                "counts": {"one_object": args.one, "one_object_omit": args.omit, "two_object": args.two}}
    if args.reference:
        from .common import setup_threads, TRAINING_DIR
        setup_threads()
        family = Path(args.family_dir or TRAINING_DIR.parent / "models" / "shapes-tiny")
        ckpt = Path(args.ckpt_dir or TRAINING_DIR / "checkpoints" / family.name)
        src = ReferenceSource(family, ckpt, extra, args.batch, not args.skip_weight_check, log)
        settings.update(source="reference", family_dir=str(family), ckpt_dir=str(ckpt),
                        cascade=src.settings)
        source = src.images(prompts, seeds)
        where = f"the reference cascade ({family.name}, preset {src.settings['preset']})"
    else:
        settings.update(source="mesh", url=args.url)
        source = (generate(args.url, p, s, extra, args.timeout) for p, s in zip(prompts, seeds))
        where = args.url

    t0 = time.time()
    images = []
    for k, (item, img) in enumerate(zip(items, source)):
        images.append(img)
        v = judge(img, item["record"])
        item["ok"] = bool(v["ok"])
        item["checks"] = {c: bool(x) for c, x in v["checks"].items()}
        item["objects"] = [{"color": o["color"], "shape": o["shape"], "size": o["size"],
                            "position": o["position"], "fill": round(float(o["fill"]), 4)}
                           for o in v["analysis"]["objects"]]
        item["background_seen"] = v["analysis"]["background"]
        if item["record"][0] != 0:
            item["two_object_checks"] = {c: bool(x) for c, x in two_object_checks(v, item["record"]).items()}
        log(f"{item['group']} {k + 1}/{len(items)} {'ok ' if item['ok'] else 'BAD'} {item['prompt']}"
            + ("" if item["ok"] else "  (" + ", ".join(f"{o['color']} {o['shape']}" for o in item["objects"]) + ")"))
    elapsed = time.time() - t0

    fig = figures(items)
    print(f"\n{len(images)} images in {elapsed:.0f} s through {where} (request extras: {extra or 'none'})")
    report(fig)
    if args.grid and images:
        world.save_png(world.grid(images, 10), args.grid)
        print(f"grid: {args.grid}")
    if args.json:
        results = {g: {"summary": fig["groups"][g], "verdicts": [v for v in items if v["group"] == g]}
                   for g in fig["groups"]}
        with open(args.json, "w") as f:
            json.dump({"url": args.url if not args.reference else None, "extra": extra, "settings": settings,
                       "seconds": round(elapsed, 1), "figures": fig, "results": results}, f, indent=1)
        print(f"json: {args.json}")


if __name__ == "__main__":
    main()
