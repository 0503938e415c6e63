"""A worker SIGKILLed in the middle of a batch: every due reader still gets exactly one digest."""

import pytest

from benchmarks.processes import wait_for

pytestmark = pytest.mark.integration

READERS = 40  # four batches of ten, two worker processes


def test_it_delivers_exactly_one_digest_per_reader_when_a_worker_dies_mid_batch(stack):
    emails = stack.seed(READERS)
    stack.smtp.hold_from(8)  # the 8th message and every later one hang at the SMTP server
    worker = stack.worker()
    assert "40 subscribers due" in stack.tick()

    # Both worker processes sent their whole batch at once (concurrently); 7 messages were
    # answered and recorded, 13 hang at the server: a kill now interrupts those 13.
    wait_for(lambda: stack.smtp.held == 13, timeout=60, what="both batches in flight")
    wait_for(lambda: stack.digests() == {"sent": 7, "sending": 13}, timeout=30, what="7 sent")
    worker.kill()
    stack.smtp.release()
    delivered_before_restart = stack.smtp.total

    # Redis hands the unacknowledged batches to the new worker; stale claims are taken over.
    stack.worker()
    counts = stack.wait_until_settled(READERS, sending=13)
    assert "40 subscribers due" not in stack.tick()  # a later tick finds nothing left to do
    assert stack.digests() == counts

    assert delivered_before_restart < stack.smtp.total
    sent = {e for (e,) in stack.postgres.sql(
        "SELECT s.email FROM digest_digest d JOIN accounts_subscriber s ON s.id = d.subscriber_id"
        " WHERE d.status IN ('sent', 'sending')"
    )}  # fmt: skip
    assert stack.smtp.received == {email: 1 for email in sent}
    assert set(stack.smtp.received) <= set(emails)
    assert counts.get("failed", 0) == 0
    assert counts["sent"] + counts["sending"] + counts.get("skipped", 0) == READERS
    # The run counts every reader once, the interrupted ones included, and says so.
    [(due, sent, skipped, failed, interrupted, finished)] = stack.postgres.sql(
        "SELECT due, sent, skipped, failed, interrupted, finished_at IS NOT NULL"
        " FROM digest_digestrun ORDER BY id LIMIT 1"
    )
    assert (due, sent + skipped, failed, interrupted, finished) == (
        READERS,
        counts["sent"] + counts.get("skipped", 0),
        0,
        13,
        True,
    )
