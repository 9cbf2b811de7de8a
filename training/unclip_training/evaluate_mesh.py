"""Judge the running mesh: a fixed, held-out prompt set through the gateway's REST API, each image
judged by the project's Shapes-world checker.

    ./unclip up
    /usr/bin/python3 training/evaluate_mesh.py                       # 100 one-object + 50 two-object prompts
    /usr/bin/python3 training/evaluate_mesh.py --one 20 --two 10 --grid /tmp/mesh.png --json /tmp/mesh.json

Prompts are drawn from the caption grammar with a fixed seed (every attribute stated for one-object
prompts); image seeds are fixed too, so a run is reproducible. Prints accuracy per attribute and
the fraction of images with every attribute right, for one- and two-object prompts.
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

import numpy as np
from PIL import Image

from . import world
from .judge import judge

PROMPT_SEED = 31337  # the held-out prompt set; training draws scenes from other streams
IMAGE_SEED = 4242


def prompt_set(n_one: int, n_two: int, seed: int = PROMPT_SEED):
    rng = np.random.default_rng(seed)
    one = world.sample_scenes(rng, n_one, p_two=0.0, p_omit_size=0.0, p_omit_pos=0.0).captions()
    two = world.sample_scenes(rng, n_two, p_two=1.0).captions()
    return one, two


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
    png = base64.b64decode(data["data"][0]["b64_json"])
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def summarise(verdicts) -> dict:
    out = {"n": len(verdicts), "all_right": float(np.mean([v["ok"] for v in verdicts])) if verdicts else 0.0}
    for name in sorted({k for v in verdicts for k in v["checks"]}):
        vals = [v["checks"][name] for v in verdicts if name in v["checks"]]
        out[name] = float(np.mean(vals))
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", default="http://127.0.0.1:8080")
    ap.add_argument("--one", type=int, default=100, help="one-object prompts")
    ap.add_argument("--two", type=int, default=50, help="two-object prompts")
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument("--extra", default="{}", help="extra request fields as JSON, e.g. '{\"decoder_guidance_scale\": 4}'")
    ap.add_argument("--grid", help="write a PNG grid of every image here")
    ap.add_argument("--json", help="write the figures and per-prompt verdicts here")
    args = ap.parse_args(argv)
    extra = json.loads(args.extra)

    one, two = prompt_set(args.one, args.two)
    results, images = {}, []
    t0 = time.time()
    for group, prompts in (("one_object", one), ("two_object", two)):
        verdicts = []
        for i, prompt in enumerate(prompts):
            img = generate(args.url, prompt, IMAGE_SEED + i, extra, args.timeout)
            images.append(img)
            v = judge(img, prompt)
            verdicts.append({"prompt": prompt, "ok": bool(v["ok"]),
                             "checks": {k: bool(c) for k, c in v["checks"].items()}})
            print(f"{group} {i + 1}/{len(prompts)} {'ok ' if v['ok'] else 'BAD'} {prompt}", file=sys.stderr)
        results[group] = {"summary": summarise(verdicts), "verdicts": verdicts}
    elapsed = time.time() - t0

    print(f"\n{len(images)} images in {elapsed:.0f} s through {args.url} (request extras: {extra or 'none'})")
    for group in results:
        s = results[group]["summary"]
        if not s["n"]:
            continue
        attrs = ", ".join(f"{k} {v:.1%}" for k, v in s.items() if k not in ("n", "all_right"))
        print(f"{group:>10}: n={s['n']}  every attribute right {s['all_right']:.1%}  ({attrs})")
    if args.grid and images:
        world.save_png(world.grid(images, 10), args.grid)
        print(f"grid: {args.grid}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"url": args.url, "extra": extra, "results": results}, f, indent=1)


if __name__ == "__main__":
    main()
