"""The FASHN VTON v1.5 try-on network: a pixel-space MMDiT predicting a rectified-flow velocity.

D. Bochman, A. Bochman, "FASHN VTON v1.5: Efficient Maskless Virtual Try-On in Pixel Space" (2026);
model card https://huggingface.co/fashn-ai/fashn-vton-1.5 (hidden 1280, 10 heads, 8 double-stream +
16 single-stream + 4 patch-mixer blocks, 12×12 pixel patches, 576×864, 972 M parameters). The blocks,
the adaptive modulation, QK-normalisation and the axial RoPE follow FLUX.1 (Black Forest Labs,
github.com/black-forest-labs/flux): double-stream blocks keep separate weights per stream and attend
jointly; single-stream blocks compute attention and MLP in parallel from one projection (Dehghani et
al., "Scaling Vision Transformers to 22 Billion Parameters", arXiv:2302.05442).

Two image streams of equal size: the person stream patch-embeds [x_t, person image, person pose]
(7 channels), the garment stream [garment image, garment pose] (4 channels). Both streams get the same
token positions (0, row, col). The person tokens first pass the patch-mixer blocks alone; the joint
sequence is [garment tokens, person tokens]; after the single-stream blocks only the person tokens go
to the final layer, which is unpatchified into the velocity image. Conditioning (modulation) comes from
vec = MLP(sinusoid(1000·t)) + category embedding; category 0 is the unconditional ("null") class.

Attribute and parameter names are those of the official checkpoint (`model.safetensors`, code at
github.com/fashn-AI/fashn-vton-1.5, commit 7c0f10a), so its state dict loads strictly: "img" is the
person stream and "txt" the garment stream in the double blocks, RMSNorm weights are named `scale`, the
MLPs are indexed 0 and 2, and `patch_mixer_token` is a persistent buffer the forward pass never reads.
Numerics that change results and are therefore kept exactly: LayerNorm without affine, eps 1e-6;
RMSNorm in float32, eps 1e-6; tanh-approximated GELU; modulation chunks ordered shift, scale, gate;
RoPE angles in float64 applied to interleaved (even, odd) pairs in float32; the time multiplied by 1000
in the input's dtype before the float32 sinusoid (so bfloat16 runs round t like the official ones).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

NORM_EPS = 1e-6
TIME_FREQUENCY_DIM = 256
TIME_MAX_PERIOD = 10_000
TIME_FACTOR = 1000.0
NULL_CATEGORY = 0
POSE_CHANNELS = 1


def timestep_sinusoid(
    t: torch.Tensor, dim: int = TIME_FREQUENCY_DIM, max_period: float = TIME_MAX_PERIOD, factor: float = TIME_FACTOR
) -> torch.Tensor:
    """[cos | sin] features of `factor·t` (t in [0, 1], one value per row), as in DiT/FLUX.

    `factor·t` is computed in t's dtype (bfloat16 in a bf16 run: two roundings, as the official
    pipeline does), the arguments in float32, and the result is cast back to t's dtype."""
    scaled = factor * t
    half = dim // 2
    frequencies = torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float32) / half)
    arguments = scaled[:, None].float() * frequencies.to(t.device)[None]
    features = torch.cat([torch.cos(arguments), torch.sin(arguments)], dim=-1)
    if dim % 2:
        features = torch.cat([features, torch.zeros_like(features[:, :1])], dim=-1)
    return features.to(t.dtype) if torch.is_floating_point(t) else features


def token_positions(rows: int, cols: int, batch: int = 1, device: torch.device | None = None) -> torch.Tensor:
    """Position ids [batch, rows·cols, 3] float32: (0, row, col) for the row-major token order."""
    row_index = torch.arange(rows, dtype=torch.float32, device=device)[:, None].expand(rows, cols)
    col_index = torch.arange(cols, dtype=torch.float32, device=device)[None, :].expand(rows, cols)
    ids = torch.stack([torch.zeros_like(row_index), row_index, col_index], dim=-1).reshape(1, rows * cols, 3)
    return ids.expand(batch, -1, -1)


def rope_rotations(ids: torch.Tensor, axes_dim: Sequence[int], theta: float) -> torch.Tensor:
    """Axial rotary embedding: for ids [B, L, n_axes], the 2×2 rotation [[cos, −sin], [sin, cos]]
    of every (even, odd) channel pair of a head, [B, 1, L, D/2, 2, 2] float32 (D = sum(axes_dim)).

    Axis i contributes axes_dim[i]/2 pairs with angular frequencies theta^(−2j/axes_dim[i]); the
    angles are computed in float64 (FLUX's EmbedND)."""
    blocks = []
    for axis, axis_dim in enumerate(axes_dim):
        if axis_dim % 2:
            raise ValueError(f"RoPE axis dimensions must be even, got {tuple(axes_dim)}")
        exponent = torch.arange(0, axis_dim, 2, dtype=torch.float64, device=ids.device) / axis_dim
        frequencies = 1.0 / (theta**exponent)
        angles = ids[..., axis].to(torch.float64)[..., None] * frequencies
        cos, sin = torch.cos(angles), torch.sin(angles)
        blocks.append(torch.stack([cos, -sin, sin, cos], dim=-1).unflatten(-1, (2, 2)))
    return torch.cat(blocks, dim=-3).float().unsqueeze(1)


def apply_rope(x: torch.Tensor, rotations: torch.Tensor) -> torch.Tensor:
    """Rotate interleaved channel pairs of x [B, H, L, D] by `rotations` [B|1, 1, L, D/2, 2, 2], in
    float32, returning x's dtype."""
    pairs = x.float().unflatten(-1, (-1, 2))
    first, second = pairs[..., 0], pairs[..., 1]
    even = rotations[..., 0, 0] * first + rotations[..., 0, 1] * second
    odd = rotations[..., 1, 0] * first + rotations[..., 1, 1] * second
    return torch.stack([even, odd], dim=-1).flatten(-2).to(x.dtype)


def attend(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, rotations: torch.Tensor) -> torch.Tensor:
    """Softmax attention (scale 1/√D) after RoPE on q and k; [B, H, L, D] → [B, L, H·D]."""
    q, k = apply_rope(q, rotations), apply_rope(k, rotations)
    out = F.scaled_dot_product_attention(q, k, v)
    return out.transpose(1, 2).flatten(2)


def split_heads(qkv: torch.Tensor, heads: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """[B, L, 3·H·D] (q, k, v blocks, each head-major) → three [B, H, L, D]."""
    batch, length, width = qkv.shape
    q, k, v = qkv.reshape(batch, length, 3, heads, width // (3 * heads)).permute(2, 0, 3, 1, 4)
    return q, k, v


def plain_layer_norm(x: torch.Tensor) -> torch.Tensor:
    return F.layer_norm(x, x.shape[-1:], eps=NORM_EPS)


def modulate(x: torch.Tensor, shift: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """adaLN: (1 + scale)·LayerNorm(x) + shift."""
    return (1 + scale) * plain_layer_norm(x) + shift


class RMSNorm(nn.Module):
    """Root-mean-square normalisation over the last axis, in float32, with a learned gain `scale`."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        as_float = x.float()
        normalised = as_float * torch.rsqrt(as_float.pow(2).mean(dim=-1, keepdim=True) + NORM_EPS)
        return normalised.to(x.dtype) * self.scale


class QKNorm(nn.Module):
    """Per-head RMSNorm of queries and keys (FLUX), results in the values' dtype."""

    def __init__(self, head_dim: int) -> None:
        super().__init__()
        self.query_norm = RMSNorm(head_dim)
        self.key_norm = RMSNorm(head_dim)

    def forward(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.query_norm(q).to(v), self.key_norm(k).to(v)


class StreamAttention(nn.Module):
    """One stream's attention weights in a double block: qkv projection, QK-norm, output projection.
    The attention itself is joint, so the block calls the parts."""

    def __init__(self, dim: int, heads: int, qkv_bias: bool) -> None:
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim, bias=qkv_bias)
        self.norm = QKNorm(dim // heads)
        self.proj = nn.Linear(dim, dim)

    def queries_keys_values(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        q, k, v = split_heads(self.qkv(x), self.heads)
        q, k = self.norm(q, k, v)
        return q, k, v


class Modulation(nn.Module):
    """Linear(SiLU(vec)) split into `sets` × (shift, scale, gate), each [B, 1, dim]."""

    def __init__(self, dim: int, sets: int) -> None:
        super().__init__()
        self.sets = sets
        self.lin = nn.Linear(dim, 3 * sets * dim)

    def forward(self, vec: torch.Tensor) -> tuple[torch.Tensor, ...]:
        return self.lin(F.silu(vec))[:, None, :].chunk(3 * self.sets, dim=-1)


def feed_forward(dim: int, hidden: int) -> nn.Sequential:
    """Linear → GELU(tanh) → Linear (checkpoint indices 0 and 2)."""
    return nn.Sequential(nn.Linear(dim, hidden), nn.GELU(approximate="tanh"), nn.Linear(hidden, dim))


class DoubleStreamBlock(nn.Module):
    """FLUX.1 double-stream block: each stream modulated and projected with its own weights, one
    attention over the concatenation [garment, person], then per-stream gated residual attention
    output and MLP. Returns (person, garment)."""

    def __init__(self, dim: int, heads: int, mlp_ratio: float, qkv_bias: bool) -> None:
        super().__init__()
        hidden = int(dim * mlp_ratio)
        self.img_mod = Modulation(dim, sets=2)
        self.img_attn = StreamAttention(dim, heads, qkv_bias)
        self.img_mlp = feed_forward(dim, hidden)
        self.txt_mod = Modulation(dim, sets=2)
        self.txt_attn = StreamAttention(dim, heads, qkv_bias)
        self.txt_mlp = feed_forward(dim, hidden)

    def forward(
        self, person: torch.Tensor, garment: torch.Tensor, vec: torch.Tensor, rotations: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        p_shift, p_scale, p_gate, p_mlp_shift, p_mlp_scale, p_mlp_gate = self.img_mod(vec)
        g_shift, g_scale, g_gate, g_mlp_shift, g_mlp_scale, g_mlp_gate = self.txt_mod(vec)
        pq, pk, pv = self.img_attn.queries_keys_values(modulate(person, p_shift, p_scale))
        gq, gk, gv = self.txt_attn.queries_keys_values(modulate(garment, g_shift, g_scale))
        joint = attend(torch.cat((gq, pq), dim=2), torch.cat((gk, pk), dim=2), torch.cat((gv, pv), dim=2), rotations)
        garment_len = garment.shape[1]
        person = person + p_gate * self.img_attn.proj(joint[:, garment_len:])
        person = person + p_mlp_gate * self.img_mlp(modulate(person, p_mlp_shift, p_mlp_scale))
        garment = garment + g_gate * self.txt_attn.proj(joint[:, :garment_len])
        garment = garment + g_mlp_gate * self.txt_mlp(modulate(garment, g_mlp_shift, g_mlp_scale))
        return person, garment


class SingleStreamBlock(nn.Module):
    """FLUX.1 single-stream block (parallel attention and MLP from one projection, one gated residual);
    also the patch-mixer block on the person tokens."""

    def __init__(self, dim: int, heads: int, mlp_ratio: float) -> None:
        super().__init__()
        self.heads = heads
        self.dim = dim
        self.mlp_hidden = int(dim * mlp_ratio)
        self.linear1 = nn.Linear(dim, 3 * dim + self.mlp_hidden)
        self.linear2 = nn.Linear(dim + self.mlp_hidden, dim)
        self.norm = QKNorm(dim // heads)
        self.modulation = Modulation(dim, sets=1)

    def forward(self, x: torch.Tensor, vec: torch.Tensor, rotations: torch.Tensor) -> torch.Tensor:
        shift, scale, gate = self.modulation(vec)
        qkv, mlp = self.linear1(modulate(x, shift, scale)).split([3 * self.dim, self.mlp_hidden], dim=-1)
        q, k, v = split_heads(qkv, self.heads)
        q, k = self.norm(q, k, v)
        mixed = torch.cat((attend(q, k, v, rotations), F.gelu(mlp, approximate="tanh")), dim=2)
        return x + gate * self.linear2(mixed)


class FinalLayer(nn.Module):
    """adaLN (shift, scale from SiLU(vec)) then a linear map to C·p² pixel values per token."""

    def __init__(self, dim: int, out_features: int) -> None:
        super().__init__()
        self.linear = nn.Linear(dim, out_features)
        self.adaLN_modulation = nn.Sequential(nn.SiLU(), nn.Linear(dim, 2 * dim))

    def forward(self, x: torch.Tensor, vec: torch.Tensor) -> torch.Tensor:
        shift, scale = self.adaLN_modulation(vec).chunk(2, dim=1)
        return self.linear(modulate(x, shift[:, None, :], scale[:, None, :]))


class PatchEmbedder(nn.Module):
    """Non-overlapping p×p patches → hidden, as a strided convolution; returns [B, hidden, H/p, W/p]."""

    def __init__(self, in_channels: int, dim: int, patch: int) -> None:
        super().__init__()
        self.proj = nn.Conv2d(in_channels, dim, kernel_size=patch, stride=patch)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(x)


class TimeMLP(nn.Module):
    def __init__(self, in_dim: int, dim: int) -> None:
        super().__init__()
        self.in_layer = nn.Linear(in_dim, dim)
        self.out_layer = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out_layer(F.silu(self.in_layer(x)))


class TimestepEmbedder(nn.Module):
    """sinusoid(1000·t) → Linear → SiLU → Linear."""

    def __init__(self, dim: int, frequency_dim: int = TIME_FREQUENCY_DIM) -> None:
        super().__init__()
        self.frequency_dim = frequency_dim
        self.mlp = TimeMLP(frequency_dim, dim)

    def forward(self, t: torch.Tensor) -> torch.Tensor:
        return self.mlp(timestep_sinusoid(t, self.frequency_dim))


def category_rows(category: torch.Tensor | int, batch: int, device: torch.device) -> torch.Tensor:
    """Category ids as int64 [batch]: one id (an int or a one-element tensor) applies to every row."""
    ids = torch.as_tensor(category, device=device).long().reshape(-1)
    if ids.numel() == 1:
        return ids.expand(batch)
    if ids.numel() != batch:
        raise ValueError(f"category must hold one id or {batch} ids, got {ids.numel()}")
    return ids


def _blank_where(null: torch.Tensor | None, value: torch.Tensor) -> torch.Tensor:
    """`value` with the rows flagged in `null` replaced by zeros (None: unchanged)."""
    if null is None:
        return value
    keep = ~null.reshape(-1, *([1] * (value.dim() - 1)))
    return torch.where(keep, value, torch.zeros_like(value))


class TryOnMMDiT(nn.Module):
    """The FASHN VTON v1.5 network (`TryOnModel` of the official code). Constructor arguments and their
    defaults are the official ones; `weights.FULL_MODEL_KWARGS` repeats them for callers."""

    def __init__(
        self,
        input_shape: Sequence[int] = (864, 576),
        hidden_size: int = 1280,
        n_heads: int = 10,
        double_blocks_depth: int = 8,
        single_blocks_depth: int = 16,
        mlp_ratio: float = 4,
        channels_in: int = 3,
        patch_size: int = 12,
        theta: float = 10_000,
        axes_dim: Sequence[int] = (16, 56, 56),
        qkv_bias: bool = True,
        guidance_embed: bool = False,
        n_classes: int = 3,
        use_patch_mixer: bool = True,
        patch_mixer_depth: int = 4,
    ) -> None:
        super().__init__()
        height, width = (int(size) for size in input_shape)
        if hidden_size % n_heads:
            raise ValueError(f"hidden_size {hidden_size} is not divisible by n_heads {n_heads}")
        head_dim = hidden_size // n_heads
        if sum(axes_dim) != head_dim:
            raise ValueError(f"RoPE axes_dim {tuple(axes_dim)} must sum to the head dimension {head_dim}")
        if height % patch_size or width % patch_size:
            raise ValueError(f"input_shape {(height, width)} is not a multiple of patch_size {patch_size}")
        self.input_shape = (height, width)
        self.patch_size = patch_size
        self.channels_in = channels_in
        self.grid = (height // patch_size, width // patch_size)
        self.axes_dim = tuple(int(d) for d in axes_dim)
        self.theta = theta

        self.t_embedder = TimestepEmbedder(hidden_size)
        self.y_embedder = nn.Embedding(n_classes + 1, hidden_size) if n_classes > 0 else None
        self.guidance_embedder = TimestepEmbedder(hidden_size) if guidance_embed else None
        self.x_embedder = PatchEmbedder(2 * channels_in + POSE_CHANNELS, hidden_size, patch_size)
        self.garment_embedder = PatchEmbedder(channels_in + POSE_CHANNELS, hidden_size, patch_size)
        self.x_patch_mixer = None
        if use_patch_mixer:
            self.x_patch_mixer = nn.ModuleList(
                SingleStreamBlock(hidden_size, n_heads, mlp_ratio) for _ in range(patch_mixer_depth)
            )
            # Never read by forward; part of the checkpoint, so strict loading needs it.
            self.register_buffer("patch_mixer_token", torch.zeros(1, 1, channels_in * patch_size**2))
        self.double_blocks = nn.ModuleList(
            DoubleStreamBlock(hidden_size, n_heads, mlp_ratio, qkv_bias) for _ in range(double_blocks_depth)
        )
        self.single_blocks = nn.ModuleList(
            SingleStreamBlock(hidden_size, n_heads, mlp_ratio) for _ in range(single_blocks_depth)
        )
        self.final_layer = FinalLayer(hidden_size, channels_in * patch_size**2)

    @property
    def dtype(self) -> torch.dtype:
        return self.final_layer.linear.weight.dtype

    @property
    def device(self) -> torch.device:
        return self.final_layer.linear.weight.device

    def positions(self, batch: int = 1) -> torch.Tensor:
        return token_positions(*self.grid, batch=batch, device=self.device)

    def forward(
        self,
        x: torch.Tensor,
        t: torch.Tensor | float,
        *,
        ca: torch.Tensor,
        garment: torch.Tensor,
        person_pose: torch.Tensor,
        garment_pose: torch.Tensor,
        category: torch.Tensor,
        null: bool | torch.Tensor = False,
        guidance: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """The velocity dx/dt [B, C, H, W] at x (x_t) and time t [B] (0 = noise, 1 = data).

        Images are [B, C, H, W] and poses [B, 1, H, W] in [−1, 1]; `category` [B] int or one int (1 tops,
        2 bottoms, 3 one-pieces). `null=True` is the unconditional branch used by classifier-free
        guidance: person image, person pose, garment image and garment pose become zeros (mid-grey)
        and the category 0, while x_t and t stay; a bool tensor [B] selects it per row. Inputs are
        cast to the network's dtype and device (t too: a bfloat16 network sees a bfloat16 time, as
        in the official pipeline)."""
        batch = x.shape[0]
        self._check_inputs(x, ca=ca, garment=garment, person_pose=person_pose, garment_pose=garment_pose)
        dtype, device = self.dtype, self.device
        if not isinstance(t, torch.Tensor) or t.dim() == 0:
            t = torch.full((batch,), float(t))
        t = t.to(device=device, dtype=dtype)
        x, ca, garment, person_pose, garment_pose = (
            value.to(device=device, dtype=dtype) for value in (x, ca, garment, person_pose, garment_pose)
        )
        category = category_rows(category, batch, device)
        null_rows = self._null_rows(null, batch, device)
        ca, person_pose, garment, garment_pose, category = (
            _blank_where(null_rows, value) for value in (ca, person_pose, garment, garment_pose, category)
        )

        person = self.x_embedder(torch.cat([x, ca, person_pose], dim=1)).flatten(2).transpose(1, 2)
        garment_tokens = self.garment_embedder(torch.cat([garment, garment_pose], dim=1)).flatten(2).transpose(1, 2)

        vec = self.t_embedder(t)
        if self.guidance_embedder is not None:
            if guidance is None:
                raise ValueError("this network was built with guidance_embed=True and needs `guidance`")
            vec = vec + self.guidance_embedder(guidance.to(device=device, dtype=dtype))
        if self.y_embedder is not None:
            vec = vec + self.y_embedder(category)

        stream_rotations = rope_rotations(self.positions(), self.axes_dim, self.theta)
        if self.x_patch_mixer is not None:
            for block in self.x_patch_mixer:
                person = block(person, vec, stream_rotations)
        # Both streams share positions, so the joint table is the same table twice.
        joint_rotations = torch.cat([stream_rotations, stream_rotations], dim=2)
        for block in self.double_blocks:
            person, garment_tokens = block(person, garment_tokens, vec, joint_rotations)
        joint = torch.cat((garment_tokens, person), dim=1)
        for block in self.single_blocks:
            joint = block(joint, vec, joint_rotations)
        pixels = self.final_layer(joint[:, garment_tokens.shape[1] :], vec)
        return self.unpatchify(pixels)

    def unpatchify(self, tokens: torch.Tensor) -> torch.Tensor:
        """[B, L, C·p·p] (channel-major within a token) → [B, C, H, W]."""
        rows, cols = self.grid
        p, channels = self.patch_size, self.channels_in
        image = tokens.reshape(tokens.shape[0], rows, cols, channels, p, p).permute(0, 3, 1, 4, 2, 5)
        return image.reshape(tokens.shape[0], channels, rows * p, cols * p)

    def _null_rows(self, null: bool | torch.Tensor, batch: int, device: torch.device) -> torch.Tensor | None:
        if isinstance(null, torch.Tensor):
            if null.shape != (batch,):
                raise ValueError(
                    f"`null` as a tensor needs one flag per row, shape ({batch},), got {tuple(null.shape)}"
                )
            return null.to(device=device, dtype=torch.bool)
        return torch.ones(batch, dtype=torch.bool, device=device) if null else None

    def _check_inputs(self, x: torch.Tensor, **conditions: torch.Tensor) -> None:
        height, width = self.input_shape
        expected = {
            "x": (self.channels_in, height, width),
            "ca": (self.channels_in, height, width),
            "garment": (self.channels_in, height, width),
            "person_pose": (POSE_CHANNELS, height, width),
            "garment_pose": (POSE_CHANNELS, height, width),
        }
        for name, value in {"x": x, **conditions}.items():
            if value.dim() != 4 or tuple(value.shape[1:]) != expected[name] or value.shape[0] != x.shape[0]:
                raise ValueError(
                    f"{name} must be [{x.shape[0]}, {', '.join(map(str, expected[name]))}] for this network, "
                    f"got {list(value.shape)}"
                )
