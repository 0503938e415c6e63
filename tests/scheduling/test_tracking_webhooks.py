"""ESP tracking webhooks stop the mail of readers who bounced, complained or opted out."""

import base64
import json
import os
import subprocess
import sys

import pytest
from django.conf import settings as django_settings

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
    settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET}
    make_subscriber("other@example.org")
    return make_subscriber("reader@example.org")


def _post(client, payload, secret=SECRET, url=URL):
    headers = {}
    if secret:
        headers["HTTP_AUTHORIZATION"] = "Basic " + base64.b64encode(secret.encode()).decode()
    return client.post(url, json.dumps(payload), content_type="application/json", **headers)


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


def test_a_soft_bounce_leaves_the_reader_subscribed_and_a_hard_one_then_stops_mail(client, reader):
    mailbox_full = HARD_BOUNCE | {
        "Type": "SoftBounce",
        "TypeCode": 4096,
        "Name": "Soft bounce",
        "Description": "Unable to temporarily deliver this email (mailbox full).",
        "Inactive": False,
    }
    assert _post(client, mailbox_full).status_code == 200
    reader.refresh_from_db()
    assert reader.status == Subscriber.Status.ACTIVE

    assert _post(client, HARD_BOUNCE).status_code == 200
    reader.refresh_from_db()
    assert reader.status == Subscriber.Status.BOUNCED


def test_a_brevo_soft_bounce_leaves_the_reader_subscribed_and_a_hard_one_stops_mail(
    client, reader, settings
):
    settings.EMAIL_BACKEND = "anymail.backends.brevo.EmailBackend"
    url = "/anymail/brevo/tracking/"
    # Brevo's transactional webhook body, as documented at developers.brevo.com.
    event = {
        "email": "reader@example.org",
        "id": 26224,
        "date": "2026-11-23 16:33:54",
        "ts_epoch": 1795451634000,
        "message-id": "<201798300811.5787683@relay.domain.com>",
        "reason": "mailbox full",
        "tag": "digest",
    }
    assert _post(client, event | {"event": "soft_bounce"}, url=url).status_code == 200
    reader.refresh_from_db()
    assert reader.status == Subscriber.Status.ACTIVE

    assert _post(client, event | {"event": "hard_bounce"}, url=url).status_code == 200
    reader.refresh_from_db()
    assert reader.status == Subscriber.Status.BOUNCED


def test_it_changes_nothing_on_a_delivery_report(client, reader):
    assert _post(client, DELIVERY).status_code == 200

    reader.refresh_from_db()
    assert reader.status == Subscriber.Status.ACTIVE


@pytest.mark.parametrize("secret", [None, "hook-user:wrong", "garbage"])
def test_it_refuses_a_call_without_the_webhook_secret_and_changes_nothing(client, reader, secret):
    response = _post(client, HARD_BOUNCE, secret=secret)

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Basic")
    reader.refresh_from_db()
    assert reader.status == Subscriber.Status.ACTIVE


@pytest.mark.parametrize("secret", [None, SECRET])
def test_without_a_configured_secret_the_endpoint_is_off(client, reader, settings, secret):
    settings.ANYMAIL = {}

    assert _post(client, HARD_BOUNCE, secret=secret).status_code == 404
    reader.refresh_from_db()
    assert reader.status == Subscriber.Status.ACTIVE


@pytest.mark.parametrize("esp", ["sendgrid", "mailgun", "amazon_ses", "mandrill", "nosuchesp"])
def test_other_providers_endpoints_do_not_exist(client, reader, esp):
    spam_report = [{"email": "reader@example.org", "event": "spamreport", "timestamp": 1}]
    for payload in ({}, spam_report):
        response = _post(client, payload, url=f"/anymail/{esp}/tracking/")
        assert response.status_code == 404
    reader.refresh_from_db()
    assert reader.status == Subscriber.Status.ACTIVE


def test_with_smtp_there_is_no_webhook_at_all(client, reader, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"

    assert _post(client, HARD_BOUNCE).status_code == 404
    reader.refresh_from_db()
    assert reader.status == Subscriber.Status.ACTIVE


@pytest.mark.parametrize(
    "body",
    [
        "{}",
        "[]",
        "not json",
        '{"RecordType": 5}',
        json.dumps(HARD_BOUNCE | {"Email": ["reader@example.org"]}),
        json.dumps(HARD_BOUNCE | {"Email": {"a": 1}}),
    ],
)
def test_a_malformed_body_is_refused_without_a_server_error(client, reader, body):
    auth = "Basic " + base64.b64encode(SECRET.encode()).decode()
    response = client.post(URL, body, content_type="application/json", HTTP_AUTHORIZATION=auth)

    assert response.status_code in (200, 400)
    reader.refresh_from_db()
    assert reader.status == Subscriber.Status.ACTIVE


def test_the_stored_reason_is_the_event_and_a_short_clean_description(client, reader):
    noisy = "Mailbox full\x00\x1b[31m\u202e<script>" + "x" * 5000 + "\n\nmore"
    assert _post(client, HARD_BOUNCE | {"Description": noisy}).status_code == 200

    reader.refresh_from_db()
    assert reader.status == Subscriber.Status.BOUNCED
    assert reader.status_reason.startswith("Postmark reported bounced: Mailbox full")
    assert len(reader.status_reason) <= 120
    assert reader.status_reason.isprintable()


def _start_production(**env):
    """Import the settings as a production process would; returns (exit code, stderr)."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("ANYMAIL_", "EMAIL_"))}
    environ.update(
        APP_ENV="production",
        SECRET_KEY="a-long-and-random-production-key-5f2a9c1e7d3b8a6f4e2c0b9d7a5f3e1c",
        VAR_DIR=str(django_settings.VAR_DIR),
        DJANGO_SETTINGS_MODULE="digest.settings",
        REDIS_URL="redis://127.0.0.1:6379/0",
        ALLOWED_HOSTS="digest.example.org",
        SITE_URL="https://digest.example.org",
        **env,
    )
    code = "import django; django.setup(); from django.conf import settings; settings.ANYMAIL"
    done = subprocess.run(
        [sys.executable, "-c", code], env=environ, capture_output=True, text=True, timeout=60
    )
    return done.returncode, done.stderr


def test_production_with_an_esp_refuses_to_start_without_the_webhook_secret():
    returncode, stderr = _start_production(EMAIL_BACKEND="anymail.backends.postmark.EmailBackend")
    assert returncode != 0 and "ANYMAIL_WEBHOOK_SECRET" in stderr

    returncode, stderr = _start_production(
        EMAIL_BACKEND="anymail.backends.postmark.EmailBackend", ANYMAIL_WEBHOOK_SECRET=SECRET
    )
    assert returncode == 0, stderr


def test_production_with_smtp_needs_no_webhook_secret():
    returncode, stderr = _start_production(EMAIL_URL="smtp://mail.example.org:587/?tls=True")
    assert returncode == 0, stderr
