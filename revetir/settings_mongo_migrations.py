"""Settings for writing and checking the MongoDB migrations without a MongoDB server.

`makemigrations` compares models with migration files and only consults a database for its
history check, which Django skips for the dummy engine. So this variant is the MongoDB
configuration (ObjectId keys, the Mongo app configs, `mongodb/migrations/`) on the dummy engine:

    DJANGO_SETTINGS_MODULE=revetir.settings_mongo_migrations python manage.py makemigrations

(`make mongo-migrations`). It cannot serve requests or run tests: every query fails.
"""

from revetir.settings import *  # noqa: F403
from revetir.settings import (
    INSTALLED_APPS,
    MONGODB_AUTO_FIELD,
    MONGODB_MIGRATION_MODULES,
    mongodb_installed_apps,
)

DATABASES = {"default": {"ENGINE": "django.db.backends.dummy"}}
DEFAULT_AUTO_FIELD = MONGODB_AUTO_FIELD
INSTALLED_APPS = mongodb_installed_apps(INSTALLED_APPS)
MIGRATION_MODULES = MONGODB_MIGRATION_MODULES
