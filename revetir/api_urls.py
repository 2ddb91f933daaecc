"""All REST routes under /api/, one include per app."""

from django.urls import include, path

urlpatterns = [
    path("", include("shop.api_urls")),
    path("", include("accounts.api_urls")),
    path("", include("tryon.api_urls")),
]
