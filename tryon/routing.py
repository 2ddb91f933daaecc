"""Websocket routes of the try-on app, composed into revetir.asgi."""

websocket_urlpatterns: list = []
