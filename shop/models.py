"""Catalogue, cart and orders.

Stock lives on `Variant.stock` and is changed only through `shop.stock` (single conditional
updates), so the no-oversell guarantee holds on backends without transactions (MongoDB).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse


class GarmentType(models.TextChoices):
    UPPER_BODY = "upper_body", "Upper body (tops, shirts, jumpers)"
    LOWER_BODY = "lower_body", "Lower body (trousers, skirts)"
    FULL_BODY = "full_body", "Full body (dresses)"


class Size(models.TextChoices):
    """The size chart, in display order."""

    XS = "XS", "XS"
    S = "S", "S"
    M = "M", "M"
    L = "L", "L"
    XL = "XL", "XL"
    XXL = "XXL", "XXL"


SIZE_ORDER = {value: index for index, value in enumerate(Size.values)}


class Category(models.Model):
    """Two levels: top-level departments and their sub-categories."""

    name = models.CharField(max_length=80)
    slug = models.SlugField(max_length=80, unique=True)
    parent = models.ForeignKey("self", null=True, blank=True, related_name="children", on_delete=models.PROTECT)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return f"{self.parent.name} › {self.name}" if self.parent_id else self.name

    def get_absolute_url(self) -> str:
        return reverse("shop:product_list") + f"?category={self.slug}"

    def clean(self) -> None:
        if self.parent_id is None:
            return
        if self.parent_id == self.pk:
            raise ValidationError({"parent": "A category cannot be its own parent."})
        if self.parent.parent_id is not None:
            raise ValidationError({"parent": "Categories have two levels: choose a top-level parent."})
        if self.pk and self.children.exists():
            raise ValidationError({"parent": "This category has sub-categories, so it must stay top-level."})


class Product(models.Model):
    category = models.ForeignKey(Category, related_name="products", on_delete=models.PROTECT)
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=140, unique=True)
    description = models.TextField(blank=True)
    price = models.DecimalField(max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0.00"))])
    is_active = models.BooleanField(default=True, help_text="Inactive products are hidden from the shop.")
    garment_type = models.CharField(max_length=20, choices=GarmentType.choices, default=GarmentType.UPPER_BODY)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["is_active", "-created_at"], name="product_active_new_idx"),
            models.Index(fields=["is_active", "price"], name="product_active_price_idx"),
            models.Index(fields=["is_active", "name"], name="product_active_name_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(price__gte=0), name="product_price_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("shop:product_detail", kwargs={"slug": self.slug})

    @property
    def currency(self) -> str:
        return settings.SHOP_CURRENCY

    @property
    def supports_tryon(self) -> bool:
        """Every garment type can be tried on: tops by either engine, bottoms and dresses by the
        weight-free one (tryon.pipeline.select.engine_for_garment)."""
        return self.garment_type in GarmentType.values


def product_image_path(instance: ProductImage, filename: str) -> str:
    return f"products/{instance.product.slug}/{filename}"


class ProductImage(models.Model):
    """A product photo. The primary image is the garment on white, used by try-on."""

    product = models.ForeignKey(Product, related_name="images", on_delete=models.CASCADE)
    image = models.ImageField(upload_to=product_image_path)
    alt_text = models.CharField(max_length=200, help_text="Describe the image for screen readers.")
    is_primary = models.BooleanField(default=False)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-is_primary", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["product"], condition=models.Q(is_primary=True), name="one_primary_image_per_product"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product.name}: {self.alt_text}"


class Variant(models.Model):
    """One size of a product, with its own SKU and stock."""

    product = models.ForeignKey(Product, related_name="variants", on_delete=models.CASCADE)
    size = models.CharField(max_length=4, choices=Size.choices)
    sku = models.CharField("SKU", max_length=40, unique=True)
    stock = models.IntegerField(default=0, validators=[MinValueValidator(0)])

    class Meta:
        ordering = ["product_id", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(stock__gte=0), name="variant_stock_not_negative"),
            models.UniqueConstraint(fields=["product", "size"], name="one_variant_per_product_size"),
        ]

    def __str__(self) -> str:
        return f"{self.product.name} ({self.size}, {self.sku})"

    @property
    def in_stock(self) -> bool:
        return self.stock > 0


class Cart(models.Model):
    """A stored cart: one per signed-in user, or one per anonymous session."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, related_name="cart", on_delete=models.CASCADE
    )
    session_key = models.CharField(max_length=40, null=True, blank=True, unique=True)
    # The checkout claim: set by one conditional update, so only one checkout of this cart runs at
    # a time (see `shop.services.place_order`); a claim older than SHOP_CHECKOUT_CLAIM_SECONDS is
    # from a process that died and may be taken over.
    checkout_key = models.CharField(max_length=64, blank=True, default="")
    checkout_started_at = models.DateTimeField(null=True, blank=True)
    last_order = models.ForeignKey(
        "Order",
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.SET_NULL,
        help_text="The order this cart last became: a repeated submit is answered with it.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Cart of {self.user}" if self.user_id else f"Anonymous cart {self.pk}"


class CartLine(models.Model):
    cart = models.ForeignKey(Cart, related_name="lines", on_delete=models.CASCADE)
    variant = models.ForeignKey(Variant, related_name="cart_lines", on_delete=models.CASCADE)
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["cart", "variant"], name="one_line_per_cart_variant"),
            models.CheckConstraint(condition=models.Q(quantity__gte=1), name="cart_line_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.variant}"

    @property
    def line_total(self) -> Decimal:
        return self.variant.product.price * self.quantity


class OrderStatus(models.TextChoices):
    PLACED = "placed", "Placed"
    PROCESSING = "processing", "Processing"
    SHIPPED = "shipped", "Shipped"
    DELIVERED = "delivered", "Delivered"
    CANCELLED = "cancelled", "Cancelled"


# Every allowed move; anything else is refused (in services and in admin).
ORDER_TRANSITIONS: dict[str, frozenset[str]] = {
    OrderStatus.PLACED: frozenset({OrderStatus.PROCESSING, OrderStatus.CANCELLED}),
    OrderStatus.PROCESSING: frozenset({OrderStatus.SHIPPED, OrderStatus.CANCELLED}),
    OrderStatus.SHIPPED: frozenset({OrderStatus.DELIVERED}),
    OrderStatus.DELIVERED: frozenset(),
    OrderStatus.CANCELLED: frozenset(),
}


class PaymentMethod(models.TextChoices):
    PAY_ON_DELIVERY = "pay_on_delivery", "Pay on delivery"


class Order(models.Model):
    """A placed order. Shipping details and lines are snapshots, so they survive later edits
    to products and the anonymisation of a deleted account."""

    number = models.CharField(max_length=24, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, related_name="orders", on_delete=models.SET_NULL
    )
    email = models.EmailField(blank=True)
    status = models.CharField(max_length=12, choices=OrderStatus.choices, default=OrderStatus.PLACED)
    full_name = models.CharField(max_length=150)
    address_line1 = models.CharField("address", max_length=200)
    address_line2 = models.CharField("address (line 2)", max_length=200, blank=True)
    city = models.CharField(max_length=100)
    postal_code = models.CharField(max_length=20)
    country = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2 code")
    phone = models.CharField(max_length=30, blank=True)
    payment_method = models.CharField(
        max_length=20, choices=PaymentMethod.choices, default=PaymentMethod.PAY_ON_DELIVERY
    )
    currency = models.CharField(max_length=3)
    subtotal = models.DecimalField(max_digits=12, decimal_places=2)
    stock_released = models.BooleanField(
        default=False, help_text="Set once when a cancellation has returned the stock."
    )
    idempotency_key = models.CharField(
        max_length=64,
        blank=True,
        default="",
        editable=False,
        help_text="The checkout form's or API client's key: the same key always answers this order.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Not stored: set by `shop.services.place_order`, True when a repeated submit got this order back.
    repeated_submit = False

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="order_user_created_idx"),
            models.Index(fields=["user", "idempotency_key"], name="order_user_idempotency_idx"),
        ]

    def __str__(self) -> str:
        # The admin writes 'The order “RV-…” was changed', so the number alone reads right there.
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("shop:order_detail", kwargs={"number": self.number})

    def allowed_next_statuses(self) -> frozenset[str]:
        return ORDER_TRANSITIONS[self.status]


class OrderLine(models.Model):
    order = models.ForeignKey(Order, related_name="lines", on_delete=models.CASCADE)
    variant = models.ForeignKey(Variant, null=True, blank=True, related_name="order_lines", on_delete=models.SET_NULL)
    product_name = models.CharField(max_length=120)
    sku = models.CharField("SKU", max_length=40)
    size = models.CharField(max_length=4)
    unit_price = models.DecimalField(max_digits=10, decimal_places=2)
    quantity = models.PositiveIntegerField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.product_name} ({self.size})"

    @property
    def line_total(self) -> Decimal:
        return self.unit_price * self.quantity
