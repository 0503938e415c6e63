import os
import subprocess
import sys

import pytest

from benchmarks.processes import ROOT


@pytest.fixture
def run_python(tmp_path):
    """``python ARGS`` in a fresh process of this project with only ``env`` configured (none
    of the caller's settings variables, no .env file read) and its own ``var/``."""

    def run(*args: str, **env) -> subprocess.CompletedProcess:
        environment = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(
                ("APP_", "SECRET", "SECURE", "DEBUG", "REDIS", "ALLOWED", "SITE", "SENTRY")
            )
        }
        environment |= {
            "VAR_DIR": str(tmp_path / "var"),
            "DJANGO_SETTINGS_MODULE": "digest.settings",
        }
        return subprocess.run(
            [sys.executable, *args],
            cwd=ROOT,
            env=environment | env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    return run
