"""Orders API: delivery methods, checking a voucher, placing an order from your cart (to a saved
address or a new one), listing your orders, reading or cancelling one of them.

Another user's order number answers 404, exactly like an unknown one.
"""

from __future__ import annotations

from dataclasses import asdict

from django.conf import settings
from django.http import Http404
from django_countries.serializer_fields import CountryField
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors as account_selectors
from accounts.models import ADDRESS_FIELDS
from revetir.object_keys import ObjectKeySerializerField, key_text
from shop import card_payments, emails, selectors, services
from shop.forms import PHONE_PATTERN
from shop.models import Order, OrderLine, OrderRefund, OrderStatus, PaymentMethod, ShippingMethod
from shop.payments import payment_method_choices
from shop.pricing import order_totals
from shop.services import payments
from shop.stock import OutOfStock
from shop.vouchers import voucher_check

# The API's short names for stored payment methods.
PAYMENT_METHOD_ALIASES = {"on_delivery": PaymentMethod.PAY_ON_DELIVERY.value}
ID_HELP = "A number where the shop runs on SQLite, a 24-hex-digit string where it runs on MongoDB."
COUNTRY_HELP = "Two-letter country code (ISO 3166-1 alpha-2), e.g. FR; the English name or three-letter code also do."

# --- Serializers ----------------------------------------------------------------------------------


class OrderLineSerializer(serializers.ModelSerializer):
    line_total = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)

    class Meta:
        model = OrderLine
        fields = ["product_name", "sku", "size", "unit_price", "quantity", "line_total"]


class OrderRefundSerializer(serializers.ModelSerializer):
    class Meta:
        model = OrderRefund
        fields = ["amount", "reason", "created_at"]
        read_only_fields = fields


class OrderPaymentSerializer(serializers.Serializer):
    client_secret = serializers.CharField(help_text="For Stripe.js (`stripe.confirmPayment` / `confirmCardPayment`).")
    publishable_key = serializers.CharField()


class OrderSerializer(serializers.ModelSerializer):
    lines = OrderLineSerializer(many=True, read_only=True)
    country = CountryField(read_only=True, help_text="Two-letter country code (ISO 3166-1 alpha-2).")
    refunds = OrderRefundSerializer(many=True, read_only=True)
    payment = serializers.SerializerMethodField(
        help_text="While a card order awaits payment (in the answers that place or read one order): what "
        "Stripe.js needs to collect the card. Null otherwise."
    )

    @extend_schema_field(OrderPaymentSerializer(allow_null=True))
    def get_payment(self, order: Order) -> dict | None:
        if not self.context.get("with_payment") or order.status != OrderStatus.AWAITING_PAYMENT:
            return None
        try:
            secret = getattr(order, "payment_client_secret", "") or payments.payment_client_secret(order=order)
        except card_payments.CardPaymentProblem:
            return None  # Stripe cannot be asked now; reading the order again later gives it
        return {"client_secret": secret, "publishable_key": settings.STRIPE_PUBLISHABLE_KEY}

    class Meta:
        model = Order
        fields = [
            "number",
            "status",
            "created_at",
            "full_name",
            "address_line1",
            "address_line2",
            "city",
            "postal_code",
            "country",
            "phone",
            "payment_method",
            "shipping_method_name",
            "tracking_number",
            "currency",
            "subtotal",
            "voucher_code",
            "discount",
            "shipping_price",
            "total",
            "paid_at",
            "payment_expires_at",
            "payment_problem",
            "amount_refunded",
            "refunds",
            "payment",
            "lines",
        ]
        read_only_fields = fields


class ShippingMethodSerializer(serializers.ModelSerializer):
    id = ObjectKeySerializerField(source="pk", read_only=True, help_text=ID_HELP)
    delivery_time = serializers.CharField(read_only=True)

    class Meta:
        model = ShippingMethod
        fields = ["id", "name", "price", "free_over", "delivery_days_min", "delivery_days_max", "delivery_time"]
        read_only_fields = fields


class PlaceOrderSerializer(serializers.Serializer):
    """Either `address_id` (one of your saved addresses) or the shipping address fields (same rules
    as the checkout form); the delivery method (required once the shop has any), an optional
    voucher code and the payment method."""

    address_id = ObjectKeySerializerField(required=False, help_text="One of your saved addresses. " + ID_HELP)
    full_name = serializers.CharField(max_length=150, required=False)
    address_line1 = serializers.CharField(max_length=200, required=False)
    address_line2 = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    city = serializers.CharField(max_length=100, required=False)
    postal_code = serializers.CharField(max_length=20, required=False)
    country = CountryField(required=False, help_text=COUNTRY_HELP)
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    shipping_method = ObjectKeySerializerField(required=False, help_text="From /api/shipping-methods/. " + ID_HELP)
    voucher_code = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    payment_method = serializers.ChoiceField(
        choices=[],
        required=False,
        help_text='"card" (when the shop takes cards) or "on_delivery" ("pay_on_delivery" is the same).',
    )

    REQUIRED_WITHOUT_ADDRESS_ID = ("full_name", "address_line1", "city", "postal_code", "country")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choices = payment_method_choices()
        aliases = [(alias, alias) for alias, method in PAYMENT_METHOD_ALIASES.items() if method in dict(choices)]
        self.fields["payment_method"].choices = choices + aliases
        self.fields["payment_method"].default = choices[0][0]

    def validate_payment_method(self, method: str) -> str:
        return PAYMENT_METHOD_ALIASES.get(method, method)

    def validate_phone(self, phone: str) -> str:
        phone = phone.strip()
        if phone and not PHONE_PATTERN.match(phone):
            raise serializers.ValidationError("Use digits, spaces, brackets, dashes and an optional +.")
        return phone

    def validate(self, data: dict) -> dict:
        if "address_id" in data:
            address = account_selectors.address_for_user(user=self.context["user"], address_id=data["address_id"])
            if address is None:
                raise serializers.ValidationError({"address_id": "There is no such address in your address book."})
            data["saved_address"] = address
            return data
        missing = {name: "This field is required." for name in self.REQUIRED_WITHOUT_ADDRESS_ID if not data.get(name)}
        if missing:
            raise serializers.ValidationError(missing)
        return data


class VoucherCheckSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=40)
    shipping_method = ObjectKeySerializerField(required=False, help_text=ID_HELP)


class CheckoutTotalsSerializer(serializers.Serializer):
    voucher_code = serializers.CharField()
    description = serializers.CharField()
    subtotal = serializers.DecimalField(max_digits=12, decimal_places=2)
    discount = serializers.DecimalField(max_digits=12, decimal_places=2)
    shipping = serializers.DecimalField(max_digits=12, decimal_places=2)
    total = serializers.DecimalField(max_digits=12, decimal_places=2)


ErrorSerializer = inline_serializer(
    name="OrderApiError", fields={"status": serializers.IntegerField(), "message": serializers.CharField()}
)
OutOfStockSerializer = inline_serializer(
    name="OutOfStockError",
    fields={
        "status": serializers.IntegerField(),
        "message": serializers.CharField(),
        "variant": ObjectKeySerializerField(
            help_text="The variant (size) that ran out, as the product API gives its id."
        ),
    },
)


# --- Views ----------------------------------------------------------------------------------------


class OrderListCreateView(ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = OrderSerializer

    def get_queryset(self):
        return selectors.orders_for_user(user=self.request.user)

    @extend_schema(summary="Your orders, newest first", tags=["orders"])
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Place an order from your cart",
        description=(
            "Reserves stock for every line or none. 409 names the size that ran out; the cart is then "
            'left unchanged. With `payment_method: "on_delivery"` the courier collects payment. With '
            '`"card"` the order is `awaiting_payment`, holds its stock for the shop\'s payment hold, and the '
            "answer's `payment` has the `client_secret` and `publishable_key` for Stripe.js; the order becomes "
            "`paid` once Stripe reports the payment (webhook, or reading the order). Send an "
            "`Idempotency-Key` header (up to 64 "
            "characters, new for each order you mean to place): a repeat with the same key answers 200 "
            "with the order the first request placed. Without one, a repeat that finds the cart just "
            "emptied by an order gets that order (200) too."
        ),
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                str,
                OpenApiParameter.HEADER,
                required=False,
                description="Repeats of a request with this key return the same order.",
            )
        ],
        request=PlaceOrderSerializer,
        responses={
            200: OrderSerializer,
            201: OrderSerializer,
            400: ErrorSerializer,
            401: ErrorSerializer,
            409: OutOfStockSerializer,
        },
        tags=["orders"],
    )
    def post(self, request: Request) -> Response:
        key = request.headers.get("Idempotency-Key")
        earlier = services.order_for_idempotency_key(user=request.user, key=key)
        if earlier is not None:
            return self._order_response(earlier, status.HTTP_200_OK)
        payload = PlaceOrderSerializer(data=request.data, context={"user": request.user})
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        payment_method = data.pop("payment_method", None) or payment_method_choices()[0][0]
        saved_address = data.pop("saved_address", None)
        address = (
            saved_address.as_shipping() if saved_address else {name: data.get(name, "") for name in ADDRESS_FIELDS}
        )
        cart = selectors.cart_for_request(request=request)
        if cart is None:
            raise services.CheckoutError("Your cart is empty.", code="empty_cart")
        try:
            order = services.place_order(
                user=request.user,
                cart=cart,
                address=address,
                payment_method=payment_method,
                idempotency_key=key,
                shipping_method_id=data.get("shipping_method"),
                voucher_code=data.get("voucher_code", ""),
                saved_address=saved_address,
                site_url=emails.site_url_for(request),
            )
        except OutOfStock as error:
            return Response(
                {"status": status.HTTP_409_CONFLICT, "message": str(error), "variant": key_text(error.variant_id)},
                status=status.HTTP_409_CONFLICT,
            )
        except services.CheckoutError as error:
            if error.code != "checkout_in_progress":
                raise
            return Response(
                {"status": status.HTTP_409_CONFLICT, "message": " ".join(error.messages)},
                status=status.HTTP_409_CONFLICT,
            )
        return self._order_response(order, status.HTTP_200_OK if order.repeated_submit else status.HTTP_201_CREATED)

    def _order_response(self, order: Order, code: int) -> Response:
        secret = getattr(order, "payment_client_secret", "")
        order = selectors.order_for_user(user=self.request.user, number=order.number)
        order.payment_client_secret = secret
        return Response(OrderSerializer(order, context={"with_payment": True}).data, status=code)


class ShippingMethodListView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="The delivery methods checkout offers",
        responses={200: ShippingMethodSerializer(many=True)},
        tags=["orders"],
    )
    def get(self, request: Request) -> Response:
        return Response(ShippingMethodSerializer(selectors.shipping_methods_active(), many=True).data)


class VoucherCheckView(APIView):
    """What a voucher would take off your cart now (nothing is reserved: the use is taken when the
    order is placed)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Check a voucher against your cart and see the totals",
        request=VoucherCheckSerializer,
        responses={200: CheckoutTotalsSerializer, 400: ErrorSerializer},
        tags=["orders"],
    )
    def post(self, request: Request) -> Response:
        payload = VoucherCheckSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        summary = selectors.cart_summary(cart=selectors.cart_for_request(request=request))
        if summary.is_empty:
            raise services.CheckoutError("Your cart is empty.", code="empty_cart")
        voucher = voucher_check(code=payload.validated_data["code"], user=request.user, subtotal=summary.subtotal)
        method_id = payload.validated_data.get("shipping_method")
        method = selectors.shipping_method_active(method_id=method_id) if method_id else None
        totals = order_totals(subtotal=summary.subtotal, shipping_method=method, voucher=voucher)
        body = {"voucher_code": voucher.code, "description": voucher.describe, **asdict(totals)}
        return Response(CheckoutTotalsSerializer(body).data)


def _own_order(request: Request, number: str) -> Order:
    order = selectors.order_for_user(user=request.user, number=number)
    if order is None:
        raise Http404
    return order


class OrderDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="One of your orders",
        description="A card order awaiting payment is first brought up to date with Stripe: `paid` once the "
        "payment went through, `cancelled` (with `payment_problem`) when it failed or its hold expired.",
        responses={200: OrderSerializer, 404: ErrorSerializer},
        tags=["orders"],
    )
    def get(self, request: Request, number: str) -> Response:
        order = payments.payment_sync(order=_own_order(request, number))
        return Response(OrderSerializer(order, context={"with_payment": True}).data)


class OrderCancelView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Cancel one of your orders while it is placed, awaiting payment or paid",
        description="A paid card order is refunded in full through Stripe (see `refunds`); if Stripe refuses "
        "the refund, the order stays as it was and the 400 says why.",
        request=None,
        responses={200: OrderSerializer, 400: ErrorSerializer, 404: ErrorSerializer},
        tags=["orders"],
    )
    def post(self, request: Request, number: str) -> Response:
        order = services.order_cancel_by_customer(
            order=_own_order(request, number), user=request.user, site_url=emails.site_url_for(request)
        )
        return Response(OrderSerializer(selectors.order_for_user(user=request.user, number=order.number)).data)
