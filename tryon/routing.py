"""Websocket routes of the try-on app, composed into revetir.asgi."""

from django.urls import path

from tryon.consumers import TryOnProgressConsumer

websocket_urlpatterns = [
    path("ws/tryon/", TryOnProgressConsumer.as_asgi()),
]
