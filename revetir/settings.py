"""Revetir settings: one module, configured from environment variables with embedded defaults.

The defaults run anywhere with no services (SQLite, in-memory channel layer, local media,
in-process try-on worker). Production values come from the environment; see the README's table.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = BASE_DIR / "data"


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use 1/0, true/false, yes/no)")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer") from exc


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a number") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


DEBUG = env_bool("REVETIR_DEBUG", True)

_DEV_SECRET_KEY = "dev-only-insecure-key-never-use-in-production"  # noqa: S105 (DEBUG only)
SECRET_KEY = env_str("REVETIR_SECRET_KEY") or (_DEV_SECRET_KEY if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "REVETIR_SECRET_KEY must be set when REVETIR_DEBUG=0 (generate one with "
        "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`)."
    )

ALLOWED_HOSTS = env_list("REVETIR_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("REVETIR_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_countries",
    "channels",
    "accounts",
    "shop",
    "tryon",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "revetir.static_files.StaticFilesMiddleware",  # WhiteNoise
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "revetir.urls"
ASGI_APPLICATION = "revetir.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "shop.context_processors.storefront",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# The server keeps its request threads (revetir/http_handler.py): up to HTTP_REQUEST_THREADS per
# process, requests beyond them get a thread for that request only. Each kept thread keeps its SQLite
# connection for DB_CONN_MAX_AGE seconds between requests (checked before reuse) instead of opening
# one per request; 0 closes it after every request. (MongoDB's client is one pool per process anyway.)
HTTP_REQUEST_THREADS = env_int("REVETIR_HTTP_REQUEST_THREADS", 32)
DB_CONN_MAX_AGE = env_int("REVETIR_DB_CONN_MAX_AGE", 60)
SQLITE_PATH = Path(env_str("REVETIR_SQLITE_PATH", str(DATA_DIR / "db.sqlite3")))
SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": SQLITE_PATH,
        "CONN_MAX_AGE": DB_CONN_MAX_AGE,
        "CONN_HEALTH_CHECKS": True,
        # A busy writer makes others wait instead of failing with "database is locked".
        "OPTIONS": {"timeout": 30, "transaction_mode": "IMMEDIATE"},
        # Tests run against a file, so threads share one database as in production.
        "TEST": {"NAME": str(Path(env_str("REVETIR_TEST_SQLITE_PATH", str(DATA_DIR / "test.sqlite3"))))},
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# MongoDB (django-mongodb-backend): every model's key is an ObjectId, so each app with models
# whose key is automatic gets an app config that says so (revetir/mongo_apps.py) and its own
# migrations (mongodb/migrations/, regenerated by `make mongo-migrations`). Apps whose keys are
# ordinary fields (sessions, rest_framework.authtoken) keep their own migrations.
MONGODB_AUTO_FIELD = "django_mongodb_backend.fields.ObjectIdAutoField"
MONGODB_APP_CONFIGS = {
    "django.contrib.admin": "revetir.mongo_apps.MongoAdminConfig",
    "django.contrib.auth": "revetir.mongo_apps.MongoAuthConfig",
    "django.contrib.contenttypes": "revetir.mongo_apps.MongoContentTypesConfig",
    "accounts": "revetir.mongo_apps.MongoAccountsConfig",
    "shop": "revetir.mongo_apps.MongoShopConfig",
    "tryon": "revetir.mongo_apps.MongoTryonConfig",
}
MONGODB_MIGRATION_MODULES = {
    label: f"mongodb.migrations.{label}" for label in ("admin", "auth", "contenttypes", "accounts", "shop", "tryon")
}


def mongodb_database(uri: str, name: str = "") -> dict:
    """DATABASES entry for django-mongodb-backend: the connection string goes whole into HOST
    (as the 5.2 backend recommends); the database is `name`, else the URI's path.

    The URI is only split here, never resolved, so a `mongodb+srv://` address costs no DNS
    lookup while settings load.
    """
    parts = urlsplit(uri)
    if parts.scheme not in {"mongodb", "mongodb+srv"}:
        raise ImproperlyConfigured(
            f"REVETIR_MONGODB_URI must start with mongodb:// or mongodb+srv:// (got {parts.scheme or 'no'} scheme)."
        )
    database = name or unquote(parts.path.lstrip("/"))
    if not database:
        raise ImproperlyConfigured(
            "REVETIR_MONGODB_URI names no database: put it in the path "
            "(mongodb://host:27017/revetir?replicaSet=rs0) or set REVETIR_MONGODB_NAME."
        )
    return {"ENGINE": "django_mongodb_backend", "HOST": uri, "NAME": database}


def mongodb_installed_apps(installed_apps: list[str]) -> list[str]:
    """INSTALLED_APPS with each app that has automatic keys replaced by its ObjectId app config."""
    return [MONGODB_APP_CONFIGS.get(app, app) for app in installed_apps]


MONGODB_URI = env_str("REVETIR_MONGODB_URI")
if MONGODB_URI:
    # `make test-mongo` points this at REVETIR_TEST_MONGODB_URI; the test runner then works in
    # the database "test_<name>" on that server and drops it afterwards.
    DATABASES = {"default": mongodb_database(MONGODB_URI, env_str("REVETIR_MONGODB_NAME"))}
    DEFAULT_AUTO_FIELD = MONGODB_AUTO_FIELD
    INSTALLED_APPS = mongodb_installed_apps(INSTALLED_APPS)
    MIGRATION_MODULES = MONGODB_MIGRATION_MODULES

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:profile"
LOGOUT_REDIRECT_URL = "shop:product_list"

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("REVETIR_STATIC_ROOT", str(DATA_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise expects it even before collectstatic
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("REVETIR_MEDIA_ROOT", str(DATA_DIR / "media")))
# Shoppers' photos and try-on results: never under MEDIA_URL, served only by owner-checked views.
PRIVATE_MEDIA_ROOT = Path(env_str("REVETIR_PRIVATE_MEDIA_ROOT", str(DATA_DIR / "private")))

MEDIA_BACKEND = env_str("REVETIR_MEDIA_BACKEND", "local")
if MEDIA_BACKEND == "local":
    _public_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    _private_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": PRIVATE_MEDIA_ROOT, "base_url": None},
    }
elif MEDIA_BACKEND == "s3":
    _bucket = env_str("REVETIR_S3_BUCKET")
    if not _bucket:
        raise ImproperlyConfigured("REVETIR_MEDIA_BACKEND=s3 needs REVETIR_S3_BUCKET")
    _s3_common = {
        "bucket_name": _bucket,
        "region_name": env_str("REVETIR_S3_REGION") or None,
        "endpoint_url": env_str("REVETIR_S3_ENDPOINT_URL") or None,
        "file_overwrite": False,
    }
    _public_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {**_s3_common, "location": "public", "default_acl": None, "querystring_auth": False},
    }
    _private_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            **_s3_common,
            "location": "private",
            "default_acl": "private",
            "querystring_auth": True,
            "querystring_expire": env_int("REVETIR_S3_URL_EXPIRY_SECONDS", 300),
        },
    }
else:
    raise ImproperlyConfigured(f"REVETIR_MEDIA_BACKEND={MEDIA_BACKEND!r}: use 'local' or 's3'")

STORAGES = {
    "default": _public_storage,
    "private": _private_storage,
    # The same in every mode, so `collectstatic` always writes the manifest (revetir/static_files.py).
    "staticfiles": {"BACKEND": "revetir.static_files.ManifestStaticFilesStorage"},
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024

# --- Channels ---------------------------------------------------------------------------------
REDIS_URL = env_str("REVETIR_REDIS_URL")
if REDIS_URL:
    # redis-py 8 defaults socket_timeout to 5 s, the same as channels_redis' blocking BZPOPMIN, which
    # then fails every idle receive; allow well over the blocking time, still catching dead links.
    _redis_host = {"address": REDIS_URL, "socket_timeout": 30}
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [_redis_host],
                # All sockets of one Daphne process share one Redis queue; the library's default of
                # 100 pending messages silently drops group sends under load (bench/ws_bench.py).
                "capacity": env_int("REVETIR_CHANNEL_CAPACITY", 2000),
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- Cache (catalogue fragments): per process by default, shared through Redis at scale so a
# catalogue edit reaches every Daphne process at once.
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Sessions are read from that cache and written through to the database: a signed-in page saves the
# session query (bench/README.md, #22). The default per-process cache is coherent because the embedded
# shop is one process (its in-memory channel layer and try-on worker live in it); several processes
# need REVETIR_REDIS_URL for their channel layer, and then share this cache too, so a log-out or a
# password change in one reaches the others.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# --- E-mail ---------------------------------------------------------------------------------
EMAIL_BACKEND = env_str("REVETIR_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("REVETIR_DEFAULT_FROM_EMAIL", "Revetir <shop@revetir.example>")
if env_str("REVETIR_EMAIL_HOST"):
    EMAIL_HOST = env_str("REVETIR_EMAIL_HOST")
    EMAIL_PORT = env_int("REVETIR_EMAIL_PORT", 587)
    EMAIL_HOST_USER = env_str("REVETIR_EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env_str("REVETIR_EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env_bool("REVETIR_EMAIL_USE_TLS", True)
# Links in e-mails are absolute. A mail caused by a request links to the address that request came in
# on; this is the address for the rest (`make run` sets it to the address it serves).
SHOP_SITE_URL = env_str("REVETIR_SITE_URL", "http://127.0.0.1:8000")

# --- Security (secure by default when DEBUG is off; each switch has its own variable) -------
SECURE_SSL_REDIRECT = env_bool("REVETIR_SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("REVETIR_SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("REVETIR_CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = env_int("REVETIR_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("REVETIR_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("REVETIR_HSTS_PRELOAD", not DEBUG)
if env_bool("REVETIR_BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# --- REST API ---------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 24,
    "EXCEPTION_HANDLER": "revetir.api.json_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Revetir API",
    "DESCRIPTION": "Catalogue, cart, orders and virtual try-on.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI from this project's own static files (drf-spectacular-sidecar), so /api/docs/ works offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Shop -------------------------------------------------------------------------------------
SHOP_CURRENCY = env_str("REVETIR_CURRENCY", "EUR")
SHOP_LOW_STOCK_THRESHOLD = env_int("REVETIR_LOW_STOCK_THRESHOLD", 5)
SHOP_PAGE_SIZE = env_int("REVETIR_PAGE_SIZE", 12)
SHOP_MAX_LINE_QUANTITY = env_int("REVETIR_MAX_LINE_QUANTITY", 10)
# One checkout per cart at a time: a claim older than this is from a process that died.
SHOP_CHECKOUT_CLAIM_SECONDS = env_int("REVETIR_CHECKOUT_CLAIM_SECONDS", 60)
# How long a parallel submit of the same cart waits for the first one to finish.
SHOP_CHECKOUT_WAIT_SECONDS = env_int("REVETIR_CHECKOUT_WAIT_SECONDS", 10)
# A submit without an idempotency key that finds the cart emptied by an order this recent gets it back.
SHOP_CHECKOUT_REPEAT_SECONDS = env_int("REVETIR_CHECKOUT_REPEAT_SECONDS", 300)
# How stale the product list may be after a stock change that bypasses model signals (0: no cache).
SHOP_CATALOGUE_CACHE_SECONDS = env_int("REVETIR_CATALOGUE_CACHE_SECONDS", 10)
# How long a signed-in shopper's cart badge and saved photos are kept between pages; every write of
# them replaces them at once (revetir.shopper_cache), so this only bounds a write that was missed (0: off).
SHOPPER_CACHE_SECONDS = env_int("REVETIR_SHOPPER_CACHE_SECONDS", 300)

# --- Card payments (Stripe) -------------------------------------------------------------------
# Without both keys the shop takes pay on delivery only (`manage.py check` says so).
STRIPE_SECRET_KEY = env_str("STRIPE_SECRET_KEY")
STRIPE_PUBLISHABLE_KEY = env_str("STRIPE_PUBLISHABLE_KEY")
STRIPE_WEBHOOK_SECRET = env_str("STRIPE_WEBHOOK_SECRET")
# Another Stripe-compatible API (a test server); empty: Stripe's own.
STRIPE_API_BASE = env_str("REVETIR_STRIPE_API_BASE")
# Where the page loads Stripe.js from; a test server serves its own at <base>/js.stripe.com/v3/.
STRIPE_JS_URL = env_str(
    "REVETIR_STRIPE_JS_URL",
    f"{STRIPE_API_BASE.rstrip('/')}/js.stripe.com/v3/" if STRIPE_API_BASE else "https://js.stripe.com/v3/",
)
# `check --deploy` refuses sk_test_/pk_test_ keys with DEBUG off unless this is on (a staging site).
STRIPE_ALLOW_TEST_KEYS = env_bool("REVETIR_STRIPE_ALLOW_TEST_KEYS", False)
# How long a card order holds its stock waiting for payment before it is cancelled.
SHOP_PAYMENT_HOLD_MINUTES = env_int("REVETIR_PAYMENT_HOLD_MINUTES", 30)
SHOP_PAYMENT_PROVIDERS = ["shop.payments.PayOnDelivery"] + (
    ["shop.payments.StripeCard"] if STRIPE_SECRET_KEY and STRIPE_PUBLISHABLE_KEY else []
)

# --- Try-on -----------------------------------------------------------------------------------
TRYON_WEIGHTS_DIR = Path(env_str("REVETIR_WEIGHTS_DIR", str(BASE_DIR / "weights")))
TRYON_DEVICE = env_str("REVETIR_TRYON_DEVICE", "auto")
TRYON_ENGINE = env_str("REVETIR_TRYON_ENGINE", "auto")  # auto | fashn | neural | classic
# Without Redis, jobs run on one background thread inside the web process; with Redis, on Celery
# workers (`celery -A revetir worker -Q tryon`, see the Celery section below).
TRYON_WORKER = "celery" if REDIS_URL else "thread"
TRYON_QUEUE = env_str("REVETIR_TRYON_QUEUE", "tryon")
# FASHN VTON v1.5 jobs go to Celery workers with a GPU, on a queue of their own (`make worker-gpu`).
TRYON_GPU_QUEUE = env_str("REVETIR_TRYON_GPU_QUEUE", "tryon-gpu")
# Set on the web processes of a Celery shop whose GPU workers serve TRYON_GPU_QUEUE: "auto" then
# sends every try-on to FASHN there (web processes have no GPU to probe). The in-process worker and
# the workers themselves ask PyTorch.
TRYON_GPU_WORKERS = env_bool("REVETIR_TRYON_GPU_WORKERS", False)
# FASHN VTON v1.5 sampling: the authors' defaults (30 Euler steps, guidance 1.5, seed 42).
TRYON_FASHN_STEPS = env_int("REVETIR_FASHN_STEPS", 30)
TRYON_FASHN_GUIDANCE = env_float("REVETIR_FASHN_GUIDANCE", 1.5)
TRYON_FASHN_SEED = env_int("REVETIR_FASHN_SEED", 42)
# A FASHN picture that changed more than this share of the photo outside the garment's part of the
# body is refused (tryon/pipeline/fashn/dressed_region.py).
TRYON_FASHN_MAX_REDRAWN_OUTSIDE = env_float("REVETIR_FASHN_MAX_REDRAWN_OUTSIDE", 0.3)
if TRYON_FASHN_STEPS < 1 or TRYON_FASHN_GUIDANCE < 0 or not 0 <= TRYON_FASHN_MAX_REDRAWN_OUTSIDE <= 1:
    raise ImproperlyConfigured(
        "REVETIR_FASHN_STEPS must be at least 1, REVETIR_FASHN_GUIDANCE at least 0 and "
        "REVETIR_FASHN_MAX_REDRAWN_OUTSIDE between 0 and 1"
    )
TRYON_MAX_UPLOAD_BYTES = env_int("REVETIR_TRYON_MAX_UPLOAD_MB", 10) * 1024 * 1024
TRYON_MAX_PIXELS = env_int("REVETIR_TRYON_MAX_PIXELS", 40_000_000)
# PNG and WebP are decoded whole (4 bytes a pixel with alpha), so they get a lower limit than JPEG,
# which is decoded already reduced; see tryon/photo_check.py.
TRYON_MAX_FULL_DECODE_PIXELS = env_int("REVETIR_TRYON_MAX_FULL_DECODE_PIXELS", 12_000_000)
TRYON_MAX_ASPECT_RATIO = env_int("REVETIR_TRYON_MAX_ASPECT_RATIO", 4)
# The stored photo's longer side at most (the try-on works at 192×256 to 1024 pixels).
TRYON_PHOTO_MAX_SIDE = env_int("REVETIR_TRYON_PHOTO_MAX_SIDE", 2048)
TRYON_RATE_LIMIT_PER_MINUTE = env_int("REVETIR_TRYON_RATE_LIMIT_PER_MINUTE", 6)
TRYON_MAX_QUEUED_JOBS = env_int("REVETIR_TRYON_MAX_QUEUED_JOBS", 20)
TRYON_BUSY_RETRY_SECONDS = env_int("REVETIR_TRYON_BUSY_RETRY_SECONDS", 15)
TRYON_HEARTBEAT_SECONDS = env_int("REVETIR_TRYON_HEARTBEAT_SECONDS", 3)
TRYON_HEARTBEAT_LIMIT_SECONDS = env_int("REVETIR_TRYON_HEARTBEAT_LIMIT_SECONDS", 30)
# A running job whose heartbeat is older than the limit is queued again, up to this many tries.
TRYON_MAX_ATTEMPTS = env_int("REVETIR_TRYON_MAX_ATTEMPTS", 2)
TRYON_SWEEP_SECONDS = env_int("REVETIR_TRYON_SWEEP_SECONDS", 10)
# A job nobody claimed for this long fails with a message; an outage of minutes only delays it.
TRYON_QUEUED_LIMIT_SECONDS = env_int("REVETIR_TRYON_QUEUED_LIMIT_SECONDS", 3600)
TRYON_RETENTION_DAYS = env_int("REVETIR_TRYON_RETENTION_DAYS", 30)
# Photo and garment sides are prepared by the worker when a photo or product image is saved.
TRYON_PREPARE_IN_BACKGROUND = env_bool("REVETIR_TRYON_PREPARE_IN_BACKGROUND", True)
# At most this many try-ons of a catalogue page ("See it on me") live per shopper at once.
TRYON_PAGE_LIVE_LIMIT = env_int("REVETIR_TRYON_PAGE_LIVE_LIMIT", 12)
# Each worker process keeps the sides it read or prepared last in memory, up to this many MiB: a
# page of garments on one photo reads its photo side once, and a popular garment's side stays read.
TRYON_SIDE_CACHE_BYTES = env_int("REVETIR_TRYON_SIDE_CACHE_MB", 256) * 1024 * 1024
# The worker loads the engine when it starts, not on the first shopper's job.
TRYON_WARM_UP = env_bool("REVETIR_TRYON_WARM_UP", True)

# --- Celery (try-on workers at scale) ----------------------------------------------------------
# The broker defaults to the Redis of REVETIR_REDIS_URL; amqp://… (RabbitMQ) works as well.
CELERY_BROKER_URL = env_str("REVETIR_BROKER_URL") or REDIS_URL or "memory://"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Redis redelivers a message nobody acknowledged after this long; jobs take seconds to minutes.
# An early redelivery is harmless anyway (the claim), a late one only matters when the sweeper
# cannot run. RabbitMQ redelivers when the worker's connection drops.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("REVETIR_BROKER_VISIBILITY_TIMEOUT", 3600)}
if env_str("REVETIR_BROKER_KEY_PREFIX"):
    CELERY_BROKER_TRANSPORT_OPTIONS["global_keyprefix"] = env_str("REVETIR_BROKER_KEY_PREFIX")
CELERY_TASK_DEFAULT_QUEUE = TRYON_QUEUE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# One process per GPU: a worker machine with N GPUs runs N workers, or one with concurrency N.
CELERY_WORKER_CONCURRENCY = env_int("REVETIR_TRYON_WORKER_CONCURRENCY", 1)
# A job that loses the broker connection keeps running; its redelivered message is then dropped.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("REVETIR_LOG_LEVEL", "INFO")},
}
