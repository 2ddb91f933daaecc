"""ASGI entry point: HTTP goes to Django (its middleware run as one synchronous chain per request,
`revetir.http_handler`, on kept threads that keep their database connections), websockets to Channels consumers.

Websockets pass the allowed-hosts origin check and the session/auth middleware before routing,
so every consumer sees `scope["user"]` and cross-site pages cannot open a socket. Try-on jobs do
not pass through here: they run on the in-process worker or on Celery workers (`tryon.jobs.dispatch`);
the in-process worker starts (and loads the engine) on the server's first connection.
"""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "revetir.settings")
django.setup(set_prefix=False)

from django.conf import settings  # noqa: E402

from revetir.http_handler import SyncChainASGIHandler  # noqa: E402  (needs Django set up first)

django_asgi_app = SyncChainASGIHandler(kept_threads=settings.HTTP_REQUEST_THREADS)

from channels.auth import AuthMiddlewareStack  # noqa: E402  (needs Django set up first)
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from tryon.routing import websocket_urlpatterns  # noqa: E402
from tryon.startup import StartWorkerOnFirstConnection  # noqa: E402

application = StartWorkerOnFirstConnection(
    ProtocolTypeRouter(
        {
            "http": django_asgi_app,
            "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
        }
    )
)
