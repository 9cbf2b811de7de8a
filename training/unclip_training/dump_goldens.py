"""Dump parity goldens for the Java side (JSON): tokenizer ids, seeded noise, scheduler steps, and a
full cascade trace of a family (per-stage outputs) with the reference sampler.

    python3 training/dump_goldens.py --out training/goldens/untrained.json --untrained
"""
from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

import numpy as np
import torch

from . import world
from .common import CKPT_DIR, setup_threads
from .reference_sampler import Cascade
from .schedule import Schedule, spaced_timesteps, seeded_noise, splitmix64
from .tokenizer import encode

PROMPTS = ["a red circle on a blue background",
           "a small green square at the top on a white background",
           "a blue triangle above a red circle on a yellow background",
           "", "A LARGE Purple Triangle!"]


def fl(x):
    return [float(v) for v in np.asarray(x, dtype=np.float32).reshape(-1)]


def scheduler_goldens():
    s = Schedule()
    g = torch.Generator().manual_seed(3)
    cases = []
    for vt, pt, rng_ in (("fixed_small_log", "sample", 10.0), ("fixed_small_log", "epsilon", 1.0),
                         ("learned_range", "epsilon", 1.0)):
        for t, prev in ((999, 957), (500, 458), (42, 0), (0, -1), (487, 486)):
            x = torch.randn(6, generator=g)
            mo = torch.randn(6, generator=g)
            v = torch.rand(6, generator=g) * 2 - 1
            z = torch.randn(6, generator=g)
            out, x0 = s.step(mo, t, x, prev, z, pt, vt, rng_, v if vt == "learned_range" else None)
            cases.append({"variance_type": vt, "prediction_type": pt, "clip_sample_range": rng_, "t": t,
                          "prev_t": prev, "sample": fl(x), "model_output": fl(mo),
                          "predicted_variance": fl(v) if vt == "learned_range" else None,
                          "noise": fl(z), "prev_sample": fl(out), "pred_original_sample": fl(x0)})
    return {"alphas_cumprod": {str(t): float(s.alphas_cumprod[t]) for t in (0, 1, 42, 487, 500, 957, 999)},
            "betas": {str(t): float(s.betas[t]) for t in (0, 1, 487, 999)},
            "timesteps": {str(n): spaced_timesteps(n) for n in (2, 7, 25, 50)},
            "steps": cases}


def noise_goldens():
    out = {"splitmix64": {str(x): str(splitmix64(x)) for x in (0, 1, 42, 2 ** 63, 2 ** 64 - 1)}, "noise": []}
    for seed, stage, step in ((0, 0, 0), (42, 0, 1), (42, 1, 0), (42, 3, 7), (2 ** 63 + 5, 2, 3)):
        out["noise"].append({"seed": str(seed), "stage": stage, "step": step,
                             "first": fl(seeded_noise(seed, stage, step, (16,))),
                             "element_1000": float(seeded_noise(seed, stage, step, (1001,))[1000])})
    return out


def cascade_trace(cas: Cascade, prompt, seed, prior_steps, prior_guidance, decoder_steps, decoder_guidance,
                  sr_steps):
    cas.trace = {}
    out = cas.generate([prompt], [seed], prior_steps, prior_guidance, decoder_steps, decoder_guidance, sr_steps)
    trace = cas.trace
    cas.trace = None
    ids, mask = encode(prompt)
    te, hid, _ = cas.text([prompt])
    res = {"prompt": prompt, "seed": seed, "prior_steps": prior_steps, "prior_guidance": prior_guidance,
           "decoder_steps": decoder_steps, "decoder_guidance": decoder_guidance, "sr_steps": sr_steps,
           "input_ids": [int(i) for i in ids], "attention_mask": [bool(m) for m in mask],
           "text_embeds": fl(te[0]), "last_hidden_state_row0": fl(hid[0, 0]),
           "prior_per_step": [fl(trace[f"prior/{i}"][0]) for i in range(prior_steps)],
           "image_embedding": fl(out["image_emb"][0]),
           "decoder_output": fl(out["decoder"][0]),
           "sr_64_output": fl(out["sr_64"][0])}
    px = world.to_uint8(out["sr_256"].numpy())[0]
    res["sr_256_png_sha256"] = hashlib.sha256(px.tobytes()).hexdigest()
    res["sr_256_pixel_mean"] = float(px.mean())
    return res, px


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--untrained", action="store_true")
    ap.add_argument("--ckpt-dir", default=str(CKPT_DIR))
    args = ap.parse_args(argv)
    setup_threads()
    cas = Cascade.from_checkpoints(args.ckpt_dir, args.untrained)
    res = {"tokenizer": {p: [int(i) for i in encode(p)[0]] for p in PROMPTS},
           "scheduler": scheduler_goldens(), "seeded_noise": noise_goldens(), "cascades": []}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    for prompt, seed, ps, pg, ds, dg in ((PROMPTS[0], 42, 3, 4.0, 3, 3.0), (PROMPTS[1], 7, 2, 1.0, 2, 1.0)):
        tr, px = cascade_trace(cas, prompt, seed, ps, pg, ds, dg, 7)
        res["cascades"].append(tr)
        world.save_png(px, str(out.with_suffix("")) + f"_seed{seed}.png")
    with open(out, "w") as f:
        json.dump(res, f)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
