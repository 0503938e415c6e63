"""Production refuses a PostgreSQL that acknowledges commits before they are durable:
``migrate`` (which compose runs before the web, worker and beat start) stops with
digest.E001, as a crash could then undo a digest's "sending" mark and send it twice."""

import secrets
import subprocess

import pytest

from benchmarks.processes import django_env, manage

pytestmark = pytest.mark.integration


def production(database_url: str, tmp_path) -> dict:
    return django_env(
        database_url=database_url,
        redis_url="redis://127.0.0.1:6379/0",
        email_url=None,
        var_dir=tmp_path,
        APP_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="digest.example.org",
        SITE_URL="https://digest.example.org",
        ANYMAIL_WEBHOOK_SECRET="hook:" + secrets.token_urlsafe(20),
    )


def test_migrate_stops_on_a_database_whose_commits_a_crash_can_undo(new_database, tmp_path):
    # The test cluster commits asynchronously, for speed.
    env = production(new_database(), tmp_path)

    with pytest.raises(subprocess.CalledProcessError) as refused:
        manage(env, "migrate", "--no-input")

    assert "digest.E001" in refused.value.stderr and "synchronous_commit" in refused.value.stderr


def test_migrate_runs_on_a_database_with_durable_commits(new_database, tmp_path):
    env = production(new_database("synchronous_commit TO on"), tmp_path)

    manage(env, "migrate", "--no-input", "-v", "0")
    assert manage(env, "check", "--database", "default").strip().endswith("no issues (0 silenced).")
