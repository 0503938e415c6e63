"""Spellings of one mailbox (case, needless quotes, Unicode or ASCII domain) are one
subscriber and one rate-limit key."""

import pytest
from django.core import mail

from accounts.models import Subscriber

pytestmark = pytest.mark.django_db


def subscribe(client, email):
    return client.post("/", {"email": email, "interests": "robots", "website": ""})


@pytest.mark.parametrize(
    "variant", ['"reader"@example.org', "Reader@EXAMPLE.ORG", '"Reader"@Example.Org']
)
def test_a_quoted_or_differently_cased_address_is_the_same_subscriber(client, subscriber, variant):
    assert subscribe(client, variant).status_code == 200

    assert Subscriber.objects.count() == 1
    [message] = mail.outbox
    assert message.to == ["reader@example.org"] and "already" in message.body


def test_unicode_and_ascii_spellings_of_a_domain_are_one_subscriber(client):
    for variant in ["new@bücher.example", '"new"@XN--BCHER-KVA.example', "new@BÜCHER.example"]:
        assert subscribe(client, variant).status_code == 200

    [subscriber] = Subscriber.objects.all()
    assert subscriber.email == "new@xn--bcher-kva.example"
    assert {tuple(m.to) for m in mail.outbox} == {("new@xn--bcher-kva.example",)}


def test_variants_share_one_rate_limit(client, settings):
    settings.ACCOUNT_RATE_PER_EMAIL = "2/h"
    assert subscribe(client, "new@bücher.example").status_code == 200
    assert subscribe(client, '"new"@xn--bcher-kva.example').status_code == 200
    assert subscribe(client, "NEW@Bücher.Example").status_code == 429
    assert len(mail.outbox) == 2


def test_a_sign_in_request_with_a_variant_reaches_the_reader(client, subscriber):
    client.post("/signin/", {"email": '"READER"@Example.org'})
    [message] = mail.outbox
    assert message.to == ["reader@example.org"] and "/signin/" in message.body
