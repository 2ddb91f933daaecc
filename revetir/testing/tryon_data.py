"""Pictures and objects the try-on tests and benchmarks share: real photos of people (as uploads),
a flat t-shirt on white and a product whose primary image it is."""

from __future__ import annotations

import io

import matplotlib.cbook
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw
from skimage import data as skimage_data

from revetir.testing.factories import make_product
from shop.models import Product, ProductImage


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
