import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from accounts.models import Interest, Subscriber
from accounts.views import SESSION_KEY
from digest.models import Paper


@pytest.fixture
def corpus(db, sample_corpus_path, build_index):
    call_command("ingest_papers", str(sample_corpus_path))
    build_index()


@pytest.fixture
def make_subscriber(db):
    def make(email="reader@example.org", interests=("speech recognition",)):
        subscriber = Subscriber.objects.create(
            email=email, status=Subscriber.Status.ACTIVE, confirmed_at=timezone.now()
        )
        Interest.objects.bulk_create([Interest(subscriber=subscriber, phrase=p) for p in interests])
        return subscriber

    return make


@pytest.fixture
def subscriber(make_subscriber):
    return make_subscriber()


@pytest.fixture
def paper(db):
    return Paper.objects.create(
        source="test",
        external_id="2411.00001",
        title="Streaming speech recognition with small transducers",
        abstract="We make streaming speech recognition cheaper.",
    )


@pytest.fixture
def link_path():
    """The path of a full link found in a sent email."""
    return lambda url: re.sub(r"^https?://[^/]+", "", url)


@pytest.fixture
def feedback_links():
    """The "more like this" and "less like this" links of the plain-text digest last sent."""

    def links(message=None):
        body = (message or mail.outbox[-1]).body
        return (
            re.findall(r"More like this: (\S+)", body),
            re.findall(r"Less like this: (\S+)", body),
        )

    return links


@pytest.fixture
def signed_in(client):
    """Sign a subscriber in the way the sign-in link does, by session."""

    def sign_in(subscriber):
        session = client.session
        session[SESSION_KEY] = subscriber.id
        session.save()
        return client

    return sign_in
