import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone

from accounts.models import Interest, Subscriber
from accounts.views import SESSION_KEY


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def papers(sample_corpus_path, build_index):
    call_command("ingest_papers", str(sample_corpus_path), verbosity=0)
    build_index()


@pytest.fixture
def subscriber(db):
    subscriber = Subscriber.objects.create(
        email="reader@example.org", status=Subscriber.Status.ACTIVE, confirmed_at=timezone.now()
    )
    Interest.objects.create(subscriber=subscriber, phrase="speech recognition")
    return subscriber


@pytest.fixture
def signed_in(client, subscriber):
    session = client.session
    session[SESSION_KEY] = subscriber.id
    session.save()
    return client
