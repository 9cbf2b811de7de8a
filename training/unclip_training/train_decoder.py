"""Train the GLIDE-style decoder (text_proj + UNet at 32x32) conditioned on CLIP image embeddings.

Conditioning: the CLIP image embedding of the training image itself (replaced by the learned
cfg_image_embedding 10% of the time) and the caption's CLIP text features (replaced by the ""
encoding 50% of the time). Graph output: epsilon + learned-range variance channels (6 channels).
The UNet itself predicts the velocity (v-prediction, DecoderConfig.parametrization) which the graph
turns into epsilon with alphas_cumprod[t]: with plain epsilon prediction the x0 estimate at the
first, nearly pure-noise steps of the cosine schedule is amplified noise, and an under-trained
decoder bakes that noise into wrong global colours. Loss: the hybrid loss of improved DDPM (MSE on
the prediction + the variational bound term for the variance channels, mean stopped).
"""
from __future__ import annotations

import argparse
import math
import time

import numpy as np
import torch
import torch.nn.functional as F

from . import world
from .common import EMA, Run, save_weights, warm_start, CKPT_DIR, rng_state, set_rng_state, setup_threads
from .cond import load_clip, Conditioner
from .models import Decoder, DecoderConfig, config_dict, count_params
from .schedule import Schedule

CONFIGS = {
    "default": dict(batch=64, lr=3e-4, warmup=300, steps=1000000, ema=0.999, p_drop_img=0.1,
                    p_drop_txt=0.5),
    # Continued training on what the evaluation showed weakest: more two-object scenes, and a
    # quarter of the scenes in the lowest-contrast colour pairs (world.low_contrast_pairs).
    "focus": dict(batch=64, lr=1.5e-4, warmup=300, steps=1000000, ema=0.999, p_drop_img=0.1,
                  p_drop_txt=0.5, p_two=0.6, p_weak=0.25),
    # The focus config with squares redrawn for 30 % of the objects (squares then make about half
    # of them): through the mesh squares were the shape drawn worst (corners rounded).
    "squares": dict(batch=64, lr=1.5e-4, warmup=300, steps=1000000, ema=0.999, p_drop_img=0.1,
                    p_drop_txt=0.5, p_two=0.6, p_weak=0.25, p_square=0.3),
    "tiny": dict(batch=4, lr=3e-4, warmup=2, steps=3, ema=0.9, p_drop_img=0.1, p_drop_txt=0.5),
}


def normal_kl(mean1, logvar1, mean2, logvar2):
    return 0.5 * (-1.0 + logvar2 - logvar1 + torch.exp(logvar1 - logvar2)
                  + (mean1 - mean2) ** 2 * torch.exp(-logvar2))


def approx_std_normal_cdf(x):
    return 0.5 * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))


def discretized_gaussian_log_likelihood(x, means, log_scales):
    centered = x - means
    inv = torch.exp(-log_scales)
    cdf_plus = approx_std_normal_cdf(inv * (centered + 1.0 / 255.0))
    cdf_min = approx_std_normal_cdf(inv * (centered - 1.0 / 255.0))
    log_cdf_plus = torch.log(cdf_plus.clamp(min=1e-12))
    log_one_minus_cdf_min = torch.log((1.0 - cdf_min).clamp(min=1e-12))
    cdf_delta = cdf_plus - cdf_min
    return torch.where(x < -0.999, log_cdf_plus,
                       torch.where(x > 0.999, log_one_minus_cdf_min, torch.log(cdf_delta.clamp(min=1e-12))))


def hybrid_loss(sched: Schedule, raw, x0, xt, t, noise, parametrization="v"):
    ac = sched.alphas_cumprod[t].view(-1, 1, 1, 1)
    v = raw[:, 3:]
    if parametrization == "v":
        vel = ac.sqrt() * noise - (1 - ac).sqrt() * x0
        mse = ((raw[:, :3] - vel) ** 2).mean(dim=(1, 2, 3))
        eps = (1 - ac).sqrt() * xt + ac.sqrt() * raw[:, :3]
    else:
        eps = raw[:, :3]
        mse = ((eps - noise) ** 2).mean(dim=(1, 2, 3))
    # variational bound term for the variance channels (mean from a stopped-gradient epsilon)
    x0_pred = ((xt - (1 - ac).sqrt() * eps.detach()) / ac.sqrt()).clamp(-1, 1)
    true_mean, true_logvar = sched.posterior(x0, xt, t)
    model_mean, _ = sched.posterior(x0_pred, xt, t)
    min_log = true_logvar
    max_log = torch.log(sched.betas[t]).view(-1, 1, 1, 1)
    frac = (v + 1) / 2
    model_logvar = frac * max_log + (1 - frac) * min_log
    kl = normal_kl(true_mean, true_logvar, model_mean, model_logvar).mean(dim=(1, 2, 3)) / math.log(2.0)
    nll = -discretized_gaussian_log_likelihood(x0, model_mean, 0.5 * model_logvar).mean(dim=(1, 2, 3)) / math.log(2.0)
    vb = torch.where(t == 0, nll, kl)
    return (mse + vb).mean(), mse.mean().item(), vb.mean().item()


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", default="default", choices=CONFIGS)
    ap.add_argument("--max-minutes", type=float, default=1e9)
    ap.add_argument("--steps", type=int, default=None)
    ap.add_argument("--run-dir", default=None)
    ap.add_argument("--ckpt", default=None)
    ap.add_argument("--clip", default=None)
    ap.add_argument("--init-from", default=None,
                    help="warm-start a new run from another run's state.pt (weights only)")
    args = ap.parse_args(argv)
    setup_threads()
    hp = dict(CONFIGS[args.config])
    if args.steps:
        hp["steps"] = args.steps
    tiny = args.config == "tiny"
    run = Run("decoder", args.run_dir, save_every_s=5 if tiny else 180)
    ckpt = args.ckpt or str(CKPT_DIR / "decoder.pt")
    clip = load_clip(args.clip)
    cond = Conditioner(clip)
    cfg = DecoderConfig(embed_dim=clip.cfg.embed_dim, text_width=clip.cfg.width)
    torch.manual_seed(0)
    net = Decoder(cfg)
    opt = torch.optim.AdamW(net.parameters(), lr=hp["lr"], weight_decay=0.0)
    ema = EMA(net, hp["ema"])
    sched = Schedule()
    rng = np.random.default_rng(5)
    step = 0
    st = run.load()
    if st:
        net.load_state_dict(st["model"]); opt.load_state_dict(st["opt"])
        ema.model.load_state_dict(st["ema"]); step = st["step"]; set_rng_state(rng, st["rng"])
        if st.get("clip_step") != clip.step:
            run.log(f"WARNING: CLIP changed since this run started ({st.get('clip_step')} -> {clip.step})")
        run.log(f"resumed at step {step}")
    else:
        ck = None if args.init_from else warm_start(run, ckpt, net, ema, config_dict(cfg))
        step = ck.get("step", 0) if ck else 0
        if ck and ck.get("clip_step") != clip.step:
            run.log(f"WARNING: checkpoint was trained with CLIP step {ck.get('clip_step')}, CLIP is {clip.step}")
        if args.init_from:
            init = torch.load(args.init_from, map_location="cpu")
            missing, unexpected = net.load_state_dict(init["model"], strict=False)
            if unexpected or any(not k.endswith(".pos") for k in missing):
                raise RuntimeError(f"incompatible warm start: missing {missing}, unexpected {unexpected}")
            ema.model.load_state_dict(net.state_dict())
            run.log(f"warm start from {args.init_from} (step {init['step']})")
        run.log(f"decoder: {count_params(net)} params, parametrization {cfg.parametrization}, "
                f"CLIP step {clip.step}, hp {hp}")

    def save():
        run.save({"model": net.state_dict(), "opt": opt.state_dict(), "ema": ema.model.state_dict(),
                  "step": step, "rng": rng_state(rng), "hp": hp, "clip_step": clip.step})
        save_weights(ckpt, ema.model.state_dict(), config_dict(cfg), {"step": step, "clip_step": clip.step})

    t0 = tl = time.time()
    stats = []
    every = 1 if tiny else 50
    R = cfg.resolution
    weak_pairs = world.low_contrast_pairs()
    while step < hp["steps"] and not run.stop and time.time() - t0 < args.max_minutes * 60:
        for g in opt.param_groups:
            g["lr"] = hp["lr"] * min(1.0, (step + 1) / hp["warmup"])
        B = hp["batch"]
        scenes = world.sample_scenes(rng, B, p_two=hp.get("p_two", 0.4))
        if hp.get("p_weak", 0.0) > 0:
            scenes = world.oversample_pairs(rng, scenes, weak_pairs, hp["p_weak"])
        if hp.get("p_square", 0.0) > 0:
            scenes = world.oversample_shape(rng, scenes, world.SHAPES.index("square"), hp["p_square"])
        x0 = torch.from_numpy(world.to_model(world.render(scenes, R)))
        ie, te, hid, mask = cond.scenes(scenes)
        drop_img = torch.from_numpy(rng.random(B) < hp["p_drop_img"])
        drop_txt = torch.from_numpy(rng.random(B) < hp["p_drop_txt"])
        te, hid, mask = cond.drop_text(te, hid, mask, drop_txt)
        ie = torch.where(drop_img[:, None], net.cfg_image_embedding[None].expand_as(ie), ie)
        t = torch.from_numpy(rng.integers(0, 1000, B))
        noise = torch.randn_like(x0)
        xt = sched.q_sample(x0, t, noise)
        out = net(xt, t, ie, te, hid, mask, raw=True)
        loss, mse, vb = hybrid_loss(sched, out, x0, xt, t, noise, cfg.parametrization)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        ema.update(net, step)
        step += 1
        stats.append((loss.item(), mse, vb))
        if step % every == 0:
            dt = time.time() - tl; tl = time.time()
            m = np.mean(stats, axis=0)
            run.log(f"step {step} loss {m[0]:.5f} mse {m[1]:.5f} vb {m[2]:.5f} img/s {B * every / dt:.1f}")
            stats = []
        if run.due():
            save()
    save()
    run.log(f"stopped at step {step}")


if __name__ == "__main__":
    main()
