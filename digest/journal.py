"""The delivery journal: which digests a worker started and finished sending.

It lives in the ``deliveries`` cache (Redis in production, files under ``VAR_DIR`` in the
demo), so a batch records its outcomes in the database with one statement at its end
instead of one write per message. Before sending a digest a worker adds an ``attempting``
entry, which only one worker can add, so two workers never send the same digest; it
replaces the entry with the outcome once the email server has answered. When a worker
dies mid-batch, whoever takes over its stale claim reads the journal: what the dead
worker sent is recorded as sent, what it failed as failed, and the one digest it was
sending when it died is left ``sending`` (never sent again: it may have arrived).
"""

from django.core.cache import caches

ATTEMPTING = ("attempting", "")
SENT = "sent"
FAILED = "failed"
KEEP_SECONDS = 7 * 24 * 3600
"""Outlives any claim timeout and retry backoff; entries are removed once recorded."""


def _cache():
    return caches["deliveries"]


def _key(digest_id: int) -> str:
    return f"delivery:{digest_id}"


def journal_begin(digest_id: int) -> bool:
    """Take the right to send ``digest_id``; False when a worker already took it."""
    return _cache().add(_key(digest_id), ATTEMPTING, KEEP_SECONDS)


def journal_record(digest_id: int, outcome: str, detail: str) -> None:
    """``SENT`` with the message id, or ``FAILED`` with the reason."""
    _cache().set(_key(digest_id), (outcome, detail), KEEP_SECONDS)


def journal_release(digest_id: int) -> None:
    """Give the digest back (a temporary failure): it may be sent again later."""
    _cache().delete(_key(digest_id))


def journal_read(digest_ids: list[int]) -> dict[int, tuple[str, str]]:
    """The entries of those digests that have one: ``(outcome, detail)`` by digest id."""
    found = _cache().get_many([_key(i) for i in digest_ids])
    return {i: found[_key(i)] for i in digest_ids if _key(i) in found}


def journal_forget(digest_ids: list[int]) -> None:
    """Drop entries once the database holds the outcomes."""
    _cache().delete_many([_key(i) for i in digest_ids])
