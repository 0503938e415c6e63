import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import Interest, Subscriber


@pytest.fixture
def corpus(db, sample_corpus_path, build_index):
    call_command("ingest_papers", str(sample_corpus_path))
    build_index()


@pytest.fixture
def make_subscriber(db):
    def make(email, interests, excluded=(), **fields):
        subscriber = Subscriber.objects.create(
            email=email, status=Subscriber.Status.ACTIVE, confirmed_at=timezone.now(), **fields
        )
        Interest.objects.bulk_create(
            [Interest(subscriber=subscriber, phrase=p) for p in interests]
            + [Interest(subscriber=subscriber, phrase=p, excluded=True) for p in excluded]
        )
        return subscriber

    return make


@pytest.fixture
def run_digests(django_capture_on_commit_callbacks):
    """``send_digests --date``, running the batches it enqueues on commit at once (as the demo)."""

    def run(edition):
        with django_capture_on_commit_callbacks(execute=True):
            call_command("send_digests", date=edition)

    return run
