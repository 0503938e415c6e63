"""Real PostgreSQL, Redis and SMTP servers on loopback, started once per test session, and
Celery workers started per test. The app runs in subprocesses against them; the test
process itself stays on its SQLite test database and reads PostgreSQL with plain SQL."""

import uuid

import pytest

from benchmarks.processes import (
    Postgres,
    Redis,
    SmtpSink,
    Worker,
    django_env,
    manage,
    seed,
    wait_for,
)


@pytest.fixture(scope="session")
def postgres():
    server = Postgres().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_server():
    server = Redis().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def smtp_server():
    server = SmtpSink().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def base_env(postgres, redis_server, smtp_server, tmp_path_factory):
    env = django_env(
        database_url=postgres.url,
        redis_url=redis_server.url,
        email_url=smtp_server.url,
        var_dir=tmp_path_factory.mktemp("var"),
        DIGEST_BATCH_SIZE=10,
        DIGEST_CLAIM_TIMEOUT=2,
        DIGEST_RETRY_BACKOFF=1,
        CELERY_VISIBILITY_TIMEOUT=3,
        CELERY_UNACKED_RESTORE_INTERVAL=1,
    )
    seed(env, subscribers=0)  # migrate and load the sample papers once
    return env


class Stack:
    """The services of one test, emptied of subscribers, digests and queued tasks."""

    def __init__(self, env, postgres, smtp, logs):
        self.env, self.postgres, self.smtp, self.logs = env, postgres, smtp, logs
        self.workers = []

    def seed(self, subscribers: int) -> list[str]:
        manage(
            self.env,
            "shell",
            "-c",
            f"from benchmarks.processes import _seed_subscribers as s; s({subscribers})",
        )
        return [email for (email,) in self.postgres.sql("SELECT email FROM accounts_subscriber")]

    def worker(self) -> Worker:
        worker = Worker(self.env, concurrency=2, log_path=self.logs / "worker.log").start()
        self.workers.append(worker)
        return worker

    def tick(self) -> str:
        """What the hourly beat does: choose who is due and queue their batches."""
        return manage(self.env, "send_digests")

    def digests(self) -> dict[str, int]:
        return dict(self.postgres.sql("SELECT status, count(*) FROM digest_digest GROUP BY status"))

    def wait_until_settled(self, due: int, *, sending: int = 0, timeout: float = 90):
        """Wait until every due digest is done: sent, skipped or failed, except ``sending``
        ones that a killed worker left behind (never sent again)."""

        def settled():
            counts = self.digests()
            done = sum(counts.get(s, 0) for s in ("sent", "skipped", "failed"))
            return counts if (done, counts.get("sending", 0)) == (due - sending, sending) else None

        return wait_for(settled, timeout=timeout, interval=0.2, what=f"{due} digests done")


@pytest.fixture
def stack(base_env, postgres, redis_server, smtp_server, tmp_path):
    postgres.sql(
        "TRUNCATE accounts_subscriber, digest_digest, digest_digestitem, digest_digestrun CASCADE"
    )
    redis_server.flush()
    smtp_server.reset()
    stack = Stack(base_env, postgres, smtp_server, tmp_path)
    yield stack
    for worker in stack.workers:
        worker.stop()


@pytest.fixture(params=["postgresql", "sqlite"])
def database_url(request, tmp_path) -> str:
    """A database of the test's own: a new one in the session's PostgreSQL (other tests see
    no trace of it), or an SQLite file."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'db.sqlite3'}"
    return request.getfixturevalue("new_database")()


@pytest.fixture
def new_database(postgres):
    """Makes a new database in the session's PostgreSQL and gives its URL."""

    def create() -> str:
        name = f"test_{uuid.uuid4().hex[:8]}"
        postgres.execute(f"CREATE DATABASE {name}")
        return postgres.url.rpartition("/")[0] + "/" + name

    return create
