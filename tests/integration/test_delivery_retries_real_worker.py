"""Through a real worker and SMTP server: a 4xx is sent again shortly, a 5xx is final."""

import pytest

pytestmark = pytest.mark.integration


def _digest_of(stack, email):
    return stack.postgres.sql(
        "SELECT d.status, d.attempts, d.error FROM digest_digest d"
        " JOIN accounts_subscriber s ON s.id = d.subscriber_id WHERE s.email = %s",
        email,
    )[0]


def test_it_sends_again_after_a_temporary_refusal_and_delivers_once(stack):
    emails = stack.seed(12)
    stack.smtp.refuse("451 4.7.1 Greylisted, try again later")
    stack.worker()

    stack.tick()
    counts = stack.wait_until_settled(12)

    assert counts == {"sent": 12}
    assert stack.smtp.received == {email: 1 for email in emails}
    # sent again within the batch, or by the task it was handed on to (a second claim)
    assert {_digest_of(stack, e)[:2] for e in emails} <= {("sent", 1), ("sent", 2)}


def test_it_marks_a_permanent_refusal_failed_with_the_reason_and_does_not_retry(stack):
    emails = stack.seed(12)
    stack.smtp.refuse("550 5.1.1 User unknown")
    stack.worker()

    stack.tick()
    counts = stack.wait_until_settled(12)

    assert counts == {"sent": 11, "failed": 1}
    failed = [e for e in emails if _digest_of(stack, e)[0] == "failed"]
    _, attempts, error = _digest_of(stack, failed[0])
    assert attempts == 1
    assert "550" in error and "User unknown" in error
    assert failed[0] not in stack.smtp.received
    assert sum(stack.smtp.received.values()) == 11
