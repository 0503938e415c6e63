"""Suites run again on a real PostgreSQL, which refuses what SQLite stores silently: an
over-long value (which once lost a whole ingest file) or a NUL character (which a stranger
can put in any URL); which enforces the unique address when a reader moves their mail
to an address that has its own subscription; where account mail is claimed once by a
conditional UPDATE; where the index build streams the papers through a server-side cursor
while it fits them; and where a batch reads its readers' recent ratings by their index."""

import subprocess
import sys

import pytest

from benchmarks.processes import ROOT, django_env

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    "suite",
    [
        ["tests/ingest", "tests/sources"],
        [
            "tests/web/test_hostile_requests.py",
            "tests/web/test_change_address.py",
            "tests/web/test_account_mail_retries.py",
        ],
        ["tests/index", "tests/feedback/test_feedback_moves_ranking.py"],
    ],
    ids=["ingest", "web", "ranking"],
)
def test_the_suite_passes_on_postgresql(suite, postgres, tmp_path):
    env = django_env(
        database_url=postgres.url, redis_url="", email_url="", var_dir=tmp_path / "var"
    )
    run = subprocess.run(
        [sys.executable, "-m", "pytest", *suite, "-p", "no:cacheprovider"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )

    assert run.returncode == 0, run.stdout[-5000:] + run.stderr[-2000:]
    assert "database: django.db.backends.postgresql" in run.stdout  # see tests/conftest.py
