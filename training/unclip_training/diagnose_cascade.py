"""Which stage loses the held-out prompts: the same prompts as evaluate_mesh.py, through the PyTorch
reference cascade with one stage at a time replaced by the truth.

    /usr/bin/python3 training/diagnose_cascade.py                    # 40 one-object + 30 two-object prompts
    /usr/bin/python3 training/diagnose_cascade.py --one 20 --two 10 --decoder-ckpt training/checkpoints/decoder.pt

Rows (each judged at 256 px by judge.py, fraction of prompts with every stated attribute right):
  upsamplers on true 32 px renders    the scene rendered at the decoder's resolution -> sr_64 -> sr_256
                                      (the family's fast-preset upsampler settings)
  decoder on the true image embedding the scene's own CLIP image embedding -> decoder; its output
                                      brought to 256 px bicubically
  decoder on the prior's embedding    prompt -> prior -> decoder, the same way (the whole cascade
                                      but for the upsamplers)

The first row says whether the upsamplers can carry a right base image to 256 px; the gap between
the second and third is what the prior costs, the gap between the second and 100 % what the decoder
costs. Steps, samplers and guidance are the family's default preset (family.json) unless
--prior-sampler/--prior-steps/--decoder-sampler/--decoder-steps say otherwise.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from . import world
from .common import CKPT_DIR, setup_threads
from .cond import Conditioner
from .evaluate_mesh import prompt_set
from .export import load_family_modules
from .judge import judge
from .reference_sampler import Cascade, resize


def _score(images, prompts, groups) -> dict:
    out = {}
    for g in ("one_object", "two_object"):
        oks = [judge(im, p)["ok"] for im, p, gg in zip(images, prompts, groups) if gg == g]
        out[g] = float(np.mean(oks)) if oks else None
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--family-dir", default="models/shapes-tiny")
    ap.add_argument("--ckpt-dir", default=None, help="default: training/checkpoints/<family name>")
    ap.add_argument("--decoder-ckpt", default=None, help="another decoder checkpoint (e.g. a run in progress)")
    ap.add_argument("--prior-ckpt", default=None, help="another prior checkpoint")
    ap.add_argument("--one", type=int, default=40)
    ap.add_argument("--two", type=int, default=30)
    ap.add_argument("--prior-sampler", choices=("ddpm", "dpmpp_2m"), default=None)
    ap.add_argument("--prior-steps", type=int, default=None)
    ap.add_argument("--decoder-sampler", choices=("ddpm", "dpmpp_2m"), default=None)
    ap.add_argument("--decoder-steps", type=int, default=None)
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    setup_threads()
    fj = json.loads((Path(args.family_dir) / "family.json").read_text())
    ckpt_dir = Path(args.ckpt_dir) if args.ckpt_dir else CKPT_DIR / fj["name"]
    mods = load_family_modules(ckpt_dir)
    for key, path in (("decoder", args.decoder_ckpt), ("prior", args.prior_ckpt)):
        if path:
            other = Path(path)
            if other.name != f"{key}.pt":
                raise SystemExit(f"--{key}-ckpt must name a {key}.pt file")
            swapped = load_family_modules(other.parent, missing_ok=True)
            mods[key] = swapped[key]
            if key == "prior":
                mods["clip_mean"], mods["clip_std"] = swapped["clip_mean"], swapped["clip_std"]
    cas = Cascade(mods)
    preset = fj.get("default_preset", "fast")
    st = lambda stage: (stage["steps"][preset], stage.get("samplers", {}).get(preset, "ddpm"))
    prior_steps, prior_sampler = st(fj["prior"])
    dec_steps, dec_sampler = st(fj["decoder"])
    up_steps, up_sampler = st(fj["upsamplers"][0])
    prior_steps, prior_sampler = args.prior_steps or prior_steps, args.prior_sampler or prior_sampler
    dec_steps, dec_sampler = args.decoder_steps or dec_steps, args.decoder_sampler or dec_sampler
    pg, dg = fj["prior"]["guidance"]["default"], fj["decoder"]["guidance"]["default"]

    ps = [p for p in prompt_set(args.one, args.two, 0)]
    prompts = [p["prompt"] for p in ps]
    groups = [p["group"] for p in ps]
    seeds = [p["seed"] for p in ps]
    scenes = world.scenes_from_records(np.random.default_rng(5), np.array([p["record"] for p in ps]))
    R = mods["decoder"].cfg.resolution
    t0 = time.time()
    rows = {}

    x = torch.from_numpy(world.to_model(world.render(scenes, R)))
    for k, name in enumerate(("sr_64", "sr_256")):
        x = cas.upsample(x, seeds, 2 + k, name, up_steps, up_sampler)
    rows["upsamplers on true base renders"] = _score(world.to_uint8(x.numpy()), prompts, groups)

    to256 = lambda low: world.to_uint8(resize(low, 256).clamp(-1, 1).numpy())
    text = cas.text(prompts)
    true_emb = Conditioner(mods["clip"]).image(world.render(scenes, mods["clip"].cfg.image_size))
    x = cas.decoder(true_emb, text, seeds, dec_steps, dg, dec_sampler)
    rows["decoder on the true image embedding"] = _score(to256(x), prompts, groups)

    emb, _ = cas.prior(prompts, seeds, prior_steps, pg, prior_sampler)
    x = cas.decoder(emb, text, seeds, dec_steps, dg, dec_sampler)
    rows["decoder on the prior's embedding"] = _score(to256(x), prompts, groups)

    print(f"{len(ps)} prompts ({args.one} one-object, {args.two} two-object), preset {preset}: prior "
          f"{prior_sampler} {prior_steps}, decoder {dec_sampler} {dec_steps}, upsamplers {up_sampler} "
          f"{up_steps}; {time.time() - t0:.0f} s")
    print(f"{'':40s} {'one object':>10s} {'two objects':>11s}")
    for name, r in rows.items():
        fmt = lambda v: "-" if v is None else f"{100 * v:.1f}%"
        print(f"{name:40s} {fmt(r['one_object']):>10s} {fmt(r['two_object']):>11s}")
    if args.json:
        Path(args.json).write_text(json.dumps({"preset": preset, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
