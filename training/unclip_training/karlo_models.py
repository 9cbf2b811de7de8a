"""Karlo's networks (kakaobrain/karlo-v1-alpha as split by diffusers' UnCLIPPipeline) in plain PyTorch.

The modules hold their parameters under the key names of the diffusers / transformers checkpoints
(`prior/diffusion_pytorch_model.bin`, `text_encoder/pytorch_model.bin`, ...), so a local copy of
Karlo's folders loads with `load_state_dict(strict=True)` without diffusers or transformers
installed. Every size is a config field: the defaults are Karlo's, `narrow_configs()` keeps the
interface dimensions (77 tokens, 768-d embeddings, text width 768, 1536-wide decoder context,
1280-wide time embedding, 64 px decoder, 64 -> 256 upsamplers) with thin layers.

    text encoder  CLIPTextModelWithProjection     (transformers)  text_model.*, text_projection
    image encoder CLIPVisionModelWithProjection   (transformers)  vision_model.*, visual_projection (image variations)
    prior         PriorTransformer                (diffusers)     time_embedding, proj_in, ..., clip_mean/std
    text_proj     UnCLIPTextProjModel             (diffusers)     embedding_proj, clip_extra_context_tokens_proj, ...
    decoder       UNet2DConditionModel, SimpleCrossAttn blocks with added K/V, class_embed_type identity
    super_res_*   UNet2DModel, ResnetDown/UpsampleBlock2D, no attention

Graph I/O is models/CONTRACT.md's; the forward passes follow the diffusers code paths that
UnCLIPPipeline runs (fp32, masks as -10000 biases).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, asdict

import torch
import torch.nn as nn
import torch.nn.functional as F


# ---- configs ---------------------------------------------------------------------------------
@dataclass
class TextEncoderConfig:
    vocab_size: int = 49408
    hidden_size: int = 768
    intermediate_size: int = 3072
    num_hidden_layers: int = 12
    num_attention_heads: int = 12
    max_position_embeddings: int = 77
    projection_dim: int = 768
    layer_norm_eps: float = 1e-5


@dataclass
class VisionConfig:
    """transformers' CLIPVisionModelWithProjection (Karlo's image-variation pipeline: ViT-L/14)."""
    hidden_size: int = 1024
    intermediate_size: int = 4096
    num_hidden_layers: int = 24
    num_attention_heads: int = 16
    image_size: int = 224
    patch_size: int = 14
    projection_dim: int = 768
    layer_norm_eps: float = 1e-5


@dataclass
class PriorConfig:
    num_attention_heads: int = 32
    attention_head_dim: int = 64
    num_layers: int = 20
    embedding_dim: int = 768
    num_embeddings: int = 77
    additional_embeddings: int = 4

    @property
    def inner_dim(self):
        return self.num_attention_heads * self.attention_head_dim


@dataclass
class TextProjConfig:
    clip_extra_context_tokens: int = 4
    clip_embeddings_dim: int = 768
    time_embed_dim: int = 1280
    cross_attention_dim: int = 1536


@dataclass
class UNetConfig:
    """UNet2DConditionModel (decoder) or UNet2DModel (super-res) as Karlo configures them."""
    sample_size: int = 64
    in_channels: int = 3
    out_channels: int = 6
    layers_per_block: int = 3
    block_out_channels: tuple = (320, 640, 960, 1280)
    down_block_types: tuple = ("ResnetDownsampleBlock2D", "SimpleCrossAttnDownBlock2D",
                               "SimpleCrossAttnDownBlock2D", "SimpleCrossAttnDownBlock2D")
    up_block_types: tuple = ("SimpleCrossAttnUpBlock2D", "SimpleCrossAttnUpBlock2D",
                             "SimpleCrossAttnUpBlock2D", "ResnetUpsampleBlock2D")
    mid_attention: bool = True          # UNetMidBlock2DSimpleCrossAttn vs UNetMidBlock2D without attention
    cross_attention_dim: int = 1536     # 0: no conditioning (super-res)
    attention_head_dim: int = 64
    resnet_time_scale_shift: str = "scale_shift"
    time_embed_dim: int = 0             # 0: 4 x block_out_channels[0]
    norm_num_groups: int = 32
    class_embed_identity: bool = True   # class_labels are added to the time embedding

    @property
    def temb_dim(self):
        return self.time_embed_dim or 4 * self.block_out_channels[0]


def decoder_config(**kw) -> UNetConfig:
    return UNetConfig(**kw)


def super_res_config(**kw) -> UNetConfig:
    base = dict(sample_size=256, in_channels=6, out_channels=3, layers_per_block=3,
                block_out_channels=(320, 640, 960, 1280), down_block_types=("ResnetDownsampleBlock2D",) * 4,
                up_block_types=("ResnetUpsampleBlock2D",) * 4, mid_attention=False, cross_attention_dim=0,
                resnet_time_scale_shift="default", class_embed_identity=False)
    base.update(kw)
    return UNetConfig(**base)


def karlo_configs() -> dict:
    """The sizes of the released Karlo v1.0.alpha checkpoints."""
    return {"text_encoder": TextEncoderConfig(), "prior": PriorConfig(), "text_proj": TextProjConfig(),
            "decoder": decoder_config(), "super_res_first": super_res_config(),
            "super_res_last": super_res_config()}


def narrow_vision_config() -> VisionConfig:
    """A thin image encoder with Karlo's interface (224 px in, 768-d out)."""
    return VisionConfig(hidden_size=64, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2,
                        patch_size=28)


def narrow_configs(vocab_size: int) -> dict:
    """Karlo's interface dimensions with thin layers (a few MB of weights per network)."""
    sr = dict(block_out_channels=(16, 32), down_block_types=("ResnetDownsampleBlock2D",) * 2,
              up_block_types=("ResnetUpsampleBlock2D",) * 2, layers_per_block=1, norm_num_groups=8)
    return {
        "text_encoder": TextEncoderConfig(vocab_size=vocab_size, intermediate_size=64, num_hidden_layers=1,
                                          num_attention_heads=12),
        "prior": PriorConfig(num_attention_heads=2, attention_head_dim=32, num_layers=1),
        "text_proj": TextProjConfig(),
        "decoder": decoder_config(block_out_channels=(32, 64), layers_per_block=1,
                                  down_block_types=("ResnetDownsampleBlock2D", "SimpleCrossAttnDownBlock2D"),
                                  up_block_types=("SimpleCrossAttnUpBlock2D", "ResnetUpsampleBlock2D"),
                                  attention_head_dim=32, time_embed_dim=1280, norm_num_groups=8),
        "super_res_first": super_res_config(**sr),
        "super_res_last": super_res_config(**sr),
    }


def config_dict(cfg) -> dict:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(cfg).items()}


# ---- shared pieces -----------------------------------------------------------------------------
def timestep_embedding(timesteps: torch.Tensor, dim: int) -> torch.Tensor:
    """diffusers' Timesteps(dim, flip_sin_to_cos=True, downscale_freq_shift=0)."""
    half = dim // 2
    exponent = -math.log(10000) * torch.arange(half, dtype=torch.float32) / half
    emb = timesteps[:, None].float() * torch.exp(exponent)[None, :]
    emb = torch.cat([torch.cos(emb), torch.sin(emb)], dim=-1)
    if dim % 2 == 1:
        emb = F.pad(emb, (0, 1))
    return emb


class TimestepEmbedding(nn.Module):
    def __init__(self, in_dim, out_dim):
        super().__init__()
        self.linear_1 = nn.Linear(in_dim, out_dim)
        self.linear_2 = nn.Linear(out_dim, out_dim)

    def forward(self, x):
        return self.linear_2(F.silu(self.linear_1(x)))


# ---- CLIP text encoder (transformers' CLIPTextModelWithProjection) ------------------------------
class _ClipAttention(nn.Module):
    def __init__(self, c: TextEncoderConfig):
        super().__init__()
        w = c.hidden_size
        self.heads = c.num_attention_heads
        self.q_proj, self.k_proj, self.v_proj, self.out_proj = (nn.Linear(w, w) for _ in range(4))

    def forward(self, x, bias):
        b, n, w = x.shape
        h, d = self.heads, w // self.heads
        split = lambda t: t.view(b, n, h, d).transpose(1, 2)
        q, k, v = split(self.q_proj(x)) * d ** -0.5, split(self.k_proj(x)), split(self.v_proj(x))
        a = torch.softmax(q @ k.transpose(-1, -2) + bias, dim=-1)
        return self.out_proj((a @ v).transpose(1, 2).reshape(b, n, w))


class _ClipMlp(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.fc1 = nn.Linear(c.hidden_size, c.intermediate_size)
        self.fc2 = nn.Linear(c.intermediate_size, c.hidden_size)

    def forward(self, x):
        x = self.fc1(x)
        return self.fc2(x * torch.sigmoid(1.702 * x))  # quick_gelu


class _ClipLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.self_attn = _ClipAttention(c)
        self.layer_norm1 = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)
        self.mlp = _ClipMlp(c)
        self.layer_norm2 = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)

    def forward(self, x, bias):
        x = x + self.self_attn(self.layer_norm1(x), bias)
        return x + self.mlp(self.layer_norm2(x))


class _ClipEmbeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.token_embedding = nn.Embedding(c.vocab_size, c.hidden_size)
        self.position_embedding = nn.Embedding(c.max_position_embeddings, c.hidden_size)
        self.register_buffer("position_ids", torch.arange(c.max_position_embeddings)[None], persistent=False)


class _ClipEncoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layers = nn.ModuleList(_ClipLayer(c) for _ in range(c.num_hidden_layers))


class _ClipTextTransformer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embeddings = _ClipEmbeddings(c)
        self.encoder = _ClipEncoder(c)
        self.final_layer_norm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)


class ClipTextModelWithProjection(nn.Module):
    """-> (text_embeds [B,D], last_hidden_state [B,L,W]); pooled at argmax(input_ids), the
    end-of-text token (CLIP's largest id; UnCLIPPipeline passes no attention mask)."""

    def __init__(self, c: TextEncoderConfig):
        super().__init__()
        self.cfg = c
        self.text_model = _ClipTextTransformer(c)
        self.text_projection = nn.Linear(c.hidden_size, c.projection_dim, bias=False)

    def forward(self, input_ids):
        tm = self.text_model
        n = input_ids.shape[1]
        x = tm.embeddings.token_embedding(input_ids) + tm.embeddings.position_embedding(tm.embeddings.position_ids[:, :n])
        causal = torch.full((n, n), torch.finfo(torch.float32).min).triu(1)[None, None]
        for layer in tm.encoder.layers:
            x = layer(x, causal)
        x = tm.final_layer_norm(x)
        eot = input_ids.to(torch.int32).argmax(dim=-1)  # ONNX Runtime's ArgMax takes no int64
        pooled = x[torch.arange(x.shape[0]), eot]
        return self.text_projection(pooled), x


class _ClipVisionEmbeddings(nn.Module):
    def __init__(self, c: VisionConfig):
        super().__init__()
        self.class_embedding = nn.Parameter(torch.zeros(c.hidden_size))
        self.patch_embedding = nn.Conv2d(3, c.hidden_size, c.patch_size, stride=c.patch_size, bias=False)
        n = (c.image_size // c.patch_size) ** 2 + 1
        self.position_embedding = nn.Embedding(n, c.hidden_size)
        self.register_buffer("position_ids", torch.arange(n)[None], persistent=False)


class _ClipVisionTransformer(nn.Module):
    def __init__(self, c: VisionConfig):
        super().__init__()
        self.embeddings = _ClipVisionEmbeddings(c)
        self.pre_layrnorm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)  # (sic) transformers' name
        self.encoder = _ClipEncoder(c)
        self.post_layernorm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)


class ClipVisionModelWithProjection(nn.Module):
    """pixel_values [B,3,S,S] (CLIP-normalised) -> image_embeds [B,D]: the class token after the
    encoder, post_layernorm, visual_projection (not L2-normalised, as UnCLIPImageVariationPipeline uses it)."""

    def __init__(self, c: VisionConfig):
        super().__init__()
        self.cfg = c
        self.vision_model = _ClipVisionTransformer(c)
        self.visual_projection = nn.Linear(c.hidden_size, c.projection_dim, bias=False)

    def forward(self, pixel_values):
        vm = self.vision_model
        e = vm.embeddings
        x = e.patch_embedding(pixel_values).flatten(2).transpose(1, 2)
        x = torch.cat([e.class_embedding.expand(x.shape[0], 1, -1), x], dim=1) + e.position_embedding(e.position_ids)
        x = vm.pre_layrnorm(x)
        for layer in vm.encoder.layers:
            x = layer(x, 0.0)
        return self.visual_projection(vm.post_layernorm(x[:, 0]))


# ---- prior (diffusers' PriorTransformer) --------------------------------------------------------
class _Attention(nn.Module):
    """diffusers' Attention with the default processor: to_q/to_k/to_v (+bias), to_out.0."""

    def __init__(self, dim, heads, head_dim):
        super().__init__()
        self.heads, self.head_dim = heads, head_dim
        inner = heads * head_dim
        self.to_q, self.to_k, self.to_v = nn.Linear(dim, inner), nn.Linear(dim, inner), nn.Linear(dim, inner)
        self.to_out = nn.ModuleList([nn.Linear(inner, dim), nn.Dropout(0.0)])

    def forward(self, x, bias):
        b, n, _ = x.shape
        split = lambda t: t.view(b, -1, self.heads, self.head_dim).transpose(1, 2)
        q, k, v = split(self.to_q(x)), split(self.to_k(x)), split(self.to_v(x))
        a = torch.softmax(q @ k.transpose(-1, -2) * self.head_dim ** -0.5 + bias, dim=-1)
        return self.to_out[0]((a @ v).transpose(1, 2).reshape(b, n, -1))


class _GeluProj(nn.Module):
    def __init__(self, dim, inner):
        super().__init__()
        self.proj = nn.Linear(dim, inner)

    def forward(self, x):
        return F.gelu(self.proj(x))


class _FeedForward(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.net = nn.ModuleList([_GeluProj(dim, 4 * dim), nn.Dropout(0.0), nn.Linear(4 * dim, dim)])

    def forward(self, x):
        return self.net[2](self.net[0](x))


class _TransformerBlock(nn.Module):
    """diffusers' BasicTransformerBlock with self-attention only (norm1, attn1, norm3, ff)."""

    def __init__(self, dim, heads, head_dim):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn1 = _Attention(dim, heads, head_dim)
        self.norm3 = nn.LayerNorm(dim)
        self.ff = _FeedForward(dim)

    def forward(self, x, bias):
        x = x + self.attn1(self.norm1(x), bias)
        return x + self.ff(self.norm3(x))


class PriorTransformer(nn.Module):
    """(sample [B,D] normalised, timestep [B], proj_embedding [B,D], encoder_hidden_states [B,L,W],
    attention_mask bool [B,L]) -> predicted_image_embedding [B,D] (x0, normalised)."""

    def __init__(self, c: PriorConfig, text_width: int = 768):
        super().__init__()
        self.cfg = c
        inner, d = c.inner_dim, c.embedding_dim
        self.time_embedding = TimestepEmbedding(inner, inner)
        self.proj_in = nn.Linear(d, inner)
        self.embedding_proj = nn.Linear(d, inner)
        self.encoder_hidden_states_proj = nn.Linear(text_width, inner)
        n = c.num_embeddings + c.additional_embeddings
        self.positional_embedding = nn.Parameter(torch.zeros(1, n, inner))
        self.prd_embedding = nn.Parameter(torch.zeros(1, 1, inner))
        self.transformer_blocks = nn.ModuleList(
            _TransformerBlock(inner, c.num_attention_heads, c.attention_head_dim) for _ in range(c.num_layers))
        self.norm_out = nn.LayerNorm(inner)
        self.proj_to_clip_embeddings = nn.Linear(inner, d)
        self.register_buffer("causal_attention_mask", torch.full((n, n), -10000.0).triu_(1)[None], persistent=False)
        self.clip_mean = nn.Parameter(torch.zeros(1, d))
        self.clip_std = nn.Parameter(torch.zeros(1, d))

    def forward(self, sample, timestep, proj_embedding, encoder_hidden_states, attention_mask):
        c = self.cfg
        t = self.time_embedding(timestep_embedding(timestep, c.inner_dim))
        h = torch.cat([self.encoder_hidden_states_proj(encoder_hidden_states),
                       self.embedding_proj(proj_embedding)[:, None], t[:, None], self.proj_in(sample)[:, None],
                       self.prd_embedding.expand(sample.shape[0], -1, -1)], dim=1)
        h = h + self.positional_embedding
        bias = (1 - attention_mask.to(h.dtype)) * -10000.0
        bias = F.pad(bias, (0, c.additional_embeddings), value=0.0)
        bias = (bias[:, None, :] + self.causal_attention_mask)[:, None]  # [B,1,N,N], one per head
        for block in self.transformer_blocks:
            h = block(h, bias)
        return self.proj_to_clip_embeddings(self.norm_out(h)[:, -1])


# ---- text_proj (diffusers' UnCLIPTextProjModel) --------------------------------------------------
class UnCLIPTextProj(nn.Module):
    """(image_embeddings [B,D], text_embeds [B,D], text_hidden_states [B,L,W]) ->
    (encoder_hidden_states [B,4+L,C], time_embed_add [B,E]). The unconditional rows' image embedding
    (learned_classifier_free_guidance_embeddings) is family.json's decoder.cfg_image_embedding."""

    def __init__(self, c: TextProjConfig):
        super().__init__()
        self.cfg = c
        d, e, x = c.clip_embeddings_dim, c.time_embed_dim, c.cross_attention_dim
        self.learned_classifier_free_guidance_embeddings = nn.Parameter(torch.zeros(d))
        self.embedding_proj = nn.Linear(d, e)
        self.clip_image_embeddings_project_to_time_embeddings = nn.Linear(d, e)
        self.clip_extra_context_tokens_proj = nn.Linear(d, c.clip_extra_context_tokens * x)
        self.encoder_hidden_states_proj = nn.Linear(d, x)
        self.text_encoder_hidden_states_norm = nn.LayerNorm(x)

    def forward(self, image_embeddings, text_embeds, text_hidden_states):
        b = image_embeddings.shape[0]
        time_add = (self.embedding_proj(text_embeds)
                    + self.clip_image_embeddings_project_to_time_embeddings(image_embeddings))
        extra = self.clip_extra_context_tokens_proj(image_embeddings)
        extra = extra.reshape(b, -1, self.cfg.clip_extra_context_tokens).permute(0, 2, 1)
        text = self.text_encoder_hidden_states_norm(self.encoder_hidden_states_proj(text_hidden_states))
        return torch.cat([extra, text], dim=1), time_add


# ---- UNets (diffusers' UNet2DConditionModel / UNet2DModel) ----------------------------------------
class _Resnet(nn.Module):
    """diffusers' ResnetBlock2D (silu, eps 1e-5; up: nearest x2, down: avg-pool /2, no conv)."""

    def __init__(self, cin, cout, temb, groups, scale_shift, up=False, down=False):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, cin, eps=1e-5)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.time_emb_proj = nn.Linear(temb, 2 * cout if scale_shift else cout)
        self.norm2 = nn.GroupNorm(groups, cout, eps=1e-5)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.conv_shortcut = nn.Conv2d(cin, cout, 1) if cin != cout else None
        self.scale_shift, self.up, self.down = scale_shift, up, down

    def forward(self, x, temb):
        h = F.silu(self.norm1(x))
        if self.up:
            x, h = F.interpolate(x, scale_factor=2.0, mode="nearest"), F.interpolate(h, scale_factor=2.0, mode="nearest")
        elif self.down:
            x, h = F.avg_pool2d(x, 2, 2), F.avg_pool2d(h, 2, 2)
        h = self.conv1(h)
        t = self.time_emb_proj(F.silu(temb))[:, :, None, None]
        if self.scale_shift:
            scale, shift = t.chunk(2, dim=1)
            h = self.norm2(h) * (1 + scale) + shift
        else:
            h = self.norm2(h + t)
        h = self.conv2(F.silu(h))
        if self.conv_shortcut is not None:
            x = self.conv_shortcut(x)
        return x + h


class _AddedKVAttention(nn.Module):
    """diffusers' Attention(added_kv_proj_dim=C) with AttnAddedKVProcessor: the context's K/V are
    put before the spatial self-attention K/V (GLIDE); group norm first, residual added."""

    def __init__(self, ch, heads, head_dim, context_dim, groups):
        super().__init__()
        inner = heads * head_dim
        self.heads, self.head_dim = heads, head_dim
        self.group_norm = nn.GroupNorm(groups, ch, eps=1e-5)
        self.to_q, self.to_k, self.to_v = nn.Linear(ch, inner), nn.Linear(ch, inner), nn.Linear(ch, inner)
        self.add_k_proj, self.add_v_proj = nn.Linear(context_dim, inner), nn.Linear(context_dim, inner)
        self.to_out = nn.ModuleList([nn.Linear(inner, ch), nn.Dropout(0.0)])

    def forward(self, x, context, bias):
        b, c, hh, ww = x.shape
        h = self.group_norm(x).view(b, c, hh * ww).transpose(1, 2)
        split = lambda t: t.view(b, -1, self.heads, self.head_dim).transpose(1, 2)
        q = split(self.to_q(h))
        k = torch.cat([split(self.add_k_proj(context)), split(self.to_k(h))], dim=2)
        v = torch.cat([split(self.add_v_proj(context)), split(self.to_v(h))], dim=2)
        bias = F.pad(bias, (0, hh * ww), value=0.0)[:, None]  # [B,1,1,ctx+HW]
        a = torch.softmax(q @ k.transpose(-1, -2) * self.head_dim ** -0.5 + bias, dim=-1)
        out = self.to_out[0]((a @ v).transpose(1, 2).reshape(b, hh * ww, -1))
        return out.transpose(1, 2).reshape(b, c, hh, ww) + x


class _Block(nn.Module):
    """A down or up block: resnets (+ attentions), then one resampling resnet or none."""

    def __init__(self, kind, resnets, attentions, resample, resample_key):
        super().__init__()
        self.kind = kind
        self.resnets = nn.ModuleList(resnets)
        if attentions:
            self.attentions = nn.ModuleList(attentions)
        self.has_attention = bool(attentions)
        if resample is not None:
            setattr(self, resample_key, nn.ModuleList([resample]))
        self.resample_key = resample_key if resample is not None else None

    def resample(self):
        return getattr(self, self.resample_key)[0] if self.resample_key else None


class _Mid(nn.Module):
    def __init__(self, resnets, attentions):
        super().__init__()
        self.resnets = nn.ModuleList(resnets)
        if attentions:
            self.attentions = nn.ModuleList(attentions)
        self.has_attention = bool(attentions)


class UNet(nn.Module):
    """Decoder: (sample, timestep, encoder_hidden_states, class_labels, attention_mask) -> out_sample.
    Super-res: (sample, timestep) -> out_sample."""

    def __init__(self, c: UNetConfig):
        super().__init__()
        self.cfg = c
        boc, g, temb = c.block_out_channels, c.norm_num_groups, c.temb_dim
        ss = c.resnet_time_scale_shift == "scale_shift"
        attn = lambda ch: _AddedKVAttention(ch, ch // c.attention_head_dim, c.attention_head_dim,
                                            c.cross_attention_dim, g)
        self.conv_in = nn.Conv2d(c.in_channels, boc[0], 3, padding=1)
        self.time_embedding = TimestepEmbedding(boc[0], temb)
        downs, out = [], boc[0]
        for i, kind in enumerate(c.down_block_types):
            cin, out = out, boc[i]
            final = i == len(boc) - 1
            resnets = [_Resnet(cin if j == 0 else out, out, temb, g, ss) for j in range(c.layers_per_block)]
            atts = [attn(out) for _ in range(c.layers_per_block)] if kind == "SimpleCrossAttnDownBlock2D" else []
            downs.append(_Block(kind, resnets, atts, None if final else _Resnet(out, out, temb, g, ss, down=True),
                                "downsamplers"))
        self.down_blocks = nn.ModuleList(downs)
        top = boc[-1]
        self.mid_block = _Mid([_Resnet(top, top, temb, g, ss), _Resnet(top, top, temb, g, ss)],
                              [attn(top)] if c.mid_attention else [])
        ups, rev = [], list(reversed(boc))
        out = rev[0]
        for i, kind in enumerate(c.up_block_types):
            prev, out = out, rev[i]
            cin = rev[min(i + 1, len(boc) - 1)]
            final = i == len(boc) - 1
            n = c.layers_per_block + 1
            resnets = [_Resnet((prev if j == 0 else out) + (cin if j == n - 1 else out), out, temb, g, ss)
                       for j in range(n)]
            atts = [attn(out) for _ in range(n)] if kind == "SimpleCrossAttnUpBlock2D" else []
            ups.append(_Block(kind, resnets, atts, None if final else _Resnet(out, out, temb, g, ss, up=True),
                              "upsamplers"))
        self.up_blocks = nn.ModuleList(ups)
        self.conv_norm_out = nn.GroupNorm(g, boc[0], eps=1e-5)
        self.conv_out = nn.Conv2d(boc[0], c.out_channels, 3, padding=1)

    def forward(self, sample, timestep, encoder_hidden_states=None, class_labels=None, attention_mask=None):
        c = self.cfg
        emb = self.time_embedding(timestep_embedding(timestep, c.block_out_channels[0]))
        if c.class_embed_identity:
            emb = emb + class_labels
        bias = None
        if attention_mask is not None:
            bias = ((1 - attention_mask.to(sample.dtype)) * -10000.0)[:, None]  # [B,1,ctx]
        h = self.conv_in(sample)
        skips = [h]
        for block in self.down_blocks:
            for j, r in enumerate(block.resnets):
                h = r(h, emb)
                if block.has_attention:
                    h = block.attentions[j](h, encoder_hidden_states, bias)
                skips.append(h)
            if block.resample() is not None:
                h = block.resample()(h, emb)
                skips.append(h)
        m = self.mid_block
        h = m.resnets[0](h, emb)
        if m.has_attention:
            h = m.attentions[0](h, encoder_hidden_states, bias)
        h = m.resnets[1](h, emb)
        for block in self.up_blocks:
            for j, r in enumerate(block.resnets):
                h = r(torch.cat([h, skips.pop()], dim=1), emb)
                if block.has_attention:
                    h = block.attentions[j](h, encoder_hidden_states, bias)
            if block.resample() is not None:
                h = block.resample()(h, emb)
        return self.conv_out(F.silu(self.conv_norm_out(h)))


def build(configs: dict, only: str | None = None):
    """-> {name: module} for Karlo's six folders, from their configs (only: that one module)."""
    te = configs["text_encoder"]
    makers = {
        "text_encoder": lambda: ClipTextModelWithProjection(te),
        "prior": lambda: PriorTransformer(configs["prior"], te.hidden_size),
        "text_proj": lambda: UnCLIPTextProj(configs["text_proj"]),
        "decoder": lambda: UNet(configs["decoder"]),
        "super_res_first": lambda: UNet(configs["super_res_first"]),
        "super_res_last": lambda: UNet(configs["super_res_last"]),
    }
    if configs.get("image_encoder") is not None:
        makers["image_encoder"] = lambda: ClipVisionModelWithProjection(configs["image_encoder"])
    if only is not None:
        return makers[only]()
    return {name: make() for name, make in makers.items()}
