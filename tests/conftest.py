from pathlib import Path

import pytest
from django.core.cache import cache

DATA = Path(__file__).resolve().parent.parent / "data"


def pytest_report_header(config):
    from django.conf import settings

    return f"database: {settings.DATABASES['default']['ENGINE']}"


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    from digest import health

    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    settings.EMAIL_OUTBOX_DIR = tmp_path / "outbox"
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.INDEX_DIR = tmp_path / "index"
    cache.clear()  # cached previews and pages of an earlier test's rolled-back readers
    health._last_check = None  # nor an earlier test's /healthz answer


@pytest.fixture
def build_index(db):
    """Build the paper index from the papers stored so far, as the task queued after an
    ingest does (a test's transaction never commits, so that task does not run)."""
    from digest.services import index_build

    return index_build


@pytest.fixture
def sample_corpus_path():
    return DATA / "papers.jsonl"


def _committing(client, capture_on_commit):
    """Run what a request queues with ``transaction.on_commit`` when it returns, as it runs
    once a real request's transaction commits (the test's own transaction never does)."""
    request = client.request

    def committed_request(**kwargs):
        with capture_on_commit(execute=True):
            return request(**kwargs)

    client.request = committed_request
    return client


@pytest.fixture
def client(client, django_capture_on_commit_callbacks):
    return _committing(client, django_capture_on_commit_callbacks)


@pytest.fixture
def admin_client(admin_client, django_capture_on_commit_callbacks):
    return _committing(admin_client, django_capture_on_commit_callbacks)


@pytest.fixture
def provider(settings):
    """A loopback stand-in of Postmark's API, which the app sends to through anymail."""
    from benchmarks.processes import PostmarkStandIn

    stand_in = PostmarkStandIn().start()
    settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    settings.ANYMAIL = {
        "POSTMARK_SERVER_TOKEN": "stand-in",
        "POSTMARK_API_URL": stand_in.url,
        "REQUESTS_TIMEOUT": 1,
    }
    yield stand_in
    stand_in.stop()
