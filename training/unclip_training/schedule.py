"""Noise schedule, timestep spacing and the UnCLIPScheduler DDPM step (diffusers semantics)."""
from __future__ import annotations

import math

import numpy as np
import torch

T = 1000


def betas_squaredcos_cap_v2(num_steps: int = T, max_beta: float = 0.999) -> torch.Tensor:
    def alpha_bar(t):
        return math.cos((t + 0.008) / 1.008 * math.pi / 2) ** 2
    betas = [min(1 - alpha_bar((i + 1) / num_steps) / alpha_bar(i / num_steps), max_beta)
             for i in range(num_steps)]
    return torch.tensor(betas, dtype=torch.float32)


class Schedule:
    """Float32 tables as diffusers builds them: betas, alphas, alphas_cumprod (cumprod in fp32)."""

    def __init__(self, num_steps: int = T):
        self.num_steps = num_steps
        self.betas = betas_squaredcos_cap_v2(num_steps)
        self.alphas = 1.0 - self.betas
        self.alphas_cumprod = torch.cumprod(self.alphas, dim=0)
        self.one = torch.tensor(1.0)

    # ---- training helpers -------------------------------------------------------------------
    def q_sample(self, x0, t, noise):
        ac = self.alphas_cumprod[t].to(x0.dtype)
        shape = (-1,) + (1,) * (x0.dim() - 1)
        return ac.sqrt().view(shape) * x0 + (1 - ac).sqrt().view(shape) * noise

    def posterior(self, x0, xt, t):
        """True posterior q(x_{t-1}|x_t,x0) mean and log-variance (clipped), 1000-step chain."""
        ac = self.alphas_cumprod
        ac_prev = torch.cat([torch.ones(1), ac[:-1]])
        b = self.betas
        var = b * (1 - ac_prev) / (1 - ac)
        logvar_clipped = torch.log(torch.cat([var[1:2], var[1:]]))
        c0 = b * ac_prev.sqrt() / (1 - ac)
        ct = (1 - ac_prev) * self.alphas.sqrt() / (1 - ac)
        shape = (-1,) + (1,) * (x0.dim() - 1)
        mean = c0[t].view(shape) * x0 + ct[t].view(shape) * xt
        return mean, logvar_clipped[t].view(shape)

    # ---- sampling ---------------------------------------------------------------------------
    def step(self, model_output, t: int, sample, prev_t: int, noise, prediction_type: str,
             variance_type: str, clip_sample_range: float, predicted_variance=None):
        """One UnCLIPScheduler.step; noise is the standard normal draw (ignored when t == 0)."""
        alpha_prod_t = self.alphas_cumprod[t]
        alpha_prod_t_prev = self.alphas_cumprod[prev_t] if prev_t >= 0 else self.one
        beta_prod_t = 1 - alpha_prod_t
        beta_prod_t_prev = 1 - alpha_prod_t_prev
        if prev_t == t - 1:
            beta = self.betas[t]
            alpha = self.alphas[t]
        else:
            beta = 1 - alpha_prod_t / alpha_prod_t_prev
            alpha = 1 - beta
        x0 = self.data_prediction(model_output, t, sample, prediction_type, clip_sample_range)
        c0 = alpha_prod_t_prev ** 0.5 * beta / beta_prod_t
        ct = alpha ** 0.5 * beta_prod_t_prev / beta_prod_t
        prev = c0 * x0 + ct * sample
        if t > 0:
            variance = beta_prod_t_prev / beta_prod_t * beta
            if variance_type == "fixed_small_log":
                std = torch.exp(0.5 * torch.log(torch.clamp(variance, min=1e-20)))
            elif variance_type == "learned_range":
                min_log = variance.log()
                max_log = beta.log()
                frac = (predicted_variance + 1) / 2
                std = (0.5 * (frac * max_log + (1 - frac) * min_log)).exp()
            else:
                raise ValueError(variance_type)
            prev = prev + std * noise
        return prev, x0


    def data_prediction(self, model_output, t: int, sample, prediction_type: str, clip_sample_range: float):
        """The clamped x0 a model output stands for at timestep t."""
        a = self.alphas_cumprod[t]
        if prediction_type == "epsilon":
            x0 = (sample - (1 - a) ** 0.5 * model_output) / a ** 0.5
        elif prediction_type == "sample":
            x0 = model_output
        elif prediction_type == "v_prediction":
            x0 = a ** 0.5 * sample - (1 - a) ** 0.5 * model_output
        else:
            raise ValueError(prediction_type)
        return torch.clamp(x0, -clip_sample_range, clip_sample_range)

    def dpmpp_2m_step(self, model_output, t: int, sample, prev_t: int, prediction_type: str,
                      clip_sample_range: float, previous=None):
        """One DPM-Solver++(2M) step t -> prev_t (Lu et al. 2022, data prediction, multistep
        midpoint rule), deterministic. `previous` is (t, x0) of the step before, or None: the first
        step is first order (DDIM), and the step into prev_t = -1 returns x0. -> (x_prev, x0)."""
        x0 = self.data_prediction(model_output, t, sample, prediction_type, clip_sample_range)
        if prev_t < 0:
            return x0.clone(), x0
        a_s = float(self.alphas_cumprod[t])
        a_p = float(self.alphas_cumprod[prev_t])
        lam_s = 0.5 * math.log(a_s) - 0.5 * math.log(1 - a_s)
        lam_p = 0.5 * math.log(a_p) - 0.5 * math.log(1 - a_p)
        h = lam_p - lam_s
        c_sample = math.sqrt(1 - a_p) / math.sqrt(1 - a_s)
        c_data = -math.sqrt(a_p) * math.expm1(-h)
        d = x0
        if previous is not None:
            t1, x0_1 = previous
            a_1 = float(self.alphas_cumprod[t1])
            lam_1 = 0.5 * math.log(a_1) - 0.5 * math.log(1 - a_1)
            r = (lam_s - lam_1) / h
            d = x0 + (0.5 / r) * (x0 - x0_1)
        return c_sample * sample + c_data * d, x0

def spaced_timesteps(n: int, num_train: int = T) -> list:
    """'linspace' spacing with numpy round-half-even, descending."""
    if n == 1:
        return [num_train - 1]
    ts = np.round(np.arange(n) * (num_train - 1) / (n - 1)).astype(np.int64)
    return [int(t) for t in ts[::-1]]


# ---- seeded noise (bit-exact contract shared with the Java side) --------------------------------
_M64 = (1 << 64) - 1


def splitmix64(x: int) -> int:
    z = (x + 0x9E3779B97F4A7C15) & _M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _M64
    return z ^ (z >> 31)


def _splitmix64_np(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        z = x + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def seeded_noise(seed: int, stage: int, step: int, shape) -> np.ndarray:
    """Standard normal float32 noise of one image's tensor (row-major elements)."""
    key = splitmix64((splitmix64((splitmix64(seed & _M64) ^ stage) & _M64) ^ step) & _M64)
    n = int(np.prod(shape))
    e = np.arange(n, dtype=np.uint64)
    k = np.uint64(key)
    a = _splitmix64_np(k ^ (np.uint64(2) * e))
    b = _splitmix64_np(k ^ (np.uint64(2) * e + np.uint64(1)))
    u1 = ((a >> np.uint64(11)).astype(np.float64) + 1.0) * (2.0 ** -53)
    u2 = (b >> np.uint64(11)).astype(np.float64) * (2.0 ** -53)
    z = np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)
    return z.astype(np.float32).reshape(shape)
