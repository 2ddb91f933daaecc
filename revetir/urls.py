from django.conf import settings
from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path, re_path, register_converter
from django.utils.functional import lazy
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from revetir.api import api_route_not_found
from revetir.media import serve_public_media
from revetir.object_keys import ObjectKeyConverter

# `<key:...>` for object ids in every app's routes: integers on SQLite, ObjectIds on MongoDB.
# Registered before the includes below import the apps' URL modules.
register_converter(ObjectKeyConverter, "key")

admin.site.site_header = "Revetir administration"
admin.site.site_title = "Revetir administration"
admin.site.index_title = "Shop administration"

urlpatterns = [
    path("", include("shop.urls")),
    path("accounts/", include("accounts.urls")),
    path("tryon/", include("tryon.urls")),
    # Browsers ask for /favicon.ico whatever the page links; send them to the SVG icon base.html links.
    path("favicon.ico", RedirectView.as_view(url=lazy(static, str)("favicon.svg"), permanent=True)),
    path("admin/", admin.site.urls),
    path("api/", include("revetir.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    # Last under /api/: an unmatched API path is a JSON 404, never the site's HTML page. Only paths
    # ending in a slash, so a missing slash is still redirected (APPEND_SLASH) to its route.
    re_path(r"^api/(?:.*/)?$", api_route_not_found),
]

if settings.MEDIA_BACKEND == "local":
    # Public product images only; shoppers' photos live in private storage behind owner checks.
    urlpatterns.append(re_path(rf"^{settings.MEDIA_URL.lstrip('/')}(?P<path>.+)$", serve_public_media))

handler404 = "revetir.api.page_not_found"
handler500 = "revetir.api.server_error"
