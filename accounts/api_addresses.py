"""Address book API: list, add, read, change and delete your own addresses, and pick the default.

Another shopper's address id answers 404, exactly like an unknown one.
"""

from __future__ import annotations

from django.http import Http404
from django_countries.serializer_fields import CountryField
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors, services
from accounts.models import Address
from revetir.object_keys import ObjectKeySerializerField
from shop.api.orders import COUNTRY_HELP
from shop.forms import PHONE_PATTERN

ID_HELP = "A number where the shop runs on SQLite, a 24-hex-digit string where it runs on MongoDB."
ErrorSerializer = inline_serializer(
    name="AddressApiError", fields={"status": serializers.IntegerField(), "message": serializers.CharField()}
)


class AddressSerializer(serializers.Serializer):
    """The same rules as the address form on the pages."""

    id = ObjectKeySerializerField(source="pk", read_only=True, help_text=ID_HELP)
    full_name = serializers.CharField(max_length=150)
    address_line1 = serializers.CharField(max_length=200)
    address_line2 = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    city = serializers.CharField(max_length=100)
    postal_code = serializers.CharField(max_length=20)
    country = CountryField(help_text=COUNTRY_HELP)
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    is_default = serializers.BooleanField(required=False, default=False)
    last_used_at = serializers.DateTimeField(read_only=True)

    def validate_phone(self, phone: str) -> str:
        phone = phone.strip()
        if phone and not PHONE_PATTERN.match(phone):
            raise serializers.ValidationError("Use digits, spaces, brackets, dashes and an optional +.")
        return phone


def _own_address(request: Request, address_id: str) -> Address:
    address = selectors.address_for_user(user=request.user, address_id=address_id)
    if address is None:
        raise Http404
    return address


class AddressListView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Your saved addresses, default first", responses={200: AddressSerializer(many=True)}, tags=["addresses"]
    )
    def get(self, request: Request) -> Response:
        return Response(AddressSerializer(selectors.addresses_for_user(user=request.user), many=True).data)

    @extend_schema(
        summary="Save an address (the first one becomes the default)",
        request=AddressSerializer,
        responses={201: AddressSerializer, 400: ErrorSerializer},
        tags=["addresses"],
    )
    def post(self, request: Request) -> Response:
        payload = AddressSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        address = services.address_create(user=request.user, data=data, make_default=data.pop("is_default"))
        return Response(AddressSerializer(address).data, status=status.HTTP_201_CREATED)


class AddressDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="One of your addresses", responses={200: AddressSerializer, 404: ErrorSerializer}, tags=["addresses"]
    )
    def get(self, request: Request, address_id: str) -> Response:
        return Response(AddressSerializer(_own_address(request, address_id)).data)

    def _change(self, request: Request, address_id: str, *, partial: bool) -> Response:
        address = _own_address(request, address_id)
        payload = AddressSerializer(address, data=request.data, partial=partial)
        payload.is_valid(raise_exception=True)
        data = {**address.as_shipping(), **payload.validated_data}
        make_default = data.pop("is_default", False) and "is_default" in request.data
        address = services.address_update(address=address, data=data)
        if make_default:
            address = services.address_set_default(user=request.user, address=address)
        return Response(AddressSerializer(address).data)

    @extend_schema(
        summary="Replace one of your addresses",
        request=AddressSerializer,
        responses={200: AddressSerializer, 400: ErrorSerializer, 404: ErrorSerializer},
        tags=["addresses"],
    )
    def put(self, request: Request, address_id: str) -> Response:
        return self._change(request, address_id, partial=False)

    @extend_schema(
        summary="Change some fields of one of your addresses; is_default=true makes it the default",
        request=AddressSerializer,
        responses={200: AddressSerializer, 400: ErrorSerializer, 404: ErrorSerializer},
        tags=["addresses"],
    )
    def patch(self, request: Request, address_id: str) -> Response:
        return self._change(request, address_id, partial=True)

    @extend_schema(
        summary="Delete one of your addresses (orders keep their own copy)",
        request=None,
        responses={204: None, 404: ErrorSerializer},
        tags=["addresses"],
    )
    def delete(self, request: Request, address_id: str) -> Response:
        services.address_delete(address=_own_address(request, address_id))
        return Response(status=status.HTTP_204_NO_CONTENT)
