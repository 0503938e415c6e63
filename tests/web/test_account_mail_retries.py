"""Account mail through anymail to a loopback stand-in of Postmark's API: a message the
provider did not take is sent again, one that may have arrived is not. Tasks run as a
worker runs them (``throw=False``: a retry is applied again, not raised to the caller)."""

import pytest

from accounts.tasks import send_email_changed_notice, send_signin_link

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("status", [429, 503])
def test_a_sign_in_link_the_provider_did_not_take_arrives_once(subscriber, provider, status):
    provider.answer_next(status)
    provider.answer_next(200)

    assert send_signin_link.apply(["reader@example.org"], throw=False).successful()
    assert (provider.calls, provider.received) == (2, {"reader@example.org": 1})


def test_the_old_address_is_told_of_a_move_even_after_a_not_now(subscriber, provider):
    provider.answer_next(503)

    assert send_email_changed_notice.apply(
        [subscriber.id, "old@example.org"], throw=False
    ).successful()
    assert provider.received == {"old@example.org": 1}


def test_a_sign_in_link_that_may_have_arrived_is_not_sent_again(subscriber, provider):
    provider.answer_next(500, accept=True)  # taken, then an error: the sender cannot know

    assert send_signin_link.apply(["reader@example.org"], throw=False).failed()
    assert (provider.calls, provider.received) == (1, {"reader@example.org": 1})
