"""Temporary SMTP refusals are retried, shortly within the batch and then by the task
with backoff; permanent ones fail the digest."""

import pytest
from celery.exceptions import Retry
from django.utils import timezone
from scheduling_clock import NOW

from digest import services
from digest.models import Digest, DigestRun
from digest.tasks import send_digest_batch


def _run_batch(ids, run):
    return send_digest_batch.apply(args=[ids, NOW.isoformat(), None, run.id])


def test_it_sends_again_shortly_after_a_temporary_refusal_and_delivers_once(
    corpus, make_subscriber, smtp_sink
):
    ids = [make_subscriber(f"r{i}@example.org", send_hour=0).id for i in range(2)]
    run = DigestRun.objects.create(started_at=timezone.now(), due=2)
    smtp_sink.refuse("451 4.3.0 Mailbox temporarily unavailable")

    assert _run_batch(ids, run).successful()

    assert smtp_sink.received == {"r0@example.org": 1, "r1@example.org": 1}
    assert set(Digest.objects.values_list("status", flat=True)) == {Digest.Status.SENT}
    run.refresh_from_db()
    assert (run.sent, run.failed, run.finished_at is not None) == (2, 0, True)


def test_it_hands_a_digest_refused_again_and_again_to_a_later_retry_and_sends_once(
    corpus, make_subscriber, smtp_sink, settings
):
    ids = [make_subscriber("r0@example.org", send_hour=0).id]
    run = DigestRun.objects.create(started_at=timezone.now(), due=1)
    smtp_sink.refuse("451 4.3.0 Mailbox temporarily unavailable", times=services.SEND_ATTEMPTS)

    with pytest.raises(Retry) as retry:
        _run_batch(ids, run)
    refused = Digest.objects.get(status=Digest.Status.PENDING)
    assert "451" in refused.error
    assert 0 <= retry.value.when <= settings.DIGEST_RETRY_BACKOFF  # first wait, with jitter
    assert smtp_sink.received == {}

    assert _run_batch(ids, run).successful()  # what the worker does when the countdown ends

    assert smtp_sink.received == {"r0@example.org": 1}
    refused.refresh_from_db()
    # claimed once for each try (handed on after each "not now"), then by the retry
    assert (refused.status, refused.attempts) == (Digest.Status.SENT, services.SEND_ATTEMPTS + 1)
    run.refresh_from_db()
    assert (run.sent, run.failed, run.finished_at is not None) == (1, 0, True)


def test_it_marks_a_permanently_refused_digest_failed_with_the_reason(
    corpus, make_subscriber, smtp_sink
):
    ids = [make_subscriber(f"r{i}@example.org", send_hour=0).id for i in range(2)]
    run = DigestRun.objects.create(started_at=timezone.now(), due=2)
    smtp_sink.refuse("550 5.1.1 No such user here")

    assert _run_batch(ids, run).successful()

    failed = Digest.objects.get(status=Digest.Status.FAILED)
    assert failed.error == "550 5.1.1 No such user here"
    sent = Digest.objects.get(status=Digest.Status.SENT)
    assert smtp_sink.received == {sent.subscriber.email: 1}
    run.refresh_from_db()
    assert (run.sent, run.failed) == (1, 1)
