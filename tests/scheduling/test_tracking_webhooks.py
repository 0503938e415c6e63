"""ESP tracking webhooks stop the mail of readers who bounced, complained or opted out."""

import base64
import json

import pytest

from accounts.models import Subscriber

URL = "/anymail/postmark/tracking/"
SECRET = "hook-user:hook-pass"

# Postmark webhook bodies, as documented at postmarkapp.com/developer/webhooks.
HARD_BOUNCE = {
    "RecordType": "Bounce",
    "MessageStream": "outbound",
    "ID": 4323372036854775807,
    "Type": "HardBounce",
    "TypeCode": 1,
    "Name": "Hard bounce",
    "Tag": "digest",
    "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
    "Metadata": {"digest_id": "1", "edition": "2026-11-23"},
    "ServerID": 23,
    "Description": "The server was unable to deliver your message (ex: unknown user).",
    "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
    "Email": "Reader@Example.org",
    "From": "digest@localhost",
    "BouncedAt": "2026-11-23T16:33:54.9070259Z",
    "DumpAvailable": True,
    "Inactive": True,
    "CanActivate": True,
    "Subject": "Your paper digest",
}
SPAM_COMPLAINT = HARD_BOUNCE | {
    "RecordType": "SpamComplaint",
    "Type": "SpamComplaint",
    "TypeCode": 512,
    "Name": "Spam complaint",
    "Description": "",
}
UNSUBSCRIBE = {
    "RecordType": "SubscriptionChange",
    "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
    "ServerID": 23,
    "MessageStream": "outbound",
    "ChangedAt": "2026-11-23T10:53:34.416071Z",
    "Recipient": "reader@example.org",
    "Origin": "Recipient",
    "SuppressSending": True,
    "SuppressionReason": "ManualSuppression",
    "Tag": "digest",
    "Metadata": {},
}
DELIVERY = {
    "RecordType": "Delivery",
    "ServerID": 23,
    "MessageStream": "outbound",
    "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
    "Recipient": "reader@example.org",
    "Tag": "digest",
    "DeliveredAt": "2026-11-23T16:34:52Z",
    "Details": "Test delivery webhook details",
    "Metadata": {},
}


@pytest.fixture
def reader(make_subscriber, settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET}
    make_subscriber("other@example.org")
    return make_subscriber("reader@example.org")


def _post(client, payload, secret=SECRET):
    headers = {}
    if secret:
        headers["HTTP_AUTHORIZATION"] = "Basic " + base64.b64encode(secret.encode()).decode()
    return client.post(URL, json.dumps(payload), content_type="application/json", **headers)


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        (HARD_BOUNCE, Subscriber.Status.BOUNCED),
        (SPAM_COMPLAINT, Subscriber.Status.UNSUBSCRIBED),
        (UNSUBSCRIBE, Subscriber.Status.UNSUBSCRIBED),
    ],
)
def test_it_stops_mailing_the_reader_the_esp_reports(client, reader, payload, status):
    assert _post(client, payload).status_code == 200

    reader.refresh_from_db()
    assert reader.status == status
    assert reader.status_reason.startswith("Postmark reported")
    assert Subscriber.objects.get(email="other@example.org").status == Subscriber.Status.ACTIVE


def test_it_changes_nothing_on_a_delivery_report(client, reader):
    assert _post(client, DELIVERY).status_code == 200

    reader.refresh_from_db()
    assert reader.status == Subscriber.Status.ACTIVE


@pytest.mark.parametrize("secret", [None, "hook-user:wrong"])
def test_it_refuses_a_call_without_the_webhook_secret_and_changes_nothing(client, reader, secret):
    response = _post(client, HARD_BOUNCE, secret=secret)

    assert response.status_code == 400
    reader.refresh_from_db()
    assert reader.status == Subscriber.Status.ACTIVE
