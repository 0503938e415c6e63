"""A duplicated or retried batch, or a second worker, never sends a digest twice."""

from datetime import timedelta

from django.utils import timezone
from scheduling_clock import NOW

from digest import journal, selectors, services
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


def _left_by_a_dead_worker(reader, journal_entry=None) -> Digest:
    digest = Digest.objects.create(
        subscriber=reader, edition=reader.local_date(NOW), status="claimed",
        claim_token="dead-worker", claimed_at=timezone.now() - timedelta(hours=1),
    )  # fmt: skip
    if journal_entry == "attempting":
        assert journal.journal_begin(digest.id)
    elif journal_entry:
        journal.journal_record(digest.id, *journal_entry)
    return digest


def test_it_never_resends_a_digest_a_dead_worker_was_sending(
    corpus, make_subscriber, mailoutbox, settings
):
    settings.DIGEST_CLAIM_TIMEOUT = 60
    reader = make_subscriber("reader@example.org", send_hour=0)
    digest = _left_by_a_dead_worker(reader, "attempting")

    result = services.digest_send_batch(subscriber_ids=[reader.id], now=NOW)

    assert (result.sent, result.interrupted, mailoutbox) == (0, 1, [])
    digest.refresh_from_db()
    assert digest.status == Digest.Status.SENDING
    assert "stopped while sending" in digest.error
    run, batches = services.digest_start_run(now=NOW)
    assert (run.due, batches) == (0, [])


def test_it_records_what_a_dead_worker_sent_and_sends_what_it_never_got_to(
    corpus, make_subscriber, mailoutbox, settings, django_assert_max_num_queries
):
    settings.DIGEST_CLAIM_TIMEOUT = 60
    done, refused, left = (
        make_subscriber(f"{name}@example.org", send_hour=0) for name in ("done", "refused", "left")
    )
    sent = _left_by_a_dead_worker(done, (journal.SENT, "<m1@example.org>"))
    failed = _left_by_a_dead_worker(refused, (journal.FAILED, "550 5.1.1 No such user here"))
    _left_by_a_dead_worker(left)
    selectors.corpus()  # the stored index is loaded once per process, not per batch

    with django_assert_max_num_queries(18):  # a batch's 17, and one to record the dead's work
        result = services.digest_send_batch(subscriber_ids=[done.id, refused.id, left.id], now=NOW)

    assert [m.to[0] for m in mailoutbox] == ["left@example.org"]
    assert (result.sent, result.failed) == (2, 1)
    sent.refresh_from_db()
    failed.refresh_from_db()
    assert (sent.status, sent.message_id) == (Digest.Status.SENT, "<m1@example.org>")
    assert (failed.status, failed.error) == (Digest.Status.FAILED, "550 5.1.1 No such user here")
    assert Digest.objects.get(subscriber=left).status == Digest.Status.SENT


def test_it_sends_nothing_another_worker_already_started(corpus, make_subscriber, mailoutbox):
    reader = make_subscriber("reader@example.org", send_hour=0)
    digest = Digest.objects.create(subscriber=reader, edition=reader.local_date(NOW))
    assert journal.journal_begin(digest.id)  # a slow worker whose claim went stale

    result = services.digest_send_batch(subscriber_ids=[reader.id], now=NOW)

    assert (result.sent, mailoutbox) == (0, [])
