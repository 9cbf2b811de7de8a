"""Train a conv-only diffusion upsampler (sr_64: 32->64, sr_256: 64->256) on random crops.

Input = concat(x_t, bicubic-antialias-upsampled low-res) on channels; output = epsilon. The network
predicts the residual x0 - lowres_up and the graph turns it into epsilon with alphas_cumprod[t]
(SRConfig.parametrization), so training minimises the x0 error, which suits 7-step sampling.
The low-res conditioning is degraded at random (blur, noise, small colour shifts) so the stage also
cleans up what the stage before it produces. The `snap` config also draws the conditioning's shapes
as near misses (world.warped: stretched and sheared boxes, squares with rounded corners, lumpy
circles) while the target keeps the world's shapes, so the stage brings what the decoder draws almost
right back to the right shape; a quarter of its scenes use the lowest-contrast colour pairs.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import torch
import torch.nn.functional as F

from . import world
from .common import EMA, Run, save_weights, warm_start, CKPT_DIR, rng_state, set_rng_state, setup_threads
from .models import SRUNet, sr_config, config_dict, count_params
from .schedule import Schedule

CONFIGS = {
    "default": dict(batch=32, lr=5e-4, warmup=200, steps=200000, ema=0.999),
    "snap": dict(batch=32, lr=2e-4, warmup=200, steps=200000, ema=0.999, p_warp=0.7, p_weak=0.25),
    "tiny": dict(batch=4, lr=5e-4, warmup=2, steps=3, ema=0.9),
}
WEAK_PAIRS = world.low_contrast_pairs()


def resize(x, size):
    return F.interpolate(x, size=(size, size), mode="bicubic", align_corners=False, antialias=True)


def gaussian_blur(x, sigma):
    """Per-image Gaussian blur (k=5); sigma [B] tensor (0 = none)."""
    k = torch.arange(-2, 3, dtype=torch.float32)
    w = torch.exp(-k[None] ** 2 / (2 * sigma.clamp(min=1e-3)[:, None] ** 2))
    w = w / w.sum(1, keepdim=True)  # [B,5]
    B, C, H, W = x.shape
    xp = F.pad(x, (2, 2, 2, 2), mode="replicate")
    # separable: apply per image via grouped conv
    wx = w[:, None, None, :].repeat_interleave(C, 0)  # [B*C,1,1,5]
    wy = w[:, None, :, None].repeat_interleave(C, 0)
    y = F.conv2d(xp.reshape(1, B * C, H + 4, W + 4), wx, groups=B * C)
    y = F.conv2d(y, wy, groups=B * C)
    return y.reshape(B, C, H, W)


def degrade(low, rng):
    B = low.shape[0]
    sig = torch.from_numpy(np.where(rng.random(B) < 0.5, rng.uniform(0.3, 1.0, B), 0.0)).float()
    blurred = gaussian_blur(low, sig)
    low = torch.where((sig > 0)[:, None, None, None], blurred, low)
    shift = torch.from_numpy(np.where(rng.random((B, 1)) < 0.5, 1.0, 0.0) * rng.uniform(-0.05, 0.05, (B, 3))).float()
    low = low + shift[:, :, None, None]
    low = low + torch.from_numpy(rng.uniform(0, 0.04, (B, 1, 1, 1))).float() * \
        torch.from_numpy(rng.standard_normal(low.shape)).float()
    return low.clamp(-1, 1)


def make_batch(rng, cfg, batch, crop, degrade_low=True, p_warp=0.0, p_weak=0.0):
    Ri, Ro = cfg.input_resolution, cfg.output_resolution
    p = cfg.patch
    scenes = world.sample_scenes(rng, batch)
    if p_weak > 0:
        scenes = world.oversample_pairs(rng, scenes, WEAK_PAIRS, p_weak)
    # most crops are centred near an object (flat crops teach nothing), the rest anywhere
    g = scenes.geom
    two = scenes.attrs["kind"] > 0
    pick2 = two & (rng.random(batch) < 0.5)
    cx = np.where(pick2, g["cx2"], g["cx1"]); cy = np.where(pick2, g["cy2"], g["cy1"])
    half = np.where(pick2, g["side2"], g["side1"]) / 2
    cx = cx + rng.uniform(-1, 1, batch) * half * 1.2
    cy = cy + rng.uniform(-1, 1, batch) * half * 1.2
    anywhere = rng.random(batch) < 0.2
    cx = np.where(anywhere, rng.random(batch), cx); cy = np.where(anywhere, rng.random(batch), cy)
    hi_max = (Ro - crop) // p
    ox = np.clip(np.round((cx * Ro - crop / 2) / p), 0, hi_max).astype(np.int64) * p
    oy = np.clip(np.round((cy * Ro - crop / 2) / p), 0, hi_max).astype(np.int64) * p
    hi = torch.from_numpy(world.to_model(world.render(scenes, Ro, window=(ox, oy, crop))))
    low_scenes = world.warped(rng, scenes, p_warp) if p_warp > 0 else scenes
    low = torch.from_numpy(world.to_model(world.render(low_scenes, Ri)))
    if degrade_low:
        low = degrade(low, rng)
    up = resize(low, Ro)
    upc = torch.stack([up[i, :, oy[i]:oy[i] + crop, ox[i]:ox[i] + crop] for i in range(batch)])
    return hi, upc


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--stage", required=True, choices=["sr_64", "sr_256"])
    ap.add_argument("--config", default="default", choices=CONFIGS)
    ap.add_argument("--max-minutes", type=float, default=1e9)
    ap.add_argument("--steps", type=int, default=None)
    ap.add_argument("--run-dir", default=None)
    ap.add_argument("--ckpt", default=None)
    args = ap.parse_args(argv)
    setup_threads()
    hp = dict(CONFIGS[args.config])
    if args.steps:
        hp["steps"] = args.steps
    tiny = args.config == "tiny"
    run = Run(args.stage, args.run_dir, save_every_s=5 if tiny else 180)
    ckpt = args.ckpt or str(CKPT_DIR / f"{args.stage}.pt")
    cfg = sr_config(args.stage)
    crop = cfg.output_resolution // 2 if args.stage == "sr_64" else 64
    torch.manual_seed(0)
    net = SRUNet(cfg)
    opt = torch.optim.AdamW(net.parameters(), lr=hp["lr"], weight_decay=0.0)
    ema = EMA(net, hp["ema"])
    sched = Schedule()
    rng = np.random.default_rng(2 if args.stage == "sr_64" else 3)
    step = 0
    st = run.load()
    if st:
        net.load_state_dict(st["model"]); opt.load_state_dict(st["opt"])
        ema.model.load_state_dict(st["ema"]); step = st["step"]; set_rng_state(rng, st["rng"])
        run.log(f"resumed at step {step}")
    else:
        ck = warm_start(run, ckpt, net, ema, config_dict(cfg))
        step = ck.get("step", 0) if ck else 0
        run.log(f"{args.stage}: {count_params(net)} params, crop {crop}, hp {hp}")

    def save():
        run.save({"model": net.state_dict(), "opt": opt.state_dict(), "ema": ema.model.state_dict(),
                  "step": step, "rng": rng_state(rng), "hp": hp})
        save_weights(ckpt, ema.model.state_dict(), config_dict(cfg), {"step": step})

    t0 = tl = time.time()
    losses = []
    every = 1 if tiny else 100
    while step < hp["steps"] and not run.stop and time.time() - t0 < args.max_minutes * 60:
        for g in opt.param_groups:
            g["lr"] = hp["lr"] * min(1.0, (step + 1) / hp["warmup"])
        hi, up = make_batch(rng, cfg, hp["batch"], crop, p_warp=hp.get("p_warp", 0.0),
                            p_weak=hp.get("p_weak", 0.0))
        t = torch.from_numpy(rng.integers(0, 1000, hp["batch"]))
        noise = torch.randn_like(hi)
        xt = sched.q_sample(hi, t, noise)
        if cfg.parametrization == "x0_residual":
            loss = F.mse_loss(net.predict_x0(torch.cat([xt, up], dim=1), t), hi)
        else:
            loss = F.mse_loss(net(torch.cat([xt, up], dim=1), t), noise)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        ema.update(net, step)
        step += 1
        losses.append(loss.item())
        if step % every == 0:
            dt = time.time() - tl; tl = time.time()
            run.log(f"step {step} loss {np.mean(losses):.5f} crops/s {hp['batch'] * every / dt:.1f}")
            losses = []
        if run.due():
            save()
    save()
    run.log(f"stopped at step {step}")


if __name__ == "__main__":
    main()
