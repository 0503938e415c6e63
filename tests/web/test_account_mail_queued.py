"""Account mail and admin's "send a digest now" are queued for a worker: the request does no
mail work, and queues the same task for known and unknown addresses (no timing difference)."""

import pytest
from celery.signals import before_task_publish
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Subscriber
from digest.celery import app as celery_app
from digest.models import Digest

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued():
    """Tasks go to the broker instead of running in the request (as with ``REDIS_URL``);
    yields the (task name, args) of each one published."""
    published = []

    def record(sender=None, body=None, **kwargs):
        published.append((sender, list(body[0])))

    before_task_publish.connect(record, weak=False)
    eager, celery_app.conf.task_always_eager = celery_app.conf.task_always_eager, False
    yield published
    celery_app.conf.task_always_eager = eager
    before_task_publish.disconnect(record)


def run(tasks):
    """What the worker does with the queued tasks."""
    for name, args in tasks:
        celery_app.tasks[name].apply(args=args)


def test_a_sign_in_request_only_queues_the_same_task_for_any_address(client, subscriber, queued):
    with CaptureQueriesContext(connection) as queries:
        known = client.post("/signin/", {"email": "reader@example.org"})
        unknown = client.post("/signin/", {"email": "nobody@example.org"})

    assert known.content == unknown.content
    assert not [q for q in queries.captured_queries if "accounts_subscriber" in q["sql"]]
    assert mail.outbox == []
    assert queued == [
        ("accounts.tasks.send_signin_link", ["reader@example.org"]),
        ("accounts.tasks.send_signin_link", ["nobody@example.org"]),
    ]
    run(queued)
    [message] = mail.outbox
    assert message.to == ["reader@example.org"] and "/signin/" in message.body


def test_subscribing_queues_the_confirmation_for_new_and_known_addresses(
    client, subscriber, queued
):
    for email in ("new@example.org", "reader@example.org"):
        response = client.post("/", {"email": email, "interests": "robots", "website": ""})
        assert "Check your inbox" in response.content.decode()

    assert mail.outbox == []
    new = Subscriber.objects.get(email="new@example.org")
    assert queued == [
        ("accounts.tasks.send_confirmation", [new.id]),
        ("accounts.tasks.send_confirmation", [subscriber.id]),
    ]
    run(queued)
    assert [m.to for m in mail.outbox] == [["new@example.org"], ["reader@example.org"]]
    assert all("/confirm/" in m.body for m in mail.outbox)


def test_admin_send_a_digest_now_queues_the_batch(admin_client, subscriber, papers, queued):
    response = admin_client.post(
        "/admin/accounts/subscriber/",
        {"action": "send_digest_now", "_selected_action": [subscriber.id]},
        follow=True,
    )
    assert "Digests queued for 1 subscriber" in response.content.decode()
    assert mail.outbox == [] and not Digest.objects.exists()
    [(name, args)] = queued
    assert name == "accounts.tasks.send_digest_now" and args[0] == [subscriber.id]

    run(queued)
    [message] = mail.outbox
    assert message.to == [subscriber.email]
    assert Digest.objects.get(subscriber=subscriber).status == Digest.Status.SENT
