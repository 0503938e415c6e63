import pytest
from celery.signals import before_task_publish
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone

from accounts.models import Interest, Subscriber
from accounts.views import SESSION_KEY
from digest.celery import app as celery_app


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


class Published(list):
    """The (task name, args) of each task published to the broker."""

    def run(self) -> list:
        """What a worker does with them: take each off the queue and run it, a retry
        applied again and a failure kept in its result, not raised; their results."""
        results = []
        propagates = celery_app.conf.task_eager_propagates
        celery_app.conf.task_eager_propagates = False
        try:
            while self:
                name, args = self.pop(0)
                results.append(celery_app.tasks[name].apply(args=args))
        finally:
            celery_app.conf.task_eager_propagates = propagates
        return results


@pytest.fixture
def queued():
    """Tasks go to the broker instead of running where they are queued (as with
    ``REDIS_URL``); yields the tasks published (see ``Published``)."""
    published = Published()

    def record(sender=None, body=None, **kwargs):
        published.append((sender, list(body[0])))

    before_task_publish.connect(record, weak=False)
    eager, celery_app.conf.task_always_eager = celery_app.conf.task_always_eager, False
    yield published
    celery_app.conf.task_always_eager = eager
    before_task_publish.disconnect(record)
