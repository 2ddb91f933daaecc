"""Operators rely on production settings being secure with only three variables set."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import PROJECT_ROOT

PRODUCTION_ENV = {
    "REVETIR_DEBUG": "0",
    "REVETIR_SECRET_KEY": "x7Gq2-production-secret-for-tests-only-9f8e7d6c5b4a3928171615141312",
    "REVETIR_ALLOWED_HOSTS": "shop.example.com",
}


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean_env = {k: v for k, v in os.environ.items() if not k.startswith("REVETIR_")}
    clean_env.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT_ROOT,
        env=clean_env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def production_env_with_static_collected(tmp_path) -> dict[str, str]:
    """The production variables, with the static files collected first as the README's deploy steps say."""
    env = {**PRODUCTION_ENV, "REVETIR_STATIC_ROOT": str(tmp_path / "static")}
    collected = run_manage("collectstatic", "--noinput", env=env)
    assert collected.returncode == 0, collected.stdout + collected.stderr
    return env


def test_check_deploy_is_clean_with_production_variables(tmp_path):
    env = production_env_with_static_collected(tmp_path)
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    # The one message left is information, not a problem: without Stripe keys the shop takes pay on delivery only.
    assert "System check identified 1 issue" in result.stdout + result.stderr
    assert "(shop.I001) Card payments are off" in result.stderr


def test_production_without_secret_key_refuses_to_start():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "REVETIR_SECRET_KEY"}
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "REVETIR_SECRET_KEY must be set" in result.stderr


def test_debug_defaults_warn_under_check_deploy():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env={})
    assert result.returncode != 0
    assert "security.W018" in result.stderr  # DEBUG on must never pass a deploy check


def test_check_deploy_is_clean_with_live_stripe_keys_and_refuses_test_keys(tmp_path):
    production = production_env_with_static_collected(tmp_path)
    live = {"STRIPE_SECRET_KEY": "sk_live_x", "STRIPE_PUBLISHABLE_KEY": "pk_live_x", "STRIPE_WEBHOOK_SECRET": "whsec_x"}
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env={**production, **live})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout

    test_keys = {**live, "STRIPE_SECRET_KEY": "sk_test_x", "STRIPE_PUBLISHABLE_KEY": "pk_test_x"}
    refused = run_manage("check", "--deploy", env={**production, **test_keys})
    assert refused.returncode != 0
    assert "shop.E001" in refused.stderr
    allowed = run_manage(
        "check", "--deploy", env={**production, **test_keys, "REVETIR_STRIPE_ALLOW_TEST_KEYS": "1"}
    )
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr


def test_fashn_sampling_settings_out_of_range_refuse_to_start():
    result = run_manage("check", env={"REVETIR_FASHN_STEPS": "0"})
    assert result.returncode != 0
    assert "REVETIR_FASHN_STEPS must be at least 1" in result.stderr
    result = run_manage("check", env={"REVETIR_FASHN_GUIDANCE": "one and a half"})
    assert result.returncode != 0 and "is not a number" in result.stderr
