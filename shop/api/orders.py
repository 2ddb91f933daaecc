"""Orders API: place an order from your cart, list your orders, read or cancel one of them.

Another user's order number answers 404, exactly like an unknown one.
"""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from revetir.object_keys import ObjectKeySerializerField, key_text
from shop import selectors, services
from shop.countries import COUNTRY_CHOICES
from shop.forms import PHONE_PATTERN
from shop.models import Order, OrderLine
from shop.payments import payment_method_choices
from shop.stock import OutOfStock

# --- Serializers ----------------------------------------------------------------------------------


class OrderLineSerializer(serializers.ModelSerializer):
    line_total = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)

    class Meta:
        model = OrderLine
        fields = ["product_name", "sku", "size", "unit_price", "quantity", "line_total"]


class OrderSerializer(serializers.ModelSerializer):
    lines = OrderLineSerializer(many=True, read_only=True)

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
            "currency",
            "subtotal",
            "lines",
        ]
        read_only_fields = fields


class PlaceOrderSerializer(serializers.Serializer):
    """The shipping address (same rules as the checkout form) and the payment method."""

    full_name = serializers.CharField(max_length=150)
    address_line1 = serializers.CharField(max_length=200)
    address_line2 = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    city = serializers.CharField(max_length=100)
    postal_code = serializers.CharField(max_length=20)
    country = serializers.ChoiceField(choices=COUNTRY_CHOICES, help_text="ISO 3166-1 alpha-2 code, e.g. FR")
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    payment_method = serializers.ChoiceField(choices=[], required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choices = payment_method_choices()
        self.fields["payment_method"].choices = choices
        self.fields["payment_method"].default = choices[0][0]

    def validate_phone(self, phone: str) -> str:
        phone = phone.strip()
        if phone and not PHONE_PATTERN.match(phone):
            raise serializers.ValidationError("Use digits, spaces, brackets, dashes and an optional +.")
        return phone


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
            "left unchanged. Payment is collected on delivery. Send an `Idempotency-Key` header (up to 64 "
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
        payload = PlaceOrderSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        payment_method = data.pop("payment_method", None) or payment_method_choices()[0][0]
        cart = selectors.cart_for_request(request=request)
        if cart is None:
            raise services.CheckoutError("Your cart is empty.", code="empty_cart")
        try:
            order = services.place_order(
                user=request.user, cart=cart, address=data, payment_method=payment_method, idempotency_key=key
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
        order = selectors.order_for_user(user=self.request.user, number=order.number)
        return Response(OrderSerializer(order).data, status=code)


def _own_order(request: Request, number: str) -> Order:
    order = selectors.order_for_user(user=request.user, number=number)
    if order is None:
        raise Http404
    return order


class OrderDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="One of your orders", responses={200: OrderSerializer, 404: ErrorSerializer}, tags=["orders"]
    )
    def get(self, request: Request, number: str) -> Response:
        return Response(OrderSerializer(_own_order(request, number)).data)


class OrderCancelView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Cancel one of your orders while it is still 'placed'",
        request=None,
        responses={200: OrderSerializer, 400: ErrorSerializer, 404: ErrorSerializer},
        tags=["orders"],
    )
    def post(self, request: Request, number: str) -> Response:
        order = services.order_cancel_by_customer(order=_own_order(request, number), user=request.user)
        return Response(OrderSerializer(selectors.order_for_user(user=request.user, number=order.number)).data)
