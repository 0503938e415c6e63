"""A duplicated or retried batch, or a second worker, never sends a digest twice."""

from collections import Counter
from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail.backends import locmem
from django.utils import timezone
from scheduling_clock import NOW

from digest import services
from digest.models import Digest
from digest.tasks import send_due_digests


def test_it_sends_once_when_the_same_batch_runs_twice(corpus, make_subscriber, mailoutbox):
    ids = [make_subscriber(f"r{i}@example.org", send_hour=0).id for i in range(3)]

    first = services.digest_send_batch(subscriber_ids=ids, now=NOW)
    again = services.digest_send_batch(subscriber_ids=ids, now=NOW)

    assert (first.sent, again.sent) == (3, 0)
    assert sorted(m.to[0] for m in mailoutbox) == [f"r{i}@example.org" for i in range(3)]


def test_it_sends_once_when_a_second_tick_runs_the_same_hour(
    corpus, make_subscriber, mailoutbox, django_capture_on_commit_callbacks
):
    make_subscriber("a@example.org", send_hour=0)
    make_subscriber("b@example.org", send_hour=0)

    with django_capture_on_commit_callbacks(execute=True):
        send_due_digests.apply()
        send_due_digests.apply()

    assert sorted(m.to[0] for m in mailoutbox) == ["a@example.org", "b@example.org"]
    assert Digest.objects.filter(status=Digest.Status.SENT).count() == 2


def test_it_leaves_a_live_claim_alone_and_takes_over_a_stale_one(
    corpus, make_subscriber, mailoutbox, settings
):
    settings.DIGEST_CLAIM_TIMEOUT = 60
    live = make_subscriber("live@example.org", send_hour=0)
    stale = make_subscriber("stale@example.org", send_hour=0)
    edition = live.local_date(NOW)
    Digest.objects.create(
        subscriber=live, edition=edition, status="claimed", claim_token="other-worker",
        claimed_at=timezone.now(),
    )  # fmt: skip
    Digest.objects.create(
        subscriber=stale, edition=edition, status="claimed", claim_token="dead-worker",
        claimed_at=timezone.now() - timedelta(seconds=61),
    )  # fmt: skip

    result = services.digest_send_batch(subscriber_ids=[live.id, stale.id], now=NOW)

    assert result.sent == 1
    assert [m.to[0] for m in mailoutbox] == ["stale@example.org"]
    assert Digest.objects.get(subscriber=live).status == Digest.Status.CLAIMED


def _left_by_a_dead_worker(reader, status="claimed") -> Digest:
    return Digest.objects.create(
        subscriber=reader, edition=reader.local_date(NOW), status=status,
        claim_token="dead-worker", claimed_at=timezone.now() - timedelta(hours=1),
    )  # fmt: skip


def test_it_never_resends_a_digest_a_dead_worker_was_sending(
    corpus, make_subscriber, mailoutbox, settings
):
    settings.DIGEST_CLAIM_TIMEOUT = 60
    reader = make_subscriber("reader@example.org", send_hour=0)
    digest = _left_by_a_dead_worker(reader, "sending")

    result = services.digest_send_batch(subscriber_ids=[reader.id], now=NOW)

    assert (result.sent, result.interrupted, mailoutbox) == (0, 1, [])
    digest.refresh_from_db()
    assert (digest.status, digest.claim_token) == (Digest.Status.SENDING, "")
    assert "stopped while sending" in digest.error
    assert services.digest_send_batch(subscriber_ids=[reader.id], now=NOW).interrupted == 0
    run, batches = services.digest_start_run(now=NOW)
    assert (run.due, batches) == (0, [])


def test_it_sends_what_a_dead_worker_claimed_but_never_handed_over(
    corpus, make_subscriber, mailoutbox, settings
):
    settings.DIGEST_CLAIM_TIMEOUT = 60
    reader = make_subscriber("reader@example.org", send_hour=0)
    _left_by_a_dead_worker(reader, "claimed")

    result = services.digest_send_batch(subscriber_ids=[reader.id], now=NOW)

    assert (result.sent, result.interrupted) == (1, 0)
    assert [m.to[0] for m in mailoutbox] == ["reader@example.org"]


def test_it_sends_nothing_another_worker_is_sending(corpus, make_subscriber, mailoutbox):
    reader = make_subscriber("reader@example.org", send_hour=0)
    Digest.objects.create(
        subscriber=reader, edition=reader.local_date(NOW), status="sending",
        claim_token="live-worker", claimed_at=timezone.now(),
    )  # fmt: skip

    result = services.digest_send_batch(subscriber_ids=[reader.id], now=NOW)

    assert (result.sent, result.interrupted, mailoutbox) == (0, 0, [])
    assert Digest.objects.get(subscriber=reader).claim_token == "live-worker"


def test_a_tick_settles_what_a_lost_task_left_sending_and_counts_it_once(
    corpus, make_subscriber, settings
):
    settings.DIGEST_CLAIM_TIMEOUT = 60
    reader = make_subscriber("reader@example.org", send_hour=0)
    _left_by_a_dead_worker(reader, "sending")

    run, batches = services.digest_start_run(now=NOW)
    again, _ = services.digest_start_run(now=NOW)

    assert (run.due, run.interrupted, batches) == (1, 1, [])
    run.refresh_from_db()
    assert run.finished_at is not None
    assert (again.due, again.interrupted) == (0, 0)


class ProviderWhileAnotherWorkerTakesOver(locmem.EmailBackend):
    """An email provider that takes the first message so slowly that the batch's claims go
    stale and another worker takes over the digests the batch has not sent yet."""

    def send_messages(self, messages):
        if not mail.outbox:
            Digest.objects.filter(status="claimed").update(
                claim_token="other-worker", claimed_at=timezone.now()
            )
        return super().send_messages(messages)


@pytest.mark.django_db(transaction=True)  # the sending thread sees the batch's writes
def test_a_worker_whose_claim_was_taken_over_sends_nothing_more(corpus, make_subscriber, settings):
    settings.EMAIL_BACKEND = f"{__name__}.ProviderWhileAnotherWorkerTakesOver"
    settings.DIGEST_SEND_CONCURRENCY = 1  # one message at a time, each fenced alone
    mail.outbox = []
    ids = [make_subscriber(f"r{i}@example.org", send_hour=0).id for i in range(3)]

    result = services.digest_send_batch(subscriber_ids=ids, now=NOW)

    assert (result.sent, len(mail.outbox)) == (1, 1)
    statuses = Counter(Digest.objects.values_list("status", "claim_token"))
    assert statuses == {("sent", ""): 1, ("claimed", "other-worker"): 2}
