from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parent.parent / "data"


def pytest_report_header(config):
    from django.conf import settings

    return f"database: {settings.DATABASES['default']['ENGINE']}"


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    settings.EMAIL_OUTBOX_DIR = tmp_path / "outbox"
    settings.CELERY_TASK_ALWAYS_EAGER = True
    deliveries = {**settings.CACHES["deliveries"], "LOCATION": str(tmp_path / "deliveries")}
    settings.CACHES = {**settings.CACHES, "deliveries": deliveries}


@pytest.fixture
def sample_corpus_path():
    return DATA / "papers.jsonl"
