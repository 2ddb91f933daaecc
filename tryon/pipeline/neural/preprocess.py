"""Getting photos into and out of the networks exactly as the official test scripts do.

- U²-Net (Qin et al., Pattern Recognition 2020, `u2net_test.py`): `RescaleT(320)` + `ToTensorLab(flag=0)`
  in, min–max normalised `d0` resized back to the photo out (`u2net_input`, `u2net_mask`).
- PF-AFN (Ge et al., CVPR 2021, `PF-AFN_test/test.py`): 192×256 RGB in [−1, 1] and a binarised garment
  edge in {0, 1} (`pfafn_image_tensor`, `pfafn_edge_tensor`, `garment_to_model_inputs`); the try-on out
  as uint8 (`pfafn_output_to_uint8`).
- The person photo is cut out on white and cropped to the model's 3:4 frame (`crop_person`), placed
  from the body model's shoulders and hips the way VITON's pictures frame a person (`viton_frame`;
  around the whole person mask when no keypoints are given). Getting the try-on back into the photo
  is `postprocess.py`.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import torch
from PIL import Image
from scipy import sparse

from tryon.pipeline.contract import GarmentNotFoundError, NoPersonFoundError
from tryon.pipeline.masks import cloth_mask, largest_component

U2NET_SIZE = 320
U2NET_MEAN = (0.485, 0.456, 0.406)
U2NET_STD = (0.229, 0.224, 0.225)

MODEL_WIDTH, MODEL_HEIGHT = 192, 256  # PF-AFN works at VITON's resolution, 3:4 portrait
# The garment fills this fraction of the 192×256 frame along its limiting side, centred on white.
GARMENT_FILL = 0.92
# Margin around the person's bounding box, as a fraction of its height, before widening to 3:4.
PERSON_MARGIN = 0.06
# The person must cover this fraction of the photo (U²-Net mask ≥ 128) to be worth trying on.
MIN_PERSON_FRACTION = 0.02
PERSON_MASK_THRESHOLD = 128
# The person's soft edge (U²-Net values below the threshold) is kept this far, as a fraction of the
# photo's short side, beyond the thresholded mask; weaker saliency further away is background.
PERSON_EDGE_REACH = 0.01

# VITON's framing (Han et al., CVPR 2018; the 256×192 pictures PF-AFN was trained and tested on): the
# head near the top, the shoulder joints about this share of the height down, the hip joints about this
# share, the frame ending at about mid-thigh; the shoulder joints span about this share of its width.
# Shares read off the layout of the dataset's pictures; PF-AFN sees a full-length or close-up photo at
# that framing, not as a small figure in a large frame.
VITON_SHOULDER_ROW = 0.26
VITON_HIP_ROW = 0.80
VITON_SHOULDER_SPAN = 0.5

WHITE = 255
# scipy's Gaussian filter (which the official resize uses) cuts its kernel at this many sigmas.
GAUSSIAN_TRUNCATE = 4.0


def u2net_input(image: np.ndarray, *, size: int | None = U2NET_SIZE) -> torch.Tensor:
    """The official U²-Net input [1, 3, size, size] (float32) for a uint8 H×W, H×W×1, ×3 or ×4 image.

    Resized as the official loader does (`official_resize`: bilinear, anti-aliased, aspect not
    kept), divided by the image's own maximum (alpha included, as the official loader does), then
    normalised per channel; greyscale uses the red statistics for all three channels.
    `size=None` skips the resize (the official `ToTensorLab` alone).
    """
    if image.dtype != np.uint8 or image.ndim not in (2, 3):
        raise ValueError(f"expected a uint8 H×W or H×W×C image, got {image.dtype} {image.shape}")
    if image.ndim == 2:
        image = image[:, :, np.newaxis]
    pixels = image if size is None else official_resize(image, (size, size))
    pixels = np.asarray(pixels, dtype=np.float64)
    peak = float(np.max(pixels))
    pixels = pixels / (peak if peak > 0 else 1.0)
    normalised = np.zeros((pixels.shape[0], pixels.shape[1], 3))
    if pixels.shape[2] == 1:
        for channel in range(3):
            normalised[:, :, channel] = (pixels[:, :, 0] - U2NET_MEAN[0]) / U2NET_STD[0]
    else:
        for channel in range(3):
            normalised[:, :, channel] = (pixels[:, :, channel] - U2NET_MEAN[channel]) / U2NET_STD[channel]
    return torch.from_numpy(normalised.transpose(2, 0, 1).copy()).float().unsqueeze(0)


def official_resize(image: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """`skimage.transform.resize(image, shape, mode="constant")` for a uint8 H×W×C image, which the
    official U²-Net loader calls: float64 in [0, 1], a Gaussian pre-filter of σ = (factor − 1) / 2 on
    each downsampled axis (zero outside the image), linear sampling at pixel centres (zero beyond the
    edges), clipped to the input's range.

    Both steps are linear and act on rows and columns separately, so each axis is one sparse matrix
    (`_resize_matrix`) and the resize is two sparse products: the same sums as skimage's filter-then-
    sample (equal to 1e-15), without filtering the pixels that no sample reads; 4-6× faster on a
    phone photo.
    """
    pixels = image.astype(np.float64) / 255.0
    height, width, channels = pixels.shape
    out_height, out_width = shape
    rows = _resize_matrix(height, out_height) @ pixels.reshape(height, width * channels)
    columns_first = rows.reshape(out_height, width, channels).transpose(1, 0, 2).reshape(width, -1)
    resized = (_resize_matrix(width, out_width) @ columns_first).reshape(out_width, out_height, channels)
    return np.clip(resized.transpose(1, 0, 2), pixels.min(), pixels.max())


def _resize_matrix(size_in: int, size_out: int) -> sparse.csr_matrix:
    """[size_out × size_in] weights of one axis of `official_resize`: output i samples the filtered
    axis at (i + 0.5) · size_in / size_out − 0.5 by linear interpolation between its two neighbours,
    each of which is the Gaussian-weighted sum of the pixels around it."""
    factor = size_in / size_out
    kernel = _gaussian_kernel(max(0.0, (factor - 1.0) / 2.0))
    radius = len(kernel) // 2
    positions = (np.arange(size_out) + 0.5) * factor - 0.5
    lower = np.floor(positions).astype(np.int64)
    fraction = positions - lower
    outputs = np.arange(size_out)
    rows, columns, weights = [], [], []
    for neighbour, share in ((lower, 1.0 - fraction), (lower + 1, fraction)):
        for offset, tap in zip(range(-radius, radius + 1), kernel, strict=True):
            source = neighbour + offset
            inside = (neighbour >= 0) & (neighbour < size_in) & (source >= 0) & (source < size_in)
            rows.append(outputs[inside])
            columns.append(source[inside])
            weights.append(share[inside] * tap)
    entries = (np.concatenate(weights), (np.concatenate(rows), np.concatenate(columns)))
    return sparse.csr_matrix(entries, shape=(size_out, size_in))  # repeated entries add up


def _gaussian_kernel(sigma: float) -> np.ndarray:
    """scipy.ndimage's 1-D Gaussian kernel (radius round(4σ)); [1.0] for σ = 0, which scipy skips."""
    if sigma <= 1e-15:
        return np.ones(1)
    radius = int(GAUSSIAN_TRUNCATE * sigma + 0.5)
    x = np.arange(-radius, radius + 1, dtype=np.float64)
    kernel = np.exp(-0.5 / (sigma * sigma) * x**2)
    return kernel / kernel.sum()


def u2net_mask(d0: torch.Tensor, *, width: int, height: int) -> np.ndarray:
    """The official U²-Net post-processing: min–max normalised `d0`, ×255 truncated to 8 bits, PIL
    bilinear resize to width×height. Returns uint8 H×W in 0..255 (a soft mask)."""
    prediction = d0[:, 0, :, :].detach().float().cpu()
    highest, lowest = torch.max(prediction), torch.min(prediction)
    spread = highest - lowest
    normalised = (prediction - lowest) / spread if float(spread) > 0 else torch.zeros_like(prediction)
    picture = Image.fromarray(normalised.squeeze().numpy() * 255).convert("RGB")
    return np.asarray(picture.resize((width, height), resample=Image.BILINEAR))[:, :, 0].copy()


def pfafn_image_tensor(rgb: np.ndarray) -> torch.Tensor:
    """`ToTensor` then `Normalize(0.5, 0.5)`: uint8 H×W×3 → float32 [1, 3, H, W] in [−1, 1]."""
    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"expected a uint8 H×W×3 image, got {rgb.dtype} {rgb.shape}")
    tensor = torch.from_numpy(rgb.transpose(2, 0, 1).copy()).float().div(255)
    return ((tensor - 0.5) / 0.5).unsqueeze(0)


def pfafn_edge_tensor(edge: np.ndarray) -> torch.Tensor:
    """`ToTensor` then PF-AFN's binarisation (value/255 > 0.5): uint8 H×W → float32 [1, 1, H, W] in {0, 1}."""
    if edge.dtype != np.uint8 or edge.ndim != 2:
        raise ValueError(f"expected a uint8 H×W mask, got {edge.dtype} {edge.shape}")
    tensor = torch.from_numpy(edge.copy()).float().div(255)
    return (tensor > 0.5).float().unsqueeze(0).unsqueeze(0)


def pfafn_output_to_uint8(image: torch.Tensor) -> np.ndarray:
    """A [1, 3, H, W] network image in [−1, 1] → uint8 H×W×3, `(x + 1) / 2 × 255` truncated as `test.py` saves it."""
    pixels = (image[0].detach().float().cpu().clamp(-1, 1) + 1) / 2 * 255
    return pixels.permute(1, 2, 0).numpy().astype(np.uint8)


@dataclass(frozen=True)
class GarmentInputs:
    """The garment as PF-AFN takes it, with the 192×256 pictures it was made from."""

    clothes: torch.Tensor  # [1, 3, 256, 192] in [−1, 1], not yet multiplied by the edge
    edge: torch.Tensor  # [1, 1, 256, 192] in {0, 1}
    clothes_uint8: np.ndarray  # 256×192×3, garment centred on white
    edge_uint8: np.ndarray  # 256×192, 0/255


def garment_to_model_inputs(garment_rgb: np.ndarray, mask: np.ndarray | None = None) -> GarmentInputs:
    """Centre the garment in a 192×256 white frame, keeping its aspect ratio, and build PF-AFN's inputs.

    `mask` (uint8 0/255, same size) defaults to `cloth_mask(garment_rgb)`. The garment's bounding box
    is scaled so its limiting side fills `GARMENT_FILL` of the frame: bicubic for the picture, nearest
    for the mask (as PF-AFN's resizing path does).
    """
    if mask is None:
        mask = cloth_mask(garment_rgb)
    if mask.shape != garment_rgb.shape[:2]:
        raise ValueError(f"mask shape {mask.shape} differs from the garment image's {garment_rgb.shape[:2]}")
    rows, columns = np.nonzero(mask)
    if rows.size == 0:
        raise GarmentNotFoundError()
    top, bottom, left, right = rows.min(), rows.max() + 1, columns.min(), columns.max() + 1
    crop_rgb = Image.fromarray(np.ascontiguousarray(garment_rgb[top:bottom, left:right]))
    crop_mask = Image.fromarray(np.ascontiguousarray(mask[top:bottom, left:right]))
    scale = GARMENT_FILL * min(MODEL_WIDTH / crop_rgb.width, MODEL_HEIGHT / crop_rgb.height)
    size = (max(1, round(crop_rgb.width * scale)), max(1, round(crop_rgb.height * scale)))
    offset = ((MODEL_WIDTH - size[0]) // 2, (MODEL_HEIGHT - size[1]) // 2)

    clothes = Image.new("RGB", (MODEL_WIDTH, MODEL_HEIGHT), (WHITE, WHITE, WHITE))
    clothes.paste(crop_rgb.resize(size, resample=Image.BICUBIC), offset)
    edge = Image.new("L", (MODEL_WIDTH, MODEL_HEIGHT), 0)
    edge.paste(crop_mask.resize(size, resample=Image.NEAREST), offset)

    clothes_uint8, edge_uint8 = np.asarray(clothes).copy(), np.asarray(edge).copy()
    return GarmentInputs(
        clothes=pfafn_image_tensor(clothes_uint8),
        edge=pfafn_edge_tensor(edge_uint8),
        clothes_uint8=clothes_uint8,
        edge_uint8=edge_uint8,
    )


@dataclass(frozen=True)
class PersonCrop:
    """The person cut out on white in the model's frame, and where that frame lies on the photo.

    `box` is (left, top, right, bottom) in photo pixels; it may reach past the photo's edges (that part
    was padded with white). The frame is 3:4, so model pixel (x, y) is photo pixel
    (left + x · box_width / 192, top + y · box_height / 256).
    """

    real_image: torch.Tensor  # [1, 3, 256, 192] in [−1, 1]
    person_uint8: np.ndarray  # 256×192×3, the person on white
    box: tuple[int, int, int, int]
    photo_size: tuple[int, int]  # (width, height)

    @property
    def box_size(self) -> tuple[int, int]:
        left, top, right, bottom = self.box
        return right - left, bottom - top

    def model_points(self, photo_points: np.ndarray) -> np.ndarray:
        """Photo pixel positions (N×2, x then y) in model pixels of this frame, float32."""
        left, top = self.box[:2]
        box_width, box_height = self.box_size
        scale = np.array([MODEL_WIDTH / box_width, MODEL_HEIGHT / box_height])
        return ((np.asarray(photo_points, np.float64) - (left, top)) * scale).astype(np.float32)

    def model_frame_of(self, photo_mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """A uint8 photo-size mask in the model's frame (bool 256×192, area-averaged), and which model
        pixels lie on the photo at all (the rest of the frame is the white padding past its edges).
        Only the photo's part of the frame is resized, so a large photo stays cheap."""
        width, height = self.photo_size
        if photo_mask.shape[:2] != (height, width):
            raise ValueError(f"mask shape {photo_mask.shape[:2]} differs from the photo's {(height, width)}")
        in_frame = np.zeros((MODEL_HEIGHT, MODEL_WIDTH), bool)
        on_photo = np.zeros_like(in_frame)
        left, top, right, bottom = self.box
        source_left, source_top = max(left, 0), max(top, 0)
        source_right, source_bottom = min(right, width), min(bottom, height)
        (model_left, model_top), (model_right, model_bottom) = np.rint(
            self.model_points(np.array([[source_left, source_top], [source_right, source_bottom]]))
        ).astype(int)
        if model_right <= model_left or model_bottom <= model_top:
            return in_frame, on_photo
        part = cv2.resize(
            photo_mask[source_top:source_bottom, source_left:source_right],
            (model_right - model_left, model_bottom - model_top),
            interpolation=cv2.INTER_AREA,
        )
        in_frame[model_top:model_bottom, model_left:model_right] = part >= PERSON_MASK_THRESHOLD
        on_photo[model_top:model_bottom, model_left:model_right] = True
        return in_frame, on_photo


def person_mask_from_saliency(saliency: np.ndarray) -> np.ndarray:
    """Binary person mask (uint8 0/255) from U²-Net's soft mask: the largest salient region, so a
    lamp or a picture on the wall is not taken for part of the shopper. Raises when no person stands out."""
    binary = largest_component(np.where(saliency >= PERSON_MASK_THRESHOLD, 255, 0).astype(np.uint8))
    fraction = np.count_nonzero(binary) / float(binary.size)
    if fraction < MIN_PERSON_FRACTION:
        raise NoPersonFoundError()
    return binary


def viton_frame(shoulders: np.ndarray, hips: np.ndarray) -> tuple[int, int, int, int]:
    """The 3:4 frame (left, top, right, bottom, photo pixels) that shows the person as VITON does, from
    the two shoulder joints and the two hip joints (2×2 arrays of x, y).

    Its height puts the shoulders at VITON_SHOULDER_ROW and the hips at VITON_HIP_ROW, or is larger
    where the shoulders would otherwise span more than VITON_SHOULDER_SPAN of the width (a torso seen
    foreshortened); it is centred between the shoulders' and the hips' middles.
    """
    mid_shoulder, mid_hip = shoulders.mean(axis=0), hips.mean(axis=0)
    torso = max(float(np.linalg.norm(mid_hip - mid_shoulder)), 1.0)
    shoulder_span = float(np.linalg.norm(shoulders[1] - shoulders[0]))
    aspect = MODEL_WIDTH / MODEL_HEIGHT
    frame_height = max(torso / (VITON_HIP_ROW - VITON_SHOULDER_ROW), shoulder_span / (VITON_SHOULDER_SPAN * aspect))
    frame_height = max(MODEL_HEIGHT // 8, round(frame_height))
    frame_width = max(MODEL_WIDTH // 8, round(frame_height * aspect))
    centre_x = (mid_shoulder[0] + mid_hip[0]) / 2
    top = round(mid_shoulder[1] - VITON_SHOULDER_ROW * frame_height)
    left = round(centre_x - frame_width / 2)
    return left, top, left + frame_width, top + frame_height


def crop_person(
    photo_rgb: np.ndarray, saliency: np.ndarray, *, frame: tuple[int, int, int, int] | None = None
) -> PersonCrop:
    """Composite the person on white (soft U²-Net mask as alpha) and crop a 3:4 frame of them.

    Only the frame's part of the photo is composited, so large phone photos stay cheap.

    The frame is `frame` when given (`viton_frame`), else the person's bounding box grown by
    `PERSON_MARGIN` of its height, then widened or heightened about its centre to 3:4; it is padded
    with white where it leaves the photo, and resized to 192×256.
    """
    height, width = photo_rgb.shape[:2]
    if saliency.shape != (height, width):
        raise ValueError(f"person mask shape {saliency.shape} differs from the photo's {(height, width)}")
    binary = person_mask_from_saliency(saliency)
    reach = 2 * max(1, round(PERSON_EDGE_REACH * min(height, width))) + 1
    person_area = cv2.dilate(binary, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (reach, reach)))

    box = frame if frame is not None else _person_frame(binary)
    left, top, right, bottom = box
    frame = np.full((bottom - top, right - left, 3), WHITE, dtype=np.uint8)
    source_left, source_top = max(left, 0), max(top, 0)
    source_right, source_bottom = min(right, width), min(bottom, height)
    on_photo = (slice(source_top, source_bottom), slice(source_left, source_right))
    alpha = np.where(person_area[on_photo] > 0, saliency[on_photo], 0).astype(np.float32)[:, :, np.newaxis] / 255.0
    on_white = photo_rgb[on_photo].astype(np.float32) * alpha + WHITE * (1.0 - alpha)
    frame[source_top - top : source_bottom - top, source_left - left : source_right - left] = on_white.round()
    person = Image.fromarray(frame).resize((MODEL_WIDTH, MODEL_HEIGHT), resample=Image.BICUBIC)
    person_uint8 = np.asarray(person).copy()
    return PersonCrop(
        real_image=pfafn_image_tensor(person_uint8),
        person_uint8=person_uint8,
        box=box,
        photo_size=(width, height),
    )


def _person_frame(binary: np.ndarray) -> tuple[int, int, int, int]:
    rows, columns = np.nonzero(binary)
    top, bottom = int(rows.min()), int(rows.max()) + 1
    left, right = int(columns.min()), int(columns.max()) + 1
    margin = PERSON_MARGIN * (bottom - top)
    box_height = (bottom - top) + 2 * margin
    box_width = (right - left) + 2 * margin
    aspect = MODEL_WIDTH / MODEL_HEIGHT
    if box_width / box_height < aspect:
        box_width = box_height * aspect
    else:
        box_height = box_width / aspect
    frame_height = max(MODEL_HEIGHT // 8, round(box_height))
    frame_width = max(MODEL_WIDTH // 8, round(frame_height * aspect))
    centre_x, centre_y = (left + right) / 2, (top + bottom) / 2
    frame_left = round(centre_x - frame_width / 2)
    frame_top = round(centre_y - frame_height / 2)
    return frame_left, frame_top, frame_left + frame_width, frame_top + frame_height
