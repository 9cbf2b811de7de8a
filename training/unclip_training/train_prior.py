"""Train the diffusion prior: text (CLIP text features) -> CLIP image embedding, predicting x0.

Image embeddings are normalised per dimension with the dataset mean/std (clip_mean/clip_std in
family.json). The caption is replaced by the "" encoding 10% of the time (classifier-free guidance).
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import torch
import torch.nn.functional as F

from . import world
from .common import EMA, Run, save_weights, warm_start, CKPT_DIR, rng_state, set_rng_state, setup_threads
from .cond import load_clip, Conditioner
from .export import embedding_stats
from .models import Prior, PriorConfig, config_dict, count_params
from .schedule import Schedule

CONFIGS = {
    "default": dict(batch=256, lr=5e-4, warmup=200, steps=100000, ema=0.999, p_drop=0.1),
    # continued training with a quarter of the scenes in the lowest-contrast colour pairs
    # (world.low_contrast_pairs): a small yellow object on orange, position left open, came out as
    # an embedding the decoder draws as an empty canvas
    "focus": dict(batch=256, lr=2.5e-4, warmup=200, steps=100000, ema=0.999, p_drop=0.1, p_weak=0.25),
    "tiny": dict(batch=8, lr=5e-4, warmup=2, steps=3, ema=0.9, p_drop=0.1),
}


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", default="default", choices=CONFIGS)
    ap.add_argument("--max-minutes", type=float, default=1e9)
    ap.add_argument("--steps", type=int, default=None)
    ap.add_argument("--run-dir", default=None)
    ap.add_argument("--ckpt", default=None)
    ap.add_argument("--clip", default=None, help="CLIP weights (default checkpoints/clip.pt)")
    args = ap.parse_args(argv)
    setup_threads()
    hp = dict(CONFIGS[args.config])
    if args.steps:
        hp["steps"] = args.steps
    tiny = args.config == "tiny"
    run = Run("prior", args.run_dir, save_every_s=5 if tiny else 180)
    ckpt = args.ckpt or str(CKPT_DIR / "prior.pt")
    clip = load_clip(args.clip)
    cond = Conditioner(clip)
    cfg = PriorConfig(embed_dim=clip.cfg.embed_dim, text_width=clip.cfg.width)
    torch.manual_seed(0)
    net = Prior(cfg)
    opt = torch.optim.AdamW(net.parameters(), lr=hp["lr"], weight_decay=0.0)
    ema = EMA(net, hp["ema"])
    sched = Schedule()
    rng = np.random.default_rng(4)
    step = 0
    st = run.load()
    if st:
        net.load_state_dict(st["model"]); opt.load_state_dict(st["opt"])
        ema.model.load_state_dict(st["ema"]); step = st["step"]; set_rng_state(rng, st["rng"])
        mean, std = st["clip_mean"], st["clip_std"]
        if st.get("clip_step") != clip.step:
            run.log(f"WARNING: CLIP changed since this run started ({st.get('clip_step')} -> {clip.step})")
        run.log(f"resumed at step {step}")
    else:
        ck = warm_start(run, ckpt, net, ema, config_dict(cfg))
        if ck is not None and ck.get("clip_step") == clip.step:
            step = ck.get("step", 0)
            mean, std = np.asarray(ck["clip_mean"], np.float32), np.asarray(ck["clip_std"], np.float32)
        else:
            if ck is not None:
                run.log("checkpoint was trained with another CLIP: starting fresh")
                net.load_state_dict(Prior(cfg).state_dict()); ema = EMA(net, hp["ema"])
            mean, std = embedding_stats(clip, n=256 if tiny else 8192)
        run.log(f"prior: {count_params(net)} params, CLIP step {clip.step}, hp {hp}")
    mean_t, std_t = torch.from_numpy(mean), torch.from_numpy(std)

    def save():
        run.save({"model": net.state_dict(), "opt": opt.state_dict(), "ema": ema.model.state_dict(),
                  "step": step, "rng": rng_state(rng), "hp": hp, "clip_mean": mean, "clip_std": std,
                  "clip_step": clip.step})
        save_weights(ckpt, ema.model.state_dict(), config_dict(cfg),
                     {"step": step, "clip_mean": mean, "clip_std": std, "clip_step": clip.step})

    t0 = tl = time.time()
    losses = []
    every = 1 if tiny else 50
    weak_pairs = world.low_contrast_pairs()
    while step < hp["steps"] and not run.stop and time.time() - t0 < args.max_minutes * 60:
        for g in opt.param_groups:
            g["lr"] = hp["lr"] * min(1.0, (step + 1) / hp["warmup"])
        B = hp["batch"]
        scenes = world.sample_scenes(rng, B)
        if hp.get("p_weak", 0.0) > 0:
            scenes = world.oversample_pairs(rng, scenes, weak_pairs, hp["p_weak"])
        ie, te, hid, mask = cond.scenes(scenes)
        drop = torch.from_numpy(rng.random(B) < hp["p_drop"])
        te, hid, mask = cond.drop_text(te, hid, mask, drop)
        x0 = (ie - mean_t) / std_t
        t = torch.from_numpy(rng.integers(0, 1000, B))
        xt = sched.q_sample(x0, t, torch.randn_like(x0))
        pred = net(xt, t, te, hid, mask)
        loss = F.mse_loss(pred, x0)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        ema.update(net, step)
        step += 1
        losses.append(loss.item())
        if step % every == 0:
            dt = time.time() - tl; tl = time.time()
            run.log(f"step {step} loss {np.mean(losses):.5f} samples/s {B * every / dt:.1f}")
            losses = []
        if run.due():
            save()
    save()
    run.log(f"stopped at step {step}")


if __name__ == "__main__":
    main()
