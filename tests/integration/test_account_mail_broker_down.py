"""A broker that is down at the moment a request queues a task. Account mail: the reader's
change is made and they are told so (no error page), and the mail is sent once Redis is
back, exactly once however often it is queued. Staff's "send a digest now": a clear
message that nothing was queued. And many mails, each queued many times to several worker
processes, are each sent once. Real gunicorn, Redis and Celery worker on PostgreSQL and
SQLite; mail lands in the outbox folder."""

from pathlib import Path

import pytest
import requests

from benchmarks.processes import Redis, Worker, django_env, free_port, manage, wait_for
from benchmarks.web import Server, press_button

pytestmark = pytest.mark.integration

CHANGE_LINK = (
    "from accounts.models import Subscriber; from accounts import links; "
    "s = Subscriber.objects.create(email='mover@example.org', status='active'); "
    "print(links.email_change_url(s, 'mover@new-lab.example'))"
)
QUEUE_AGAIN = (
    "from accounts.models import AccountMail; from accounts.tasks import send_account_mail, "
    "queue_unsent_account_mail; "
    "[send_account_mail.delay(m.id) for m in AccountMail.objects.all() for _ in range(3)]; "
    "queue_unsent_account_mail.delay(); queue_unsent_account_mail.delay()"
)


MAKE_STAFF = (
    "from django.contrib.auth.models import User; from accounts.models import Subscriber; "
    "User.objects.create_superuser('staff', 'staff@example.org', 'a long staff password'); "
    "print(Subscriber.objects.create(email='reader@example.org', status='active').id)"
)


@pytest.fixture
def redis():
    server = Redis().start()
    yield server
    server.stop()


MAILS = 40
QUEUE_MANY = (
    "from accounts.models import AccountMail, Subscriber; "
    "from accounts.tasks import send_account_mail, queue_unsent_account_mail; "
    "s = Subscriber.objects.create(email='many@example.org', status='active'); "
    "ms = [AccountMail.objects.create(kind='email-changed', address=f'old{n}@example.org', "
    f"subscriber=s) for n in range({MAILS})]; "
    "[send_account_mail.delay(m.id) for _ in range(4) for m in ms]; "
    "[queue_unsent_account_mail.delay() for _ in range(3)]"
)


@pytest.fixture
def env(redis, database_url, tmp_path):
    env = django_env(
        database_url=database_url,
        redis_url=redis.url,
        email_url=None,  # the outbox folder in ``tmp_path``
        var_dir=tmp_path,
        PORT=free_port(),
        ACCOUNT_MAIL_QUEUE_AGAIN_AFTER=0,
    )
    manage(env, "migrate", "--no-input", "-v", "0")
    return env


def stop(redis):
    redis.process.kill()
    redis.process.wait(10)


def test_a_move_made_while_the_broker_is_down_tells_the_old_address_once(redis, env, tmp_path):
    link = manage(env, "shell", "-c", CHANGE_LINK).strip()
    server = Server(env, workers=1).start()
    try:
        link = server.url + link[link.index("/email/") :]
        session = requests.Session()
        page = session.get(link, timeout=30)
        stop(redis)  # the broker goes away between the page and its button
        response = press_button(session, link, page, allow_redirects=False, timeout=60)
    finally:
        server.stop()

    assert (response.status_code, response.headers.get("Location")) == (302, "/account/")
    moved = manage(
        env,
        "shell",
        "-c",
        "from accounts.models import Subscriber as S; print(S.objects.get().email)",
    )
    assert moved.splitlines()[-1] == "mover@new-lab.example"
    outbox = Path(env["VAR_DIR"]) / "outbox"
    assert not list(outbox.glob("*mover@example.org.eml"))

    redis.start()  # back, and empty: the task queued at the commit never reached it
    worker = Worker(env, concurrency=4, log_path=tmp_path / "worker.log").start()
    try:
        manage(env, "shell", "-c", QUEUE_AGAIN)
        wait_for(
            lambda: list(outbox.glob("*mover@example.org.eml")),
            timeout=60,
            what="the notice to the old address",
        )
        wait_for(lambda: redis_idle(redis), timeout=60, what="the queued tasks to finish")
    finally:
        worker.stop()

    assert len(list(outbox.glob("*mover@example.org.eml"))) == 1


def redis_idle(redis) -> bool:
    """No task waiting in the queue nor taken and unacknowledged."""
    import redis as redis_py

    client = redis_py.Redis.from_url(redis.url)
    return client.llen("celery") == 0 and client.hlen("unacked") == 0


def test_staff_are_told_when_a_digest_could_not_be_queued(redis, env):
    reader = manage(env, "shell", "-c", MAKE_STAFF).splitlines()[-1]
    server = Server(env, workers=1).start()
    try:
        staff = requests.Session()
        login = server.url + "/admin/login/"
        press_button(
            staff,
            login,
            staff.get(login, timeout=30),
            data={"username": "staff", "password": "a long staff password"},
            timeout=30,
        )
        subscribers = server.url + "/admin/accounts/subscriber/"
        page = staff.get(subscribers, timeout=30)
        assert "reader@example.org" in page.text
        stop(redis)
        answer = press_button(
            staff,
            subscribers,
            page,
            data={"action": "send_digest_now", "_selected_action": [reader]},
            timeout=60,
        )
    finally:
        server.stop()

    assert answer.status_code == 200, answer.status_code
    assert "The task queue did not answer, so no digest was queued" in answer.text


def test_many_mails_each_queued_many_times_are_each_sent_once(redis, env, tmp_path):
    outbox = Path(env["VAR_DIR"]) / "outbox"
    worker = Worker(env, concurrency=4, log_path=tmp_path / "worker.log").start()
    try:
        manage(env, "shell", "-c", QUEUE_MANY)
        wait_for(lambda: redis_idle(redis), timeout=120, what="the queued tasks to finish")
    finally:
        worker.stop()

    sent = [len(list(outbox.glob(f"*-old{n}@example.org.eml"))) for n in range(MAILS)]
    assert sent == [1] * MAILS
