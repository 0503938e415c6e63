from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parent.parent / "data"


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    settings.EMAIL_OUTBOX_DIR = tmp_path / "outbox"
    settings.CELERY_TASK_ALWAYS_EAGER = True


@pytest.fixture
def sample_corpus_path():
    return DATA / "papers.jsonl"
