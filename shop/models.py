"""Catalogue, cart and orders.

Stock lives on `Variant.stock` and is changed only through `shop.stock` (single conditional
updates), so the no-oversell guarantee holds on backends without transactions (MongoDB).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse
from django_countries.fields import CountryField


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


class SizeChartRow(models.Model):
    """One size of a product's size chart: the body measurements, in cm, that the size is cut for.

    A measure left empty does not apply to the garment (trousers have no chest). `length_cm` is the
    garment's own length, shown to the shopper but not used to choose a size.
    """

    product = models.ForeignKey(Product, related_name="size_chart", on_delete=models.CASCADE)
    size = models.CharField(max_length=4, choices=Size.choices)
    chest_min_cm = models.PositiveSmallIntegerField("chest from (cm)", null=True, blank=True)
    chest_max_cm = models.PositiveSmallIntegerField("chest to (cm)", null=True, blank=True)
    waist_min_cm = models.PositiveSmallIntegerField("waist from (cm)", null=True, blank=True)
    waist_max_cm = models.PositiveSmallIntegerField("waist to (cm)", null=True, blank=True)
    hips_min_cm = models.PositiveSmallIntegerField("hips from (cm)", null=True, blank=True)
    hips_max_cm = models.PositiveSmallIntegerField("hips to (cm)", null=True, blank=True)
    length_cm = models.PositiveSmallIntegerField("garment length (cm)", null=True, blank=True)

    # The chart's columns as staff edit them and the API shows them.
    CHART_FIELDS = (
        "size",
        "chest_min_cm",
        "chest_max_cm",
        "waist_min_cm",
        "waist_max_cm",
        "hips_min_cm",
        "hips_max_cm",
        "length_cm",
    )

    class Meta:
        ordering = ["product_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["product", "size"], name="one_size_chart_row_per_product_size"),
        ]

    def __str__(self) -> str:
        return f"{self.product.name}: size {self.size}"

    def clean(self) -> None:
        errors = {}
        for measure in ("chest", "waist", "hips"):
            low, high = getattr(self, f"{measure}_min_cm"), getattr(self, f"{measure}_max_cm")
            if (low is None) != (high is None):
                errors[f"{measure}_max_cm"] = f"Give both ends of the {measure} range, or neither."
            elif low is not None and low > high:
                errors[f"{measure}_max_cm"] = f"The {measure} range must not end below where it starts."
        if errors:
            raise ValidationError(errors)


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
    tryon_job = models.ForeignKey(
        "tryon.TryOnJob",
        null=True,
        blank=True,
        related_name="cart_lines",
        on_delete=models.SET_NULL,
        help_text="The shopper's finished try-on of this product the line was added from, if any.",
    )
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
    AWAITING_PAYMENT = "awaiting_payment", "Awaiting payment"
    PAID = "paid", "Paid"
    PLACED = "placed", "Placed"
    PROCESSING = "processing", "Processing"
    SHIPPED = "shipped", "Shipped"
    DELIVERED = "delivered", "Delivered"
    CANCELLED = "cancelled", "Cancelled"


# Every allowed move; anything else is refused (in services and in admin).
ORDER_TRANSITIONS: dict[str, frozenset[str]] = {
    # A card order becomes paid only when Stripe reports the payment, by shop.services.payments'
    # own conditional update, never by a status change here; it is cancelled when the payment
    # fails, the shopper gives up, or its hold on the stock expires.
    OrderStatus.AWAITING_PAYMENT: frozenset({OrderStatus.CANCELLED}),
    OrderStatus.PAID: frozenset({OrderStatus.PROCESSING, OrderStatus.CANCELLED}),
    OrderStatus.PLACED: frozenset({OrderStatus.PROCESSING, OrderStatus.CANCELLED}),
    OrderStatus.PROCESSING: frozenset({OrderStatus.SHIPPED, OrderStatus.CANCELLED}),
    OrderStatus.SHIPPED: frozenset({OrderStatus.DELIVERED}),
    OrderStatus.DELIVERED: frozenset(),
    OrderStatus.CANCELLED: frozenset(),
}


class PaymentMethod(models.TextChoices):
    PAY_ON_DELIVERY = "pay_on_delivery", "Pay on delivery"
    CARD = "card", "Card"


class ShippingMethod(models.Model):
    """A way to deliver an order, with its price; staff configure them in admin.

    The price is waived when the items (before any voucher discount) reach `free_over`.
    """

    name = models.CharField(max_length=80)
    price = models.DecimalField(max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0.00"))])
    free_over = models.DecimalField(
        "free from",
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.00"))],
        help_text="Orders whose goods cost at least this much ship free. Empty: never free.",
    )
    delivery_days_min = models.PositiveIntegerField("delivery from (days)", default=1)
    delivery_days_max = models.PositiveIntegerField("delivery up to (days)", default=1)
    active = models.BooleanField(default=True, help_text="Inactive methods are not offered at checkout.")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "price", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(price__gte=0), name="shipping_price_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.delivery_days_max < self.delivery_days_min:
            raise ValidationError({"delivery_days_max": "The longest delivery time cannot be below the shortest."})

    def price_for(self, goods_total: Decimal) -> Decimal:
        """What this method costs for goods worth `goods_total`."""
        if self.free_over is not None and goods_total >= self.free_over:
            return Decimal("0.00")
        return self.price

    @property
    def delivery_time(self) -> str:
        if self.delivery_days_min == self.delivery_days_max:
            days = self.delivery_days_min
            return f"{days} working day{'s' if days != 1 else ''}"
        return f"{self.delivery_days_min}–{self.delivery_days_max} working days"


class VoucherKind(models.TextChoices):
    PERCENTAGE = "percentage", "Percentage of the goods"
    FIXED = "fixed", "Fixed amount"


class Voucher(models.Model):
    """A discount code. `uses` counts the orders that hold it; it changes only through
    `shop.vouchers` (conditional updates), so the limits hold without transactions."""

    code = models.CharField(max_length=40, unique=True, help_text="What shoppers type; stored in capitals.")
    kind = models.CharField(max_length=12, choices=VoucherKind.choices, default=VoucherKind.PERCENTAGE)
    value = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text="Percent off the goods (e.g. 10), or an amount off in the shop's currency.",
    )
    minimum_subtotal = models.DecimalField(
        "minimum order",
        max_digits=10,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0.00"))],
    )
    valid_from = models.DateTimeField(null=True, blank=True)
    valid_until = models.DateTimeField(null=True, blank=True)
    usage_limit = models.PositiveIntegerField(
        "total uses", null=True, blank=True, help_text="How many orders may use it in all. Empty: unlimited."
    )
    per_customer_limit = models.PositiveIntegerField("uses per shopper", default=1, validators=[MinValueValidator(1)])
    uses = models.PositiveIntegerField(default=0, editable=False)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(uses__gte=0), name="voucher_uses_not_negative"),
        ]

    def __str__(self) -> str:
        return self.code

    def clean(self) -> None:
        self.code = (self.code or "").strip().upper()
        if self.kind == VoucherKind.PERCENTAGE and self.value is not None and self.value > 100:
            raise ValidationError({"value": "A percentage cannot be above 100."})
        if self.valid_from and self.valid_until and self.valid_until <= self.valid_from:
            raise ValidationError({"valid_until": "The end must come after the start."})

    def discount_for(self, subtotal: Decimal) -> Decimal:
        """The discount on goods worth `subtotal`: never more than the goods, rounded to cents."""
        if self.kind == VoucherKind.PERCENTAGE:
            discount = (subtotal * self.value / Decimal(100)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        else:
            discount = self.value
        return min(discount, subtotal)

    @property
    def describe(self) -> str:
        if self.kind == VoucherKind.PERCENTAGE:
            return f"{self.value.normalize():f}% off"
        return f"{self.value} {settings.SHOP_CURRENCY} off"


class Order(models.Model):
    """A placed order. Shipping details and lines are snapshots, so they survive later edits
    to products and the anonymisation of a deleted account."""

    number = models.CharField(max_length=24, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, related_name="orders", on_delete=models.SET_NULL
    )
    email = models.EmailField(blank=True)
    status = models.CharField(max_length=20, choices=OrderStatus.choices, default=OrderStatus.PLACED)
    full_name = models.CharField(max_length=150)
    address_line1 = models.CharField("address", max_length=200)
    address_line2 = models.CharField("address (line 2)", max_length=200, blank=True)
    city = models.CharField(max_length=100)
    postal_code = models.CharField(max_length=20)
    country = CountryField()
    phone = models.CharField(max_length=30, blank=True)
    payment_method = models.CharField(
        max_length=20, choices=PaymentMethod.choices, default=PaymentMethod.PAY_ON_DELIVERY
    )
    currency = models.CharField(max_length=3)
    subtotal = models.DecimalField(max_digits=12, decimal_places=2)
    shipping_method = models.ForeignKey(
        ShippingMethod, null=True, blank=True, related_name="orders", on_delete=models.SET_NULL
    )
    shipping_method_name = models.CharField("shipping", max_length=80, blank=True)
    shipping_price = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0.00"))
    voucher_code = models.CharField("voucher", max_length=40, blank=True)
    discount = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0.00"))
    total = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0.00"))
    tracking_number = models.CharField(
        max_length=60, blank=True, help_text="The courier's tracking number; needed to mark the order shipped."
    )
    stock_released = models.BooleanField(
        default=False, help_text="Set once when a cancellation has returned the stock."
    )
    payment_intent_id = models.CharField(
        "Stripe PaymentIntent", max_length=64, blank=True, default="", editable=False, db_index=True
    )
    payment_expires_at = models.DateTimeField(
        "payment due by",
        null=True,
        blank=True,
        editable=False,
        help_text="A card order holds its stock until then; unpaid, it is cancelled and the stock goes back.",
    )
    paid_at = models.DateTimeField(null=True, blank=True, editable=False)
    payment_problem = models.CharField(
        max_length=300,
        blank=True,
        default="",
        editable=False,
        help_text="Why the card payment did not go through, as the shopper is told.",
    )
    amount_refunded = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        default=Decimal("0.00"),
        editable=False,
        help_text="Refunded through Stripe so far (full refunds on cancellation, partial ones by staff).",
    )
    confirmation_sent_at = models.DateTimeField("confirmation e-mailed", null=True, blank=True)
    shipped_email_sent_at = models.DateTimeField("shipping e-mailed", null=True, blank=True)
    cancelled_email_sent_at = models.DateTimeField("cancellation e-mailed", null=True, blank=True)
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


class OrderLine(models.Model):
    order = models.ForeignKey(Order, related_name="lines", on_delete=models.CASCADE)
    variant = models.ForeignKey(Variant, null=True, blank=True, related_name="order_lines", on_delete=models.SET_NULL)
    product_name = models.CharField(max_length=120)
    sku = models.CharField("SKU", max_length=40)
    size = models.CharField(max_length=4)
    unit_price = models.DecimalField(max_digits=10, decimal_places=2)
    quantity = models.PositiveIntegerField()
    tryon_job = models.ForeignKey(
        "tryon.TryOnJob",
        null=True,
        blank=True,
        related_name="order_lines",
        on_delete=models.SET_NULL,
        help_text="The try-on the cart line came from; emptied if the shopper deletes that try-on.",
    )

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.product_name} ({self.size})"

    @property
    def line_total(self) -> Decimal:
        return self.unit_price * self.quantity


class VoucherUse(models.Model):
    """One shopper's use of a voucher, for one order.

    `slot` runs from 1 to the voucher's per-shopper limit, and (voucher, user, slot) is unique, so
    two parallel checkouts of the same shopper cannot both take the last slot; the database's
    unique index decides, on SQLite and MongoDB alike.
    """

    voucher = models.ForeignKey(Voucher, related_name="voucher_uses", on_delete=models.CASCADE)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, related_name="voucher_uses", on_delete=models.CASCADE)
    slot = models.PositiveIntegerField()
    order = models.ForeignKey(Order, null=True, blank=True, related_name="voucher_uses", on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["voucher", "user", "slot"], name="one_voucher_use_per_slot"),
        ]

    def __str__(self) -> str:
        return f"{self.voucher.code} used by {self.user}"


class OrderRefund(models.Model):
    """Money given back on a card order through Stripe, written once Stripe has accepted it."""

    order = models.ForeignKey(Order, related_name="refunds", on_delete=models.PROTECT)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    reason = models.CharField(max_length=200)
    stripe_refund_id = models.CharField("Stripe refund", max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, related_name="+", on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.amount} refunded on {self.order.number}"


class StripeEvent(models.Model):
    """One webhook event from Stripe, stored once with what it did, so a replay changes nothing."""

    event_id = models.CharField(max_length=64, unique=True)
    event_type = models.CharField(max_length=80)
    payment_intent_id = models.CharField(max_length=64, blank=True, default="")
    outcome = models.CharField(max_length=300)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"
