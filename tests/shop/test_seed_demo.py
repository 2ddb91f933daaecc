"""`manage.py seed_demo` and the generated garment pictures it stores."""

from __future__ import annotations

import io
import json
import stat
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from PIL import Image

from accounts.models import User
from revetir.testing.factories import png_bytes
from shop import demo
from shop.models import Category, Product, ProductImage, ShippingMethod, SizeChartRow, Variant, Voucher, VoucherKind
from shop.product_art import (
    ART_HEIGHT,
    ART_WIDTH,
    GarmentDesign,
    GarmentPattern,
    GarmentStyle,
    backdrop_colour,
    garment_png_bytes,
    render_garment,
    render_garment_detail,
    render_garment_on_backdrop,
)
from tryon import selectors as tryon_selectors

NEAR_WHITE = 245
BORDER_BAND = 24

SAMPLE_DESIGNS = [
    GarmentDesign(GarmentStyle.T_SHIRT, GarmentPattern.PLAIN, (31, 58, 110), (31, 58, 110)),
    GarmentDesign(GarmentStyle.LONG_SLEEVE, GarmentPattern.STRIPED, (31, 58, 110), (206, 192, 162)),
    GarmentDesign(GarmentStyle.TANK, GarmentPattern.TWO_TONE, (226, 110, 92), (34, 90, 62)),
    GarmentDesign(GarmentStyle.HOODIE, GarmentPattern.EMBLEM, (96, 104, 58), (214, 160, 40)),
    GarmentDesign(GarmentStyle.SHIRT, GarmentPattern.PLAIN, (206, 192, 162), (206, 192, 162)),
    GarmentDesign(GarmentStyle.JUMPER, GarmentPattern.STRIPED, (214, 160, 40), (58, 60, 66)),
    GarmentDesign(GarmentStyle.TROUSERS, GarmentPattern.PLAIN, (31, 58, 110), (31, 58, 110)),
    GarmentDesign(GarmentStyle.SHORTS, GarmentPattern.STRIPED, (120, 160, 200), (206, 192, 162)),
    GarmentDesign(GarmentStyle.SKIRT, GarmentPattern.PLAIN, (96, 104, 58), (96, 104, 58)),
    GarmentDesign(GarmentStyle.STRAP_DRESS, GarmentPattern.STRIPED, (31, 58, 110), (206, 192, 162)),
    GarmentDesign(GarmentStyle.TEE_DRESS, GarmentPattern.PLAIN, (226, 110, 92), (226, 110, 92)),
]


def garment_pixels(image: Image.Image) -> np.ndarray:
    """True where a pixel is not near-white."""
    return (np.asarray(image.convert("RGB")) < NEAR_WHITE).any(axis=2)


@pytest.fixture
def fast_seed(settings, tmp_path):
    """Credentials in a temporary data folder and a fast password hasher."""
    settings.DATA_DIR = tmp_path / "data"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return tmp_path / "data" / demo.CREDENTIALS_FILE_NAME


@pytest.fixture
def cheap_art(monkeypatch):
    """Skip drawing: for tests about rows and logins, not about pictures."""
    monkeypatch.setattr(demo, "garment_png_bytes", lambda design: png_bytes())
    monkeypatch.setattr(demo, "gallery_png_bytes", lambda design, kind: png_bytes(colour=(40, 90, 200)))


@pytest.mark.parametrize("design", SAMPLE_DESIGNS, ids=lambda design: f"{design.style}-{design.pattern}")
def test_garment_art_is_a_centred_garment_on_a_white_border(design):
    image = render_garment(design)
    garment = garment_pixels(image)

    assert image.size == (ART_WIDTH, ART_HEIGHT)
    border = np.ones_like(garment)
    border[BORDER_BAND:-BORDER_BAND, BORDER_BAND:-BORDER_BAND] = False
    assert not garment[border].any(), "garment pixels reach the white margin"
    # On the centre line (trousers have the gap between their legs at the picture's very centre).
    assert garment[:, ART_WIDTH // 2].mean() > 0.2, "no garment on the centre line"
    assert 0.15 < garment.mean() < 0.6
    _rows, columns = np.nonzero(garment)
    assert abs((columns.min() + columns.max()) / 2 - ART_WIDTH / 2) < 10, "garment is not centred"


def test_garment_art_edges_are_anti_aliased():
    pixels = np.asarray(render_garment(SAMPLE_DESIGNS[0]))

    # Between the navy garment and the white background there are intermediate shades.
    distinct_values = {tuple(pixel) for pixel in pixels.reshape(-1, 3)[::7]}
    assert len(distinct_values) > 20


def test_garment_colours_close_to_white_are_refused():
    with pytest.raises(ValueError, match="too close to white"):
        GarmentDesign(GarmentStyle.T_SHIRT, GarmentPattern.PLAIN, (250, 250, 250), (30, 30, 30))


@pytest.mark.parametrize("design", SAMPLE_DESIGNS[:4], ids=lambda design: f"{design.style}-{design.pattern}")
def test_try_on_cloth_mask_finds_the_garment_as_one_large_component(design):
    masks = pytest.importorskip("tryon.pipeline.masks", reason="the try-on cloth mask is not written yet")
    cv2 = pytest.importorskip("cv2")
    image = render_garment(design)

    mask = masks.cloth_mask(np.asarray(image))

    _count, _labels, stats, _centroids = cv2.connectedComponentsWithStats((mask > 0).astype(np.uint8), connectivity=8)
    areas = sorted(stats[1:, cv2.CC_STAT_AREA], reverse=True)
    assert areas, "the cloth mask found nothing"
    assert areas[0] > 0.1 * mask.size
    assert sum(areas[1:]) < 0.01 * mask.size, "the garment fell apart into several pieces"
    drawn = garment_pixels(image)
    overlap = np.logical_and(mask > 0, drawn).sum() / np.logical_or(mask > 0, drawn).sum()
    assert overlap > 0.9


@pytest.mark.django_db
def test_seed_demo_builds_the_demo_shop_and_a_second_run_changes_nothing(fast_seed, settings, capsys):
    call_command("seed_demo")
    first_output = capsys.readouterr().out

    products = Product.objects.all()
    assert products.count() == len(demo.DEMO_GARMENTS) == 29
    assert Category.objects.filter(parent__isnull=True).count() == 3
    assert Category.objects.filter(parent__isnull=False).count() == 7
    assert Variant.objects.count() == 29 * 6
    assert Variant.objects.filter(stock=0).exists()
    assert Variant.objects.filter(stock__gt=0).count() > 100
    assert ProductImage.objects.filter(is_primary=True).count() == 29
    assert ProductImage.objects.count() == 29 * 3, "each demo product has a gallery of three pictures"
    assert SizeChartRow.objects.count() == 29 * 6
    media_files = sorted(Path(settings.MEDIA_ROOT).rglob("*.png"))
    assert len(media_files) == 29 * 3
    with Image.open(media_files[0]) as picture:
        assert picture.size == (ART_WIDTH, ART_HEIGHT)
    assert stat.S_IMODE(fast_seed.stat().st_mode) == 0o600
    passwords = json.loads(fast_seed.read_text())
    shopper = authenticate(email=demo.SHOPPER_EMAIL, password=passwords[demo.SHOPPER_EMAIL])
    staff = authenticate(email=demo.STAFF_EMAIL, password=passwords[demo.STAFF_EMAIL])
    assert shopper is not None and not shopper.is_staff
    assert staff is not None and staff.is_staff and staff.is_superuser
    assert "http://127.0.0.1:8000/" in first_output
    assert passwords[demo.SHOPPER_EMAIL] in first_output

    before = {
        "products": list(Product.objects.values_list("slug", "updated_at", "price").order_by("slug")),
        "variants": list(Variant.objects.values_list("sku", "stock").order_by("sku")),
        "images": list(ProductImage.objects.values_list("image", flat=True).order_by("image")),
        "size_chart": list(SizeChartRow.objects.values_list("product__slug", "size", "chest_min_cm").order_by("pk")),
        "users": list(User.objects.values_list("email", "password").order_by("email")),
        "files": [(path, path.stat().st_mtime_ns) for path in media_files],
    }
    call_command("seed_demo")
    second_output = capsys.readouterr().out

    after = {
        "products": list(Product.objects.values_list("slug", "updated_at", "price").order_by("slug")),
        "variants": list(Variant.objects.values_list("sku", "stock").order_by("sku")),
        "images": list(ProductImage.objects.values_list("image", flat=True).order_by("image")),
        "size_chart": list(SizeChartRow.objects.values_list("product__slug", "size", "chest_min_cm").order_by("pk")),
        "users": list(User.objects.values_list("email", "password").order_by("email")),
        "files": [(path, path.stat().st_mtime_ns) for path in sorted(Path(settings.MEDIA_ROOT).rglob("*.png"))],
    }
    assert after == before
    assert "nothing was changed" in second_output
    assert passwords[demo.SHOPPER_EMAIL] in second_output
    assert passwords[demo.STAFF_EMAIL] in second_output


@pytest.mark.django_db
def test_reseeding_keeps_stock_that_shoppers_have_bought(fast_seed, cheap_art):
    demo.seed_demo()
    variant = Variant.objects.filter(stock__gt=1).first()
    Variant.objects.filter(pk=variant.pk).update(stock=1)

    demo.seed_demo()

    variant.refresh_from_db()
    assert variant.stock == 1


@pytest.mark.django_db
def test_reseeding_restores_a_missing_picture_without_a_second_file(fast_seed, cheap_art, settings):
    demo.seed_demo()
    image = ProductImage.objects.select_related("product").first()
    image.image.storage.delete(image.image.name)

    report = demo.seed_demo()

    assert report.images_created == 1
    assert image.is_primary
    assert ProductImage.objects.filter(product=image.product, is_primary=True).count() == 1
    files = sorted(path.name for path in (Path(settings.MEDIA_ROOT) / "products" / image.product.slug).iterdir())
    slug = image.product.slug
    assert files == [f"{slug}-backdrop.png", f"{slug}-detail.png", f"{slug}.png"]


@pytest.mark.django_db
def test_demo_passwords_come_from_the_environment_when_set(fast_seed, cheap_art, monkeypatch):
    monkeypatch.setenv(demo.SHOPPER_PASSWORD_ENV, "shopper-from-env-1")
    monkeypatch.setenv(demo.STAFF_PASSWORD_ENV, "staff-from-env-2")

    report = demo.seed_demo()

    assert {login.email: login.password for login in report.logins} == {
        demo.SHOPPER_EMAIL: "shopper-from-env-1",
        demo.STAFF_EMAIL: "staff-from-env-2",
    }
    assert authenticate(email=demo.STAFF_EMAIL, password="staff-from-env-2") is not None
    assert not fast_seed.exists(), "nothing to remember when both passwords come from the environment"
    assert report.credentials_file is None


@pytest.mark.django_db
def test_an_unreadable_credentials_file_fails_with_a_way_out(fast_seed, cheap_art):
    fast_seed.parent.mkdir(parents=True)
    fast_seed.write_text("{not json")

    with pytest.raises(RuntimeError, match="delete it to generate new demo passwords"):
        demo.seed_demo()


def test_generated_png_bytes_are_a_png_image():
    with Image.open(io.BytesIO(garment_png_bytes(SAMPLE_DESIGNS[2]))) as picture:
        assert (picture.format, picture.size) == ("PNG", (ART_WIDTH, ART_HEIGHT))


@pytest.mark.django_db
def test_the_demo_shop_offers_every_garment_type_and_each_can_be_tried_on(fast_seed, cheap_art):
    demo.seed_demo()

    types = set(Product.objects.values_list("garment_type", flat=True))
    assert types == {"upper_body", "lower_body", "full_body"}
    assert all(product.supports_tryon for product in Product.objects.all())
    assert Product.objects.get(slug="navy-chinos").garment_type == "lower_body"
    assert Product.objects.get(slug="coral-tee-dress").garment_type == "full_body"


@pytest.mark.django_db
def test_seed_demo_offers_standard_and_express_delivery_and_a_welcome_voucher_staff_can_change(
    fast_seed, cheap_art, capsys
):
    call_command("seed_demo")

    methods = list(ShippingMethod.objects.values_list("name", "price", "free_over", "active"))
    assert methods == [
        ("Standard delivery", Decimal("4.90"), Decimal("60.00"), True),
        ("Express delivery", Decimal("9.90"), None, True),
    ]
    voucher = Voucher.objects.get(code=demo.DEMO_VOUCHER_CODE)
    assert (voucher.kind, voucher.value, voucher.per_customer_limit) == (VoucherKind.PERCENTAGE, Decimal("10"), 1)
    assert "Demo voucher: WELCOME10" in capsys.readouterr().out

    ShippingMethod.objects.filter(name="Express delivery").update(price=Decimal("12.00"))
    call_command("seed_demo")

    assert ShippingMethod.objects.count() == 2
    assert ShippingMethod.objects.get(name="Express delivery").price == Decimal("12.00")


def test_gallery_extras_show_the_same_garment_on_a_tinted_backdrop_and_in_close_up():
    design = SAMPLE_DESIGNS[1]
    on_white = np.asarray(render_garment(design)).astype(int)
    backdrop = np.asarray(render_garment_on_backdrop(design)).astype(int)
    detail = render_garment_detail(design)

    corner = backdrop[5, 5]
    assert tuple(corner) == backdrop_colour(design) != (255, 255, 255)
    assert np.abs(backdrop[ART_HEIGHT // 2, ART_WIDTH // 2] - on_white[ART_HEIGHT // 2, ART_WIDTH // 2]).max() <= 2
    assert detail.size == (ART_WIDTH, ART_HEIGHT)
    assert garment_pixels(detail).mean() > garment_pixels(render_garment(design)).mean(), "a close-up is mostly garment"


@pytest.mark.django_db
def test_seeded_gallery_keeps_the_garment_on_white_as_the_try_on_image(fast_seed, cheap_art):
    demo.seed_demo()
    product = Product.objects.get(slug=demo.DEMO_GARMENTS[0].slug)

    gallery = list(product.images.all())
    garment = tryon_selectors.garment_image_for(product=product)

    assert [image.is_primary for image in gallery] == [True, False, False]
    assert garment == gallery[0]
    assert garment.image.name.endswith(f"{product.slug}.png")
    assert "white background" in garment.alt_text
    assert "coloured backdrop" in gallery[1].alt_text and gallery[2].alt_text.startswith("Close-up")
