"""Through anymail's Postmark backend to a loopback stand-in of Postmark's API: what the
provider answers decides whether a digest may be sent again."""

import time

import pytest
from scheduling_clock import NOW

from digest import services
from digest.models import Digest, DigestRun
from digest.tasks import send_digest_batch


def _run_id() -> int:
    return DigestRun.objects.create(started_at=NOW, due=1).id


def _send(make_subscriber, count=1):
    ids = [make_subscriber(f"r{i}@example.org", send_hour=0).id for i in range(count)]
    return services.digest_send_batch(subscriber_ids=ids, now=NOW)


@pytest.mark.parametrize("status", [429, 503])
def test_it_sends_again_when_the_provider_says_not_now_and_delivers_once(
    corpus, make_subscriber, provider, status
):
    provider.answer_next(status)
    provider.answer_next(200)
    reader = make_subscriber("r0@example.org", send_hour=0)

    send_digest_batch.delay([reader.id], NOW.isoformat(), None, _run_id())

    assert (provider.calls, provider.received) == (2, {"r0@example.org": 1})
    assert Digest.objects.get().status == Digest.Status.SENT


def test_a_batch_hands_on_its_last_not_now_messages_instead_of_waiting_for_them(
    corpus, make_subscriber, provider
):
    provider.answer_next(429)  # the first message; the others go through at once
    ids = [make_subscriber(f"r{i}@example.org", send_hour=0).id for i in range(3)]

    started = time.monotonic()
    result = services.digest_send_batch(subscriber_ids=ids, now=NOW)

    assert time.monotonic() - started < services.SEND_BACKOFF  # no pause waited through
    assert (result.sent, len(result.released)) == (2, 1)
    assert result.release_for == pytest.approx(services.SEND_BACKOFF, abs=0.2)
    assert Digest.objects.get(subscriber_id=result.released[0]).status == Digest.Status.PENDING
    again = services.digest_send_batch(subscriber_ids=result.released, now=NOW)
    assert again.sent == 1
    assert provider.received == {f"r{i}@example.org": 1 for i in range(3)}


def test_a_digest_turned_away_again_and_again_is_not_handed_on_forever(
    corpus, make_subscriber, provider
):
    reader = make_subscriber("r0@example.org", send_hour=0)
    for _ in range(services.SEND_ATTEMPTS - 1):
        provider.answer_next(429)
        handed_on = services.digest_send_batch(subscriber_ids=[reader.id], now=NOW)
        assert handed_on.released == [reader.id]
    provider.answer_next(429)  # the last try: left to the task's slower retries

    result = services.digest_send_batch(subscriber_ids=[reader.id], now=NOW)

    assert (result.sent, result.released, result.retry) == (0, [], 1)
    assert Digest.objects.get().status == Digest.Status.PENDING
    assert provider.received == {}


@pytest.mark.parametrize(
    "answer", [{"status": 500}, {"status": 200, "delay": 2.0}], ids=["500", "timeout"]
)
def test_it_never_sends_again_when_the_provider_may_have_taken_it(
    corpus, make_subscriber, provider, answer
):
    provider.answer_next(**answer, accept=True)  # took the message, the answer got lost

    reader = make_subscriber("r0@example.org", send_hour=0)
    result = services.digest_send_batch(subscriber_ids=[reader.id], now=NOW)

    assert (result.sent, result.interrupted) == (0, 1)
    assert (provider.calls, provider.received) == (1, {"r0@example.org": 1})
    digest = Digest.objects.get()
    assert (digest.status, digest.claim_token) == (Digest.Status.SENDING, "")
    assert services.UNKNOWN_OUTCOME in digest.error
    again = services.digest_send_batch(subscriber_ids=[reader.id], now=NOW)
    assert (again.sent, again.interrupted, provider.calls) == (0, 0, 1)  # left alone


def test_it_keeps_many_messages_in_flight_but_no_more_than_its_concurrency(
    corpus, make_subscriber, provider, settings
):
    settings.DIGEST_SEND_CONCURRENCY = 8
    provider.latency = 0.2

    result = _send(make_subscriber, count=24)

    assert result.sent == 24
    assert provider.received == {f"r{i}@example.org": 1 for i in range(24)}
    assert 4 < provider.max_in_flight <= 8
