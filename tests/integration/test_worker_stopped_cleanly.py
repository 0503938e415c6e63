"""A worker told to stop (SIGTERM to its main process, as ``docker stop`` sends) finishes
the messages in hand, hands the rest back and leaves no digest interrupted."""

import time

import pytest

from benchmarks.processes import PostmarkStandIn, wait_for

pytestmark = pytest.mark.integration

READERS = 30


@pytest.fixture
def provider():
    stand_in = PostmarkStandIn(latency=1.0, jitter=0.1).start()
    yield stand_in
    stand_in.stop()


def test_a_worker_told_to_stop_interrupts_nothing_and_the_next_one_sends_the_rest(stack, provider):
    without_smtp = {k: v for k, v in stack.env.items() if k != "EMAIL_URL"}
    stack.env = (
        without_smtp
        | provider.email_settings
        | {
            "DIGEST_BATCH_SIZE": "30",  # one batch, two messages at a time: about 15 s
            "DIGEST_SEND_CONCURRENCY": "2",
            "DIGEST_CLAIM_TIMEOUT": "60",  # nothing is left for a takeover to find
        }
    )
    emails = stack.seed(READERS)
    worker = stack.worker()
    stack.tick()
    wait_for(lambda: stack.digests().get("sent", 0) >= 2, timeout=60, what="first digests sent")

    asked = time.monotonic()
    assert worker.terminate(timeout=30) == 0
    assert time.monotonic() - asked < 8  # the messages in hand, not the whole batch

    stopped = stack.digests()
    assert "sending" not in stopped and "claimed" not in stopped, stopped
    assert 0 < stopped["sent"] < READERS
    assert provider.received == {e: 1 for e in provider.received}
    stack.worker()
    counts = stack.wait_until_settled(READERS)
    skipped = {
        email
        for (email,) in stack.postgres.sql(
            "SELECT s.email FROM digest_digest d JOIN accounts_subscriber s"
            " ON s.id = d.subscriber_id WHERE d.status = 'skipped'"
        )
    }
    # Each reader has a judged persona's keywords; one whose interests no paper holds
    # would be skipped, not sent.
    assert {"skipped": 0, **counts} == {"sent": READERS - len(skipped), "skipped": len(skipped)}
    assert len(skipped) <= 1
    assert provider.received == {email: 1 for email in emails if email not in skipped}
    [(interrupted, finished)] = stack.postgres.sql(
        "SELECT interrupted, finished_at IS NOT NULL FROM digest_digestrun"
    )
    assert (interrupted, finished) == (0, True)
