"""Pictures and objects the try-on tests share: a real person photo and a garment on white."""

from __future__ import annotations

import io

import matplotlib.cbook
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw
from skimage import data as skimage_data

from shop.models import Product, ProductImage
from tests.factories import make_product
from tryon.pipeline.contract import STAGES


def astronaut_image() -> Image.Image:
    """scikit-image's astronaut: a real photo of a person facing the camera, upper body visible."""
    return Image.fromarray(skimage_data.astronaut())


def grace_hopper_image() -> Image.Image:
    """matplotlib's Grace Hopper: head and shoulders facing the camera (512×600)."""
    with matplotlib.cbook.get_sample_data("grace_hopper.jpg") as handle:
        return Image.open(handle).convert("RGB")


def coffee_image() -> Image.Image:
    """scikit-image's cup of coffee: a real photo with no person in it."""
    return Image.fromarray(skimage_data.coffee())


def encode(image: Image.Image, format: str = "PNG", **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=format, **options)
    return buffer.getvalue()


def astronaut_upload(name: str = "astronaut.png", *, mirrored: bool = False) -> SimpleUploadedFile:
    """The astronaut as an upload; `mirrored` gives a second, different photo of the same person."""
    image = astronaut_image()
    if mirrored:
        image = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    return SimpleUploadedFile(name, encode(image), content_type="image/png")


def t_shirt_png(size: tuple[int, int] = (300, 400), colour: tuple[int, int, int] = (40, 90, 170)) -> bytes:
    """A flat t-shirt centred on white, the kind of product picture try-on expects."""
    width, height = size
    image = Image.new("RGB", size, (255, 255, 255))
    draw = ImageDraw.Draw(image)
    w, h = width / 300, height / 400
    outline = [
        (105, 60),
        (125, 70),
        (150, 75),
        (175, 70),
        (195, 60),  # neckline
        (260, 100),
        (240, 160),
        (215, 145),  # right sleeve
        (215, 350),
        (85, 350),  # hem
        (85, 145),
        (60, 160),
        (40, 100),  # left sleeve
    ]
    draw.polygon([(x * w, y * h) for x, y in outline], fill=colour)
    return encode(image)


def make_tryon_product(**extra) -> Product:
    """An upper-body product whose primary image is a t-shirt on white, with sizes S, M, L."""
    product = make_product(stock={"S": 3, "M": 5, "L": 2}, **extra)
    ProductImage.objects.create(
        product=product,
        image=SimpleUploadedFile("t-shirt.png", t_shirt_png(), content_type="image/png"),
        alt_text=f"{product.name} on a white background",
        is_primary=True,
    )
    return product


class ScriptedEngine:
    """An engine for failure-isolation tests: reports every stage, then raises `error` if given, else
    returns the person photo unchanged as the "result". The main flow tests use the real engine.
    Its prepared sides are empty; `runs` counts pairs dressed, `photos_prepared` photo sides made."""

    name = "scripted"
    identity = "scripted/1"
    stage_shares = dict.fromkeys(STAGES, 1 / len(STAGES))

    def __init__(self, error: Exception | None = None) -> None:
        self.error = error
        self.runs = 0
        self.photos_prepared = 0
        self.garment_types: list[str] = []

    def prepare_photo(self, person):
        from tryon.pipeline.contract import PHOTO_SIDE, PreparedSide

        self.photos_prepared += 1
        return PreparedSide(side=PHOTO_SIDE, identity=self.identity, arrays={})

    def prepare_garment(self, garment, *, garment_type="upper_body"):
        from tryon.pipeline.contract import GARMENT_SIDE, PreparedSide

        self.garment_types.append(garment_type)
        return PreparedSide(
            side=GARMENT_SIDE,
            identity=self.identity,
            arrays={"cloth_mask": pack_bits_of_ones()},
            meta={"mask_size": [8, 8]},
        )

    def dress(self, person, photo_side, garment_side, *, on_stage=None):
        from tryon.pipeline.contract import STAGES, TryOnResult

        self.runs += 1
        for index, stage in enumerate(STAGES[2:], start=2):
            if on_stage is not None:
                on_stage(stage, index / len(STAGES))
            if self.error is not None:
                raise self.error
        image = Image.fromarray(person)
        return TryOnResult(image=image, image_small=image.resize((192, 256)), engine=self.name, timings={"run": 0.0})

    def run(self, person, garment, *, on_stage=None, garment_type="upper_body"):
        garment_side = self.prepare_garment(garment, garment_type=garment_type)
        return self.dress(person, self.prepare_photo(person), garment_side, on_stage=on_stage)


def pack_bits_of_ones():
    """An 8×8 cloth mask with every pixel set, packed as prepared sides store masks."""
    import numpy as np

    from tryon.pipeline.contract import pack_mask

    return pack_mask(np.full((8, 8), 255, dtype=np.uint8))
