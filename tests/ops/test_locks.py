"""The image installs requirements.lock, make installs requirements-test.lock: the releases
they share must be the same, so the image runs what the tests ran."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def pins(name: str) -> dict[str, str]:
    return dict(re.findall(r"^([a-z0-9_.\-]+)==(\S+) \\$", (ROOT / name).read_text(), re.M))


def test_the_image_and_the_tests_install_the_same_releases():
    image, tests = pins("requirements.lock"), pins("requirements-test.lock")

    assert {"django", "celery", "django-csp", "sentry-sdk", "setuptools"} <= set(image)
    assert {name: tests.get(name) for name in image} == image
    assert {"pytest", "ruff", "playwright"} <= set(tests) - set(image)


def test_every_locked_release_carries_its_hash():
    for name in ("requirements.lock", "requirements-test.lock"):
        text = (ROOT / name).read_text()
        assert text.count("==") == len(re.findall(r"==\S+ \\\n\s+--hash=sha256:", text)), name
