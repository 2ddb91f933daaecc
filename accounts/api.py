"""Token authentication for API clients: exchange e-mail and password for a token, or revoke it."""

from __future__ import annotations

from django.contrib.auth import authenticate
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors, services
from accounts.models import BodyProfile

ERROR_SCHEMA = inline_serializer(
    name="AuthTokenError",
    fields={"status": serializers.IntegerField(), "message": serializers.CharField()},
)


class AuthCredentialsSerializer(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False, write_only=True)


class AuthTokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text='Send as the header "Authorization: Token <token>".')


class AuthTokenView(APIView):
    """POST: get the caller's API token from e-mail and password. DELETE: revoke the caller's token."""

    authentication_classes = [TokenAuthentication, SessionAuthentication]

    def get_permissions(self):
        if self.request.method == "POST":
            return [AllowAny()]
        return [IsAuthenticated()]

    @extend_schema(
        operation_id="auth_token_create",
        summary="Get an API token",
        description="Exchange an e-mail address and password for the account's token (the same token each time "
        "until it is revoked).",
        request=AuthCredentialsSerializer,
        responses={
            200: AuthTokenSerializer,
            400: OpenApiResponse(ERROR_SCHEMA, description="Missing fields, or e-mail and password do not match."),
        },
        auth=[],
    )
    def post(self, request: Request) -> Response:
        payload = AuthCredentialsSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        user = authenticate(request, email=payload.validated_data["email"], password=payload.validated_data["password"])
        if user is None:
            return Response(
                {"status": 400, "message": "Unable to log in with that e-mail address and password."},
                status=status.HTTP_400_BAD_REQUEST,
            )
        token = services.auth_token_issue(user=user)
        return Response(AuthTokenSerializer({"token": token.key}).data)

    @extend_schema(
        operation_id="auth_token_revoke",
        summary="Revoke the caller's API token",
        request=None,
        responses={
            204: OpenApiResponse(description="The token is revoked; clients must request a new one."),
            401: OpenApiResponse(ERROR_SCHEMA, description="No valid credentials were sent."),
        },
    )
    def delete(self, request: Request) -> Response:
        services.auth_token_revoke(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class BodyProfileSerializer(serializers.ModelSerializer):
    """The size finder's profile; the bounds are the model's (height 120–230 cm, weight 30–250 kg,
    girths 40–200 cm)."""

    class Meta:
        model = BodyProfile
        fields = ["height_cm", "weight_kg", "fit_preference", "chest_cm", "waist_cm", "hips_cm", "updated_at"]
        read_only_fields = ["updated_at"]


NOT_FOUND_SCHEMA = OpenApiResponse(ERROR_SCHEMA, description="The shopper has not entered measurements yet.")


class BodyProfileView(APIView):
    """The signed-in shopper's measurements for the size finder (session or token)."""

    authentication_classes = [TokenAuthentication, SessionAuthentication]
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="account_measurements_read",
        summary="Read your measurements",
        tags=["account"],
        responses={200: BodyProfileSerializer, 404: NOT_FOUND_SCHEMA},
    )
    def get(self, request: Request) -> Response:
        profile = selectors.body_profile_for(user=request.user)
        if profile is None:
            return Response(
                {"status": 404, "message": "No measurements yet: PUT height_cm, weight_kg and fit_preference."},
                status=status.HTTP_404_NOT_FOUND,
            )
        return Response(BodyProfileSerializer(profile).data)

    @extend_schema(
        operation_id="account_measurements_save",
        summary="Save your measurements",
        description="Replaces the stored measurements; chest_cm, waist_cm and hips_cm may be null (estimated).",
        tags=["account"],
        request=BodyProfileSerializer,
        responses={200: BodyProfileSerializer, 400: ERROR_SCHEMA},
    )
    def put(self, request: Request) -> Response:
        payload = BodyProfileSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        profile = services.body_profile_save(user=request.user, **payload.validated_data)
        return Response(BodyProfileSerializer(profile).data)
