"""ASGI entry point: HTTP goes to Django, websockets to Channels consumers.

Websockets pass the allowed-hosts origin check and the session/auth middleware before routing,
so every consumer sees `scope["user"]` and cross-site pages cannot open a socket. The `tryon`
channel is served by `manage.py runworker tryon` processes when Redis is configured; otherwise the
in-process try-on worker starts (and loads the engine) on the first connection.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "revetir.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402  (needs Django set up first)
from channels.routing import ChannelNameRouter, ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from tryon.consumers import TryOnWorkerConsumer  # noqa: E402
from tryon.routing import websocket_urlpatterns  # noqa: E402
from tryon.worker import StartWorkerOnFirstConnection  # noqa: E402

application = StartWorkerOnFirstConnection(
    ProtocolTypeRouter(
        {
            "http": django_asgi_app,
            "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
            "channel": ChannelNameRouter({"tryon": TryOnWorkerConsumer.as_asgi()}),
        }
    )
)
