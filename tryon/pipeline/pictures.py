"""What engines take as pictures: a person photo source (`ImageSource`), a loaded product picture
(`GarmentPicture`, keeping a cut-out's alpha) and a garment source (`GarmentSource`). Kept apart from
`imageio` (which loads them and raises the contract's errors) so the contract can name these types
without an import cycle."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

ImageSource = str | Path | bytes | Image.Image | np.ndarray

# An alpha channel cuts the garment out when at least this share of the picture is transparent (alpha
# below CUT_OUT_ALPHA); a picture with a few transparent pixels (rounded corners) is an ordinary photo.
CUT_OUT_MIN_TRANSPARENT_SHARE = 0.05
CUT_OUT_ALPHA = 128
WHITE = 255.0


@dataclass(frozen=True)
class GarmentPicture:
    """A product picture: the garment's own colours (H×W×3 uint8, never blended with a background)
    and, for a cut-out, its alpha (H×W uint8; None for a photo on a background)."""

    colours: np.ndarray
    alpha: np.ndarray | None = None

    @property
    def is_cut_out(self) -> bool:
        return self.alpha is not None

    def on_white(self) -> np.ndarray:
        """The picture as a shop page shows it: a cut-out composited onto white (for models trained on
        product photos on white); a photo unchanged."""
        if self.alpha is None:
            return self.colours
        return composite_on_white(self.colours, self.alpha)


# What engines take as a garment: anything `load_rgb` reads, or a picture already loaded.
GarmentSource = ImageSource | GarmentPicture


def composite_on_white(colours: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """A cut-out's colours over white, as a shop page shows it."""
    opacity = alpha[:, :, None].astype(np.float32) / 255.0
    return (colours.astype(np.float32) * opacity + WHITE * (1.0 - opacity)).round().astype(np.uint8)
