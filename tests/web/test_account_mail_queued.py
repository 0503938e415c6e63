"""Account mail and admin's "send a digest now" are queued for a worker: the request does no
mail work, and queues the same task for known and unknown addresses (no timing difference)."""

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import AccountMail, Subscriber
from digest.models import Digest

pytestmark = pytest.mark.django_db


def test_a_sign_in_request_only_queues_the_same_task_for_any_address(client, subscriber, queued):
    with CaptureQueriesContext(connection) as queries:
        known = client.post("/signin/", {"email": "reader@example.org"})
        unknown = client.post("/signin/", {"email": "nobody@example.org"})

    assert known.content == unknown.content
    assert not [q for q in queries.captured_queries if "accounts_subscriber" in q["sql"]]
    assert mail.outbox == []
    mails = AccountMail.objects.order_by("id")
    assert [(m.kind, m.address, m.subscriber) for m in mails] == [
        ("signin", "reader@example.org", None),
        ("signin", "nobody@example.org", None),
    ]
    assert queued == [("accounts.tasks.send_account_mail", [m.id]) for m in mails]
    queued.run()
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
    mails = AccountMail.objects.order_by("id")
    assert [(m.kind, m.subscriber) for m in mails] == [("confirm", new), ("confirm", subscriber)]
    assert queued == [("accounts.tasks.send_account_mail", [m.id]) for m in mails]
    queued.run()
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

    queued.run()
    [message] = mail.outbox
    assert message.to == [subscriber.email]
    assert Digest.objects.get(subscriber=subscriber).status == Digest.Status.SENT
