"""Account mail through anymail to a loopback stand-in of Postmark's API: a message the
provider did not take is sent again, one that may have arrived is not, and a mail queued
any number of times (at the commit, again by the minute's sweep, redelivered) is sent
once. Tasks go to a queue (``queued``) and run as a worker runs them."""

import os
import random
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

import accounts.tasks
from accounts.models import AccountMail
from accounts.services import account_mail_queue_unsent, account_mail_send
from accounts.tasks import send_account_mail
from digest.celery import app as celery_app
from digest.mail import MessageNotAccepted

pytestmark = pytest.mark.django_db

TRIALS = int(os.environ.get("ACCOUNT_MAIL_FAULT_TRIALS", 40))
SEED = int(os.environ.get("ACCOUNT_MAIL_FAULT_SEED", random.randrange(2**32)))


def queue_mail(kind, address, subscriber=None) -> AccountMail:
    """Account mail a request stored, and its task queued at the commit."""
    mail = AccountMail.objects.create(kind=kind, address=address, subscriber=subscriber)
    send_account_mail.delay(mail.id)
    return mail


def sweep_later(queued) -> int:
    """The minute's sweep, once the mail is old enough to be queued again, and a worker
    running what it queued."""
    count = account_mail_queue_unsent(now=timezone.now() + timedelta(minutes=10))
    queued.run()
    return count


@pytest.mark.parametrize("status", [429, 503])
def test_a_sign_in_link_the_provider_did_not_take_arrives_once(
    subscriber, provider, queued, status
):
    provider.answer_next(status)
    provider.answer_next(200)

    queue_mail("signin", "reader@example.org")
    [result] = queued.run()
    assert result.successful()
    assert (provider.calls, provider.received) == (2, {"reader@example.org": 1})
    assert sweep_later(queued) == 0


def test_the_old_address_is_told_of_a_move_even_after_a_not_now(subscriber, provider, queued):
    provider.answer_next(503)

    queue_mail("email-changed", "old@example.org", subscriber)
    [result] = queued.run()
    assert result.successful()
    assert provider.received == {"old@example.org": 1}


def test_a_sign_in_link_that_may_have_arrived_is_not_sent_again(subscriber, provider, queued):
    provider.answer_next(500, accept=True)  # taken, then an error: the sender cannot know

    signin = queue_mail("signin", "reader@example.org")
    [result] = queued.run()
    assert result.failed()
    assert sweep_later(queued) == 0
    send_account_mail.delay(signin.id)  # redelivered
    [result] = queued.run()
    assert result.successful()
    assert (provider.calls, provider.received) == (1, {"reader@example.org": 1})


def test_mail_the_provider_refused_through_every_retry_is_sent_by_a_later_sweep(
    subscriber, provider, queued, settings
):
    for _ in range(settings.DIGEST_MAX_RETRIES + 1):
        provider.answer_next(503)

    queue_mail("signin", "reader@example.org")
    [result] = queued.run()
    assert result.failed()
    assert (provider.calls, provider.received) == (settings.DIGEST_MAX_RETRIES + 1, {})
    assert account_mail_queue_unsent(now=timezone.now()) == 0 and not queued  # not yet
    assert sweep_later(queued) == 1
    assert provider.received == {"reader@example.org": 1}
    sweep = settings.CELERY_BEAT_SCHEDULE["queue-unsent-account-mail"]
    assert sweep["task"] == "accounts.tasks.queue_unsent_account_mail"


def test_the_sweep_leaves_a_refused_mail_to_its_retry_until_the_retry_is_overdue(
    subscriber, provider, queued, settings
):
    provider.answer_next(429)
    mail = AccountMail.objects.create(kind="signin", address="reader@example.org")
    with pytest.raises(MessageNotAccepted):
        account_mail_send(mail_id=mail.id, retry_in=600)  # the task retries in ten minutes

    overdue = timedelta(seconds=600 + settings.ACCOUNT_MAIL_QUEUE_AGAIN_AFTER + 1)
    assert account_mail_queue_unsent(now=timezone.now() + timedelta(minutes=9)) == 0
    assert account_mail_queue_unsent(now=timezone.now() + overdue) == 1  # the retry was lost
    queued.run()
    assert provider.received == {"reader@example.org": 1}


def test_a_mail_queued_again_is_not_queued_again_every_minute_while_the_queue_is_slow(
    subscriber, provider, queued, settings
):
    AccountMail.objects.create(kind="signin", address="reader@example.org")
    again = timedelta(seconds=settings.ACCOUNT_MAIL_QUEUE_AGAIN_AFTER + 1)
    now = timezone.now() + again

    assert account_mail_queue_unsent(now=now) == 1
    assert account_mail_queue_unsent(now=now + timedelta(minutes=1)) == 0  # not run yet
    assert account_mail_queue_unsent(now=now + again) == 1
    queued.run()
    assert (provider.calls, provider.received) == (1, {"reader@example.org": 1})


def test_a_link_refused_late_in_its_retries_is_tried_again_within_minutes(
    subscriber, provider, settings, monkeypatch
):
    """Late in a chain, the digests' backoff waits up to half an hour; a reader waiting for
    a sign-in link should get it minutes after an outage ends."""
    monkeypatch.setitem(celery_app.conf, "task_eager_propagates", False)  # as a worker
    # Celery's backoff without its jitter: the longest of the waits it chooses among.
    backoff = accounts.tasks.get_exponential_backoff_interval
    monkeypatch.setattr(
        accounts.tasks,
        "get_exponential_backoff_interval",
        lambda **options: backoff(**{**options, "full_jitter": False}),
    )
    mail = AccountMail.objects.create(kind="signin", address="reader@example.org")
    last_retry = settings.DIGEST_MAX_RETRIES - 1
    waits = []
    for _ in range(20):
        provider.answer_next(429)  # then 200, from the retry
        assert send_account_mail.apply(args=[mail.id], retries=last_retry).successful()
        # The wait was counted from a moment before this one: its bound, not its value.
        answered_at = timezone.now()
        mail.refresh_from_db()
        waits.append((mail.next_attempt_at - answered_at).total_seconds())
        AccountMail.objects.filter(id=mail.id).update(claimed_at=None)

    assert provider.received == {"reader@example.org": 20}
    assert max(waits) <= settings.ACCOUNT_MAIL_RETRY_BACKOFF_MAX == 300


def test_mail_stored_by_the_release_before_next_attempts_were_kept_is_sent(
    subscriber, provider, queued
):
    """During a deploy, web processes of the previous release still store account mail
    without ``next_attempt_at``: the database fills it in, so the request does not fail."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO accounts_accountmail (kind, address, created_at) VALUES (%s, %s, %s)",
            ["signin", "reader@example.org", timezone.now()],
        )

    assert sweep_later(queued) == 1
    assert provider.received == {"reader@example.org": 1}


def test_mail_older_than_a_day_is_forgotten(subscriber, provider, queued):
    old = AccountMail.objects.create(kind="signin", address="reader@example.org")
    AccountMail.objects.filter(id=old.id).update(created_at=timezone.now() - timedelta(days=2))

    assert sweep_later(queued) == 0
    assert not AccountMail.objects.exists() and provider.calls == 0


def test_each_mail_arrives_once_however_its_tasks_and_sweeps_interleave(
    subscriber, provider, queued
):
    """Randomized: notices of moves whose tasks were lost or queued several times, queued
    again by sweeps, in any order, while the provider answers 429, 503 or 200 at random.
    Each address gets its mail exactly once. ACCOUNT_MAIL_FAULT_SEED repeats a failing
    sequence."""
    rng = random.Random(SEED)
    for trial in range(TRIALS):
        provider.reset()
        AccountMail.objects.all().delete()
        addresses = [f"old{trial}-{n}@example.org" for n in range(rng.randint(1, 4))]
        mails = [
            AccountMail.objects.create(kind="email-changed", address=a, subscriber=subscriber)
            for a in addresses
        ]
        for _ in range(3 * len(mails)):
            provider.answer_next(rng.choice([200, 200, 429, 503]))
        steps = [m.id for m in mails for _ in range(rng.randint(0, 3))] + [None] * 2
        rng.shuffle(steps)
        for mail_id in steps:
            if mail_id is None:
                sweep_later(queued)
            else:
                send_account_mail.delay(mail_id)
                if rng.random() < 0.5:
                    queued.run()
        queued.run()
        sweep_later(queued)
        assert provider.received == Counter(dict.fromkeys(addresses, 1)), f"seed {SEED}"
