"""Save weight-free try-on results for the packaged sample photos and every garment type, to look at them.

    .venv/bin/python bench/save_tryon_samples.py [OUTPUT_FOLDER]   (default bench/out/, git-ignored)

For each person photo (scikit-image's astronaut, matplotlib's grace_hopper, and mirrored and distant
copies of them) and each drawn top (plain and striped t-shirt, the demo long-sleeve, tank and hoodie)
it writes the result, the 192×256 picture and an overlay of the person mask (blue) and the placed
garment mask (red); then every demo bottom and dress on the drawn full-length person
(revetir/testing/drawn_people.py: no full-length photo ships in a package). Photos the
engine refuses (trousers on a waist-up photo, skimage's camera seen from the side) are listed with the
shopper's message. montage.png holds the tops, montage_garment_types.png the full-length person.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import django
import numpy as np
from PIL import Image

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))
# The demo garments' drawings name their garment type by the shop's model (shop.models.GarmentType).
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "revetir.settings")
django.setup()

from revetir.testing.body_photos import camera_man, distant, mirrored  # noqa: E402
from revetir.testing.drawn_people import full_length_person  # noqa: E402
from revetir.testing.person_photos import people  # noqa: E402
from revetir.testing.product_photos import tshirt_photo  # noqa: E402
from shop.product_art import GarmentDesign, GarmentPattern, GarmentStyle, render_garment  # noqa: E402
from tryon.pipeline import person as person_step  # noqa: E402
from tryon.pipeline.classic.engine import ClassicTryOnEngine  # noqa: E402
from tryon.pipeline.contract import TryOnError  # noqa: E402

DEMO_COLOUR, DEMO_ACCENT = (31, 58, 110), (206, 192, 162)
TOP_STYLES = (GarmentStyle.LONG_SLEEVE, GarmentStyle.TANK, GarmentStyle.HOODIE)
FULL_LENGTH_STYLES = (
    GarmentStyle.T_SHIRT,
    GarmentStyle.LONG_SLEEVE,
    GarmentStyle.TROUSERS,
    GarmentStyle.SHORTS,
    GarmentStyle.SKIRT,
    GarmentStyle.STRAP_DRESS,
    GarmentStyle.TEE_DRESS,
)


def sample_garments() -> dict[str, np.ndarray]:
    return {
        "plain": tshirt_photo(colour=(40, 90, 190)),
        "striped": tshirt_photo(colour=(235, 235, 235), stripe_colour=(30, 120, 60), outline_colour=(30, 120, 60)),
    }


def demo_garment(style: GarmentStyle) -> np.ndarray:
    return np.asarray(render_garment(GarmentDesign(style, GarmentPattern.STRIPED, DEMO_COLOUR, DEMO_ACCENT)))


def sample_people() -> dict[str, np.ndarray]:
    photos = dict(people())
    for name, photo in people().items():
        photos[f"{name}_mirrored"] = mirrored(photo)
        photos[f"{name}_distant"] = distant(photo, 0.45)
    return photos


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


def save(result, stem: Path) -> None:
    result.image.save(f"{stem}.png")
    result.image_small.save(f"{stem}_small.png")
    mask_overlay(result.image, result.person_mask, result.garment_mask).save(f"{stem}_masks.png")
    print(f"{stem}.png", {stage: round(seconds, 4) for stage, seconds in result.timings.items()})


def main(argv: list[str]) -> int:
    output = Path(argv[1]) if len(argv) > 1 else PROJECT_ROOT / "bench" / "out"
    output.mkdir(parents=True, exist_ok=True)
    engine = ClassicTryOnEngine()
    tops = {**sample_garments(), **{style.value: demo_garment(style) for style in TOP_STYLES}}
    results = []
    for person_name, photo in sample_people().items():
        for garment_name, garment in tops.items():
            result = engine.run(photo, garment)
            save(result, output / f"{person_name}_{garment_name}")
            results.append(result.image)
    montage(results).save(output / "montage.png")
    print(output / "montage.png")

    for name, photo, garment_type in (
        ("astronaut", people()["astronaut"], "lower_body"),
        ("grace_hopper", people()["grace_hopper"], "full_body"),
        ("camera", camera_man(), "upper_body"),
    ):
        try:
            engine.run(photo, demo_garment(GarmentStyle.TROUSERS), garment_type=garment_type)
            print(f"{name} {garment_type}: NOT refused")
        except TryOnError as exc:
            print(f"{name} {garment_type}: refused: {exc}")

    photo, analysis = full_length_person()
    body_model = person_step.analyse_body
    person_step.analyse_body = lambda rgb: analysis  # the drawing's keypoints and mask, known exactly
    try:
        drawn = [Image.fromarray(photo)]
        for style in FULL_LENGTH_STYLES:
            result = engine.run(photo, demo_garment(style), garment_type=style.garment_type)
            save(result, output / f"full_length_{style.value}")
            drawn.append(result.image)
    finally:
        person_step.analyse_body = body_model
    montage(drawn).save(output / "montage_garment_types.png")
    print(output / "montage_garment_types.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
