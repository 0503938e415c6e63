import pytest
from django.core import mail
from django.utils import timezone

from digest.services import digest_send_batch


@pytest.mark.django_db
def test_digests_and_account_mail_come_from_different_addresses(
    client, subscriber, papers, settings
):
    settings.DEFAULT_FROM_EMAIL = "Paper Digest <accounts@digest.example.org>"
    settings.DIGEST_FROM_EMAIL = "Paper Digest <news@digest.example.org>"
    settings.DIGEST_LIST_ID = "Paper digest <digest.example.org>"
    client.post("/", {"email": "new@example.org", "interests": "speech", "website": ""})
    client.post("/signin/", {"email": subscriber.email})
    digest_send_batch(subscriber_ids=[subscriber.id], now=timezone.now())

    confirm, signin, digest = mail.outbox
    assert confirm.from_email == signin.from_email == "Paper Digest <accounts@digest.example.org>"
    assert "List-Id" not in confirm.extra_headers
    assert digest.from_email == "Paper Digest <news@digest.example.org>"
    assert digest.extra_headers["List-Id"] == "Paper digest <digest.example.org>"
    assert digest.extra_headers["List-Unsubscribe"].startswith(
        "<http://localhost:8000/unsubscribe/"
    )
