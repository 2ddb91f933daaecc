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


def test_check_deploy_is_clean_with_production_variables():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_without_secret_key_refuses_to_start():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "REVETIR_SECRET_KEY"}
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "REVETIR_SECRET_KEY must be set" in result.stderr


def test_debug_defaults_warn_under_check_deploy():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env={})
    assert result.returncode != 0
    assert "security.W018" in result.stderr  # DEBUG on must never pass a deploy check


def test_fashn_sampling_settings_out_of_range_refuse_to_start():
    result = run_manage("check", env={"REVETIR_FASHN_STEPS": "0"})
    assert result.returncode != 0
    assert "REVETIR_FASHN_STEPS must be at least 1" in result.stderr
    result = run_manage("check", env={"REVETIR_FASHN_GUIDANCE": "one and a half"})
    assert result.returncode != 0 and "is not a number" in result.stderr
