"""Revetir settings: one module, configured from environment variables with embedded defaults.

The defaults run anywhere with no services (SQLite, in-memory channel layer, local media,
in-process try-on worker). Production values come from the environment; see the README's table.
"""

from __future__ import annotations

import os
from pathlib import Path

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
    "channels",
    "accounts",
    "shop",
    "tryon",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
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
SQLITE_PATH = Path(env_str("REVETIR_SQLITE_PATH", str(DATA_DIR / "db.sqlite3")))
SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": SQLITE_PATH,
        # A busy writer makes others wait instead of failing with "database is locked".
        "OPTIONS": {"timeout": 30, "transaction_mode": "IMMEDIATE"},
        # Tests run against a file, so threads share one database as in production.
        "TEST": {"NAME": str(Path(env_str("REVETIR_TEST_SQLITE_PATH", str(DATA_DIR / "test.sqlite3"))))},
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

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
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
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
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [_redis_host]}}
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- E-mail ---------------------------------------------------------------------------------
EMAIL_BACKEND = env_str("REVETIR_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("REVETIR_DEFAULT_FROM_EMAIL", "Revetir <shop@revetir.example>")
if env_str("REVETIR_EMAIL_HOST"):
    EMAIL_HOST = env_str("REVETIR_EMAIL_HOST")
    EMAIL_PORT = env_int("REVETIR_EMAIL_PORT", 587)
    EMAIL_HOST_USER = env_str("REVETIR_EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env_str("REVETIR_EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env_bool("REVETIR_EMAIL_USE_TLS", True)

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
}

# --- Shop -------------------------------------------------------------------------------------
SHOP_CURRENCY = env_str("REVETIR_CURRENCY", "EUR")
SHOP_LOW_STOCK_THRESHOLD = env_int("REVETIR_LOW_STOCK_THRESHOLD", 5)
SHOP_PAGE_SIZE = env_int("REVETIR_PAGE_SIZE", 12)
SHOP_MAX_LINE_QUANTITY = env_int("REVETIR_MAX_LINE_QUANTITY", 10)

# --- Try-on -----------------------------------------------------------------------------------
TRYON_WEIGHTS_DIR = Path(env_str("REVETIR_WEIGHTS_DIR", str(BASE_DIR / "weights")))
TRYON_DEVICE = env_str("REVETIR_TRYON_DEVICE", "auto")
TRYON_ENGINE = env_str("REVETIR_TRYON_ENGINE", "auto")  # auto | neural | classic
# Without Redis, jobs run on one background thread inside the web process; with Redis, on
# `manage.py runworker tryon` processes.
TRYON_WORKER = "channel" if REDIS_URL else "thread"
TRYON_MAX_UPLOAD_BYTES = env_int("REVETIR_TRYON_MAX_UPLOAD_MB", 10) * 1024 * 1024
TRYON_MAX_PIXELS = env_int("REVETIR_TRYON_MAX_PIXELS", 40_000_000)
TRYON_RATE_LIMIT_PER_MINUTE = env_int("REVETIR_TRYON_RATE_LIMIT_PER_MINUTE", 6)
TRYON_MAX_QUEUED_JOBS = env_int("REVETIR_TRYON_MAX_QUEUED_JOBS", 20)
TRYON_BUSY_RETRY_SECONDS = env_int("REVETIR_TRYON_BUSY_RETRY_SECONDS", 15)
TRYON_HEARTBEAT_SECONDS = env_int("REVETIR_TRYON_HEARTBEAT_SECONDS", 3)
TRYON_HEARTBEAT_LIMIT_SECONDS = env_int("REVETIR_TRYON_HEARTBEAT_LIMIT_SECONDS", 30)
TRYON_QUEUED_LIMIT_SECONDS = env_int("REVETIR_TRYON_QUEUED_LIMIT_SECONDS", 600)
TRYON_RETENTION_DAYS = env_int("REVETIR_TRYON_RETENTION_DAYS", 30)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("REVETIR_LOG_LEVEL", "INFO")},
}
