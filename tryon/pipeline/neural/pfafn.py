"""PF-AFN's test-time networks: the appearance-flow warping module and the try-on generator.

Ge et al., "Parser-Free Virtual Try-on via Distilling Appearance Flows", CVPR 2021,
arXiv:2103.04559. Section 3 (method) describes the Appearance Flow Warping Module (AFWM): two feature
pyramid encoders (garment, person), a cost volume per pyramid level and coarse-to-fine flow
estimation, each level predicting an offset field from the correlation and refining it from the
concatenated features; and the generative module that renders the person and a composition
mask. Only the parser-free student used at test time is implemented.

Module and attribute names follow the released checkpoints (`warp_model_final.pth`,
`gen_model_final.pth`), so their state dicts load with strict key and shape checks.

Conventions copied from the released code because the checkpoints were trained with them: all
`grid_sample` calls inside the warp use bilinear sampling, border padding and align_corners=True
(PyTorch 1.1 behaviour); the flow (a normalised sampling grid) is upsampled ×2 between levels with
bilinear align_corners=False; the warped edge mask uses zero padding.
"""

from __future__ import annotations

import itertools

import torch
import torch.nn.functional as F
from torch import nn

from tryon.pipeline.neural.concat import conv_of_last_part, conv_on_concat, conv_with_last_part

ENCODER_CHANNELS = (64, 128, 256, 256, 256)  # finest (128×96 for a 256×192 input) to coarsest (8×6)
FPN_CHANNELS = 256
MAX_DISPLACEMENT = 3  # the cost volume compares each position with a 7×7 neighbourhood
CORRELATION_CHANNELS = (2 * MAX_DISPLACEMENT + 1) ** 2  # 49
FLOW_LEAKY_SLOPE = 0.1

GENERATOR_INPUT_CHANNELS = 7  # person (3) + warped garment (3) + warped edge mask (1)
GENERATOR_OUTPUT_CHANNELS = 4  # rendered person (3) + composition mask logit (1)
GENERATOR_LEVELS = (64, 128, 256, 512, 512)  # channels after each stride-2 convolution


CORRELATION_TILE_WIDTH = 8  # output columns per matrix product; (8 + 6) / 7 = 2× the minimal multiply-adds


def correlation(first: torch.Tensor, second: torch.Tensor, max_displacement: int = MAX_DISPLACEMENT) -> torch.Tensor:
    """Cost volume between two feature maps [B, C, H, W] → [B, (2d+1)², H, W].

    out[:, k, y, x] = mean over channels of first[:, :, y, x] · second[:, :, y+dy, x+dx], with
    dy = k // (2d+1) − d (the slow index) and dx = k % (2d+1) − d; `second` is zero outside the
    image. Same function as the FlowNet2/PWC-Net CUDA kernel the authors used, in plain PyTorch.

    Computed as matrix products rather than (2d+1)² element-wise passes over C×H×W: each row is cut
    into tiles of `CORRELATION_TILE_WIDTH` positions, and for every vertical displacement one batched
    product [tile, C] × [C, tile + 2d] compares a tile with all the columns its positions can reach;
    the band of that product holds the 2d+1 horizontal displacements. The inputs are copied once into
    zero-padded channels-last buffers in which every tile's window starts a fixed stride after the
    previous one, so the windows are views, not copies. The result is in channels-last memory.
    """
    batch, channels, height, width = first.shape
    span = 2 * max_displacement + 1
    tile = max(CORRELATION_TILE_WIDTH, 2 * max_displacement)  # the last tile's window must end inside its row
    window = tile + 2 * max_displacement
    # One spare tile per row: tile j of row y then starts at (y · (tiles + 1) + j) · tile columns, in both buffers.
    row_width = (-(-width // tile) + 1) * tile
    tiles_per_image = height * row_width // tile
    first_rows = F.pad(first / channels, [0, row_width - width]).permute(0, 2, 3, 1).contiguous()
    second_padded = (
        F.pad(  # one extra row at the bottom: the spare tile of the last row reads past it
            second, [max_displacement, row_width - width - max_displacement, max_displacement, max_displacement + 1]
        )
        .permute(0, 2, 3, 1)
        .contiguous()
    )
    costs = first.new_empty(batch, tiles_per_image, tile, span, span)
    for image in range(batch):
        tiles = first_rows[image].view(tiles_per_image, tile, channels)
        padded = second_padded[image]
        for dy in range(span):
            windows = padded.as_strided(
                (tiles_per_image, window, channels),
                (tile * channels, channels, 1),
                padded.storage_offset() + dy * row_width * channels,
            )
            products = torch.bmm(tiles, windows.transpose(1, 2))  # [tiles, tile, window]
            # Position i of a tile meets column i + dx of its window: the band i..i+2d of row i.
            costs[image, :, :, dy] = products.as_strided((tiles_per_image, tile, span), (tile * window, window + 1, 1))
    return costs.view(batch, height, row_width, span * span)[:, :, :width].permute(0, 3, 1, 2)


def offsets_to_grid(offsets: torch.Tensor) -> torch.Tensor:
    """Pixel offsets [B, 2, H, W] (x then y) → normalised sampling grid [B, H, W, 2] for grid_sample
    with align_corners=True: position p + offset mapped to 2·(p + offset)/(size − 1) − 1."""
    height, width = offsets.shape[2:]
    ys = torch.arange(height, dtype=offsets.dtype, device=offsets.device).view(1, height, 1)
    xs = torch.arange(width, dtype=offsets.dtype, device=offsets.device).view(1, 1, width)
    grid_x = (xs + offsets[:, 0]) / ((width - 1.0) / 2.0) - 1.0
    grid_y = (ys + offsets[:, 1]) / ((height - 1.0) / 2.0) - 1.0
    return torch.stack([grid_x, grid_y], dim=-1)


def warp_by_flow(source: torch.Tensor, flow: torch.Tensor, padding_mode: str = "border") -> torch.Tensor:
    """Sample `source` [B, C, H, W] at the normalised grid `flow` [B, 2, H, W] (channel-first)."""
    return F.grid_sample(
        source, flow.permute(0, 2, 3, 1), mode="bilinear", padding_mode=padding_mode, align_corners=True
    )


class DownSample(nn.Module):
    """Pre-activation stride-2 stage entry: BN → ReLU → 3×3 conv (no bias)."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.block = nn.Sequential(
            nn.BatchNorm2d(in_channels),
            nn.ReLU(),
            nn.Conv2d(in_channels, out_channels, 3, stride=2, padding=1, bias=False),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.block(x)


class PreActivationResBlock(nn.Module):
    """x + (BN → ReLU → conv → BN → ReLU → conv)(x), 3×3 convs without bias."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.block = nn.Sequential(
            nn.BatchNorm2d(channels),
            nn.ReLU(),
            nn.Conv2d(channels, channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(channels),
            nn.ReLU(),
            nn.Conv2d(channels, channels, 3, padding=1, bias=False),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.block(x)


class FeatureEncoder(nn.Module):
    """Five stages of [DownSample, 2 × residual block]; returns the five feature maps, finest first
    ([B, 64, H/2, W/2] … [B, 256, H/32, W/32])."""

    def __init__(self, in_channels: int, channels: tuple[int, ...] = ENCODER_CHANNELS) -> None:
        super().__init__()
        stages = []
        for out_channels in channels:
            stages.append(
                nn.Sequential(
                    DownSample(in_channels, out_channels),
                    PreActivationResBlock(out_channels),
                    PreActivationResBlock(out_channels),
                )
            )
            in_channels = out_channels
        self.encoders = nn.ModuleList(stages)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        features = []
        for stage in self.encoders:
            x = stage(x)
            features.append(x)
        return features


class FeaturePyramid(nn.Module):
    """Top-down feature pyramid: from the coarsest level, 1×1 conv of the encoder map plus the nearest
    ×2 upsample of the previous smoothed level, then a 3×3 smoothing conv. Index 0 is the coarsest."""

    def __init__(self, encoder_channels: tuple[int, ...] = ENCODER_CHANNELS, fpn_channels: int = FPN_CHANNELS) -> None:
        super().__init__()
        coarse_to_fine = list(reversed(encoder_channels))
        self.adaptive = nn.ModuleList(nn.Conv2d(c, fpn_channels, 1) for c in coarse_to_fine)
        self.smooth = nn.ModuleList(nn.Conv2d(fpn_channels, fpn_channels, 3, padding=1) for _ in coarse_to_fine)

    def forward(self, features_fine_to_coarse: list[torch.Tensor]) -> list[torch.Tensor]:
        """Returns the pyramid coarsest first, each [B, 256, h, w]."""
        pyramid: list[torch.Tensor] = []
        for adaptive, smooth, feature in zip(
            self.adaptive, self.smooth, reversed(features_fine_to_coarse), strict=True
        ):
            merged = adaptive(feature)
            if pyramid:
                merged = merged + F.interpolate(pyramid[-1], scale_factor=2, mode="nearest")
            pyramid.append(smooth(merged))
        return pyramid


def _flow_head(in_channels: int) -> nn.Sequential:
    """3×3 convs in→128→64→32→2 with LeakyReLU(0.1) between: pixel offsets (x, y)."""
    return nn.Sequential(
        nn.Conv2d(in_channels, 128, 3, padding=1),
        nn.LeakyReLU(FLOW_LEAKY_SLOPE),
        nn.Conv2d(128, 64, 3, padding=1),
        nn.LeakyReLU(FLOW_LEAKY_SLOPE),
        nn.Conv2d(64, 32, 3, padding=1),
        nn.LeakyReLU(FLOW_LEAKY_SLOPE),
        nn.Conv2d(32, 2, 3, padding=1),
    )


def _run_head(head: nn.Sequential, parts: tuple[torch.Tensor, ...]) -> torch.Tensor:
    """`head(torch.cat(parts, 1))`, leaving the concatenation to the first convolution."""
    return _rest_of_head(head, conv_on_concat(head[0], parts))


def _rest_of_head(head: nn.Sequential, first_output: torch.Tensor) -> torch.Tensor:
    x = first_output
    for layer in list(head)[1:]:
        x = layer(x)
    return x


class AppearanceFlowEstimator(nn.Module):
    """Coarse-to-fine appearance flow estimation (the AFWM section of the paper).

    At each level the garment features, warped by the flow so far, are correlated with the person
    features; `netMain[i]` predicts offsets from the cost volume, which are composed with the flow so
    far. Then the unwarped garment features are warped by that flow and `netRefine[i]` predicts a
    correction from [warped garment, person] features, composed again. The flow is a normalised
    sampling grid [B, 2, h, w], upsampled ×2 for the next level.
    """

    def __init__(self, num_levels: int = len(ENCODER_CHANNELS), fpn_channels: int = FPN_CHANNELS) -> None:
        super().__init__()
        self.netMain = nn.ModuleList(_flow_head(CORRELATION_CHANNELS) for _ in range(num_levels))
        self.netRefine = nn.ModuleList(_flow_head(2 * fpn_channels) for _ in range(num_levels))

    def person_terms(self, person_pyramid: list[torch.Tensor]) -> list[torch.Tensor]:
        """Per level, the person half of `netRefine[i]`'s first convolution, bias included.

        netRefine convolves cat([warped garment, person]), and a convolution of a concatenation is the
        sum of its parts' convolutions; the person half depends on the photo alone, so it is computed
        once per photo and `forward(..., person_terms=...)` convolves only the garment half."""
        return [
            conv_of_last_part(head[0], person, FPN_CHANNELS)
            for head, person in zip(self.netRefine, person_pyramid, strict=True)
        ]

    def forward(
        self,
        garment_pyramid: list[torch.Tensor],
        person_pyramid: list[torch.Tensor],
        trace: dict[str, torch.Tensor] | None = None,
        person_terms: list[torch.Tensor] | None = None,
    ) -> torch.Tensor:
        """Both pyramids coarsest first; returns the flow at twice the finest level's size.

        When `trace` is a dict it receives, per level i, `delta_main_i` and `delta_refine_i` (raw
        pixel offsets) and `flow_level_i` (the grid after refinement, before upsampling).
        `person_terms` (from `person_terms`) saves the person half of each refinement.
        """
        flow: torch.Tensor | None = None
        levels = zip(self.netMain, self.netRefine, garment_pyramid, person_pyramid, strict=True)
        for level, (main_head, refine_head, garment, person) in enumerate(levels):
            garment_aligned = garment if flow is None else warp_by_flow(garment, flow)
            cost = F.leaky_relu(correlation(garment_aligned, person), FLOW_LEAKY_SLOPE)
            delta_main = main_head(cost)
            grid = offsets_to_grid(delta_main)
            flow = (
                grid.permute(0, 3, 1, 2)
                if flow is None
                else F.grid_sample(flow, grid, mode="bilinear", padding_mode="border", align_corners=True)
            )

            garment_aligned = warp_by_flow(garment, flow)
            if person_terms is None:
                delta_refine = _run_head(refine_head, (garment_aligned, person))
            else:
                first = conv_with_last_part(refine_head[0], garment_aligned, person_terms[level])
                delta_refine = _rest_of_head(refine_head, first)
            grid = offsets_to_grid(delta_refine)
            flow = F.grid_sample(flow, grid, mode="bilinear", padding_mode="border", align_corners=True)

            if trace is not None:
                trace[f"delta_main_{level}"] = delta_main
                trace[f"delta_refine_{level}"] = delta_refine
                trace[f"flow_level_{level}"] = flow
            flow = F.interpolate(flow, scale_factor=2, mode="bilinear", align_corners=False)
        if flow is None:
            raise ValueError("The flow estimator needs at least one pyramid level.")
        return flow


class WarpNet(nn.Module):
    """AFWM: warps the (masked) garment image onto the person without a human parser.

    `forward(person, masked_clothes)` takes two normalised images [B, 3, 256, 192] in [−1, 1]
    (the garment already multiplied by its edge mask) and returns (warped_cloth [B, 3, 256, 192],
    last_flow [B, 2, 256, 192], a normalised sampling grid, x then y).
    """

    def __init__(self, input_channels: int = 3) -> None:
        super().__init__()
        self.image_features = FeatureEncoder(input_channels)
        self.cond_features = FeatureEncoder(input_channels)
        self.image_FPN = FeaturePyramid()
        self.cond_FPN = FeaturePyramid()
        self.aflow_net = AppearanceFlowEstimator()

    def forward(
        self,
        person: torch.Tensor,
        masked_clothes: torch.Tensor,
        trace: dict[str, torch.Tensor] | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        return self.warp_from_pyramids(
            masked_clothes, self.person_pyramid(person), self.garment_pyramid(masked_clothes), trace
        )

    def person_pyramid(self, person: torch.Tensor) -> list[torch.Tensor]:
        """The person half of the module (`cond_features` + `cond_FPN`): five maps [B, 256, h, w],
        coarsest first. It depends on the photo alone, so it is computed once per photo."""
        return self.cond_FPN(self.cond_features(person))

    def garment_pyramid(self, masked_clothes: torch.Tensor) -> list[torch.Tensor]:
        """The garment half (`image_features` + `image_FPN`), computed once per product image."""
        return self.image_FPN(self.image_features(masked_clothes))

    def person_terms(self, person_pyramid: list[torch.Tensor]) -> list[torch.Tensor]:
        """The photo's share of the flow refinements (`AppearanceFlowEstimator.person_terms`)."""
        return self.aflow_net.person_terms(person_pyramid)

    def warp_from_pyramids(
        self,
        masked_clothes: torch.Tensor,
        person_pyramid: list[torch.Tensor],
        garment_pyramid: list[torch.Tensor],
        trace: dict[str, torch.Tensor] | None = None,
        person_terms: list[torch.Tensor] | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The pair's part: flow estimation from both pyramids, then the garment warped by it."""
        last_flow = self.aflow_net(garment_pyramid, person_pyramid, trace, person_terms)
        return warp_by_flow(masked_clothes, last_flow), last_flow


class ResidualBlock(nn.Module):
    """relu(x + BN(conv(relu(BN(conv(x)))))), 3×3 convs without bias (the generator's block)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.block = nn.Sequential(
            nn.Conv2d(channels, channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(channels),
            nn.ReLU(),
            nn.Conv2d(channels, channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(channels),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(x + self.block(x))


class UNetLevel(nn.Module):
    """One level of the residual U-Net: stride-2 conv down, residual blocks, the deeper level, nearest
    ×2 upsample and conv up, residual blocks. Every level but the outermost returns cat([x, out]).

    The outermost level has no norm or activation after its up conv (raw 4-channel output); the
    innermost has no BN after its down conv. BatchNorm makes conv biases redundant, so none has one.
    """

    def __init__(
        self,
        outer_channels: int,
        inner_channels: int,
        *,
        input_channels: int | None = None,
        deeper: UNetLevel | None = None,
        outermost: bool = False,
    ) -> None:
        super().__init__()
        self.outermost = outermost
        input_channels = outer_channels if input_channels is None else input_channels
        innermost = deeper is None
        down: list[nn.Module] = [nn.Conv2d(input_channels, inner_channels, 3, stride=2, padding=1, bias=False)]
        if not (outermost or innermost):
            down.append(nn.BatchNorm2d(inner_channels))
        down += [nn.ReLU(), ResidualBlock(inner_channels), ResidualBlock(inner_channels)]
        middle: list[nn.Module] = [] if innermost else [deeper]
        up_in_channels = inner_channels if innermost else 2 * inner_channels
        up: list[nn.Module] = [
            nn.Upsample(scale_factor=2, mode="nearest"),
            nn.Conv2d(up_in_channels, outer_channels, 3, padding=1, bias=False),
        ]
        if not outermost:
            up += [
                nn.BatchNorm2d(outer_channels),
                nn.ReLU(),
                ResidualBlock(outer_channels),
                ResidualBlock(outer_channels),
            ]
        self.model = nn.Sequential(*down, *middle, *up)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.outermost:
            return self.model(x)
        return torch.cat([x, self.model(x)], 1)


class GeneratorNet(nn.Module):
    """The try-on generator (the paper's generative module): a 5-level residual U-Net from
    [person, warped garment, warped edge] ([B, 7, 256, 192]) to 4 raw channels: rendered person
    (tanh of 0:3) and composition mask (sigmoid of 3)."""

    def __init__(
        self,
        input_channels: int = GENERATOR_INPUT_CHANNELS,
        output_channels: int = GENERATOR_OUTPUT_CHANNELS,
        level_channels: tuple[int, ...] = GENERATOR_LEVELS,
    ) -> None:
        super().__init__()
        level: UNetLevel | None = None
        for outer, inner in reversed(list(itertools.pairwise(level_channels))):
            level = UNetLevel(outer, inner, deeper=level)
        self.model = UNetLevel(
            output_channels, level_channels[0], input_channels=input_channels, deeper=level, outermost=True
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)


def tryon_forward(
    warp: WarpNet,
    gen: GeneratorNet,
    real_image: torch.Tensor,
    clothes: torch.Tensor,
    edge: torch.Tensor,
    *,
    with_intermediates: bool = False,
) -> dict[str, torch.Tensor]:
    """The official test-time path, from model-resolution tensors to the try-on picture.

    `real_image`, `clothes`: [B, 3, 256, 192] normalised to [−1, 1] (clothes not yet masked);
    `edge`: [B, 1, 256, 192] binary garment mask. Returns warped_cloth, last_flow, warped_edge,
    p_rendered, m_composite and p_tryon (in [−1, 1]); with `with_intermediates` also the per-level
    delta_main_i, delta_refine_i and flow_level_i. The caller chooses eval mode and grad handling.
    """
    masked_clothes = clothes * edge  # background becomes 0 (mid-grey), as in training
    return tryon_from_pyramids(
        warp,
        gen,
        real_image,
        masked_clothes,
        edge,
        warp.person_pyramid(real_image),
        warp.garment_pyramid(masked_clothes),
        with_intermediates=with_intermediates,
    )


def tryon_from_pyramids(
    warp: WarpNet,
    gen: GeneratorNet,
    real_image: torch.Tensor,
    masked_clothes: torch.Tensor,
    edge: torch.Tensor,
    person_pyramid: list[torch.Tensor],
    garment_pyramid: list[torch.Tensor],
    *,
    person_terms: list[torch.Tensor] | None = None,
    with_intermediates: bool = False,
) -> dict[str, torch.Tensor]:
    """`tryon_forward` from the two halves' pyramids (`WarpNet.person_pyramid`, `garment_pyramid`)
    and `masked_clothes = clothes * edge`: what is left to compute for one (photo, garment) pair.
    With the photo's `person_terms` (`WarpNet.person_terms`) the refinements skip its half too.
    The same as `warp_garment` then `render_tryon`, for callers that need not look in between."""
    trace: dict[str, torch.Tensor] | None = {} if with_intermediates else None
    warped = warp_garment(
        warp, masked_clothes, edge, person_pyramid, garment_pyramid, person_terms=person_terms, trace=trace
    )
    outputs = render_tryon(gen, real_image, warped)
    if trace:
        outputs.update(trace)
    return outputs


def warp_garment(
    warp: WarpNet,
    masked_clothes: torch.Tensor,
    edge: torch.Tensor,
    person_pyramid: list[torch.Tensor],
    garment_pyramid: list[torch.Tensor],
    *,
    person_terms: list[torch.Tensor] | None = None,
    trace: dict[str, torch.Tensor] | None = None,
) -> dict[str, torch.Tensor]:
    """The warping module's part of the pair: warped_cloth [B, 3, 256, 192], last_flow [B, 2, 256, 192]
    (a normalised sampling grid, x then y) and warped_edge [B, 1, 256, 192], the garment's mask moved
    by the same flow with zero padding. The try-on is not drawn yet, so the warp can be judged first."""
    warped_cloth, last_flow = warp.warp_from_pyramids(
        masked_clothes, person_pyramid, garment_pyramid, trace, person_terms
    )
    warped_edge = warp_by_flow(edge, last_flow, padding_mode="zeros")
    return {"warped_cloth": warped_cloth, "last_flow": last_flow, "warped_edge": warped_edge}


def render_tryon(
    gen: GeneratorNet, real_image: torch.Tensor, warped: dict[str, torch.Tensor]
) -> dict[str, torch.Tensor]:
    """The generative module on `warp_garment`'s outputs: `warped` plus p_rendered, m_composite (the
    composition mask, zero off the warped garment) and p_tryon, the garment blended over the render."""
    warped_cloth, warped_edge = warped["warped_cloth"], warped["warped_edge"]
    raw = gen(torch.cat([real_image, warped_cloth, warped_edge], 1))
    p_rendered = torch.tanh(raw[:, :3])
    m_composite = torch.sigmoid(raw[:, 3:4]) * warped_edge
    p_tryon = warped_cloth * m_composite + p_rendered * (1 - m_composite)
    return {**warped, "p_rendered": p_rendered, "m_composite": m_composite, "p_tryon": p_tryon}
