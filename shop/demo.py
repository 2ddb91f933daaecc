"""Demo data: a small catalogue of tops, bottoms and dresses with generated pictures, one shopper and
one staff account. Every garment type can be tried on, so a new shopper sees each one on themselves.

Everything is keyed by slug, SKU or e-mail and created with get_or_create, so seeding again changes
nothing: no duplicate rows, no duplicate image files, and stock that shoppers have since bought is
left as it is. Each step is a single write, so an interrupted run is finished by the next one (there
are no transactions on MongoDB).
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile

from accounts.models import User
from shop.models import (
    Category,
    GarmentType,
    Product,
    ProductImage,
    ShippingMethod,
    Size,
    SizeChartRow,
    Variant,
    Voucher,
    VoucherKind,
)
from shop.product_art import (
    GarmentDesign,
    GarmentPattern,
    GarmentStyle,
    garment_png_bytes,
    image_png_bytes,
    render_garment_detail,
    render_garment_on_backdrop,
)

SHOPPER_EMAIL = "shopper@revetir.example"
STAFF_EMAIL = "staff@revetir.example"
SHOPPER_PASSWORD_ENV = "REVETIR_DEMO_SHOPPER_PASSWORD"  # noqa: S105 (a variable name, not a password)
STAFF_PASSWORD_ENV = "REVETIR_DEMO_STAFF_PASSWORD"  # noqa: S105 (a variable name, not a password)
CREDENTIALS_FILE_NAME = "demo_credentials.json"
GENERATED_PASSWORD_BYTES = 12

# Departments and their sub-categories: (slug, name, [(slug, name), ...]).
DEMO_CATEGORIES: list[tuple[str, str, list[tuple[str, str]]]] = [
    (
        "women",
        "Women",
        [("women-tops", "Tops"), ("women-shirts", "Shirts"), ("women-skirts-dresses", "Skirts & dresses")],
    ),
    ("men", "Men", [("men-t-shirts", "T-shirts"), ("men-jumpers", "Jumpers")]),
    ("unisex", "Unisex", [("unisex-hoodies", "Hoodies"), ("unisex-trousers-shorts", "Trousers & shorts")]),
]

# Stock per size (XS, S, M, L, XL, XXL); products take these in turn, so some sizes are sold out.
STOCK_PATTERNS: list[tuple[int, ...]] = [
    (4, 12, 20, 15, 6, 0),
    (0, 8, 14, 14, 9, 3),
    (6, 10, 0, 12, 5, 2),
    (2, 5, 9, 0, 0, 1),
    (10, 18, 25, 22, 12, 7),
    (0, 0, 3, 6, 4, 0),
]

NAVY, RED, CREAM, CORAL, FOREST = (31, 58, 110), (190, 45, 50), (206, 192, 162), (226, 110, 92), (34, 90, 62)
LAVENDER, SKY, OLIVE, CHARCOAL, BURGUNDY = (150, 130, 190), (120, 160, 200), (96, 104, 58), (58, 60, 66), (118, 30, 52)
MUSTARD, TEAL, BLACK, HEATHER, ORANGE = (214, 160, 40), (30, 120, 124), (28, 28, 30), (150, 150, 156), (222, 120, 40)


@dataclass(frozen=True)
class DemoGarment:
    code: str  # stable part of every SKU
    name: str
    category: str  # sub-category slug
    price: str
    design: GarmentDesign
    picture: str  # what the picture shows, for its alt text
    description: str

    @property
    def slug(self) -> str:
        return self.name.lower().replace(" ", "-").replace("'", "")


def _garment(code, name, category, price, style, pattern, colour, accent, picture, description) -> DemoGarment:
    design = GarmentDesign(style=style, pattern=pattern, colour=colour, accent=accent)
    return DemoGarment(code, name, category, price, design, picture, description)


S, P = GarmentStyle, GarmentPattern
DEMO_GARMENTS: list[DemoGarment] = [
    _garment("WT01", "Breton Long-Sleeve Top", "women-tops", "34.00", S.LONG_SLEEVE, P.STRIPED, NAVY, CREAM,
             "navy and cream striped long-sleeve top", "Classic boat-stripe cotton jersey with a relaxed fit."),
    _garment("WT02", "Coral Vest Top", "women-tops", "18.00", S.TANK, P.PLAIN, CORAL, CORAL,
             "plain coral vest top", "Light ribbed vest with a scoop neck; layer it or wear it alone."),
    _garment("WT03", "Colour-Block Vest", "women-tops", "21.00", S.TANK, P.TWO_TONE, CORAL, FOREST,
             "vest top with a green yoke over a coral body", "Two-tone vest in soft organic cotton."),
    _garment("WT04", "Emblem Tee", "women-tops", "24.00", S.T_SHIRT, P.EMBLEM, LAVENDER, MUSTARD,
             "lavender T-shirt with a round mustard chest emblem", "Regular-fit tee with a printed chest badge."),
    _garment("WT05", "Everyday Lavender Tee", "women-tops", "19.00", S.T_SHIRT, P.PLAIN, LAVENDER, LAVENDER,
             "plain lavender T-shirt", "The plain crew-neck tee, in midweight jersey."),
    _garment("WT06", "Striped Vest Top", "women-tops", "20.00", S.TANK, P.STRIPED, RED, CREAM,
             "red and cream striped vest top", "Striped vest with a deep scoop neck."),
    _garment("WS01", "Chambray Shirt", "women-shirts", "45.00", S.SHIRT, P.PLAIN, SKY, SKY,
             "light blue chambray shirt with buttons", "Soft chambray shirt with a point collar."),
    _garment("WS02", "Striped Oxford Shirt", "women-shirts", "49.00", S.SHIRT, P.STRIPED, SKY, NAVY,
             "blue striped button-up shirt", "Oxford cotton with a bold stripe."),
    _garment("WS03", "Olive Utility Shirt", "women-shirts", "52.00", S.SHIRT, P.PLAIN, OLIVE, OLIVE,
             "olive green button-up shirt", "Sturdy twill shirt with a relaxed cut."),
    _garment("WS04", "Two-Tone Poplin Shirt", "women-shirts", "55.00", S.SHIRT, P.TWO_TONE, CREAM, NAVY,
             "cream shirt with navy sleeves", "Crisp poplin with contrast sleeves."),
    _garment("MT01", "Navy Crew Tee", "men-t-shirts", "19.00", S.T_SHIRT, P.PLAIN, NAVY, NAVY,
             "plain navy crew-neck T-shirt", "Heavyweight cotton tee that keeps its shape."),
    _garment("MT02", "Red Emblem Tee", "men-t-shirts", "24.00", S.T_SHIRT, P.EMBLEM, RED, CREAM,
             "red T-shirt with a round cream chest emblem", "Crew-neck tee with a printed badge."),
    _garment("MT03", "Sailor Stripe Tee", "men-t-shirts", "26.00", S.T_SHIRT, P.STRIPED, CREAM, NAVY,
             "cream and navy striped T-shirt", "Short-sleeve stripes in breathable jersey."),
    _garment("MT04", "Ringer Tee", "men-t-shirts", "22.00", S.T_SHIRT, P.TWO_TONE, HEATHER, BLACK,
             "grey T-shirt with black sleeves", "Grey marl body with contrast sleeves."),
    _garment("MT05", "Charcoal Long-Sleeve Tee", "men-t-shirts", "28.00", S.LONG_SLEEVE, P.PLAIN, CHARCOAL,
             CHARCOAL, "plain charcoal long-sleeve T-shirt", "Long-sleeve tee for cooler days."),
    _garment("MT06", "Forest Emblem Long-Sleeve", "men-t-shirts", "32.00", S.LONG_SLEEVE, P.EMBLEM, FOREST,
             ORANGE, "forest green long-sleeve T-shirt with an orange chest emblem", "Badge print on soft jersey."),
    _garment("MJ01", "Burgundy Crew Jumper", "men-jumpers", "59.00", S.JUMPER, P.PLAIN, BURGUNDY, BURGUNDY,
             "plain burgundy jumper with a ribbed hem", "Lambswool-blend jumper with ribbed trims."),
    _garment("MJ02", "Mustard Striped Jumper", "men-jumpers", "64.00", S.JUMPER, P.STRIPED, MUSTARD, CHARCOAL,
             "mustard and charcoal striped jumper", "Chunky knit with wide stripes."),
    _garment("MJ03", "Teal Two-Tone Jumper", "men-jumpers", "62.00", S.JUMPER, P.TWO_TONE, TEAL, CHARCOAL,
             "teal jumper with charcoal sleeves", "Merino jumper with contrast sleeves."),
    _garment("MJ04", "Charcoal Emblem Jumper", "men-jumpers", "66.00", S.JUMPER, P.EMBLEM, CHARCOAL, MUSTARD,
             "charcoal jumper with a round mustard chest emblem", "Fine-knit jumper with an embroidered badge."),
    _garment("UH01", "Olive Emblem Hoodie", "unisex-hoodies", "58.00", S.HOODIE, P.EMBLEM, OLIVE, MUSTARD,
             "olive hoodie with a mustard chest emblem and front pocket", "Brushed-back fleece hoodie."),
    _garment("UH02", "Black Everyday Hoodie", "unisex-hoodies", "55.00", S.HOODIE, P.PLAIN, BLACK, BLACK,
             "plain black hoodie with a front pocket", "The hoodie you reach for first."),
    _garment("UH03", "Striped Hoodie", "unisex-hoodies", "62.00", S.HOODIE, P.STRIPED, HEATHER, NAVY,
             "grey and navy striped hoodie", "Striped loopback cotton hoodie."),
    _garment("UH04", "Two-Tone Hoodie", "unisex-hoodies", "60.00", S.HOODIE, P.TWO_TONE, ORANGE, NAVY,
             "orange hoodie with navy sleeves", "Colour-blocked hoodie with a kangaroo pocket."),
    _garment("UB01", "Navy Chinos", "unisex-trousers-shorts", "48.00", S.TROUSERS, P.PLAIN, NAVY, NAVY,
             "plain navy chino trousers", "Straight-leg cotton chinos with a flat waistband."),
    _garment("UB02", "Striped Beach Shorts", "unisex-trousers-shorts", "26.00", S.SHORTS, P.STRIPED, SKY, CREAM,
             "blue and cream striped shorts", "Knee-length cotton shorts for warm days."),
    _garment("WD01", "Olive A-Line Skirt", "women-skirts-dresses", "39.00", S.SKIRT, P.PLAIN, OLIVE, OLIVE,
             "plain olive A-line skirt", "Midi skirt in soft twill with a flat waistband."),
    _garment("WD02", "Breton Strap Dress", "women-skirts-dresses", "54.00", S.STRAP_DRESS, P.STRIPED, NAVY,
             CREAM, "navy and cream striped sleeveless dress", "Jersey dress with wide straps and a flared skirt."),
    _garment("WD03", "Coral Tee Dress", "women-skirts-dresses", "46.00", S.TEE_DRESS, P.PLAIN, CORAL, CORAL,
             "plain coral short-sleeve T-shirt dress", "Easy T-shirt dress that falls below the knee."),
]  # fmt: skip


# A regular-fit tops chart (body measurements in cm, garment length in cm), the same for every demo
# top: size → (chest from, to), (waist from, to), (hips from, to), length.
DEMO_SIZE_CHART: dict[str, tuple[tuple[int, int], tuple[int, int], tuple[int, int], int]] = {
    "XS": ((80, 85), (64, 69), (86, 91), 64),
    "S": ((86, 91), (70, 75), (92, 97), 67),
    "M": ((92, 99), (76, 83), (98, 105), 70),
    "L": ((100, 107), (84, 91), (106, 113), 73),
    "XL": ((108, 115), (92, 99), (114, 121), 76),
    "XXL": ((116, 124), (100, 108), (122, 130), 78),
}

# The gallery pictures after the primary one: (position, kind, alt text template); `Picture` is
# the garment's description with a capital first letter.
GALLERY_EXTRAS = (
    (1, "backdrop", "{Picture} on a coloured backdrop"),
    (2, "detail", "Close-up of the {picture}"),
)
GALLERY_DRAWINGS = {"backdrop": render_garment_on_backdrop, "detail": render_garment_detail}


@dataclass(frozen=True)
class DemoLogin:
    email: str
    password: str
    is_staff: bool


@dataclass
class SeedReport:
    """What one run created (all zeros on a repeat run) and the demo logins."""

    categories_created: int = 0
    products_created: int = 0
    variants_created: int = 0
    images_created: int = 0
    size_chart_rows_created: int = 0
    users_created: int = 0
    shipping_methods_created: int = 0
    vouchers_created: int = 0
    logins: list[DemoLogin] = field(default_factory=list)
    credentials_file: Path | None = None  # where generated passwords are kept; None if all came from env

    @property
    def created_anything(self) -> bool:
        return any(
            (
                self.categories_created,
                self.products_created,
                self.variants_created,
                self.images_created,
                self.size_chart_rows_created,
                self.users_created,
                self.shipping_methods_created,
                self.vouchers_created,
            )
        )


# Standard and express delivery (name, price, free from, days min, days max), and a welcome voucher.
DEMO_SHIPPING_METHODS = (
    ("Standard delivery", "4.90", "60.00", 2, 4),
    ("Express delivery", "9.90", None, 1, 1),
)
DEMO_VOUCHER_CODE = "WELCOME10"


def ensure_demo_shipping_and_voucher() -> tuple[int, int]:
    """Create the demo delivery methods and voucher if missing; staff can change them in admin."""
    methods_created = 0
    for position, (name, price, free_over, days_min, days_max) in enumerate(DEMO_SHIPPING_METHODS):
        _method, created = ShippingMethod.objects.get_or_create(
            name=name,
            defaults={
                "price": Decimal(price),
                "free_over": Decimal(free_over) if free_over else None,
                "delivery_days_min": days_min,
                "delivery_days_max": days_max,
                "position": position,
            },
        )
        methods_created += created
    _voucher, voucher_created = Voucher.objects.get_or_create(
        code=DEMO_VOUCHER_CODE,
        defaults={"kind": VoucherKind.PERCENTAGE, "value": Decimal("10"), "per_customer_limit": 1},
    )
    return methods_created, int(voucher_created)


def demo_credentials_path() -> Path:
    return Path(settings.DATA_DIR) / CREDENTIALS_FILE_NAME


def demo_passwords(*, credentials_path: Path) -> dict[str, str]:
    """Passwords for the demo accounts: from the environment, else generated once and kept in
    `credentials_path` (mode 600) so that every later run prints the same logins."""
    stored: dict[str, str] = {}
    if credentials_path.exists():
        try:
            stored = json.loads(credentials_path.read_text())
        except (OSError, ValueError) as exc:
            raise RuntimeError(
                f"{credentials_path} is not readable JSON ({exc}); delete it to generate new demo passwords, "
                f"or set {SHOPPER_PASSWORD_ENV} and {STAFF_PASSWORD_ENV}."
            ) from exc
    passwords: dict[str, str] = {}
    needs_writing = False
    for email, env_name in ((SHOPPER_EMAIL, SHOPPER_PASSWORD_ENV), (STAFF_EMAIL, STAFF_PASSWORD_ENV)):
        if from_environment := os.environ.get(env_name):
            passwords[email] = from_environment
            continue
        if not stored.get(email):
            stored[email] = secrets.token_urlsafe(GENERATED_PASSWORD_BYTES)
            needs_writing = True
        passwords[email] = stored[email]
    if needs_writing:
        credentials_path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(credentials_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as credentials_file:
            json.dump(stored, credentials_file, indent=2)
        os.chmod(credentials_path, 0o600)
    return passwords


def ensure_demo_categories() -> tuple[dict[str, Category], int]:
    """All demo categories by slug, and how many had to be created."""
    categories: dict[str, Category] = {}
    created_count = 0
    for position, (slug, name, children) in enumerate(DEMO_CATEGORIES):
        department, created = Category.objects.get_or_create(slug=slug, defaults={"name": name, "position": position})
        categories[slug] = department
        created_count += created
        for child_position, (child_slug, child_name) in enumerate(children):
            child, created = Category.objects.get_or_create(
                slug=child_slug, defaults={"name": child_name, "parent": department, "position": child_position}
            )
            categories[child_slug] = child
            created_count += created
    return categories, created_count


def ensure_primary_image(*, product: Product, garment: DemoGarment) -> bool:
    """Give the product its generated picture unless it has one whose file is still there.

    The file name is fixed per product, and a stale file of that name is removed before saving, so
    the storage never gains a second copy. Returns whether a picture was written.
    """
    image = ProductImage.objects.filter(product=product, is_primary=True).first()
    if image is not None and image.image and image.image.storage.exists(image.image.name):
        return False
    if image is None:
        image = ProductImage(product=product, is_primary=True, alt_text=f"{garment.picture} on a white background")
    file_name = f"{product.slug}.png"
    storage = image.image.storage
    target_name = image.image.field.generate_filename(image, file_name)
    if storage.exists(target_name):
        storage.delete(target_name)
    image.image.save(file_name, ContentFile(garment_png_bytes(garment.design)), save=True)
    return True


def gallery_png_bytes(design: GarmentDesign, kind: str) -> bytes:
    """One extra gallery picture of the garment ("backdrop" or "detail") as PNG file content."""
    return image_png_bytes(GALLERY_DRAWINGS[kind](design))


def ensure_gallery_images(*, product: Product, garment: DemoGarment) -> int:
    """Give the product its extra gallery pictures (backdrop, close-up) where missing; the primary
    garment-on-white picture stays the one try-on uses. Returns how many pictures were written."""
    written = 0
    for position, kind, alt_template in GALLERY_EXTRAS:
        image = ProductImage.objects.filter(product=product, is_primary=False, position=position).first()
        if image is not None and image.image and image.image.storage.exists(image.image.name):
            continue
        if image is None:
            alt_text = alt_template.format(
                picture=garment.picture, Picture=garment.picture[:1].upper() + garment.picture[1:]
            )
            image = ProductImage(product=product, position=position, alt_text=alt_text)
        file_name = f"{product.slug}-{kind}.png"
        storage = image.image.storage
        target_name = image.image.field.generate_filename(image, file_name)
        if storage.exists(target_name):
            storage.delete(target_name)
        image.image.save(file_name, ContentFile(gallery_png_bytes(garment.design, kind)), save=True)
        written += 1
    return written


def ensure_size_chart(*, product: Product) -> int:
    """Create the demo size chart's rows the product lacks; rows staff edited are left alone."""
    created_count = 0
    for size, (chest, waist, hips, length) in DEMO_SIZE_CHART.items():
        _row, created = SizeChartRow.objects.get_or_create(
            product=product,
            size=size,
            defaults={
                "chest_min_cm": chest[0],
                "chest_max_cm": chest[1],
                "waist_min_cm": waist[0],
                "waist_max_cm": waist[1],
                "hips_min_cm": hips[0],
                "hips_max_cm": hips[1],
                "length_cm": length,
            },
        )
        created_count += created
    return created_count


def ensure_demo_user(*, email: str, password: str, is_staff: bool) -> bool:
    """Create the account if missing, and make sure the printed password logs in. Returns created."""
    user = User.objects.filter(email=email).first()
    if user is None:
        if is_staff:
            User.objects.create_superuser(email=email, password=password, full_name="Demo Staff")
        else:
            User.objects.create_user(email=email, password=password, full_name="Demo Shopper")
        return True
    if not user.check_password(password):
        user.set_password(password)
        user.save(update_fields=["password"])
    return False


def seed_demo(*, credentials_path: Path | None = None) -> SeedReport:
    """Create whatever part of the demo shop is missing, and return what was created."""
    report = SeedReport()
    categories, report.categories_created = ensure_demo_categories()
    for index, garment in enumerate(DEMO_GARMENTS):
        product, created = Product.objects.get_or_create(
            slug=garment.slug,
            defaults={
                "name": garment.name,
                "category": categories[garment.category],
                "description": garment.description,
                "price": Decimal(garment.price),
                "garment_type": GarmentType(garment.design.style.garment_type),
            },
        )
        report.products_created += created
        stock_pattern = STOCK_PATTERNS[index % len(STOCK_PATTERNS)]
        for size, stock in zip(Size.values, stock_pattern, strict=True):
            _variant, created = Variant.objects.get_or_create(
                sku=f"RV-{garment.code}-{size}", defaults={"product": product, "size": size, "stock": stock}
            )
            report.variants_created += created
        report.images_created += ensure_primary_image(product=product, garment=garment)
        report.images_created += ensure_gallery_images(product=product, garment=garment)
        report.size_chart_rows_created += ensure_size_chart(product=product)

    report.shipping_methods_created, report.vouchers_created = ensure_demo_shipping_and_voucher()

    credentials_path = credentials_path or demo_credentials_path()
    passwords = demo_passwords(credentials_path=credentials_path)
    if not all(os.environ.get(name) for name in (SHOPPER_PASSWORD_ENV, STAFF_PASSWORD_ENV)):
        report.credentials_file = credentials_path
    for email, is_staff in ((SHOPPER_EMAIL, False), (STAFF_EMAIL, True)):
        report.users_created += ensure_demo_user(email=email, password=passwords[email], is_staff=is_staff)
        report.logins.append(DemoLogin(email=email, password=passwords[email], is_staff=is_staff))
    return report
