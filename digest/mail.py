"""Email delivery helpers: the local outbox backend, what a failed send means, the
shared send rate, and the durable commit of a claim made before sending.

A failed send is one of three things, and only the first may be sent again:

- ``NOT_ACCEPTED``: the provider certainly did not take the message, and may later. The
  connection was never made (refused, name lookup, connect timeout), the API answered 429
  (rate limit) or 503 (service unavailable: it is not taking requests), or the SMTP
  server refused it with a 4xx reply. Safe to send again.
- ``REJECTED``: refused for good (SMTP 5xx, API 4xx, every recipient refused). Not retried.
- ``UNKNOWN``: the request went out and no clear answer came back: a read timeout, a
  connection dropped mid-request, an API 500/502/504 (the provider may have queued the
  message before failing), a 2xx whose body cannot be read, or an SMTP connection lost
  during the transaction. The message may have arrived, so it is never sent again.
  Postmark's send API takes no idempotency key that would make such a retry safe.
"""

import contextlib
import enum
import logging
import smtplib
import socket
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path

import requests
from anymail.exceptions import AnymailAPIError, AnymailRecipientsRefused, AnymailRequestsAPIError
from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection as database
from django.db import transaction
from django.utils import timezone
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, NewConnectionError

log = logging.getLogger(__name__)


@contextlib.contextmanager
def durable_commit():
    """A transaction whose commit survives a database crash once acknowledged, whatever the
    server's ``synchronous_commit`` (``SET LOCAL``, so a connection pooler's next client is
    not affected). A claim that lets a message go (a digest's move to ``sending``, an
    account mail's claim) commits in one: undone by a crash after the provider took the
    message, it would let the message go again. Flushing its commit also flushes every
    commit before it. The outermost transaction (``durable=True``), so its commit is the
    one that counts. Measured on a cluster with ``synchronous_commit=off``: a crash right
    after a run let the next run send three readers a second digest and a sign-in link
    again; with durable claims, none (tests/integration/test_durable_commits.py)."""
    with transaction.atomic(durable=True):
        if database.vendor == "postgresql":
            with database.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO on")
        yield


class OutboxEmailBackend(BaseEmailBackend):
    """Writes each message as one ``.eml`` file in ``EMAIL_OUTBOX_DIR`` (the demo's inbox)."""

    def send_messages(self, email_messages):
        outbox = Path(settings.EMAIL_OUTBOX_DIR)
        outbox.mkdir(parents=True, exist_ok=True)
        for message in email_messages:
            recipient = message.to[0] if message.to else "unknown"
            stamp = timezone.now().strftime("%Y%m%d-%H%M%S-%f")
            safe = "".join(c if c.isalnum() or c in "@._-" else "_" for c in recipient)
            path = outbox / f"{stamp}-{safe}.eml"
            path.write_bytes(message.message().as_bytes(linesep="\r\n"))
        return len(email_messages)


class Failure(enum.Enum):
    NOT_ACCEPTED = "not accepted"
    REJECTED = "rejected"
    UNKNOWN = "unknown"


# HTTP answers that say the provider did not take the request: rate limited, not serving.
_NOT_ACCEPTED_STATUSES = {429, 503}


def classify_failure(exc: Exception) -> Failure:
    """What a send that raised ``exc`` means for the message (see the module docstring)."""
    if isinstance(exc, AnymailRecipientsRefused | smtplib.SMTPRecipientsRefused):
        return Failure.REJECTED
    if isinstance(exc, smtplib.SMTPResponseException):
        if isinstance(exc, smtplib.SMTPConnectError) or 400 <= exc.smtp_code < 500:
            return Failure.NOT_ACCEPTED
        return Failure.REJECTED
    if isinstance(exc, AnymailRequestsAPIError) and exc.status_code:
        if exc.status_code in _NOT_ACCEPTED_STATUSES:
            return Failure.NOT_ACCEPTED
        if exc.status_code >= 500 or exc.status_code < 300:
            return Failure.UNKNOWN
        return Failure.REJECTED
    if _never_connected(exc):
        return Failure.NOT_ACCEPTED
    if isinstance(exc, AnymailAPIError) and not isinstance(exc, requests.RequestException):
        return Failure.REJECTED  # refused before any request, e.g. an unsupported feature
    return Failure.UNKNOWN


class MessageNotAccepted(Exception):
    """The provider did not take a message, and may later: it is safe to send again."""


def send_message(message) -> None:
    """Send one message; MessageNotAccepted when the provider certainly did not take it
    (``Failure.NOT_ACCEPTED``), any other failure as raised (it may have arrived)."""
    try:
        message.send()
    except Exception as exc:
        if classify_failure(exc) is Failure.NOT_ACCEPTED:
            raise MessageNotAccepted(describe_failure(exc)) from exc
        raise


def _never_connected(exc: BaseException) -> bool:
    """True when ``exc`` (or what it wraps) failed while opening the connection."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, requests.ConnectTimeout | ConnectionRefusedError | socket.gaierror):
            return True
        if isinstance(exc, NewConnectionError | ConnectTimeoutError):
            return True
        if isinstance(exc, MaxRetryError):
            exc = exc.reason
        elif exc.args and isinstance(exc.args[0], BaseException):
            exc = exc.args[0]
        else:
            exc = exc.__cause__
        seen += 1
    return False


def retry_after(exc: Exception) -> float | None:
    """Seconds the provider asked us to wait (a ``Retry-After`` header), if it said."""
    response = getattr(exc, "response", None)
    value = response is not None and response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            return max(0.0, (parsedate_to_datetime(value) - timezone.now()).total_seconds())
        except (TypeError, ValueError):
            return None


def describe_failure(exc: Exception) -> str:
    """A delivery error as a person reads it, e.g. ``550 5.1.1 No such user here``."""
    if isinstance(exc, smtplib.SMTPResponseException):
        text = (
            exc.smtp_error.decode(errors="replace")
            if isinstance(exc.smtp_error, bytes)
            else exc.smtp_error
        )
        return f"{exc.smtp_code} {text}"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(
            f"{address}: {code} {reply.decode(errors='replace')}"
            for address, (code, reply) in exc.recipients.items()
        )
    return str(exc) or exc.__class__.__name__


class SendRate:
    """At most ``DIGEST_SEND_RATE`` messages a second across every worker (0: no limit).

    One Redis counter per second of wall clock, shared by all workers (a fixed window: a
    burst at a window's edge can reach twice the rate for an instant). Without Redis there
    is nothing to share, so no limit. If Redis cannot be reached the limit is skipped: the
    provider's own 429 answers still slow the batch down.
    """

    def __init__(self):
        self.rate = settings.DIGEST_SEND_RATE if settings.REDIS_URL else 0
        self._redis = None
        if self.rate:
            from django_redis import get_redis_connection

            self._redis = get_redis_connection("default")

    def wait(self, stop: threading.Event) -> None:
        """Block until this message may go (or ``stop`` is set)."""
        while self.rate and not stop.is_set():
            now = time.time()
            window = int(now)
            key = f"digest:send-rate:{window}"
            try:
                count, _ = self._redis.pipeline().incr(key).expire(key, 2).execute()
            except Exception as exc:  # noqa: BLE001 - any Redis trouble: send unlimited
                log.warning("send rate limit skipped: %s", exc)
                return
            if count <= self.rate:
                return
            stop.wait(window + 1 - now)


@dataclass
class Attempt:
    """How one send went: ``failure`` is None when the provider took the message."""

    failure: Failure | None
    detail: str  # the message id, or the reason it was not sent
    retry_after: float | None = None


class Sender:
    """Sends messages on up to ``concurrency`` threads, each with its own connection
    (an SMTP connection, or anymail's HTTP session), kept open for the whole batch."""

    def __init__(self, *, concurrency: int, stop: threading.Event):
        self.stop, self.rate = stop, SendRate()
        self._pool = ThreadPoolExecutor(concurrency, thread_name_prefix="digest-send")
        self._local, self._lock, self._connections = threading.local(), threading.Lock(), []

    def submit(self, message) -> Future:
        """Send ``message`` on a free thread; the future's result is an ``Attempt``."""
        return self._pool.submit(self._send, message)

    def _send(self, message) -> Attempt:
        self.rate.wait(self.stop)
        if self.stop.is_set():
            return Attempt(Failure.NOT_ACCEPTED, "Not sent: the worker is stopping.")
        try:
            self._connection().send_messages([message])
        except Exception as exc:  # noqa: BLE001 - every failure is classified, none is lost
            self._drop_connection()
            return Attempt(classify_failure(exc), describe_failure(exc)[:1000], retry_after(exc))
        status = getattr(message, "anymail_status", None)
        return Attempt(None, (status and status.message_id) or message.extra_headers["Message-ID"])

    def _connection(self):
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = get_connection()
            connection.open()  # opened here, so send_messages() keeps it open
            self._local.connection = connection
            with self._lock:
                self._connections.append(connection)
        return connection

    def _drop_connection(self):
        """After a failure the connection may be unusable: the next send opens a new one."""
        connection = getattr(self._local, "connection", None)
        self._local.connection = None
        if connection is not None:
            with contextlib.suppress(Exception):
                connection.close()

    def close(self):
        """Wait for the messages in flight, then close every connection."""
        self._pool.shutdown(wait=True)
        for connection in self._connections:
            with contextlib.suppress(Exception):
                connection.close()
