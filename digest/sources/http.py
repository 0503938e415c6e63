"""A polite HTTP client for the paper sources: throttled, identified, retried with backoff."""

import time

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.exceptions import TimeoutError as Urllib3Timeout
from urllib3.util import Retry

from .base import SourceError, clean


class PoliteClient:
    """GETs at most one request every ``interval`` seconds, with retries on 429/5xx/timeouts.

    Every failure ends as a ``SourceError`` whose message says what went wrong and where.
    """

    def __init__(self, *, interval: float = 0.0):
        self.interval = interval
        self._last_request = None
        retry = Retry(
            total=settings.INGEST_RETRIES,
            backoff_factor=settings.INGEST_RETRY_BACKOFF,
            status_forcelist=(429, 500, 502, 503, 504),
            allowed_methods=("GET",),
            respect_retry_after_header=True,
            raise_on_status=False,
        )
        self.session = requests.Session()
        self.session.headers["User-Agent"] = settings.INGEST_USER_AGENT
        self.session.mount("https://", HTTPAdapter(max_retries=retry))
        self.session.mount("http://", HTTPAdapter(max_retries=retry))

    def _wait_turn(self):
        if self._last_request is not None:
            time.sleep(max(0.0, self._last_request + self.interval - time.monotonic()))
        self._last_request = time.monotonic()

    def get(self, url: str, params: dict | None = None) -> bytes:
        """The body of a GET, read as it streams in and refused past
        ``INGEST_MAX_RESPONSE_BYTES``, so a huge answer cannot exhaust memory."""
        self._wait_turn()
        try:
            with self.session.get(
                url, params=params, timeout=settings.INGEST_TIMEOUT, stream=True
            ) as response:
                if response.status_code >= 400:
                    detail = response.raw.read(1000, decode_content=True)
                    detail = clean(detail.decode(errors="replace"))[:200]
                    raise SourceError(
                        f"{response.url} answered HTTP {response.status_code} {response.reason}"
                        + (f": {detail}" if detail else "")
                    )
                return _read_capped(response)
        except requests.RequestException as e:
            if _timed_out(e):
                raise SourceError(
                    f"{url} did not answer within {settings.INGEST_TIMEOUT:g} seconds "
                    f"({settings.INGEST_RETRIES} retries)"
                ) from e
            raise SourceError(f"cannot reach {url}: {e}") from e


def _read_capped(response: requests.Response) -> bytes:
    cap = settings.INGEST_MAX_RESPONSE_BYTES
    too_big = SourceError(
        f"{response.url} sent more than {cap} bytes (INGEST_MAX_RESPONSE_BYTES); stopped reading"
    )
    if int(response.headers.get("Content-Length") or 0) > cap:
        raise too_big
    deadline = time.monotonic() + settings.INGEST_DOWNLOAD_TIMEOUT
    body = bytearray()
    # read1 returns what has come (up to 64 KB), so a server sending a few bytes a second
    # meets the deadline too (a full 64 KB read would wait for them all).
    while chunk := response.raw.read1(64 * 1024, decode_content=True):
        body += chunk
        if len(body) > cap:
            raise too_big
        if time.monotonic() > deadline:
            raise SourceError(
                f"{response.url} took more than {settings.INGEST_DOWNLOAD_TIMEOUT:g} seconds "
                "to send its answer (INGEST_DOWNLOAD_TIMEOUT); stopped reading"
            )
    return bytes(body)


def _timed_out(error: requests.RequestException) -> bool:
    """Also true when the retries ran out on timeouts (urllib3 then raises ConnectionError)."""
    reason = getattr(error.args[0], "reason", None) if error.args else None
    return isinstance(error, requests.Timeout) or isinstance(reason, Urllib3Timeout)
