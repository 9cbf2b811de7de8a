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


def evaluate_sr(cas, name, n=32, seed=77, steps=7, grid=None):
    """Upsample true low-res renders with one stage; PSNR vs the true render and judge accuracy."""
    net = cas.m[name]
    rng = np.random.default_rng(seed)
    sc = world.sample_scenes(rng, n, p_omit_size=0.0, p_omit_pos=0.0)
    low = torch.from_numpy(world.to_model(world.render(sc, net.cfg.input_resolution)))
    hi = world.to_model(world.render(sc, net.cfg.output_resolution))
    k = 2 if name == "sr_64" else 3
    out = cas.upsample(low, list(range(n)), k, name, steps).numpy()
    from .reference_sampler import resize
    base = resize(low, net.cfg.output_resolution).clamp(-1, 1).numpy()
    psnr = lambda a, b: float(10 * np.log10(4.0 / np.mean((a - b) ** 2)))
    imgs = world.to_uint8(out)
    if grid:
        world.save_png(world.grid(list(imgs[:8]) + list(world.to_uint8(base[:8])), 8), grid)
    return {"stage": name, "n": n, "psnr": psnr(out, hi), "psnr_bicubic": psnr(base, hi),
            "judge": score(imgs, sc.captions())["all"]}


@torch.no_grad()
def evaluate_prior(cas, n=64, seed=99, steps=25, guidance=4.0):
    """Classify prior samples with CLIP text (like the zero-shot test, embedding from the prior)."""
    rng = np.random.default_rng(seed)
    sc = world.sample_scenes(rng, n, p_two=0.0, p_omit_size=0.0, p_omit_pos=0.0)
    caps = sc.captions()
    emb, _ = cas.prior(caps, list(range(n)), steps, guidance)
    emb = torch.nn.functional.normalize(emb, dim=-1)
    true_emb = cas.m["clip"].image(torch.from_numpy(world.render(sc, 64) / 127.5 - 1.0).float())
    rec = sc.caption_records()
    res = {"cos_to_true_image": float((emb * true_emb).sum(1).mean())}
    ncol = len(world.COLORS)
    for name, field, values in (("color", 2, range(ncol)), ("shape", 3, range(3)), ("background", 1, range(ncol)),
                                ("size", 4, range(2)), ("position", 5, range(5))):
        correct = 0
        for i, r in enumerate(rec):
            cands, truth = [], None
            for v in values:
                if (name == "color" and v == r[1]) or (name == "background" and v == r[2]):
                    continue
                rr = r.copy(); rr[field] = v
                if v == r[field]:
                    truth = len(cands)
                cands.append(world.record_caption(rr))
            te, _, _ = cas.text(cands)
            correct += int(int((te @ emb[i]).argmax()) == truth)
        res[name] = correct / n
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
    ap.add_argument("--prior-only", action="store_true")
    ap.add_argument("--sr-only", choices=["sr_64", "sr_256"], default=None)
    args = ap.parse_args(argv)
    setup_threads()
    if args.sr_only:
        from .export import load_family_modules
        from .models import SRUNet, sr_config
        net = SRUNet(sr_config(args.sr_only))
        ck = torch.load(f"{args.ckpt_dir}/{args.sr_only}.pt", map_location="cpu")
        net.load_state_dict(ck["state_dict"])
        cas = Cascade({args.sr_only: net.eval(), "clip_mean": np.zeros(1), "clip_std": np.ones(1)})
        print(json.dumps(evaluate_sr(cas, args.sr_only, n=args.n, grid=args.grid) | {"step": ck["step"]}))
        return
    cas = Cascade.from_checkpoints(args.ckpt_dir)
    t = time.time()
    if args.prior_only:
        res = evaluate_prior(cas, args.n, steps=args.prior_steps, guidance=args.prior_guidance)
        res["seconds"] = round(time.time() - t, 1)
        print(json.dumps(res))
        return
    res = evaluate(cas, args.n, args.two, args.seed, args.size, args.prior_steps, args.prior_guidance,
                   args.decoder_steps, args.decoder_guidance, args.true_emb, grid=args.grid)
    res["settings"] = {k: v for k, v in vars(args).items() if k not in ("ckpt_dir", "grid")}
    res["seconds"] = round(time.time() - t, 1)
    print(json.dumps(res))


if __name__ == "__main__":
    main()
