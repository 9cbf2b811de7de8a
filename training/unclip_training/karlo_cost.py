"""Parameters, weight bytes and multiply-adds per image of Karlo's networks, full size or narrow.

    python3 training/unclip_training/karlo_cost.py            # (run from training/: python3 -m unclip_training.karlo_cost)

Builds each network without initialising its weights (the memory is reserved, not touched), then
runs one batch-1 forward in which every Linear, Conv2d and matmul only counts its multiply-adds
and returns zeros of the right shape: shapes, not numbers. A Karlo image (P25 + D25 + SR7, guidance
on the prior and the decoder, so 2 rows there) then costs
    text encoder x 2 (prompt and "") + prior x 50 + text_proj x 2 + decoder x 50 + super_res_first x 6
    + super_res_last x 1
forward passes; FLOPs = 2 x multiply-adds (norms, softmax and activations not counted).
"""
from __future__ import annotations

import contextlib
import math

import torch
import torch.nn as nn

from . import karlo_models as km

CALLS_PER_IMAGE = {"text_encoder": 2, "prior": 50, "text_proj": 2, "decoder": 50, "super_res_first": 6,
                   "super_res_last": 1}


@contextlib.contextmanager
def _shapes_only(counter):
    saved = {}

    def patch(owner, name, fn):
        saved[(owner, name)] = getattr(owner, name)
        setattr(owner, name, fn)

    def linear(self, x):
        counter[0] += x.numel() // x.shape[-1] * self.in_features * self.out_features
        return x.new_zeros(*x.shape[:-1], self.out_features)

    def conv(self, x):
        b, _, h, w = x.shape
        counter[0] += b * h * w * self.weight[0].numel() * self.out_channels
        return x.new_zeros(b, self.out_channels, h, w)

    def matmul(a, b):
        out_shape = torch.broadcast_shapes(a.shape[:-2], b.shape[:-2]) + (a.shape[-2], b.shape[-1])
        counter[0] += math.prod(out_shape) * a.shape[-1]
        return a.new_zeros(out_shape)

    noop = lambda t, *a, **k: t
    for name in ("kaiming_uniform_", "uniform_", "normal_", "zeros_", "ones_", "xavier_uniform_"):
        patch(nn.init, name, noop)
    patch(nn.Linear, "forward", linear)
    patch(nn.Conv2d, "forward", conv)
    patch(torch.Tensor, "__matmul__", matmul)
    try:
        yield
    finally:
        for (owner, name), fn in saved.items():
            setattr(owner, name, fn)


def _inputs(name, configs):
    te, tp, dec = configs["text_encoder"], configs["text_proj"], configs["decoder"]
    L, D, W = 77, configs["prior"].embedding_dim, te.hidden_size
    ids = torch.zeros(1, L, dtype=torch.int64)
    ids[0, 0], ids[0, 1] = te.vocab_size - 2, te.vocab_size - 1
    t = torch.tensor([500])
    n = tp.clip_extra_context_tokens + L
    return {
        "text_encoder": (ids,),
        "prior": (torch.zeros(1, D), t, torch.zeros(1, D), torch.zeros(1, L, W), torch.ones(1, L, dtype=torch.bool)),
        "text_proj": (torch.zeros(1, D), torch.zeros(1, D), torch.zeros(1, L, W)),
        "decoder": (torch.zeros(1, 3, dec.sample_size, dec.sample_size), t, torch.zeros(1, n, tp.cross_attention_dim),
                    torch.zeros(1, tp.time_embed_dim), torch.ones(1, n, dtype=torch.bool)),
        "super_res_first": (torch.zeros(1, 6, configs["super_res_first"].sample_size,
                                        configs["super_res_first"].sample_size), t),
        "super_res_last": (torch.zeros(1, 6, configs["super_res_last"].sample_size,
                                       configs["super_res_last"].sample_size), t),
    }[name]


@torch.no_grad()
def cost(configs) -> dict:
    """-> {network: {"params", "weight_bytes", "macs_per_call", "calls_per_image"}} (fp32 weights)."""
    out = {}
    for name in CALLS_PER_IMAGE:
        counter = [0]
        with _shapes_only(counter):
            mod = km.build(configs, only=name)
            params = sum(p.numel() for p in mod.parameters())
            counter[0] = 0
            mod(*_inputs(name, configs))
        out[name] = {"params": params, "weight_bytes": 4 * params, "macs_per_call": counter[0],
                     "calls_per_image": CALLS_PER_IMAGE[name]}
        del mod
    return out


def report(configs, title) -> str:
    c = cost(configs)
    lines = [f"{title}:", f"  {'network':16} {'params':>10} {'fp32 weights':>13} {'GMAC/call':>10} {'calls':>6} {'GFLOP/image':>12}"]
    total_p = total_f = 0
    for name, v in c.items():
        flops = 2 * v["macs_per_call"] * v["calls_per_image"]
        total_p += v["params"]
        total_f += flops
        lines.append(f"  {name:16} {v['params'] / 1e6:9.1f}M {v['weight_bytes'] / 2**20:10.0f} MiB "
                     f"{v['macs_per_call'] / 1e9:10.2f} {v['calls_per_image']:6d} {flops / 1e9:12.0f}")
    lines.append(f"  {'total':16} {total_p / 1e6:9.1f}M {4 * total_p / 2**20:10.0f} MiB {'':10} {'':6} {total_f / 1e9:12.0f}")
    return "\n".join(lines)


def main():
    from .clip_tokenizer import small_vocabulary
    from .karlo_export import PROMPT_WORDS
    torch.set_num_threads(1)
    print(report(km.karlo_configs(), "Karlo v1.0.alpha (P25 + D25 + SR7)"))
    print(report(km.narrow_configs(len(small_vocabulary(PROMPT_WORDS).vocab)), "karlo-shaped (same steps)"))


if __name__ == "__main__":
    main()
