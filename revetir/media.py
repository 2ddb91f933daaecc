"""Public media (product images) served by the application itself when media are local files.

This keeps the embedded default (one Daphne, `REVETIR_MEDIA_BACKEND=local`) complete with debug off.
Only `MEDIA_ROOT` is reachable: paths are joined safely (no `..`), directories are never listed,
and conditional requests (`If-Modified-Since`) are answered 304. Shoppers' photos and results live
in private storage outside `MEDIA_ROOT` and are served only by owner-checked views. At scale a
proxy serves `/media/` from the same folder, or the S3 backend serves it from the bucket.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_safe
from django.views.static import serve

# Product images are replaced under new file names, so a day in shared caches is safe.
PUBLIC_MEDIA_CACHE_CONTROL = "public, max-age=86400"


@require_safe
def serve_public_media(request: HttpRequest, path: str) -> HttpResponse:
    """One file from MEDIA_ROOT (GET or HEAD); 404 for directories and anything outside it."""
    try:
        response = serve(request, path, document_root=settings.MEDIA_ROOT, show_indexes=False)
    except SuspiciousFileOperation as outside:
        raise Http404("No such file.") from outside
    response["Cache-Control"] = PUBLIC_MEDIA_CACHE_CONTROL
    return response
