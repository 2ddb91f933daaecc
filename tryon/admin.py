"""Staff view of try-on jobs and photos: read-only, for support and capacity questions.
Shoppers' pictures are not shown here; staff see only sizes, states and timings. The job list
opens with the queue overview (jobs per state, oldest queued job, broker messages)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest, HttpResponse

from tryon.models import PersonPhoto, TryOnJob
from tryon.queue_status import queue_overview


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(TryOnJob)
class TryOnJobAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "owner",
        "product",
        "status",
        "stage",
        "progress",
        "attempts",
        "engine",
        "created_at",
        "finished_at",
    ]
    list_filter = ["status", "engine"]
    search_fields = ["owner__email", "product__name"]
    list_select_related = ["owner", "product"]
    date_hierarchy = "created_at"
    exclude = ["result_name", "result_small_name"]

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        return super().changelist_view(request, {**(extra_context or {}), "queue_overview": queue_overview()})


@admin.register(PersonPhoto)
class PersonPhotoAdmin(ReadOnlyAdmin):
    list_display = ["id", "owner", "width", "height", "created_at"]
    search_fields = ["owner__email"]
    list_select_related = ["owner"]
    # The body analysis holds the shopper's keypoints; staff see only what the photo can be used for.
    # The content hash only spots the same photo uploaded twice; it tells staff nothing.
    exclude = ["file_name", "body_analysis", "content_hash"]
    readonly_fields = ["usable_for"]

    @admin.display(description="Can be used for")
    def usable_for(self, photo: PersonPhoto) -> str:
        return "; ".join(
            f"{verdict.garment_label}: {'yes' if verdict.usable else 'no (' + verdict.message + ')'}"
            for verdict in photo.garment_verdicts()
        )
