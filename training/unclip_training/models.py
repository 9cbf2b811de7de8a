"""Small Shapes-world unCLIP networks: CLIP (text + image), prior, text_proj, decoder, upsamplers.

All graphs are export-friendly (static shapes except batch, no data-dependent control flow).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, asdict

import torch
import torch.nn as nn
import torch.nn.functional as F

from .tokenizer import VOCAB_SIZE, CONTEXT_LENGTH

NEG = -10000.0


class Linear(nn.Linear):
    """nn.Linear whose training-time matmul runs as a 1x1 convolution.

    The Debian torch build links the reference BLAS (about 3 GFLOP/s), while convolutions go
    through oneDNN (about 10x faster). Exported graphs use the plain linear op.
    """

    def forward(self, x):
        if torch.onnx.is_in_onnx_export() or x.dim() < 2:
            return F.linear(x, self.weight, self.bias)
        shape = x.shape
        y = F.conv2d(x.reshape(-1, shape[-1], 1, 1), self.weight[:, :, None, None], self.bias)
        return y.reshape(shape[:-1] + (self.out_features,))


def timestep_embedding(t: torch.Tensor, dim: int) -> torch.Tensor:
    t = t.to(torch.float32)
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32) / half)
    args = t[:, None] * freqs[None, :]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


class Block(nn.Module):
    """Pre-LN transformer block with an additive attention bias [B,1|H,S,S]."""

    def __init__(self, width: int, heads: int):
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(width)
        self.qkv = Linear(width, 3 * width)
        self.proj = Linear(width, width)
        self.ln2 = nn.LayerNorm(width)
        self.mlp = nn.Sequential(Linear(width, 4 * width), nn.GELU(), Linear(4 * width, width))

    def forward(self, x, bias):
        B, S, W = x.shape
        h = self.heads
        q, k, v = self.qkv(self.ln1(x)).reshape(B, S, 3, h, W // h).permute(2, 0, 3, 1, 4)
        att = torch.matmul(q, k.transpose(-1, -2)) * (1.0 / math.sqrt(W // h)) + bias
        att = att.softmax(dim=-1)
        y = torch.matmul(att, v).permute(0, 2, 1, 3).reshape(B, S, W)
        x = x + self.proj(y)
        return x + self.mlp(self.ln2(x))


def causal_bias(n: int) -> torch.Tensor:
    return torch.triu(torch.full((n, n), NEG), diagonal=1)


# ------------------------------------------------------------------------------------------------
# CLIP
# ------------------------------------------------------------------------------------------------
@dataclass
class ClipConfig:
    width: int = 128
    layers: int = 3
    heads: int = 4
    embed_dim: int = 64
    image_size: int = 64
    channels: tuple = (32, 64, 128, 128)


class TextEncoder(nn.Module):
    """Causal transformer; text_embeds = proj(LN(x)[argmax ids]), L2-normalised."""

    def __init__(self, cfg: ClipConfig):
        super().__init__()
        self.tok = nn.Embedding(VOCAB_SIZE, cfg.width)
        self.pos = nn.Parameter(torch.randn(CONTEXT_LENGTH, cfg.width) * 0.01)
        self.blocks = nn.ModuleList([Block(cfg.width, cfg.heads) for _ in range(cfg.layers)])
        self.ln_final = nn.LayerNorm(cfg.width)
        self.text_projection = Linear(cfg.width, cfg.embed_dim, bias=False)
        self.register_buffer("mask", causal_bias(CONTEXT_LENGTH), persistent=False)

    def forward(self, input_ids):
        n = input_ids.shape[1]  # CONTEXT_LENGTH when exported; training may pass a causal prefix
        x = self.tok(input_ids) + self.pos[None, :n]
        for b in self.blocks:
            x = b(x, self.mask[:n, :n])
        x = self.ln_final(x)
        eot = input_ids.to(torch.int32).argmax(dim=-1)
        sel = (torch.arange(n)[None, :] == eot[:, None]).to(x.dtype)
        pooled = (x * sel[:, :, None]).sum(dim=1)
        emb = F.normalize(self.text_projection(pooled), dim=-1)
        return emb, x


class ImageEncoder(nn.Module):
    """Small CNN on CLIP-normalised pixels ((p - 0.5) / 0.5 for p in [0,1], i.e. [-1,1])."""

    def __init__(self, cfg: ClipConfig):
        super().__init__()
        c = cfg.channels
        layers = []
        cin = 3
        for i, co in enumerate(c):
            layers += [nn.Conv2d(cin, co, 3, stride=2, padding=1), nn.GroupNorm(8, co), nn.SiLU(),
                       nn.Conv2d(co, co, 3, padding=1), nn.GroupNorm(8, co), nn.SiLU()]
            cin = co
        self.net = nn.Sequential(*layers)
        s = cfg.image_size // 2 ** len(c)
        self.head = nn.Sequential(nn.Flatten(), Linear(cin * s * s, 256), nn.SiLU(),
                                  Linear(256, cfg.embed_dim))

    def forward(self, pixel_values):
        return F.normalize(self.head(self.net(pixel_values)), dim=-1)


class Clip(nn.Module):
    def __init__(self, cfg: ClipConfig):
        super().__init__()
        self.cfg = cfg
        self.text = TextEncoder(cfg)
        self.image = ImageEncoder(cfg)
        self.logit_scale = nn.Parameter(torch.tensor(math.log(10.0)))


# ------------------------------------------------------------------------------------------------
# Prior
# ------------------------------------------------------------------------------------------------
@dataclass
class PriorConfig:
    width: int = 128
    layers: int = 4
    heads: int = 4
    embed_dim: int = 64
    text_width: int = 128


class Prior(nn.Module):
    """Causal transformer over [text tokens, text_emb, time_emb, x_t, prd] -> x0 (normalised)."""

    def __init__(self, cfg: PriorConfig):
        super().__init__()
        W = cfg.width
        self.cfg = cfg
        self.time_embed = nn.Sequential(Linear(W, W), nn.SiLU(), Linear(W, W))
        self.proj_in = Linear(cfg.embed_dim, W)
        self.embedding_proj = Linear(cfg.embed_dim, W)
        self.encoder_hidden_states_proj = Linear(cfg.text_width, W)
        self.prd = nn.Parameter(torch.randn(1, 1, W) * 0.02)
        n = CONTEXT_LENGTH + 4
        self.pos = nn.Parameter(torch.randn(1, n, W) * 0.02)
        self.blocks = nn.ModuleList([Block(W, cfg.heads) for _ in range(cfg.layers)])
        self.norm_out = nn.LayerNorm(W)
        self.proj_to_clip = Linear(W, cfg.embed_dim)
        self.register_buffer("causal", causal_bias(n), persistent=False)

    def forward(self, sample, timestep, proj_embedding, encoder_hidden_states, attention_mask):
        B = sample.shape[0]
        W = self.cfg.width
        temb = self.time_embed(timestep_embedding(timestep, W))
        seq = torch.cat([self.encoder_hidden_states_proj(encoder_hidden_states),
                         self.embedding_proj(proj_embedding)[:, None],
                         temb[:, None],
                         self.proj_in(sample)[:, None],
                         self.prd.expand(B, -1, -1)], dim=1) + self.pos
        keep = torch.cat([attention_mask, torch.ones(B, 4, dtype=torch.bool)], dim=1)
        bias = (1.0 - keep.to(torch.float32)) * NEG
        bias = bias[:, None, None, :] + self.causal[None, None]
        for b in self.blocks:
            seq = b(seq, bias)
        return self.proj_to_clip(self.norm_out(seq[:, -1]))


# ------------------------------------------------------------------------------------------------
# text_proj + decoder
# ------------------------------------------------------------------------------------------------
@dataclass
class DecoderConfig:
    resolution: int = 32
    channels: tuple = (32, 64, 96)
    attn_levels: tuple = (2,)  # indices into channels (level 2 = 8x8 at 32)
    context_dim: int = 128
    time_embed_dim: int = 128
    embed_dim: int = 64
    text_width: int = 128
    extra_tokens: int = 4
    out_channels: int = 6
    head_dim: int = 32
    # "v": the UNet predicts the velocity v = sqrt(a) eps - sqrt(1-a) x0 (a = alphas_cumprod[t]) and
    # the graph converts it to epsilon, so the exported contract (epsilon + variance) is unchanged
    # while the x0 estimate stays well-conditioned at high noise levels. "epsilon": plain epsilon.
    parametrization: str = "v"
    # learned per-position embedding added to the attention inputs (zero-initialised), so queries
    # know where they are and can place objects from the CLIP context tokens
    attn_pos_emb: bool = True


class TextProj(nn.Module):
    """diffusers UnCLIPTextProjModel, minus the built-in CFG concatenation (the caller does it)."""

    def __init__(self, cfg: DecoderConfig):
        super().__init__()
        C, E, D = cfg.context_dim, cfg.time_embed_dim, cfg.embed_dim
        self.n = cfg.extra_tokens
        self.embedding_proj = Linear(D, E)
        self.clip_image_embeddings_project_to_time_embeddings = Linear(D, E)
        self.clip_extra_context_tokens_proj = Linear(D, self.n * C)
        self.encoder_hidden_states_proj = Linear(cfg.text_width, C)
        self.text_encoder_hidden_states_norm = nn.LayerNorm(C)

    def forward(self, image_embeddings, text_embeds, text_hidden_states):
        B = image_embeddings.shape[0]
        time_add = self.embedding_proj(text_embeds) + \
            self.clip_image_embeddings_project_to_time_embeddings(image_embeddings)
        ctx = self.clip_extra_context_tokens_proj(image_embeddings)
        ctx = ctx.reshape(B, -1, self.n).permute(0, 2, 1)
        txt = self.text_encoder_hidden_states_norm(self.encoder_hidden_states_proj(text_hidden_states))
        return torch.cat([ctx, txt], dim=1), time_add


def gn(c):
    return nn.GroupNorm(min(8, c // 4) if c % 8 else 8, c)


class ResBlock(nn.Module):
    """GN-SiLU-conv, scale-shift norm from the time embedding, GN-SiLU-conv, skip."""

    def __init__(self, cin, cout, temb):
        super().__init__()
        self.n1 = gn(cin)
        self.c1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.emb = Linear(temb, 2 * cout)
        self.n2 = gn(cout)
        self.c2 = nn.Conv2d(cout, cout, 3, padding=1)
        nn.init.zeros_(self.c2.weight)
        nn.init.zeros_(self.c2.bias)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x, emb):
        h = self.c1(F.silu(self.n1(x)))
        s, b = self.emb(F.silu(emb))[:, :, None, None].chunk(2, dim=1)
        h = self.n2(h) * (1 + s) + b
        h = self.c2(F.silu(h))
        return self.skip(x) + h


class ContextAttention(nn.Module):
    """Self-attention over spatial tokens with projected context K/V prepended (GLIDE style)."""

    def __init__(self, c, context_dim, head_dim, hw=None):
        super().__init__()
        self.heads = max(1, c // head_dim)
        self.norm = gn(c)
        self.pos = nn.Parameter(torch.zeros(1, c, hw)) if hw else None
        self.qkv = nn.Conv1d(c, 3 * c, 1)
        self.encoder_kv = nn.Conv1d(context_dim, 2 * c, 1)
        self.proj = nn.Conv1d(c, c, 1)
        nn.init.zeros_(self.proj.weight)
        nn.init.zeros_(self.proj.bias)

    def forward(self, x, ctx, ctx_bias):
        B, C, H, W = x.shape
        h = self.heads
        d = C // h
        hn = self.norm(x).reshape(B, C, H * W)
        if self.pos is not None:
            hn = hn + self.pos
        qkv = self.qkv(hn)
        q, k, v = qkv.reshape(B, 3, h, d, H * W).unbind(1)
        ekv = self.encoder_kv(ctx.transpose(1, 2))  # [B, 2C, S]
        ek, ev = ekv.reshape(B, 2, h, d, -1).unbind(1)
        k = torch.cat([ek, k], dim=-1)
        v = torch.cat([ev, v], dim=-1)
        att = torch.matmul(q.transpose(-1, -2), k) * (1.0 / math.sqrt(d)) + ctx_bias
        att = att.softmax(dim=-1)  # [B,h,HW,S+HW]
        y = torch.matmul(v, att.transpose(-1, -2)).reshape(B, C, H * W)
        return x + self.proj(y).reshape(B, C, H, W)


class DecoderUNet(nn.Module):
    def __init__(self, cfg: DecoderConfig):
        super().__init__()
        self.cfg = cfg
        ch = cfg.channels
        E = cfg.time_embed_dim
        self.time_embed = nn.Sequential(Linear(ch[0], E), nn.SiLU(), Linear(E, E))
        self.conv_in = nn.Conv2d(3, ch[0], 3, padding=1)
        self.down = nn.ModuleList()
        self.down_attn = nn.ModuleList()
        self.downsample = nn.ModuleList()
        cin = ch[0]
        skips = []
        for i, c in enumerate(ch):
            self.down.append(ResBlock(cin, c, E))
            self.down_attn.append(ContextAttention(c, cfg.context_dim, cfg.head_dim, self._hw(i))
                                  if i in cfg.attn_levels else nn.Identity())
            skips.append(c)
            cin = c
            self.downsample.append(nn.Conv2d(c, c, 3, stride=2, padding=1) if i < len(ch) - 1
                                   else nn.Identity())
        self.mid1 = ResBlock(cin, cin, E)
        self.mid_attn = ContextAttention(cin, cfg.context_dim, cfg.head_dim, self._hw(len(ch) - 1))
        self.mid2 = ResBlock(cin, cin, E)
        self.up = nn.ModuleList()
        self.up_attn = nn.ModuleList()
        for i in reversed(range(len(ch))):
            c = ch[i]
            self.up.append(ResBlock(cin + skips[i], c, E))
            self.up_attn.append(ContextAttention(c, cfg.context_dim, cfg.head_dim, self._hw(i))
                                if i in cfg.attn_levels else nn.Identity())
            cin = c
        self.norm_out = gn(cin)
        self.conv_out = nn.Conv2d(cin, cfg.out_channels, 3, padding=1)
        nn.init.zeros_(self.conv_out.weight)
        nn.init.zeros_(self.conv_out.bias)
        from .schedule import Schedule
        self.register_buffer("alphas_cumprod", Schedule().alphas_cumprod.clone(), persistent=False)

    def _hw(self, level):
        return (self.cfg.resolution >> level) ** 2 if self.cfg.attn_pos_emb else None

    def forward(self, sample, timestep, encoder_hidden_states, class_labels, attention_mask):
        raw = self.forward_raw(sample, timestep, encoder_hidden_states, class_labels, attention_mask)
        if self.cfg.parametrization != "v":
            return raw
        a = self.alphas_cumprod[timestep].reshape(-1, 1, 1, 1)
        eps = (1.0 - a).sqrt() * sample + a.sqrt() * raw[:, :3]
        return torch.cat([eps, raw[:, 3:]], dim=1) if raw.shape[1] == 6 else eps

    def forward_raw(self, sample, timestep, encoder_hidden_states, class_labels, attention_mask):
        emb = self.time_embed(timestep_embedding(timestep, self.cfg.channels[0])) + class_labels
        B = sample.shape[0]
        hw_tokens = {}
        # additive bias per attention resolution: context mask then zeros for spatial keys
        ctx_bias = (1.0 - attention_mask.to(torch.float32)) * NEG  # [B,S]
        h = self.conv_in(sample)
        hs = []
        n = len(self.cfg.channels)
        for i in range(n):
            h = self.down[i](h, emb)
            if i in self.cfg.attn_levels:
                h = self.down_attn[i](h, encoder_hidden_states, self._bias(ctx_bias, h))
            hs.append(h)
            if i < n - 1:
                h = self.downsample[i](h)
        h = self.mid1(h, emb)
        h = self.mid_attn(h, encoder_hidden_states, self._bias(ctx_bias, h))
        h = self.mid2(h, emb)
        for j, i in enumerate(reversed(range(n))):
            h = self.up[j](torch.cat([h, hs[i]], dim=1), emb)
            if i in self.cfg.attn_levels:
                h = self.up_attn[j](h, encoder_hidden_states, self._bias(ctx_bias, h))
            if i > 0:
                h = F.interpolate(h, scale_factor=2.0, mode="nearest")
        return self.conv_out(F.silu(self.norm_out(h)))

    @staticmethod
    def _bias(ctx_bias, h):
        B = h.shape[0]
        hw = h.shape[2] * h.shape[3]
        full = torch.cat([ctx_bias, torch.zeros(B, hw)], dim=1)
        return full[:, None, None, :]


class Decoder(nn.Module):
    """text_proj + UNet + the learned unconditional image embedding, trained together."""

    def __init__(self, cfg: DecoderConfig):
        super().__init__()
        self.cfg = cfg
        self.text_proj = TextProj(cfg)
        self.unet = DecoderUNet(cfg)
        self.cfg_image_embedding = nn.Parameter(torch.randn(cfg.embed_dim) * 0.1)

    def forward(self, x_t, t, image_emb, text_emb, text_hidden, text_mask, raw=False):
        ctx, tadd = self.text_proj(image_emb, text_emb, text_hidden)
        mask = torch.cat([torch.ones(x_t.shape[0], self.cfg.extra_tokens, dtype=torch.bool),
                          text_mask], dim=1)
        if raw:
            return self.unet.forward_raw(x_t, t, ctx, tadd, mask)
        return self.unet(x_t, t, ctx, tadd, mask)


# ------------------------------------------------------------------------------------------------
# Super-resolution (conv-only, pixel-unshuffled so most work happens at a quarter/half resolution)
# ------------------------------------------------------------------------------------------------
@dataclass
class SRConfig:
    input_resolution: int = 64
    output_resolution: int = 256
    patch: int = 4
    channels: tuple = (32, 64)
    mid_blocks: int = 2
    time_embed_dim: int = 128
    # "x0_residual": the network predicts x0 - lowres_up; the graph converts that to epsilon with the
    # schedule's alphas_cumprod[t], so the contract (epsilon out) holds while training is on x0.
    parametrization: str = "x0_residual"


def space_to_depth(x, p):
    B, C, H, W = x.shape
    x = x.reshape(B, C, H // p, p, W // p, p).permute(0, 1, 3, 5, 2, 4)
    return x.reshape(B, C * p * p, H // p, W // p)


def depth_to_space(x, p):
    B, C, H, W = x.shape
    c = C // (p * p)
    x = x.reshape(B, c, p, p, H, W).permute(0, 1, 4, 2, 5, 3)
    return x.reshape(B, c, H * p, W * p)


class SRUNet(nn.Module):
    def __init__(self, cfg: SRConfig):
        super().__init__()
        self.cfg = cfg
        p = cfg.patch
        c0, c1 = cfg.channels
        E = cfg.time_embed_dim
        self.time_embed = nn.Sequential(Linear(c0, E), nn.SiLU(), Linear(E, E))
        self.conv_in = nn.Conv2d(6 * p * p, c0, 1)
        self.rb_in = ResBlock(c0, c0, E)
        self.down = nn.Conv2d(c0, c1, 3, stride=2, padding=1)
        self.mid = nn.ModuleList([ResBlock(c1, c1, E) for _ in range(cfg.mid_blocks)])
        self.up = nn.Conv2d(c1, c0, 3, padding=1)
        self.rb_out = ResBlock(2 * c0, c0, E)
        self.norm_out = gn(c0)
        self.conv_out = nn.Conv2d(c0, 3 * p * p, 3, padding=1)
        nn.init.zeros_(self.conv_out.weight)
        nn.init.zeros_(self.conv_out.bias)
        from .schedule import Schedule
        self.register_buffer("alphas_cumprod", Schedule().alphas_cumprod.clone(), persistent=False)

    def net(self, sample, timestep):
        p = self.cfg.patch
        emb = self.time_embed(timestep_embedding(timestep, self.cfg.channels[0]))
        h0 = self.rb_in(self.conv_in(space_to_depth(sample, p)), emb)
        h = self.down(h0)
        for m in self.mid:
            h = m(h, emb)
        h = self.up(F.interpolate(h, scale_factor=2.0, mode="nearest"))
        h = self.rb_out(torch.cat([h, h0], dim=1), emb)
        return depth_to_space(self.conv_out(F.silu(self.norm_out(h))), p)

    def predict_x0(self, sample, timestep):
        return sample[:, 3:] + self.net(sample, timestep)

    def forward(self, sample, timestep):
        if self.cfg.parametrization != "x0_residual":
            return self.net(sample, timestep)
        x0 = self.predict_x0(sample, timestep)
        ac = self.alphas_cumprod[timestep].reshape(-1, 1, 1, 1)
        return (sample[:, :3] - ac.sqrt() * x0) / (1.0 - ac).sqrt()


def sr_config(stage: str) -> SRConfig:
    if stage == "sr_64":
        return SRConfig(input_resolution=32, output_resolution=64, patch=2, channels=(48, 96))
    return SRConfig(input_resolution=64, output_resolution=256, patch=4, channels=(32, 64))


def count_params(m):
    return sum(p.numel() for p in m.parameters())


def config_dict(cfg):
    return asdict(cfg)
