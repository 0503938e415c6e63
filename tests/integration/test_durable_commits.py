"""A claim that lets a message go is committed durably, whatever the database's
``synchronous_commit``: a PostgreSQL crash right after a run, on a database that
acknowledges commits before they are written (the test cluster's setting, for speed, and
one an operator may choose), does not let the next run send the same mail again."""

import time
from pathlib import Path

import pytest

from benchmarks.processes import django_env, manage, seed

pytestmark = pytest.mark.integration

CLAIM_TIMEOUT = 1
MAKE_SIGNIN_MAIL = """
from django.utils import timezone
from accounts.models import AccountMail, Subscriber
Subscriber.objects.create(email="reader@example.org", status="active", confirmed_at=timezone.now())
print(AccountMail.objects.create(kind="signin", address="reader@example.org").id)
"""


@pytest.fixture
def slow_wal_writer(postgres):
    """Asynchronous commits stay unwritten for up to 10 s (the WAL writer's longest
    sleep), so a crash within that undoes them every time rather than by chance."""
    postgres.execute("ALTER SYSTEM SET wal_writer_delay = '10s'", "SELECT pg_reload_conf()")
    yield
    postgres.execute("ALTER SYSTEM RESET wal_writer_delay", "SELECT pg_reload_conf()")


@pytest.fixture
def env(new_database, tmp_path, slow_wal_writer):
    """A new database that commits asynchronously (as the session's cluster does), tasks
    run in-process, mail written to the outbox folder."""
    return django_env(database_url=new_database(), redis_url="", email_url=None, var_dir=tmp_path)


def sent(env) -> int:
    return len(list((Path(env["VAR_DIR"]) / "outbox").glob("*.eml")))


def test_digests_sent_before_a_crash_are_not_sent_again(postgres, env):
    env["DIGEST_CLAIM_TIMEOUT"] = str(CLAIM_TIMEOUT)
    seed(env, subscribers=3)
    postgres.sql("CHECKPOINT")  # what was set up survives the crash
    manage(env, "send_digests")
    first = sent(env)

    postgres.restart()
    time.sleep(CLAIM_TIMEOUT + 0.5)  # a claim left by a stopped run may be taken over
    manage(env, "send_digests")

    assert first == 3
    assert sent(env) == first


def test_account_mail_sent_before_a_crash_is_not_sent_again(postgres, env):
    manage(env, "migrate", "--no-input", "-v", "0")
    mail_id = int(manage(env, "shell", "-v", "0", "-c", MAKE_SIGNIN_MAIL))
    postgres.sql("CHECKPOINT")
    send = f"from accounts.services import account_mail_send; account_mail_send(mail_id={mail_id})"
    manage(env, "shell", "-c", send)
    first = sent(env)

    postgres.restart()
    manage(env, "shell", "-c", send)

    assert first == 1
    assert sent(env) == first
