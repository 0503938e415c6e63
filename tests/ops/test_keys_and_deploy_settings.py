"""The signing key and the production security settings, read as a fresh process would."""

import os
import secrets
import subprocess
import sys

import pytest

from benchmarks.processes import ROOT

PUBLIC_DEV_KEY = "dev-insecure-key-not-for-production"


def settings_process(*args: str, var_dir, **env) -> subprocess.CompletedProcess:
    """``python ARGS`` in a new process with only ``env`` configured (no .env file)."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("APP_", "SECRET", "SECURE", "DEBUG", "REDIS", "ALLOWED", "SITE"))
    }
    environment |= {"VAR_DIR": str(var_dir), "DJANGO_SETTINGS_MODULE": "digest.settings"} | env
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def production_env(**overrides) -> dict:
    return {
        "APP_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "ALLOWED_HOSTS": "digest.example.org",
        "SITE_URL": "https://digest.example.org",
        "ANYMAIL_WEBHOOK_SECRET": "hook:" + secrets.token_urlsafe(20),
    } | overrides


PRINT_KEY = ("-c", "import digest.settings as s; print(s.SECRET_KEY)")


@pytest.mark.parametrize(
    "key",
    [
        "x",
        "short-but-not-empty-key",
        PUBLIC_DEV_KEY + "-" * 30,
        PUBLIC_DEV_KEY,
        "django-insecure-" + secrets.token_urlsafe(50),
        "a" * 60,
    ],
)
def test_production_refuses_a_short_or_known_key(key, tmp_path):
    done = settings_process(*PRINT_KEY, var_dir=tmp_path, **production_env(SECRET_KEY=key))

    assert done.returncode != 0
    assert "SECRET_KEY must be a long random string" in done.stderr


def test_development_without_a_key_makes_a_random_one_and_keeps_it(tmp_path):
    first = settings_process(*PRINT_KEY, var_dir=tmp_path)
    second = settings_process(*PRINT_KEY, var_dir=tmp_path)
    elsewhere = settings_process(*PRINT_KEY, var_dir=tmp_path / "other")

    key = first.stdout.strip()
    assert first.returncode == 0, first.stderr
    assert len(key) >= 50 and PUBLIC_DEV_KEY not in key
    assert second.stdout.strip() == key  # sessions and links survive a restart
    assert elsewhere.stdout.strip() != key
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_the_production_configuration_passes_the_deploy_check(tmp_path):
    done = settings_process(
        "manage.py",
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        var_dir=tmp_path,
        **production_env(),
    )

    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout
