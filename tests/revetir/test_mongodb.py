"""MongoDB through django-mongodb-backend: settings switch, migrations in step, and a data layer the
backend can run (no transactions to lean on, no raw SQL, queries it can translate).

No MongoDB server can run here, so these tests run everything that does not need one: the settings,
`makemigrations --check` for both migration trees, the backend's system checks, and the real
selectors and state changes compiled to MQL against recording collections
(tests/revetir/mongodb_offline_probe.py). `make test-mongo` runs the whole suite on a real server.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from revetir import settings as project_settings
from shop.models import Category, Order, Product, Variant
from tryon.models import TryOnJob

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PROBE = Path(__file__).with_name("mongodb_offline_probe.py")
DATA_LAYER_PACKAGES = ("accounts", "shop", "tryon", "revetir")
# Port 1 refuses connections: anything that tried to reach a server would fail loudly.
UNREACHABLE_MONGODB_URI = "mongodb://127.0.0.1:1/revetir"
OBJECT_ID_AUTO_FIELD = "django_mongodb_backend.fields.ObjectIdAutoField"


def run_project(args: list[str], *, env: dict[str, str], timeout: int = 120) -> subprocess.CompletedProcess:
    """Run a Python process in the project root with a clean copy of the environment plus `env`."""
    base = {key: value for key, value in os.environ.items() if not key.startswith("REVETIR_MONGODB")}
    base.pop("DJANGO_SETTINGS_MODULE", None)
    base["PYTHONPATH"] = str(PROJECT_ROOT)
    return subprocess.run(
        [sys.executable, *args], cwd=PROJECT_ROOT, env={**base, **env}, capture_output=True, text=True, timeout=timeout
    )


# --- Settings -----------------------------------------------------------------------------------


def test_mongodb_uri_goes_whole_into_host_and_names_the_database_from_its_path():
    uri = "mongodb://shop:s3cret@db1:27017,db2:27017/revetir?replicaSet=rs0&authSource=admin"

    database = project_settings.mongodb_database(uri)

    assert database == {"ENGINE": "django_mongodb_backend", "HOST": uri, "NAME": "revetir"}


def test_mongodb_name_setting_wins_over_the_uri_path():
    database = project_settings.mongodb_database("mongodb+srv://cluster0.example.net/admin", "revetir_prod")

    assert database["NAME"] == "revetir_prod"
    assert database["HOST"] == "mongodb+srv://cluster0.example.net/admin"


def test_mongodb_uri_without_a_database_is_refused_with_how_to_name_one():
    with pytest.raises(ImproperlyConfigured, match="REVETIR_MONGODB_NAME"):
        project_settings.mongodb_database("mongodb+srv://cluster0.example.net/?retryWrites=true")


def test_uri_of_another_database_is_refused_without_echoing_its_password():
    with pytest.raises(ImproperlyConfigured, match="mongodb://") as refusal:
        project_settings.mongodb_database("postgres://shop:s3cret@db:5432/revetir")

    assert "s3cret" not in str(refusal.value)


def test_mongodb_apps_keep_their_order_and_only_apps_with_automatic_keys_change():
    # The plain list, also when this suite itself runs on MongoDB (`make test-mongo`).
    plain_for_mongo = {mongo: plain for plain, mongo in project_settings.MONGODB_APP_CONFIGS.items()}
    installed = [plain_for_mongo.get(app, app) for app in project_settings.INSTALLED_APPS]

    mongo_installed = project_settings.mongodb_installed_apps(installed)

    assert len(mongo_installed) == len(installed)
    changed = {plain: mongo for plain, mongo in zip(installed, mongo_installed, strict=True) if plain != mongo}
    assert set(changed) == {
        "django.contrib.admin",
        "django.contrib.auth",
        "django.contrib.contenttypes",
        "accounts",
        "shop",
        "tryon",
    }
    # Their keys are ordinary fields (session_key, key), so their own migrations serve MongoDB too.
    assert "django.contrib.sessions" in mongo_installed
    assert "rest_framework.authtoken" in mongo_installed


@pytest.mark.parametrize("app", sorted(project_settings.MONGODB_APP_CONFIGS))
def test_mongodb_app_config_is_the_same_app_with_objectid_keys(app):
    from django.apps import apps

    plain_config = next(config for config in apps.get_app_configs() if config.name == app)
    mongo_config = import_string(project_settings.MONGODB_APP_CONFIGS[app])

    assert issubclass(mongo_config, type(plain_config))
    assert mongo_config.default_auto_field == OBJECT_ID_AUTO_FIELD
    assert plain_config.label in project_settings.MONGODB_MIGRATION_MODULES


# --- The project started on the MongoDB backend, offline --------------------------------------


@pytest.fixture(scope="module")
def offline_mongodb_report() -> dict:
    result = run_project(
        [str(PROBE)],
        env={
            "REVETIR_MONGODB_URI": UNREACHABLE_MONGODB_URI,
            "DJANGO_SETTINGS_MODULE": "revetir.settings",
            # The recorders match no documents, so the cart claim always looks taken: do not wait.
            "REVETIR_CHECKOUT_WAIT_SECONDS": "0",
        },
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)


def test_mongodb_uri_switches_the_project_to_the_backend_with_objectid_keys(offline_mongodb_report):
    assert offline_mongodb_report["engine"] == "mongodb"
    assert offline_mongodb_report["database"] == "revetir"
    assert offline_mongodb_report["non_objectid_keys"] == []


def test_mongodb_system_checks_for_the_database_find_no_errors_and_need_no_server(offline_mongodb_report):
    """`manage.py check --database default`: the backend's field and index checks work from the
    models alone (no client is even opened), so they run in CI without a server. Its warnings
    (models.W027: check constraints are not created on MongoDB) are expected: stock, quantities
    and progress are kept in range by the code's conditional updates and validation."""
    assert offline_mongodb_report["checks"]["errors"] == []
    assert offline_mongodb_report["checks"]["opened_a_client"] is False
    assert offline_mongodb_report["server_contacted"] == []


def test_migrations_apply_on_mongodb_creating_every_collection(offline_mongodb_report):
    from django.apps import apps

    tables = {
        model._meta.db_table
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    }

    assert tables <= set(offline_mongodb_report["migrate"]["collections"])


@pytest.mark.parametrize(
    ("collection", "keys", "unique"),
    [
        ("shop_variant", ["sku"], True),
        ("shop_product", ["slug"], True),
        ("shop_category", ["slug"], True),
        ("shop_order", ["number"], True),
        ("accounts_user", ["email"], True),
        ("shop_cart", ["user_id"], True),
        ("shop_cart", ["session_key"], True),
        ("shop_productimage", ["product_id"], True),
        ("shop_variant", ["product_id", "size"], True),
        ("tryon_tryonjob", ["status"], False),
        ("tryon_tryonjob", ["owner_id", "status"], False),
        ("shop_order", ["user_id", "created_at"], False),
        ("shop_voucher", ["code"], True),
        ("shop_voucheruse", ["voucher_id", "user_id", "slot"], True),
    ],
)
def test_mongodb_migrations_create_the_indexes_lookups_and_uniqueness_rely_on(
    offline_mongodb_report, collection, keys, unique
):
    created = offline_mongodb_report["migrate"]["indexes"].get(collection, [])

    assert {"keys": keys, "unique": unique} in [{"keys": i["keys"], "unique": i["unique"]} for i in created]


def test_hot_reads_and_stock_and_job_updates_compile_to_mql(offline_mongodb_report):
    hot_paths = offline_mongodb_report["hot_paths"]

    failures = {
        name: outcome["error"] + "\n" + outcome["trace"] for name, outcome in hot_paths.items() if "error" in outcome
    }
    assert failures == {}
    assert all(outcome["commands"] >= 1 for outcome in hot_paths.values())
    covered = " ".join(hot_paths)
    for area in (
        "catalogue",
        "product page",
        "cart",
        "checkout",
        "stock reserve",
        "orders list",
        "try-on",
        "job",
        "voucher claim",
        "address book",
        "size finder",
        "staff report",
        "staff product list",
    ):
        assert area in covered


def test_object_ids_reach_urls_forms_api_websocket_and_session(offline_mongodb_report):
    """Shop, accounts and try-on: every route, form, serializer, websocket message and session entry
    the probe tries with an ObjectId takes it (revetir/object_keys.py)."""
    assert offline_mongodb_report["object_key_gaps"] == {}


# --- Migrations ---------------------------------------------------------------------------------


def test_sqlite_migrations_match_the_models(tmp_path):
    result = run_project(
        ["manage.py", "makemigrations", "--check", "--dry-run"],
        env={"DJANGO_SETTINGS_MODULE": "revetir.settings", "REVETIR_SQLITE_PATH": str(tmp_path / "db.sqlite3")},
    )

    assert result.returncode == 0, f"SQLite migrations are behind the models:\n{result.stdout}{result.stderr}"


def test_mongodb_migrations_match_the_models():
    result = run_project(
        ["manage.py", "makemigrations", "--check", "--dry-run"],
        env={"DJANGO_SETTINGS_MODULE": "revetir.settings_mongo_migrations"},
    )

    assert result.returncode == 0, (
        f"mongodb/migrations is behind the models; run `make mongo-migrations`:\n{result.stdout}{result.stderr}"
    )


def test_mongodb_migrations_give_every_app_with_automatic_keys_objectid_keys():
    for label in project_settings.MONGODB_MIGRATION_MODULES:
        initial = PROJECT_ROOT / "mongodb" / "migrations" / label / "0001_initial.py"
        source = initial.read_text()
        assert "ObjectIdAutoField" in source, label
        assert "BigAutoField" not in source and "models.AutoField" not in source, label


# --- What the backend lacks: the data layer must not need it --------------------------------


def project_sources() -> list[Path]:
    return [
        path
        for package in DATA_LAYER_PACKAGES
        for path in sorted((PROJECT_ROOT / package).rglob("*.py"))
        if "migrations" not in path.parts
    ]


UNSUPPORTED_ON_MONGODB = re.compile(r"select_for_update|\.raw\(|\.extra\(|connection\.cursor|\bRawSQL\b|\.execute\(")


def test_data_layer_has_no_raw_sql_or_row_locks():
    offending = [
        f"{path.relative_to(PROJECT_ROOT)}:{number}: {line.strip()}"
        for path in project_sources()
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if UNSUPPORTED_ON_MONGODB.search(line)
    ]

    assert offending == []


def is_atomic(node: ast.expr) -> bool:
    target = node.func if isinstance(node, ast.Call) else node
    return (isinstance(target, ast.Attribute) and target.attr == "atomic") or (
        isinstance(target, ast.Name) and target.id == "atomic"
    )


def test_atomic_blocks_only_guard_one_write_and_nothing_relies_on_their_rollback():
    """On MongoDB `atomic()` is a no-op: a block may only wrap a single write (so a unique-key
    clash can be caught), never several writes that it would be expected to undo together."""
    offending = []
    for path in project_sources():
        for node in ast.walk(ast.parse(path.read_text())):
            location = f"{path.relative_to(PROJECT_ROOT)}:{getattr(node, 'lineno', '?')}"
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                offending += [f"{location}: @atomic on {node.name}" for item in node.decorator_list if is_atomic(item)]
            is_atomic_block = isinstance(node, ast.With | ast.AsyncWith) and any(
                is_atomic(item.context_expr) for item in node.items
            )
            if is_atomic_block and len(node.body) != 1:
                offending.append(f"{location}: atomic() around {len(node.body)} statements")

    assert offending == []


def test_lookups_the_shop_relies_on_are_unique_or_indexed_on_both_backends():
    """Declared on the models, so SQLite's and MongoDB's migrations both create them."""
    assert Variant._meta.get_field("sku").unique
    assert Product._meta.get_field("slug").unique
    assert Category._meta.get_field("slug").unique
    assert Order._meta.get_field("number").unique
    job_indexes = [tuple(index.fields) for index in TryOnJob._meta.indexes]
    assert ("status",) in job_indexes
    assert ("owner", "status") in job_indexes


# --- make test-mongo ----------------------------------------------------------------------------


def test_make_test_mongo_without_a_server_uri_stops_and_says_what_to_set():
    env = {key: value for key, value in os.environ.items() if not key.startswith("REVETIR_")}

    result = subprocess.run(
        ["make", "-s", "test-mongo"], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=30
    )

    assert result.returncode != 0
    assert "REVETIR_TEST_MONGODB_URI" in result.stderr
    assert "replica set" in result.stderr
