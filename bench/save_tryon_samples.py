"""Save classic try-on results for the packaged sample photos, to look at them.

    .venv/bin/python bench/save_tryon_samples.py [OUTPUT_FOLDER]   (default bench/out/, git-ignored)

For each person photo (scikit-image's astronaut, matplotlib's grace_hopper) and each drawn garment
(plain and striped t-shirt) it writes the result, the 192×256 picture and an overlay of the person
mask (blue) and the placed garment mask (red); then montage.png, all results 400 px high side by side.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from PIL import Image

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from tests.tryon.pipeline.person_photos import people  # noqa: E402
from tests.tryon.pipeline.product_photos import tshirt_photo  # noqa: E402
from tryon.pipeline.classic.engine import ClassicTryOnEngine  # noqa: E402


def sample_garments() -> dict[str, np.ndarray]:
    return {
        "plain": tshirt_photo(colour=(40, 90, 190)),
        "striped": tshirt_photo(colour=(235, 235, 235), stripe_colour=(30, 120, 60), outline_colour=(30, 120, 60)),
    }


def mask_overlay(image: Image.Image, person_mask: np.ndarray, garment_mask: np.ndarray) -> Image.Image:
    pixels = np.asarray(image).astype(np.float32)
    tint = np.zeros_like(pixels)
    tint[person_mask > 0] = (0, 0, 255)
    tint[garment_mask > 0] = (255, 0, 0)
    shown = (person_mask > 0) | (garment_mask > 0)
    pixels[shown] = 0.55 * pixels[shown] + 0.45 * tint[shown]
    return Image.fromarray(pixels.round().astype(np.uint8))


MONTAGE_HEIGHT = 400


def montage(images: list[Image.Image]) -> Image.Image:
    """The images scaled to MONTAGE_HEIGHT and placed side by side, for comparing runs at a glance."""
    scaled = [image.resize((round(image.width * MONTAGE_HEIGHT / image.height), MONTAGE_HEIGHT)) for image in images]
    sheet = Image.new("RGB", (sum(image.width for image in scaled), MONTAGE_HEIGHT))
    left = 0
    for image in scaled:
        sheet.paste(image, (left, 0))
        left += image.width
    return sheet


def main(argv: list[str]) -> int:
    output = Path(argv[1]) if len(argv) > 1 else PROJECT_ROOT / "bench" / "out"
    output.mkdir(parents=True, exist_ok=True)
    engine = ClassicTryOnEngine()
    results = []
    for person_name, person in people().items():
        for garment_name, garment in sample_garments().items():
            result = engine.run(person, garment)
            stem = output / f"{person_name}_{garment_name}"
            result.image.save(f"{stem}.png")
            results.append(result.image)
            result.image_small.save(f"{stem}_small.png")
            mask_overlay(result.image, result.person_mask, result.garment_mask).save(f"{stem}_masks.png")
            print(f"{stem}.png", {stage: round(seconds, 4) for stage, seconds in result.timings.items()})
    montage(results).save(output / "montage.png")
    print(output / "montage.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
