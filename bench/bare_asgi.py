"""ASGI application of the bare Django baseline (`bench.bare_settings`): Django's own handler."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.bare_settings")
application = get_asgi_application()
