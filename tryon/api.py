"""REST API for try-on: photos and jobs of the signed-in shopper (404 for anyone else's).

Job JSON is the same object the websocket sends (see `tryon.jobs.messages.job_payload`) plus `id`.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from revetir.api import ApiError, field_errors_message, join_messages
from revetir.object_keys import ObjectKeySerializerField, key_text
from shop.models import GarmentType
from tryon import selectors, services, wording
from tryon.jobs import submit
from tryon.jobs.messages import job_payload
from tryon.models import JobStatus, PersonPhoto, TryOnJob
from tryon.views import reverse_photo_url

ERROR_SCHEMA = inline_serializer(
    name="TryOnError", fields={"status": serializers.IntegerField(), "message": serializers.CharField()}
)


class JobSerializer(serializers.Serializer):
    """The job JSON of `_job_json`; ids are numbers on SQLite and hex strings on MongoDB."""

    id = ObjectKeySerializerField()
    type = serializers.CharField()
    status = serializers.ChoiceField(choices=JobStatus.choices)
    stage = serializers.CharField(allow_blank=True)
    progress = serializers.FloatField()
    attempts = serializers.IntegerField(
        help_text="Workers that took the job: a job whose worker died comes back queued with 1 before its "
        "second try, so order messages by attempts first, then status."
    )
    engine = serializers.CharField(allow_blank=True)
    product = ObjectKeySerializerField()
    photo_url = serializers.CharField()
    result_url = serializers.CharField(allow_null=True)
    result_small_url = serializers.CharField(allow_null=True)
    error = serializers.CharField(allow_blank=True)


class GarmentVerdictSerializer(serializers.Serializer):
    usable = serializers.BooleanField()
    message = serializers.CharField(allow_blank=True, help_text="What photo to take instead, when not usable.")


class PhotoSerializer(serializers.ModelSerializer):
    id = ObjectKeySerializerField(read_only=True)
    url = serializers.SerializerMethodField()
    usable_for = serializers.SerializerMethodField(help_text="Per garment type: can this photo try it, and why not.")

    class Meta:
        model = PersonPhoto
        fields = ["id", "width", "height", "created_at", "url", "usable_for"]

    def get_url(self, photo: PersonPhoto) -> str:
        return reverse_photo_url(photo)

    @extend_schema_field(
        inline_serializer(
            name="PhotoUsableFor",
            fields={garment_type: GarmentVerdictSerializer() for garment_type in GarmentType.values},
        )
    )
    def get_usable_for(self, photo: PersonPhoto) -> dict:
        verdicts = {garment_type: photo.verdict_for(garment_type) for garment_type in GarmentType.values}
        return {garment_type: {"usable": v.usable, "message": v.message} for garment_type, v in verdicts.items()}


class JobCreateSerializer(serializers.Serializer):
    product = ObjectKeySerializerField(help_text="Id of the product to try on.")
    photo = serializers.FileField(required=False, help_text="A new photo (JPEG, PNG or WebP, up to 10 MB).")
    photo_id = ObjectKeySerializerField(required=False, help_text="Id of one of your saved photos.")

    def validate(self, attrs: dict) -> dict:
        if ("photo" in attrs) == ("photo_id" in attrs):
            raise serializers.ValidationError("Send either a photo file or the photo_id of a saved photo.")
        return attrs


class PageCreateSerializer(serializers.Serializer):
    photo_id = ObjectKeySerializerField(help_text="Id of one of your saved photos.")
    products = serializers.ListField(
        child=ObjectKeySerializerField(),
        min_length=1,
        max_length=settings.TRYON_PAGE_LIVE_LIMIT,
        help_text="Ids of the products to see on the photo, in the order of the page.",
    )


class PhotoCreateSerializer(serializers.Serializer):
    photo = serializers.FileField(help_text="JPEG, PNG or WebP, up to 10 MB.")


def _job_json(job: TryOnJob) -> dict:
    return {"id": key_text(job.pk), **job_payload(job)}


def _validated(serializer: serializers.Serializer) -> dict:
    """The serializer's data, or a 400 whose message names each bad field (clients show it as it is)."""
    if not serializer.is_valid():
        raise ApiError(400, field_errors_message(serializer.errors), errors=serializer.errors)
    return serializer.validated_data


def _busy(error: submit.TryOnBusyError) -> ApiError:
    return ApiError(429, str(error), retry_after=error.retry_after)


class JobListCreateView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses={200: JobSerializer(many=True)},
        summary="Your try-ons, newest first (50 at most; See it on me's page jobs are left out)",
    )
    def get(self, request: Request) -> Response:
        jobs = selectors.jobs_for_user(user=request.user)[:50]
        return Response([_job_json(job) for job in jobs])

    @extend_schema(
        request={"multipart/form-data": JobCreateSerializer},
        responses={
            202: JobSerializer,
            400: OpenApiResponse(ERROR_SCHEMA, description="Bad photo or product"),
            404: OpenApiResponse(ERROR_SCHEMA, description="No such product or photo of yours"),
            409: OpenApiResponse(ERROR_SCHEMA, description="Garment not offered until its picture is replaced"),
            429: OpenApiResponse(ERROR_SCHEMA, description="Too many try-ons; see Retry-After"),
            503: OpenApiResponse(ERROR_SCHEMA, description="Photos cannot be checked now (body model missing)"),
        },
        summary="Start a try-on (upload a photo or name a saved one)",
    )
    def post(self, request: Request) -> Response:
        serializer = JobCreateSerializer(data=request.data)
        data = _validated(serializer)
        try:
            job = submit.start_tryon(
                user=request.user,
                product=selectors.tryon_product(product_id=data["product"]),
                photo_id=data.get("photo_id"),
                upload=data.get("photo"),
            )
        except submit.NoTryOnProductError as error:
            raise ApiError(404, str(error)) from error
        except ValidationError as error:
            raise ApiError(400, join_messages(error.messages)) from error
        except submit.GarmentNotOfferedError as error:
            raise ApiError(409, str(error)) from error
        except services.PhotoCheckUnavailableError as error:
            raise ApiError(503, str(error)) from error
        except submit.TryOnBusyError as error:
            raise _busy(error) from error
        return Response(_job_json(job), status=status.HTTP_202_ACCEPTED)


class PageCreateView(APIView):
    """ "See it on me": every garment of a page on one saved photo."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=PageCreateSerializer,
        responses={
            202: inline_serializer(
                name="TryOnPage",
                fields={
                    "jobs": JobSerializer(many=True),
                    "left_out": inline_serializer(
                        name="TryOnPageLeftOut",
                        fields={
                            "product": ObjectKeySerializerField(),
                            "reason": serializers.ChoiceField(choices=submit.LEFT_OUT_REASONS),
                        },
                        many=True,
                    ),
                    "left_out_summary": serializers.CharField(
                        allow_blank=True, help_text="Why those garments keep their product picture, for the shopper."
                    ),
                },
            ),
            400: OpenApiResponse(ERROR_SCHEMA, description="Bad list of products"),
            404: OpenApiResponse(ERROR_SCHEMA, description="No photo of yours with that id, or no product to try on"),
            409: OpenApiResponse(ERROR_SCHEMA, description="None of the garments is offered for try-on now"),
            429: OpenApiResponse(ERROR_SCHEMA, description="Too many try-ons; see Retry-After"),
        },
        summary="Try a page of products on a saved photo",
        description=(
            "One job per product that can be tried on, in the order given; the others are listed in "
            "left_out with the reason (the photo cannot try that garment type, or the garment is not "
            "offered for try-on), and left_out_summary says why in the shopper's words. Pairs "
            "already tried come back done at once; the rest are queued behind single try-ons and "
            "reported over the websocket like any job."
        ),
    )
    def post(self, request: Request) -> Response:
        serializer = PageCreateSerializer(data=request.data)
        data = _validated(serializer)
        photo = selectors.photo_for_user(user=request.user, photo_id=data["photo_id"])
        images = selectors.garment_images_for_products(product_ids=data["products"])
        if not images:
            raise ApiError(404, "None of those products can be tried on.")
        try:
            page = submit.submit_page(user=request.user, photo=photo, product_images=images)
        except ValidationError as error:
            raise ApiError(400, join_messages(error.messages)) from error
        except submit.GarmentNotOfferedError as error:
            raise ApiError(409, str(error)) from error
        except submit.TryOnBusyError as error:
            raise _busy(error) from error
        left_out = [
            {"product": key_text(garment.product_image.product_id), "reason": garment.reason}
            for garment in page.left_out
        ]
        summary = wording.left_out_summary(
            [(garment.reason, garment.product_image.product.garment_type) for garment in page.left_out]
        )
        return Response(
            {"jobs": [_job_json(job) for job in page.jobs], "left_out": left_out, "left_out_summary": summary},
            status=status.HTTP_202_ACCEPTED,
        )


class JobDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: JobSerializer, 404: ERROR_SCHEMA}, summary="One of your try-on jobs")
    def get(self, request: Request, pk: str) -> Response:
        return Response(_job_json(selectors.job_for_user(user=request.user, job_id=pk)))

    @extend_schema(responses={204: None, 404: ERROR_SCHEMA}, summary="Delete a try-on job and its pictures")
    def delete(self, request: Request, pk: str) -> Response:
        services.delete_job(job=selectors.job_for_user(user=request.user, job_id=pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class PhotoListCreateView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: PhotoSerializer(many=True)}, summary="Your saved photos, newest first")
    def get(self, request: Request) -> Response:
        return Response(PhotoSerializer(selectors.photos_for_user(user=request.user)[:100], many=True).data)

    @extend_schema(
        request={"multipart/form-data": PhotoCreateSerializer},
        responses={201: PhotoSerializer, 200: PhotoSerializer, 400: ERROR_SCHEMA, 503: ERROR_SCHEMA},
        summary="Upload a photo (cleaned: rotated upright, metadata removed)",
        description="201 with the new photo; 200 with the saved one when you had already uploaded the same photo.",
    )
    def post(self, request: Request) -> Response:
        serializer = PhotoCreateSerializer(data=request.data)
        _validated(serializer)
        try:
            photo = services.save_person_photo(user=request.user, upload=serializer.validated_data["photo"])
        except ValidationError as error:
            raise ApiError(400, join_messages(error.messages)) from error
        except services.PhotoCheckUnavailableError as error:
            raise ApiError(503, str(error)) from error
        answer = status.HTTP_200_OK if photo.already_saved else status.HTTP_201_CREATED
        return Response(PhotoSerializer(photo).data, status=answer)


class PhotoDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: PhotoSerializer, 404: ERROR_SCHEMA}, summary="One of your photos")
    def get(self, request: Request, pk: str) -> Response:
        return Response(PhotoSerializer(selectors.photo_for_user(user=request.user, photo_id=pk)).data)

    @extend_schema(responses={204: None, 404: ERROR_SCHEMA}, summary="Delete a photo, its try-ons and pictures")
    def delete(self, request: Request, pk: str) -> Response:
        services.delete_person_photo(photo=selectors.photo_for_user(user=request.user, photo_id=pk))
        return Response(status=status.HTTP_204_NO_CONTENT)
