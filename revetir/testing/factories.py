"""Small builders of users, products and orders, shared by every test module and the benchmarks."""

from __future__ import annotations

import io
import itertools
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from accounts.models import User
from shop.models import Category, Order, OrderLine, OrderStatus, Product, ProductImage, Variant

_sequence = itertools.count(1)

DEFAULT_PASSWORD = "correct-horse-battery-staple"


def make_user(email: str | None = None, *, password: str = DEFAULT_PASSWORD, **extra) -> User:
    email = email or f"shopper{next(_sequence)}@example.com"
    return User.objects.create_user(email=email, password=password, **extra)


def make_staff(email: str | None = None, *, password: str = DEFAULT_PASSWORD) -> User:
    return make_user(
        email or f"staff{next(_sequence)}@example.com", password=password, is_staff=True, is_superuser=True
    )


def make_category(name: str | None = None, *, parent: Category | None = None) -> Category:
    n = next(_sequence)
    name = name or f"Category {n}"
    return Category.objects.create(name=name, slug=f"{name.lower().replace(' ', '-')}-{n}", parent=parent)


def png_bytes(size: tuple[int, int] = (96, 128), colour: tuple[int, int, int] = (200, 40, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


def make_product(
    name: str | None = None,
    *,
    category: Category | None = None,
    price: str | Decimal = "25.00",
    stock: dict[str, int] | None = None,
    is_active: bool = True,
    with_image: bool = False,
    **extra,
) -> Product:
    """A product with one variant per size in `stock` (default: M with 5)."""
    n = next(_sequence)
    name = name or f"Product {n}"
    product = Product.objects.create(
        category=category or make_category(),
        name=name,
        slug=f"{name.lower().replace(' ', '-')}-{n}",
        price=Decimal(price),
        is_active=is_active,
        **extra,
    )
    for size, quantity in (stock if stock is not None else {"M": 5}).items():
        Variant.objects.create(product=product, size=size, sku=f"SKU-{n}-{size}", stock=quantity)
    if with_image:
        ProductImage.objects.create(
            product=product,
            image=SimpleUploadedFile("garment.png", png_bytes(), content_type="image/png"),
            alt_text=f"{name} on a white background",
            is_primary=True,
        )
    return product


def make_order(*, user: User | None = None, status: str = OrderStatus.PLACED, quantity: int = 2) -> Order:
    """An order written directly (no stock taken): `quantity` units at 30.00 of a fresh product
    whose only size, M, has 5 left, with every address field filled."""
    product = make_product(price="30.00", stock={"M": 5})
    variant = product.variants.get()
    order = Order.objects.create(
        number=f"RV-TEST-{next(_sequence):05d}",
        user=user,
        email=user.email if user else "guest@example.com",
        status=status,
        full_name=(user.full_name if user else "") or "Sam Shopper",
        address_line1="1 High Street",
        address_line2="Flat 2",
        city="Leeds",
        postal_code="LS1 1AA",
        country="GB",
        phone="+44 113 000000",
        currency="EUR",
        subtotal=product.price * quantity,
        total=product.price * quantity,
    )
    OrderLine.objects.create(
        order=order,
        variant=variant,
        product_name=product.name,
        sku=variant.sku,
        size=variant.size,
        unit_price=product.price,
        quantity=quantity,
    )
    return order
