"""PyTorch reference cascade (the behaviour the Java services reproduce).

tokenise -> text encoder -> prior loop (CFG on x0) -> denormalise -> text_proj -> decoder loop
(CFG on epsilon, conditional variance, learned_range) -> clamp -> bicubic-AA resize -> upsampler
loops (fixed_small_log, no guidance) -> PNG. Noise comes from the seeded formula shared with Java
(schedule.seeded_noise), so a (prompt, seed, settings) triple fixes every pixel.

    python3 training/reference_sampler.py --prompt "a large red circle on a blue background" \
        --seed 1 --out /tmp/out.png [--family-dir models/shapes-tiny | --ckpt-dir training/checkpoints]
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from . import world
from .common import CKPT_DIR, setup_threads
from .export import load_family_modules
from .schedule import Schedule, spaced_timesteps, seeded_noise
from .tokenizer import encode_batch


def resize(x, size):
    return F.interpolate(x, size=(size, size), mode="bicubic", align_corners=False, antialias=True)


class Cascade:
    def __init__(self, mods: dict, family: dict | None = None):
        self.m = mods
        self.sched = Schedule()
        self.clip_mean = torch.from_numpy(np.asarray(mods["clip_mean"], np.float32))
        self.clip_std = torch.from_numpy(np.asarray(mods["clip_std"], np.float32))
        self.family = family or {}
        self.trace = None  # set to a dict to record intermediate tensors (parity goldens)

    @classmethod
    def from_checkpoints(cls, ckpt_dir=CKPT_DIR, untrained=False, missing_ok=True):
        return cls(load_family_modules(ckpt_dir, untrained, missing_ok=missing_ok))

    def _rec(self, key, value):
        if self.trace is not None:
            self.trace[key] = value.detach().clone()

    @torch.no_grad()
    def text(self, prompts):
        ids, mask = encode_batch(prompts)
        emb, hid = self.m["clip"].text(torch.from_numpy(ids))
        return emb, hid, torch.from_numpy(mask)

    @staticmethod
    def _noise(seeds, stage, step, shape):
        return torch.from_numpy(np.stack([seeded_noise(s, stage, step, shape) for s in seeds]))

    def _step(self, sampler, out, t, x, prev, noise, prediction_type, variance_type, clip, history,
              predicted_variance=None):
        """One step of `sampler` ("ddpm" or "dpmpp_2m"); noise() draws the DDPM step's noise.
        -> (x_prev, history for the next step)."""
        if sampler == "dpmpp_2m":
            x, x0 = self.sched.dpmpp_2m_step(out, t, x, prev, prediction_type, clip, history)
            return x, (t, x0)
        x, _ = self.sched.step(out, t, x, prev, noise(), prediction_type, variance_type, clip, predicted_variance)
        return x, None

    @torch.no_grad()
    def prior(self, prompts, seeds, steps=25, guidance=4.0, sampler="ddpm"):
        te, hid, mask = self.text(prompts)
        ue, uh, um = self.text([""] * len(prompts))
        D = te.shape[1]
        x = self._noise(seeds, 0, 0, (D,))
        ts = spaced_timesteps(steps)
        history = None
        for i, t in enumerate(ts):
            prev = ts[i + 1] if i + 1 < len(ts) else -1
            tt = torch.full((2 * len(prompts),), t, dtype=torch.int64)
            out = self.m["prior"](torch.cat([x, x]), tt, torch.cat([ue, te]), torch.cat([uh, hid]),
                                  torch.cat([um, mask]))
            u, c = out.chunk(2)
            x0 = u + guidance * (c - u)
            x, history = self._step(sampler, x0, t, x, prev, lambda: self._noise(seeds, 0, i + 1, (D,)),
                                    "sample", "fixed_small_log", 10.0, history)
            self._rec(f"prior/{i}", x)
        emb = x * self.clip_std + self.clip_mean
        return emb, (te, hid, mask)

    @torch.no_grad()
    def decoder(self, image_emb, text, seeds, steps=50, guidance=3.0, sampler="ddpm"):
        dec = self.m["decoder"]
        te, hid, mask = text
        n = len(seeds)
        ue, uh, um = self.text([""] * n)
        cfg_emb = dec.cfg_image_embedding[None].expand(n, -1)
        ctx, tadd = dec.text_proj(torch.cat([cfg_emb, image_emb]), torch.cat([ue, te]),
                                  torch.cat([uh, hid]))
        dmask = torch.cat([torch.ones(2 * n, dec.cfg.extra_tokens, dtype=torch.bool),
                           torch.cat([um, mask])], dim=1)
        R = dec.cfg.resolution
        x = self._noise(seeds, 1, 0, (3, R, R))
        ts = spaced_timesteps(steps)
        history = None
        for i, t in enumerate(ts):
            prev = ts[i + 1] if i + 1 < len(ts) else -1
            tt = torch.full((2 * n,), t, dtype=torch.int64)
            out = dec.unet(torch.cat([x, x]), tt, ctx, tadd, dmask)
            u, c = out.chunk(2)
            eps = u[:, :3] + guidance * (c[:, :3] - u[:, :3])
            v = c[:, 3:] if c.shape[1] == 6 else None
            vt = "learned_range" if v is not None else "fixed_small_log"
            x, history = self._step(sampler, eps, t, x, prev, lambda: self._noise(seeds, 1, i + 1, (3, R, R)),
                                    "epsilon", vt, 1.0, history, v)
            self._rec(f"decoder/{i}", x)
        return x.clamp(-1, 1)

    @torch.no_grad()
    def upsample(self, low, seeds, stage_index, name, steps=7, sampler="ddpm"):
        net = self.m[name]
        Ro = net.cfg.output_resolution
        cond = resize(low, Ro)
        x = self._noise(seeds, stage_index, 0, (3, Ro, Ro))
        ts = spaced_timesteps(steps)
        history = None
        for i, t in enumerate(ts):
            prev = ts[i + 1] if i + 1 < len(ts) else -1
            tt = torch.full((len(seeds),), t, dtype=torch.int64)
            eps = net(torch.cat([x, cond], dim=1), tt)
            x, history = self._step(sampler, eps, t, x, prev,
                                    lambda: self._noise(seeds, stage_index, i + 1, (3, Ro, Ro)),
                                    "epsilon", "fixed_small_log", 1.0, history)
            self._rec(f"{name}/{i}", x)
        return x.clamp(-1, 1)

    @torch.no_grad()
    def generate(self, prompts, seeds, prior_steps=25, prior_guidance=4.0, decoder_steps=50,
                 decoder_guidance=3.0, sr_steps=7, final_size=256, image_emb=None, samplers=None):
        """-> dict of [-1,1] tensors: 'decoder' (32), 'sr_64' (64), 'sr_256' (256).

        samplers: {"prior"|"decoder"|"sr_64"|"sr_256": "ddpm"|"dpmpp_2m"}, ddpm where absent."""
        samplers = samplers or {}
        if image_emb is None:
            image_emb, text = self.prior(prompts, seeds, prior_steps, prior_guidance,
                                         samplers.get("prior", "ddpm"))
        else:
            text = self.text(prompts)
        out = {"image_emb": image_emb}
        x = self.decoder(image_emb, text, seeds, decoder_steps, decoder_guidance,
                         samplers.get("decoder", "ddpm"))
        out["decoder"] = x
        for k, name in enumerate(("sr_64", "sr_256")):
            if self.m[name].cfg.input_resolution >= final_size:
                break
            x = self.upsample(x, seeds, 2 + k, name, sr_steps, samplers.get(name, "ddpm"))
            out[name] = x
        return out


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--prompt", action="append", required=True)
    ap.add_argument("--seed", type=int, action="append")
    ap.add_argument("--out", required=True, help="PNG path (several prompts: a grid)")
    ap.add_argument("--ckpt-dir", default=str(CKPT_DIR))
    ap.add_argument("--untrained", action="store_true")
    ap.add_argument("--prior-steps", type=int, default=25)
    ap.add_argument("--prior-guidance", type=float, default=4.0)
    ap.add_argument("--decoder-steps", type=int, default=50)
    ap.add_argument("--decoder-guidance", type=float, default=3.0)
    ap.add_argument("--size", type=int, default=256, choices=[32, 64, 256])
    ap.add_argument("--judge", action="store_true")
    args = ap.parse_args(argv)
    setup_threads()
    seeds = args.seed or list(range(len(args.prompt)))
    if len(seeds) == 1 and len(args.prompt) > 1:
        seeds = [seeds[0] + i for i in range(len(args.prompt))]
    prompts = args.prompt if len(args.prompt) == len(seeds) else args.prompt * len(seeds)
    cas = Cascade.from_checkpoints(args.ckpt_dir, args.untrained)
    out = cas.generate(prompts, seeds, args.prior_steps, args.prior_guidance, args.decoder_steps,
                       args.decoder_guidance, final_size=args.size)
    key = {32: "decoder", 64: "sr_64", 256: "sr_256"}[args.size]
    imgs = world.to_uint8(out[key].numpy())
    if len(imgs) == 1:
        world.save_png(imgs[0], args.out)
    else:
        world.save_png(world.grid(list(imgs), min(8, len(imgs))), args.out)
    if args.judge:
        from .judge import judge
        for p, s, im in zip(prompts, seeds, imgs):
            j = judge(im, p)
            print(json.dumps({"prompt": p, "seed": s, "ok": j["ok"], "checks": j["checks"]}))


if __name__ == "__main__":
    main()
