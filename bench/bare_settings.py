"""Settings of the bare Django baseline: no apps, no middleware, no database, one URL.

The trivial view served through these settings is what a Django process costs with nothing of
the project in the way; `http_bench.py` compares the project's middleware stack against it.
"""

import os

SECRET_KEY = os.environ["REVETIR_SECRET_KEY"]
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
ROOT_URLCONF = "bench.bare_urls"
INSTALLED_APPS: list[str] = []
MIDDLEWARE: list[str] = []
DATABASES: dict = {}
USE_TZ = True
