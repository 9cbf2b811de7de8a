"""Writes the golden arrays the diffusion-core unit tests compare against.

Run from the repository root with Debian's torch (1.13):
    /usr/bin/python3 diffusion-core/src/test/python/make_goldens.py
Format (one array per two lines): "name d0,d1,..." then the float32 values, space-separated.
"""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "training"))
from unclip_training.schedule import Schedule, seeded_noise, spaced_timesteps  # noqa: E402

OUT = os.path.join(ROOT, "diffusion-core", "src", "test", "resources", "golden")


def write(f, name, arr):
    a = np.asarray(arr, dtype=np.float32)
    f.write(name + " " + ",".join(str(d) for d in a.shape) + "\n")
    f.write(" ".join(repr(float(v)) for v in a.reshape(-1)) + "\n")


def bicubic():
    g = torch.Generator().manual_seed(1234)
    cases = [("up_8_to_20", (1, 3, 8, 8), (20, 20)),
             ("up_32_to_64", (2, 1, 32, 32), (64, 64)),
             ("up_5x7_to_11x16", (1, 2, 5, 7), (11, 16)),
             ("down_64_to_24", (1, 1, 64, 64), (24, 24)),
             ("down_32x40_to_9x13", (1, 1, 32, 40), (9, 13))]
    with open(os.path.join(OUT, "bicubic.txt"), "w") as f:
        for name, shape, size in cases:
            x = torch.rand(shape, generator=g) * 2 - 1
            y = F.interpolate(x, size=size, mode="bicubic", align_corners=False, antialias=True)
            write(f, name + ".in", x)
            write(f, name + ".out", y)


def fake_eps(sample, t):
    """diffusers' dummy model: sample * t / (t + 1)."""
    return sample * t / (t + 1)


def schedules():
    s = Schedule()
    lin = torch.linspace(0.0001, 0.02, 1000, dtype=torch.float32)
    with open(os.path.join(OUT, "schedule.txt"), "w") as f:
        write(f, "squaredcos_cap_v2.alphas_cumprod", s.alphas_cumprod)
        write(f, "linear.alphas_cumprod", torch.cumprod(1.0 - lin, dim=0))
        for n in (2, 3, 7, 25, 50, 64, 100, 250, 1000):
            write(f, "timesteps.%d" % n, spaced_timesteps(n))


def loops():
    """Full DDPM loops with fake models and the seeded noise, through the reference step."""
    s = Schedule()
    with open(os.path.join(OUT, "ddpm_loops.txt"), "w") as f:
        # decoder-like: epsilon + learned_range, 6-channel output, 5 steps
        seeds = [7, 123456789]
        shape = (3, 4, 4)
        x = torch.tensor(np.stack([seeded_noise(sd, 1, 0, shape) for sd in seeds]))
        ts = spaced_timesteps(5)
        for i, t in enumerate(ts):
            prev_t = ts[i + 1] if i + 1 < len(ts) else -1
            eps = fake_eps(x, t)
            v = torch.clamp(x * 0.5, -1, 1)
            z = torch.tensor(np.stack([seeded_noise(sd, 1, i + 1, shape) for sd in seeds]))
            x, _ = s.step(eps, t, x, prev_t, z, "epsilon", "learned_range", 1.0, predicted_variance=v)
        write(f, "learned_range_eps_5", x)
        # upsampler-like: epsilon + fixed_small_log, 7 steps
        x = torch.tensor(np.stack([seeded_noise(sd, 2, 0, shape) for sd in seeds]))
        ts = spaced_timesteps(7)
        for i, t in enumerate(ts):
            prev_t = ts[i + 1] if i + 1 < len(ts) else -1
            z = torch.tensor(np.stack([seeded_noise(sd, 2, i + 1, shape) for sd in seeds]))
            x, _ = s.step(fake_eps(x, t), t, x, prev_t, z, "epsilon", "fixed_small_log", 1.0)
        write(f, "fixed_small_log_eps_7", x)
        # prior-like: sample prediction, clip 10, 25 steps, D = 8
        x = torch.tensor(np.stack([seeded_noise(sd, 0, 0, (8,)) for sd in seeds]))
        ts = spaced_timesteps(25)
        for i, t in enumerate(ts):
            prev_t = ts[i + 1] if i + 1 < len(ts) else -1
            z = torch.tensor(np.stack([seeded_noise(sd, 0, i + 1, (8,)) for sd in seeds]))
            x, _ = s.step(x * 3.0, t, x, prev_t, z, "sample", "fixed_small_log", 10.0)
        write(f, "fixed_small_log_sample_25", x)
        # upsampler-like with a v-prediction model, fixed_small_log, 6 steps
        shape = (3, 4, 4)
        x = torch.tensor(np.stack([seeded_noise(sd, 2, 0, shape) for sd in seeds]))
        ts = spaced_timesteps(6)
        for i, t in enumerate(ts):
            prev_t = ts[i + 1] if i + 1 < len(ts) else -1
            z = torch.tensor(np.stack([seeded_noise(sd, 2, i + 1, shape) for sd in seeds]))
            x, _ = s.step(x * 0.3 - 0.1, t, x, prev_t, z, "v_prediction", "fixed_small_log", 1.0)
        write(f, "v_prediction_fixed_small_log_6", x)


def dpmpp_loops():
    """DPM-Solver++(2M) loops with fake models, from the seeded x_T."""
    s = Schedule()
    seeds = [7, 123456789]
    with open(os.path.join(OUT, "dpmpp_loops.txt"), "w") as f:
        cases = [("eps_clip1_10", "epsilon", 1.0, 10, (3, 4, 4), lambda x, t: fake_eps(x, t)),
                 ("sample_clip10_6", "sample", 10.0, 6, (8,), lambda x, t: x * 3.0),
                 ("v_clip1_8", "v_prediction", 1.0, 8, (3, 4, 4), lambda x, t: x * 0.3 - 0.1)]
        for name, pred, clip, steps, shape, model in cases:
            x = torch.tensor(np.stack([seeded_noise(sd, 1, 0, shape) for sd in seeds]))
            ts = spaced_timesteps(steps)
            history = None
            for i, t in enumerate(ts):
                prev_t = ts[i + 1] if i + 1 < len(ts) else -1
                x, x0 = s.dpmpp_2m_step(model(x, t), t, x, prev_t, pred, clip, history)
                history = (t, x0)
                if i == 0:
                    write(f, name + ".first", x)
            write(f, name, x)


def noise():
    with open(os.path.join(OUT, "noise.txt"), "w") as f:
        for seed, stage, step, n in [(0, 0, 0, 16), (42, 1, 0, 48), (42, 1, 3, 16),
                                     (-1 & ((1 << 64) - 1), 2, 7, 16), (9007199254740993, 3, 1, 16)]:
            write(f, "noise.%d.%d.%d" % (seed, stage, step), seeded_noise(seed, stage, step, (n,)))
        # many elements, to measure agreement of the transcendental functions
        write(f, "noise.many", seeded_noise(20240601, 1, 0, (3, 32, 32)))


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    bicubic()
    schedules()
    loops()
    dpmpp_loops()
    noise()
    print("wrote", OUT)
