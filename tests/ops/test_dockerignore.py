"""What ``docker build .`` would send, judged from .dockerignore with Docker's matching rules
(patterns relative to the context, ``**`` any depth, an excluded folder takes its contents):
this machine has no Docker engine to build with, so the patterns are checked here."""

from fnmatch import fnmatchcase
from pathlib import Path, PurePosixPath

import pytest

ROOT = Path(__file__).resolve().parents[2]


def excluded(path: str) -> bool:
    patterns = [
        line.strip().lstrip("/")
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert not any(p.startswith("!") for p in patterns), "exceptions are not modelled here"
    parts = PurePosixPath(path).parts
    prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    for pattern in patterns:
        for prefix in prefixes:
            if fnmatchcase(prefix, pattern):
                return True
            if pattern.startswith("**/") and fnmatchcase(prefix.split("/")[-1], pattern[3:]):
                return True
    return False


@pytest.mark.parametrize(
    "path",
    [
        ".env",
        ".env.production",
        ".git/config",
        ".git",
        ".venv/bin/python",
        "var/secret_key",
        "var/db.sqlite3",
        "var/outbox/1.eml",
        "staticfiles/css/site.css",
        "test-artifacts/screenshots/01.png",
        ".pytest_cache/v/cache/lastfailed",
        ".ruff_cache/0.17.6/123",
        "digest/__pycache__/settings.cpython-311.pyc",
        "paper_digest.egg-info/PKG-INFO",
    ],
)
def test_the_build_context_leaves_out_secrets_and_local_state(path):
    assert excluded(path)


@pytest.mark.parametrize(
    "path",
    [
        "manage.py",
        "pyproject.toml",
        "requirements.lock",
        "README.md",
        "digest/settings.py",
        "digest/sources/base.py",
        "accounts/views.py",
        "templates/base.html",
        "static/js/forms.js",
        "data/papers.jsonl",
    ],
)
def test_the_build_context_keeps_what_the_image_runs(path):
    assert not excluded(path)
