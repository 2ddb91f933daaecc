"""App configs used when the data lives in MongoDB (settings switch to them with REVETIR_MONGODB_URI).

MongoDB keys documents by ObjectId, and django-mongodb-backend refuses integer automatic keys, so
every app whose models get an automatic key is installed through one of these configs instead.
`DEFAULT_AUTO_FIELD` alone is not enough: the project's apps and Django's contrib apps name their
own `default_auto_field`, which wins over the setting. The subclasses keep each app's label and
`ready()`, so signals and checks are the same on both backends.
"""

from __future__ import annotations

from django.contrib.admin.apps import AdminConfig
from django.contrib.auth.apps import AuthConfig
from django.contrib.contenttypes.apps import ContentTypesConfig

from accounts.apps import AccountsConfig
from shop.apps import ShopConfig
from tryon.apps import TryonConfig

OBJECT_ID_AUTO_FIELD = "django_mongodb_backend.fields.ObjectIdAutoField"


class MongoAdminConfig(AdminConfig):
    default_auto_field = OBJECT_ID_AUTO_FIELD


class MongoAuthConfig(AuthConfig):
    default_auto_field = OBJECT_ID_AUTO_FIELD


class MongoContentTypesConfig(ContentTypesConfig):
    default_auto_field = OBJECT_ID_AUTO_FIELD


class MongoAccountsConfig(AccountsConfig):
    default_auto_field = OBJECT_ID_AUTO_FIELD


class MongoShopConfig(ShopConfig):
    default_auto_field = OBJECT_ID_AUTO_FIELD


class MongoTryonConfig(TryonConfig):
    default_auto_field = OBJECT_ID_AUTO_FIELD
