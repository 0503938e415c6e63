from pathlib import Path

import pytest
from django.core.cache import cache

DATA = Path(__file__).resolve().parent.parent / "data"


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    settings.EMAIL_OUTBOX_DIR = tmp_path / "outbox"
    settings.CELERY_TASK_ALWAYS_EAGER = True
    deliveries = {**settings.CACHES["deliveries"], "LOCATION": str(tmp_path / "deliveries")}
    settings.CACHES = {**settings.CACHES, "deliveries": deliveries}
    settings.INDEX_DIR = tmp_path / "index"
    cache.clear()  # cached previews and pages of an earlier test's rolled-back readers


@pytest.fixture
def build_index(db):
    """Build the paper index from the papers stored so far, as the task queued after an
    ingest does (a test's transaction never commits, so that task does not run)."""
    from digest.services import index_build

    return index_build


@pytest.fixture
def sample_corpus_path():
    return DATA / "papers.jsonl"
