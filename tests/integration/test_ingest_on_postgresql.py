"""The ingest tests (JSON lines and every remote source) again, on a real PostgreSQL: it
refuses what SQLite stores silently (an over-long value), which once lost a whole file."""

import subprocess
import sys

import pytest

from benchmarks.processes import ROOT, django_env

pytestmark = pytest.mark.integration


def test_the_ingest_tests_pass_on_postgresql(postgres, tmp_path):
    env = django_env(
        database_url=postgres.url, redis_url="", email_url="", var_dir=tmp_path / "var"
    )
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/ingest", "tests/sources", "-p", "no:cacheprovider"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )

    assert run.returncode == 0, run.stdout[-5000:] + run.stderr[-2000:]
    assert "database: django.db.backends.postgresql" in run.stdout  # see tests/conftest.py
