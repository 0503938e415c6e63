"""Real services on loopback for the integration tests and the benchmarks.

PostgreSQL and Redis are Debian's server binaries started in a temporary directory on a
free port; the SMTP sink is aiosmtpd in a thread of the calling process; the Celery
worker is ``celery -A digest worker`` in its own process group, so it can be killed.
Nothing here is a mock: the app talks to these through its ordinary settings
(``DATABASE_URL``, ``REDIS_URL``, ``EMAIL_URL``).
"""

import asyncio
import json
import os
import pwd
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, deque
from email.utils import getaddresses
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psutil
from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(Path(sys.executable))
CELERY = str(Path(sys.executable).with_name("celery"))
PG_BIN = Path("/usr/lib/postgresql/15/bin")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process, its live children and its reaped children."""
    try:
        parent = psutil.Process(pid)
        total = sum(parent.cpu_times())  # includes children_user/children_system: reaped ones
        for child in parent.children(recursive=True):
            try:
                times = child.cpu_times()
                total += times.user + times.system
            except psutil.NoSuchProcess:
                pass
        return total
    except psutil.NoSuchProcess:
        return 0.0


def wait_for(condition, *, timeout: float, interval: float = 0.05, what: str = "condition"):
    """Poll ``condition`` until it returns something truthy; that value is returned."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


class Postgres:
    """A throw-away PostgreSQL cluster. As root it runs as the ``postgres`` user (initdb
    refuses root)."""

    def __init__(self):
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="digest-pg-"))
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_user:
            user = pwd.getpwnam("postgres")
            os.chown(self.dir, user.pw_uid, user.pw_gid)
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/digest"

    def _run(self, *args):
        subprocess.run([*self.as_user, *args], check=True, capture_output=True, cwd=self.dir)

    def start(self):
        data = self.dir / "data"
        self._run(
            str(PG_BIN / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "--no-sync",
            "-E",
            "UTF8",
        )
        self._start()
        self._run(
            str(PG_BIN / "createdb"),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "digest",
        )
        return self

    def sql(self, query: str, *params):
        """Rows of one query, run through psycopg (the test process stays on SQLite)."""
        with self._connect() as conn:
            cursor = conn.execute(query, params or None)
            return cursor.fetchall() if cursor.description else []

    def execute(self, *statements: str):
        """Statements that cannot run in a transaction (CREATE DATABASE, ALTER SYSTEM), in
        order."""
        with self._connect(autocommit=True) as conn:
            for statement in statements:
                conn.execute(statement)

    def _connect(self, autocommit: bool = False):
        import psycopg

        return psycopg.connect(
            self.url.replace("postgres://", "postgresql://"), autocommit=autocommit
        )

    def restart(self, down: float = 0.0):
        """Stop the server as a crash would (every connection dropped, no clean shutdown)
        and start it again after ``down`` seconds, on the same port and data."""
        self._pg_ctl("-m", "immediate", "stop")
        time.sleep(down)
        self._start()
        return self

    def _start(self):
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        self._pg_ctl("-o", options, "-l", str(self.dir / "log"), "-w", "start")

    def _pg_ctl(self, *args: str):
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.dir / "data"), *args)

    def cpu_seconds(self) -> float:
        """CPU time of the server and its backends so far."""
        postmaster = (self.dir / "data" / "postmaster.pid").read_text().split()[0]
        return cpu_seconds(int(postmaster))

    def stop(self):
        self._pg_ctl("-m", "immediate", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)


class Redis:
    def __init__(self):
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="digest-redis-"))
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
            ],
            stdout=subprocess.DEVNULL,
        )
        wait_for(self.ping, timeout=10, what="redis-server")
        return self

    def ping(self) -> bool:
        import redis

        try:
            return redis.Redis.from_url(self.url, socket_timeout=1).ping()
        except redis.ConnectionError:
            return False

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.process.pid)

    def flush(self):
        import redis

        redis.Redis.from_url(self.url).flushall()

    def restart(self, down: float = 0.0):
        """Stop the server and start it again, empty (no persistence), on the same port."""
        self.process.kill()
        self.process.wait(10)
        time.sleep(down)
        return self.start()

    def stop(self):
        self.process.terminate()
        self.process.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)


class SmtpSink:
    """An SMTP server on loopback that counts what it accepts, per recipient.

    ``refuse(reply)`` answers the next DATA with ``reply`` (e.g. "451 try later") instead
    of accepting it. ``hold_from(n)`` holds the n-th accepted message and every later one
    (counted as received, but not answered) until ``release()``: the deterministic
    "worker dies in the middle of a batch" moment.
    """

    def __init__(self):
        self.port = free_port()
        self.url = f"smtp://127.0.0.1:{self.port}"
        self._lock = threading.Lock()
        self._refusals = deque()
        self._hold_from = None
        self._released = threading.Event()
        self.received = Counter()
        self.held = 0
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    def start(self):
        self.controller.start()
        return self

    def stop(self):
        self.release()
        self.controller.stop()

    def reset(self):
        with self._lock:
            self.received.clear()
            self._refusals.clear()
            self._hold_from, self.held = None, 0
            self._released.clear()

    def refuse(self, reply: str, times: int = 1):
        with self._lock:
            self._refusals.extend([reply] * times)

    def hold_from(self, n: int):
        with self._lock:
            self._hold_from = n
            self._released.clear()

    def release(self):
        self._released.set()

    @property
    def total(self) -> int:
        with self._lock:
            return sum(self.received.values())

    async def handle_DATA(self, server, session, envelope):
        with self._lock:
            if self._refusals:
                return self._refusals.popleft()
            for recipient in envelope.rcpt_tos:
                self.received[recipient.lower()] += 1
            accepted = sum(self.received.values())
            hold = self._hold_from is not None and accepted >= self._hold_from
            if hold:
                self.held += 1
        if hold:
            await asyncio.get_running_loop().run_in_executor(None, self._released.wait)
        return "250 OK"


class _ManyConnections(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024  # the listen backlog: hundreds of senders connect at once

    def handle_error(self, request, client_address):
        pass  # a sender that was killed or gave up: nothing to report


class PostmarkStandIn:
    """Postmark's send API (``POST /email``, what anymail's postmark backend calls) on
    loopback, answering after ``latency`` ± ``jitter`` seconds; a thread per connection.

    Each call draws its answer from a seeded RNG: ``throttle_rate`` of them 429 and
    ``unavailable_rate`` 503 (Postmark took nothing, the sender may retry),
    ``error_rate`` 500 *after* taking the message (the sender cannot know; a retry would
    be a duplicate), and ``hang_rate`` accept the message and answer only after ``hang``
    seconds (beyond the sender's timeout). ``answer_next(status, accept=...)`` queues
    answers for the next calls; ``answer_all(status)`` gives every call ``status`` (an
    outage) until ``answer_all(None)``. Counts each recipient's accepted messages and the most
    requests in flight at once.
    """

    def __init__(
        self,
        *,
        latency: float = 0.0,
        jitter: float = 0.0,
        throttle_rate: float = 0.0,
        unavailable_rate: float = 0.0,
        error_rate: float = 0.0,
        hang_rate: float = 0.0,
        hang: float = 30.0,
        seed: int = 0,
    ):
        self.latency, self.jitter, self.hang = latency, jitter, hang
        self.rates = [
            (throttle_rate, 429, False),
            (unavailable_rate, 503, False),
            (error_rate, 500, True),
        ]
        self.hang_rate = hang_rate
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._scripted = deque()
        self._outage = None
        self.received = Counter()
        self.calls = self.in_flight = self.max_in_flight = 0
        self.server = _ManyConnections(("127.0.0.1", free_port()), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"

    def start(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def reset(self):
        with self._lock:
            self.received.clear()
            self._scripted.clear()
            self.calls = self.in_flight = self.max_in_flight = 0

    def answer_next(self, status: int, *, accept: bool = False, delay: float | None = None):
        """The next call gets ``status`` (after ``delay`` s), the message kept if ``accept``."""
        with self._lock:
            self._scripted.append((status, accept, delay))

    @property
    def email_settings(self) -> dict[str, str]:
        """The environment that sends a project process's mail here, through anymail's
        Postmark backend."""
        return {
            "EMAIL_BACKEND": "anymail.backends.postmark.EmailBackend",
            "ANYMAIL_POSTMARK_API_URL": self.url,
            "ANYMAIL_POSTMARK_SERVER_TOKEN": "stand-in",
        }

    def answer_all(self, status: int | None):
        """Every call gets ``status`` (nothing taken) until ``answer_all(None)``."""
        with self._lock:
            self._outage = status

    @property
    def total(self) -> int:
        with self._lock:
            return sum(self.received.values())

    def _answer(self) -> tuple[int, bool, float]:
        """(status, whether the message is kept, seconds before answering) of one call."""
        with self._lock:
            self.calls += 1
            if self._outage is not None:
                return self._outage, False, self.latency
            if self._scripted:
                status, accept, delay = self._scripted.popleft()
                return status, accept or status == 200, self.latency if delay is None else delay
            draw, delay = self._random.random(), self._random.uniform(-1, 1) * self.jitter
            delay = max(0.0, self.latency + delay)
            for rate, status, accept in self.rates:
                if draw < rate:
                    return status, accept, delay
                draw -= rate
            if draw < self.hang_rate:
                return 200, True, self.hang
            return 200, True, delay

    def _handle(self, body: bytes) -> tuple[int, dict]:
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            status, accept, delay = self._answer()
            message = json.loads(body)
            recipients = [a.lower() for _, a in getaddresses([message.get("To", "")]) if a]
            if accept:
                with self._lock:
                    self.received.update(recipients)
            time.sleep(delay)
        finally:
            with self._lock:
                self.in_flight -= 1
        if status != 200:
            return status, {"ErrorCode": status, "Message": f"stand-in answer {status}"}
        return 200, {
            "To": message.get("To", ""),
            "SubmittedAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "MessageID": str(uuid.uuid4()),
            "ErrorCode": 0,
            "Message": "OK",
        }

    def _handler(self):
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as anymail's requests session expects

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.path.rstrip("/") != "/email":
                    status, answer = 404, {"ErrorCode": 404, "Message": "not found"}
                else:
                    status, answer = stand_in._handle(body)
                data = json.dumps(answer).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the sender gave up waiting (its timeout)

            def log_message(self, *args):
                pass

        return Handler


def django_env(*, database_url: str, redis_url: str, email_url: str | None, var_dir: Path, **extra):
    """Environment for a Django/Celery process of this project against the given services,
    with DEBUG off as in production (DEBUG keeps every SQL statement in memory). Without
    ``email_url``, pass ``EMAIL_BACKEND`` and its ``ANYMAIL_*`` settings in ``extra``."""
    env = dict(os.environ)
    env.pop("EMAIL_BACKEND", None)
    env.pop("EMAIL_URL", None)
    env.update(
        DJANGO_SETTINGS_MODULE="digest.settings",
        DEBUG="false",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        VAR_DIR=str(var_dir),
        PYTHONUNBUFFERED="1",
    )
    if email_url:
        env["EMAIL_URL"] = email_url
    env.update({key: str(value) for key, value in extra.items()})
    return env


def manage(env: dict, *args: str, timeout: float = 600) -> str:
    """Run ``manage.py`` with ``env``; its stdout, or CalledProcessError with its stderr."""
    return _python(env, "manage.py", *args, timeout=timeout)


def _python(env: dict, *args: str, timeout: float) -> str:
    done = subprocess.run(
        [PYTHON, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode:
        raise subprocess.CalledProcessError(done.returncode, args, done.stdout, done.stderr)
    return done.stdout


def seed(env: dict, *, subscribers: int, timeout: float = 900) -> str:
    """Migrate, load the sample papers (ingested now), build the paper index now (not in
    the task the ingest queued, which waits for a worker) and ``subscribers`` active readers."""
    manage(env, "migrate", "--no-input", "-v", "0", timeout=timeout)
    manage(env, "ingest_papers", str(ROOT / "data" / "papers.jsonl"), timeout=timeout)
    manage(env, "build_index", timeout=timeout)
    return _python(env, "-m", "benchmarks.processes", "seed", str(subscribers), timeout=timeout)


def _seed_subscribers(count: int) -> None:
    """Readers ``reader<i>@example.org``, daily at 00:00 UTC (due at any tick), each with
    the keywords of one of the judged personas in data/dev_judgments.json."""
    import json

    import django

    django.setup()
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import Interest, Subscriber

    personas = json.loads((ROOT / "data" / "dev_judgments.json").read_text())["personas"]
    keywords = [p["keywords"] for p in personas]
    start = Subscriber.objects.count()
    now = timezone.now()
    chunk = 5000
    for first in range(start, start + count, chunk):
        numbers = range(first, min(first + chunk, start + count))
        with transaction.atomic():
            readers = Subscriber.objects.bulk_create(
                Subscriber(
                    email=f"reader{i}@example.org",
                    status=Subscriber.Status.ACTIVE,
                    confirmed_at=now,
                    send_hour=0,
                    timezone="UTC",
                )
                for i in numbers
            )
            Interest.objects.bulk_create(
                Interest(subscriber=reader, phrase=phrase)
                for i, reader in zip(numbers, readers, strict=True)
                for phrase in keywords[i % len(keywords)]
            )
    print(f"seeded {count} subscribers")


class Worker:
    """``celery -A digest worker`` (prefork, ``concurrency`` processes) in its own process
    group; ``kill()`` SIGKILLs the whole group, as when a machine dies."""

    def __init__(self, env: dict, *, concurrency: int = 2, log_path: Path):
        self.env, self.concurrency, self.log_path = env, concurrency, log_path
        self.process = None

    def start(self, timeout: float = 60):
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab")
        self._log.write(b"\n--- worker start ---\n")
        self._log.flush()
        self._offset = self.log_path.stat().st_size
        self.process = subprocess.Popen(
            [
                CELERY,
                "-A",
                "digest",
                "worker",
                "-c",
                str(self.concurrency),
                "-P",
                "prefork",
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
                "-l",
                "info",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for(self._ready, timeout=timeout, interval=0.1, what="the celery worker")
        return self

    def _ready(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError(f"celery worker exited; see {self.log_path}")
        with self.log_path.open("rb") as log:
            log.seek(self._offset)
            return b" ready." in log.read()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def rss(self) -> int:
        """Current resident memory of the worker and its children together, in bytes."""
        try:
            parent = psutil.Process(self.process.pid)
            return sum(p.memory_info().rss for p in [parent, *parent.children(recursive=True)])
        except psutil.NoSuchProcess:
            return 0

    def cpu_seconds(self) -> float:
        """CPU time of the worker's main process and its pool processes so far."""
        return cpu_seconds(self.process.pid)

    def kill(self):
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
        self._log.close()

    def kill_pool_process(self, rng=random):
        """SIGKILL one of the worker's pool processes; the worker starts another."""
        children = psutil.Process(self.process.pid).children()
        if children:
            os.kill(rng.choice(children).pid, signal.SIGKILL)

    def terminate(self, timeout: float = 60) -> int:
        """SIGTERM to the main process only, as ``docker stop`` does; its exit status."""
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout)
        self._log.close()
        return code

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        if not self._log.closed:
            self._log.close()


if __name__ == "__main__":
    if sys.argv[1:2] == ["seed"]:
        sys.path.insert(0, str(ROOT))
        _seed_subscribers(int(sys.argv[2]))
    else:
        sys.exit("usage: python -m benchmarks.processes seed N")
