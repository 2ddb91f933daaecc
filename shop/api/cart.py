"""Cart API for signed-in clients (session or token): read the cart, add, change and remove lines.

Lines are capped by stock exactly as on the cart page; the response says so in `notices`.
"""

from __future__ import annotations

from django.conf import settings
from django.http import Http404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from revetir.object_keys import ObjectKeySerializerField
from shop import selectors, services
from shop.models import CartLine, Variant
from shop.selectors import CartSummary

# --- Serializers ----------------------------------------------------------------------------------

ID_HELP = "A number where the shop runs on SQLite, a 24-hex-digit string where it runs on MongoDB."


class CartLineSerializer(serializers.Serializer):
    id = ObjectKeySerializerField(source="pk", read_only=True, help_text=ID_HELP)
    variant = ObjectKeySerializerField(source="variant_id", read_only=True, help_text=ID_HELP)
    sku = serializers.CharField(source="variant.sku")
    size = serializers.CharField(source="variant.size")
    product_name = serializers.CharField(source="variant.product.name")
    product_slug = serializers.CharField(source="variant.product.slug")
    unit_price = serializers.DecimalField(source="variant.product.price", max_digits=10, decimal_places=2)
    quantity = serializers.IntegerField()
    line_total = serializers.DecimalField(max_digits=12, decimal_places=2)
    in_stock = serializers.IntegerField(source="variant.stock", help_text="Units left of this size right now.")


class CartSerializer(serializers.Serializer):
    lines = CartLineSerializer(many=True)
    item_count = serializers.IntegerField()
    subtotal = serializers.DecimalField(max_digits=12, decimal_places=2)
    currency = serializers.SerializerMethodField()
    notices = serializers.SerializerMethodField(help_text="What was changed from the request (capped quantities).")

    def get_currency(self, summary: CartSummary) -> str:
        return settings.SHOP_CURRENCY

    def get_notices(self, summary: CartSummary) -> list[str]:
        return list(self.context.get("notices", []))


class CartItemAddSerializer(serializers.Serializer):
    variant = ObjectKeySerializerField(
        model=Variant,
        error_messages={"invalid": "There is no such size."},
        help_text="Variant (size) id from the product API, as it gave it (a number or a string).",
    )
    quantity = serializers.IntegerField(
        min_value=1, default=1, error_messages={"min_value": "Choose a quantity of at least 1."}
    )
    from_tryon = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=24,
        help_text="Id of the caller's finished try-on of this product the size was chosen on (for the staff "
        "report; an id that is not the caller's is ignored).",
    )

    def validate_quantity(self, quantity: int) -> int:
        if quantity > settings.SHOP_MAX_LINE_QUANTITY:
            raise serializers.ValidationError(services.line_limit_message())
        return quantity


class CartItemQuantitySerializer(serializers.Serializer):
    quantity = serializers.IntegerField(
        min_value=0,
        help_text="New quantity of the line; 0 removes it. At most SHOP_MAX_LINE_QUANTITY of one size per order.",
        error_messages={"min_value": "Choose 0 to remove this item, or a quantity of at least 1."},
    )

    def validate_quantity(self, quantity: int) -> int:
        if quantity > settings.SHOP_MAX_LINE_QUANTITY:
            raise serializers.ValidationError(services.line_limit_message())
        return quantity


ErrorSerializer = inline_serializer(
    name="ApiError", fields={"status": serializers.IntegerField(), "message": serializers.CharField()}
)


# --- Views ----------------------------------------------------------------------------------------


def _cart_response(request: Request, *, notices: list[str], status_code: int = status.HTTP_200_OK) -> Response:
    summary = selectors.cart_summary(cart=selectors.cart_for_request(request=request))
    return Response(CartSerializer(summary, context={"notices": notices}).data, status=status_code)


def _notices(change: services.CartLineChange) -> list[str]:
    return [change.message] if change.capped or change.quantity == 0 else []


def _own_line(request: Request, line_id: str) -> CartLine:
    """A line of the caller's own cart; another cart's id, or one no line here can have, is 404."""
    line = selectors.cart_line_for_cart(cart=selectors.cart_for_request(request=request), line_id=line_id)
    if line is None:
        raise Http404
    return line


class CartView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="Your cart", responses={200: CartSerializer, 401: ErrorSerializer}, tags=["cart"])
    def get(self, request: Request) -> Response:
        return _cart_response(request, notices=[])


class CartItemsView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Add a size to your cart",
        description="Quantities add up per size and are capped by stock and SHOP_MAX_LINE_QUANTITY.",
        request=CartItemAddSerializer,
        responses={201: CartSerializer, 400: ErrorSerializer, 401: ErrorSerializer},
        tags=["cart"],
    )
    def post(self, request: Request) -> Response:
        payload = CartItemAddSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        cart = services.cart_get_or_create_for_user(user=request.user)
        change = services.cart_add_item(
            cart=cart,
            variant_id=payload.validated_data["variant"],
            quantity=payload.validated_data["quantity"],
            tryon_job_id=payload.validated_data.get("from_tryon"),
        )
        return _cart_response(request, notices=_notices(change), status_code=status.HTTP_201_CREATED)


class CartItemView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Change a line's quantity",
        request=CartItemQuantitySerializer,
        responses={200: CartSerializer, 400: ErrorSerializer, 404: ErrorSerializer},
        tags=["cart"],
    )
    def patch(self, request: Request, line_id: str) -> Response:
        line = _own_line(request, line_id)
        payload = CartItemQuantitySerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        change = services.cart_line_set_quantity(line=line, quantity=payload.validated_data["quantity"])
        return _cart_response(request, notices=_notices(change))

    @extend_schema(summary="Remove a line", responses={204: None, 404: ErrorSerializer}, tags=["cart"])
    def delete(self, request: Request, line_id: str) -> Response:
        services.cart_line_remove(line=_own_line(request, line_id))
        return Response(status=status.HTTP_204_NO_CONTENT)
