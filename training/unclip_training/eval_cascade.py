"""Judge generated images: random grammar prompts -> reference cascade -> Shapes-world checker.

    python3 training/eval_cascade.py --n 48 --two 16 --size 64 --grid /tmp/grid.png
    python3 training/eval_cascade.py --true-emb ...   # decoder conditioned on CLIP embeddings of renders
"""
from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch

from . import world
from .common import CKPT_DIR, setup_threads
from .judge import score
from .reference_sampler import Cascade


def prompts_for(n_one, n_two, seed):
    rng = np.random.default_rng(seed)
    one = world.sample_scenes(rng, n_one, p_two=0.0, p_omit_size=0.0, p_omit_pos=0.0)
    two = world.sample_scenes(rng, n_two, p_two=1.0)
    return one, two


def evaluate(cas, n_one=48, n_two=16, seed=2024, size=64, prior_steps=25, prior_guidance=4.0,
             decoder_steps=50, decoder_guidance=3.0, true_emb=False, batch=32, grid=None):
    one, two = prompts_for(n_one, n_two, seed)
    key = {32: "decoder", 64: "sr_64", 256: "sr_256"}[size]
    res, imgs_all = {}, []
    for name, sc in (("one", one), ("two", two)):
        if len(sc) == 0:
            continue
        caps = sc.captions()
        imgs = []
        for i in range(0, len(caps), batch):
            p = caps[i:i + batch]
            seeds = [seed * 1000 + i + j + (0 if name == "one" else 500) for j in range(len(p))]
            emb = None
            if true_emb:
                s = sc.subset(np.arange(i, i + len(p)))
                emb = cas.m["clip"].image(torch.from_numpy(world.render(s, 64) / 127.5 - 1.0).float())
            out = cas.generate(p, seeds, prior_steps, prior_guidance, decoder_steps, decoder_guidance,
                               final_size=size, image_emb=emb)
            imgs.append(world.to_uint8(out[key].numpy()))
        imgs = np.concatenate(imgs)
        imgs_all += list(imgs)
        res[name] = score(imgs, caps)
    if grid:
        world.save_png(world.grid(imgs_all, 16), grid)
    return res


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=48)
    ap.add_argument("--two", type=int, default=16)
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--size", type=int, default=64, choices=[32, 64, 256])
    ap.add_argument("--ckpt-dir", default=str(CKPT_DIR))
    ap.add_argument("--prior-steps", type=int, default=25)
    ap.add_argument("--prior-guidance", type=float, default=4.0)
    ap.add_argument("--decoder-steps", type=int, default=50)
    ap.add_argument("--decoder-guidance", type=float, default=3.0)
    ap.add_argument("--true-emb", action="store_true")
    ap.add_argument("--grid", default=None)
    args = ap.parse_args(argv)
    setup_threads()
    cas = Cascade.from_checkpoints(args.ckpt_dir)
    t = time.time()
    res = evaluate(cas, args.n, args.two, args.seed, args.size, args.prior_steps, args.prior_guidance,
                   args.decoder_steps, args.decoder_guidance, args.true_emb, grid=args.grid)
    res["settings"] = {k: v for k, v in vars(args).items() if k not in ("ckpt_dir", "grid")}
    res["seconds"] = round(time.time() - t, 1)
    print(json.dumps(res))


if __name__ == "__main__":
    main()
