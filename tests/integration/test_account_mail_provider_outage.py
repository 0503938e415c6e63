"""An email provider that answers 429 to every call for a while, as in an outage, while
account mail waits. Each mail is tried on its retry schedule, one chain of retries at a
time, not once more for every minute's sweep (which would multiply the load on a provider
that asked for less), and arrives once when the provider is back. Real Redis and Celery
worker, the Postmark stand-in on loopback, on PostgreSQL and SQLite."""

import threading
import time

import pytest

from benchmarks.processes import PostmarkStandIn, Worker, django_env, manage, wait_for

pytestmark = pytest.mark.integration

MAILS = 10
OUTAGE = 12.0
"""Seconds every call is answered 429."""
SWEEP_EVERY = 0.5
"""Seconds between sweeps: beat's minute, scaled as ``ACCOUNT_MAIL_QUEUE_AGAIN_AFTER`` (1 s
here, 120 s by default) is."""
QUEUE_MAIL = (
    "from accounts.models import AccountMail, Subscriber; "
    "from accounts.tasks import send_account_mail; "
    "s = Subscriber.objects.create(email='mover@example.org', status='active'); "
    "ms = [AccountMail.objects.create(kind='email-changed', address=f'old{n}@example.org', "
    f"subscriber=s) for n in range({MAILS})]; "
    "[send_account_mail.delay(m.id) for m in ms]"
)
RETRIES = 6
"""``DIGEST_MAX_RETRIES``: a chain is the first attempt and six retries."""
CHAIN = sum(min(2, 2**retry) / 2 for retry in range(RETRIES))
"""Mean seconds of one chain: Celery's backoff (factor 1 s, at most 2 s here) with full
jitter waits a uniform time up to it before each retry (0.5 + 1 + 1 + 1 + 1 + 1)."""
ONE_CHAIN_AT_A_TIME = OUTAGE / (CHAIN + 1 + SWEEP_EVERY / 2) * (RETRIES + 1)
"""Calls a mail gets in the outage when its chains follow one another, each next one
queued by a sweep once the last is 1 s overdue: about 12.4 (measured 12.9 and 13.1; one
more chain for every sweep, as before, 59.4)."""
SWEEPS = f"""
import time
from django.utils import timezone
from accounts.services import account_mail_queue_unsent
end = time.monotonic() + {OUTAGE + 8}
while time.monotonic() < end:
    account_mail_queue_unsent(now=timezone.now())
    time.sleep({SWEEP_EVERY})
"""


@pytest.fixture
def provider():
    stand_in = PostmarkStandIn(latency=0.05).start()
    yield stand_in
    stand_in.stop()


def test_an_outage_is_not_made_worse_by_sweeps_and_each_mail_arrives_once(
    redis_server, provider, database_url, tmp_path
):
    redis_server.flush()
    env = django_env(
        database_url=database_url,
        redis_url=redis_server.url,
        email_url=None,
        var_dir=tmp_path,
        **provider.email_settings,
        ANYMAIL_REQUESTS_TIMEOUT=2,
        DIGEST_RETRY_BACKOFF=1,
        ACCOUNT_MAIL_RETRY_BACKOFF_MAX=2,
        DIGEST_MAX_RETRIES=RETRIES,
        ACCOUNT_MAIL_QUEUE_AGAIN_AFTER=1,
        LOG_LEVEL="WARNING",
    )
    manage(env, "migrate", "--no-input", "-v", "0")
    provider.answer_all(429)
    worker = Worker(env, concurrency=4, log_path=tmp_path / "worker.log").start()
    sweeper = threading.Thread(target=manage, args=(env, "shell", "-c", SWEEPS))
    try:
        manage(env, "shell", "-c", QUEUE_MAIL)
        sweeper.start()
        time.sleep(OUTAGE)
        provider.answer_all(None)
        calls_in_outage = provider.calls
        wait_for(lambda: provider.total >= MAILS, timeout=60, what="every mail")
        sweeper.join()
    finally:
        worker.stop()

    assert provider.received == {f"old{n}@example.org": 1 for n in range(MAILS)}
    assert calls_in_outage / MAILS <= 1.5 * ONE_CHAIN_AT_A_TIME, calls_in_outage / MAILS
