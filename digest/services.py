"""Writes: ingesting papers, and building, claiming and sending digests."""

import itertools
import logging
import threading
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email.utils import make_msgid

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts import links
from accounts.models import Subscriber, new_feed_token

from . import editions, index_store, selectors
from .emails import make_message
from .mail import Attempt, Failure, Sender, durable_commit
from .models import Digest, DigestItem, DigestRun, IngestRun, Paper, Rating
from .ranking import PaperIndex
from .sources import SOURCES
from .sources.base import Page, PaperRecord, SourceError
from .sources.http import PoliteClient

log = logging.getLogger(__name__)


# --- Papers ------------------------------------------------------------------------------


@dataclass
class UpsertResult:
    seen: int = 0
    new: int = 0
    updated: int = 0
    text_changed: int = 0
    """New papers and papers whose title or abstract changed (the index must be rebuilt)."""


_MERGED_FIELDS = [
    "external_id",
    "version",
    "title",
    "title_key",
    "abstract",
    "authors",
    "authors_count",
    "categories",
    "primary_category",
    "published",
    "updated",
    "abs_url",
    "pdf_url",
    "upvotes",
    "updated_at",
]


def _merge(paper: Paper, record: PaperRecord) -> bool:
    """Fold a record into a known paper; True when anything changed.

    A newer version replaces the text; otherwise only blanks are filled in.
    Upvotes are always refreshed when the record has them.
    """
    before = {name: getattr(paper, name) for name in _MERGED_FIELDS}
    newer = record.version > paper.version
    for name in _MERGED_FIELDS[:-1]:
        if name in ("title_key", "upvotes"):
            continue
        value = getattr(record, name)
        if value in ("", None, []):
            continue
        if newer or getattr(paper, name) in ("", None, []):
            setattr(paper, name, value)
    if record.upvotes is not None:
        paper.upvotes = record.upvotes
    paper.title_key = Paper.key_of(paper.title)
    changed = any(getattr(paper, name) != value for name, value in before.items())
    if changed:
        paper.updated_at = timezone.now()
    return changed


def papers_upsert(*, records: list[PaperRecord], source: str) -> UpsertResult:
    """Store each paper once: merge by external id, else by normalized title. One transaction."""
    result = UpsertResult(seen=len(records))
    if not records:
        return result
    ids = {r.external_id for r in records if r.external_id}
    keys = {Paper.key_of(r.title) for r in records}
    with transaction.atomic():
        known = list(
            Paper.objects.select_for_update().filter(Q(external_id__in=ids) | Q(title_key__in=keys))
        )
        by_id = {p.external_id: p for p in known if p.external_id}
        by_title = {}
        for paper in known:
            by_title.setdefault(paper.title_key, paper)
        new, changed = [], {}
        for record in records:
            key = Paper.key_of(record.title)
            paper = by_id.get(record.external_id) if record.external_id else None
            if paper is None:
                same_title = by_title.get(key)
                if same_title is not None and (
                    not record.external_id
                    or not same_title.external_id
                    or same_title.external_id == record.external_id
                ):
                    paper = same_title
            if paper is None:
                paper = Paper(source=source, title_key=key)
                paper.version = 0  # so that _merge takes every field of the record
                _merge(paper, record)
                paper.version = record.version
                new.append(paper)
            else:
                text = (paper.title, paper.abstract)
                if _merge(paper, record) and paper.pk:
                    changed[paper.pk] = paper
                    result.text_changed += (paper.title, paper.abstract) != text
            if paper.external_id:
                by_id[paper.external_id] = paper
            by_title.setdefault(paper.title_key, paper)
        Paper.objects.bulk_create(new)
        Paper.objects.bulk_update(list(changed.values()), _MERGED_FIELDS)
    result.new, result.updated = len(new), len(changed)
    result.text_changed += len(new)
    return result


def ingest_source(
    *,
    source: str,
    categories: list[str] | None = None,
    since: date | None = None,
    on_page: Callable[[IngestRun, Page], None] | None = None,
) -> IngestRun:
    """Fetch one source into Papers, from where its last good run stopped (or from ``since``).

    Each page is upserted in its own transaction, so a failure keeps the pages before it
    and never leaves a half-written paper. The IngestRun records the counts, the new
    cursor (only when the run succeeds) and what went wrong.
    """
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}; known: {', '.join(SOURCES)}")
    categories = categories or settings.ARXIV_CATEGORIES
    last_good = (
        IngestRun.objects.filter(
            source=source, status=IngestRun.Status.OK, params__categories=categories
        )
        .exclude(cursor="")
        .first()
    )
    cursor = "" if since or last_good is None else last_good.cursor
    if not since and not cursor:
        since = timezone.now().date() - timedelta(days=settings.INGEST_FIRST_RUN_DAYS)
    # A run of this source still "running" an hour on: its process was killed.
    IngestRun.objects.filter(
        source=source,
        status=IngestRun.Status.RUNNING,
        started_at__lt=timezone.now() - timedelta(hours=1),
    ).update(
        status=IngestRun.Status.FAILED,
        finished_at=timezone.now(),
        error="interrupted: its process stopped before the run ended",
    )
    run = IngestRun.objects.create(
        source=source,
        params={"categories": categories, "since": since and since.isoformat(), "cursor": cursor},
    )
    client = PoliteClient(interval=settings.ARXIV_REQUEST_INTERVAL)
    newest, problems = cursor, []
    try:
        fetch = SOURCES[source].fetch
        for page in fetch(client=client, categories=categories, since=since, cursor=cursor):
            result = papers_upsert(records=page.records, source=source)
            run.seen += result.seen
            run.new += result.new
            run.updated += result.updated
            run.text_changed += result.text_changed
            run.failed += len(page.skipped)
            problems += page.skipped
            newest = max(newest, page.cursor)
            run.save(update_fields=["seen", "new", "updated", "text_changed", "failed"])
            if on_page:
                on_page(run, page)
    except SourceError as e:
        run.status, problems = IngestRun.Status.FAILED, [str(e), *problems]
    except Exception as e:
        run.status, problems = IngestRun.Status.FAILED, [f"{type(e).__name__}: {e}", *problems]
        raise
    else:
        run.status, run.cursor = IngestRun.Status.OK, newest
    finally:
        run.error = "\n".join(problems)[:10000]
        run.finished_at = timezone.now()
        run.save()
        for problem in problems:
            log.warning("ingest %s: %s", source, problem)
        log.info(
            "ingest %s run %s: %s, seen=%d new=%d updated=%d skipped=%d cursor=%s",
            source,
            run.id,
            run.status,
            run.seen,
            run.new,
            run.updated,
            run.failed,
            run.cursor or "-",
        )
    return run


# --- The paper index ---------------------------------------------------------------------


def index_build(*, now: datetime | None = None) -> str | None:
    """Fit the paper index on the papers of the last ``INDEX_WINDOW_DAYS`` and make it the
    current version every process loads (``digest.index_store``); its name is returned,
    None when there is no paper in the window. Builds are serialized by a file lock, so a
    build asked for while one runs starts after it, from the papers stored by then."""
    since = (now or timezone.now()) - timedelta(days=settings.INDEX_WINDOW_DAYS)
    with index_store.building(settings.INDEX_DIR):
        rows = (
            Paper.objects.filter(ingested_at__gte=since)
            .order_by("id")
            .values_list("id", "title", "abstract", "ingested_at", "upvotes", "published")
        )
        if not rows.exists():
            return None
        ids, ingested, upvotes, published = [], [], [], []

        def texts():
            """Each paper's title and abstract, as the fit reads them: the texts of a year
            are not held in memory beside the model (at 150,000 papers they took 400 MiB
            of the build's peak)."""
            for pid, title, abstract, ingested_at, votes, day in rows.iterator(chunk_size=5000):
                ids.append(pid)
                ingested.append(ingested_at)
                upvotes.append(votes)
                published.append(day)
                yield title, abstract

        index = PaperIndex.fit(texts()).with_priors(upvotes=upvotes, published=published)
        papers = {
            "paper_id": np.asarray(ids, dtype=np.int64),
            "ingested_at": np.asarray([t.timestamp() for t in ingested]),
        }
        version = index_store.save(settings.INDEX_DIR, index, papers)
    log.info("paper index %s built: %d papers, %d terms", version, len(ids), len(index.terms))
    return version


def index_refresh_priors() -> str | None:
    """A new version of the current index with its papers' upvotes and publication dates
    read again (the model is not refitted); None when there is no index yet."""
    current = selectors.corpus()
    if current.index is None:
        return None
    ids = current.paper_ids
    rows = Paper.objects.filter(id__gte=int(ids[0]), id__lte=int(ids[-1])).values_list(
        "id", "upvotes", "published"
    )
    known = {pid: (votes, day) for pid, votes, day in rows.iterator(chunk_size=5000)}
    upvotes, published = zip(*(known.get(pid, (None, None)) for pid in ids.tolist()), strict=True)
    index = current.index.with_priors(upvotes=upvotes, published=published)
    try:
        return index_store.save(
            settings.INDEX_DIR,
            index,
            {"paper_id": ids, "ingested_at": current.ingested_at},
            based_on=current.version,
        )
    except index_store.VersionChanged:
        return None  # a newer build replaced it meanwhile, with fresher priors


# --- Digests -----------------------------------------------------------------------------
#
# A digest's life: PENDING -> CLAIMED (by one batch, with its claim token) -> SENDING (a
# conditional UPDATE just before the provider gets the message) -> SENT or FAILED, or back
# to CLAIMED/PENDING when the provider certainly did not take it. Only the batch holding
# the claim token can move a digest to SENDING, and nothing ever sends a SENDING digest:
# one whose outcome never got recorded (its worker died, or the provider's answer was
# lost) keeps SENDING with an empty token and counts as "interrupted". So whatever the
# timeouts, kills, redeliveries or Redis restarts, a digest reaches the provider at most
# once, unless the provider said it did not take it.

INTERRUPTED = "Its worker stopped while sending it; not sent again in case it arrived."

SEND_ATTEMPTS = 3
"""Sends of a digest within a batch while the provider answers "not now" (429, 503, 4xx);
after that the digest goes back to pending and the task retries later."""
RECORD_AFTER = 1.0
"""Seconds a batch waits on slow messages before recording the outcomes it already has."""
SEND_BACKOFF, SEND_BACKOFF_MAX = 0.5, 8.0
"""Seconds before the next attempt within a batch (doubling), unless Retry-After says."""


@dataclass
class BatchResult:
    """What a batch did. With ``run_id`` each count also goes to that run as it happens,
    in the transaction that changed the digests, so a kill loses no count."""

    run_id: int | None = None
    sent: int = 0
    skipped: int = 0
    failed: int = 0
    interrupted: int = 0
    retry: int = 0
    released: list[int] = field(default_factory=list)  # subscribers handed back for now
    release_for: float = 0.0  # seconds before the released ones may be tried again

    def count(self, **changes: int) -> None:
        changes = {name: n for name, n in changes.items() if n}
        for name, n in changes.items():
            setattr(self, name, getattr(self, name) + n)
        settled = {name: F(name) + n for name, n in changes.items() if name != "retry"}
        if self.run_id and settled:
            DigestRun.objects.filter(id=self.run_id).update(**settled)


def digest_start_run(*, now: datetime, edition: date | None = None) -> tuple[DigestRun, list]:
    """Choose the due subscribers (one query) and cut them into batches of ids.

    Digests left ``sending`` by a worker whose task is gone for good (say Redis lost it)
    are settled here as interrupted, so every digest is counted by exactly one run.
    """
    subscriber_ids = selectors.subscribers_due(now=now, edition=edition)
    interrupted = _settle_interrupted(Q())
    run = DigestRun.objects.create(
        started_at=now,
        edition=edition,
        due=len(subscriber_ids) + interrupted,
        interrupted=interrupted,
    )
    size = settings.DIGEST_BATCH_SIZE
    batches = [subscriber_ids[i : i + size] for i in range(0, len(subscriber_ids), size)]
    if not batches:
        digest_finish_run(run_id=run.id)
    return run, batches


def digest_finish_run(*, run_id: int) -> None:
    """Close the run once every due digest is counted; the batch that does logs the summary."""
    now = timezone.now()
    finished = DigestRun.objects.filter(
        id=run_id,
        finished_at__isnull=True,
        due__lte=F("sent") + F("skipped") + F("failed") + F("interrupted"),
    ).update(finished_at=now)
    if finished:
        run = DigestRun.objects.get(id=run_id)
        log.info(
            "digest run %s: due=%d sent=%d skipped=%d failed=%d interrupted=%d duration=%.1fs",
            run.id,
            run.due,
            run.sent,
            run.skipped,
            run.failed,
            run.interrupted,
            (run.finished_at - run.started_at).total_seconds(),
        )


def _stale_before() -> datetime:
    # Judged by the wall clock: a redelivered task carries its tick's ``now``.
    return timezone.now() - timedelta(seconds=settings.DIGEST_CLAIM_TIMEOUT)


def _settle_interrupted(which: Q) -> int:
    """Mark the stale ``sending`` digests among ``which`` interrupted; how many there were.

    Their worker stopped (or lost its lease) after handing them to the provider: they may
    have arrived, so they are never sent again. Clearing the token makes each count once.
    """
    return (
        Digest.objects.filter(which, status=Digest.Status.SENDING, claimed_at__lt=_stale_before())
        .exclude(claim_token="")
        .update(claim_token="", error=INTERRUPTED)
    )


def _claim(
    subscribers: list[Subscriber], *, now: datetime, edition: date | None, result: BatchResult
) -> tuple[str, list[Digest]]:
    """Create the editions' Digest rows if missing and claim the pending ones for this batch.

    Returns the claim token and the claimed digests. The unique (subscriber, edition)
    constraint and the conditional UPDATE make sure a duplicated or retried task claims
    nothing that another one holds. A claim not renewed for ``DIGEST_CLAIM_TIMEOUT``
    seconds (its worker died, or is stuck) is taken over: its ``claimed`` digests were
    never handed to the provider and are claimed again; its ``sending`` ones are settled
    as interrupted. Readers who unsubscribed since the tick are skipped, once.
    """
    editions = {s.id: edition or s.local_date(now) for s in subscribers}
    by_edition = defaultdict(list)
    for sid, ed in editions.items():
        by_edition[ed].append(sid)
    ours = Q(pk__in=[])
    for ed, ids in by_edition.items():
        ours |= Q(edition=ed, subscriber_id__in=ids)
    claimed_at = timezone.now()
    stale = Q(status=Digest.Status.CLAIMED, claimed_at__lt=_stale_before())
    claimable = ours & (Q(status=Digest.Status.PENDING) | stale)
    gone = [s.id for s in subscribers if s.status != Subscriber.Status.ACTIVE]
    token = uuid.uuid4().hex
    with transaction.atomic():
        Digest.objects.bulk_create(
            [Digest(subscriber_id=sid, edition=ed) for sid, ed in editions.items()],
            ignore_conflicts=True,
        )
        result.count(interrupted=_settle_interrupted(ours))
        if gone:
            skipped = Digest.objects.filter(claimable, subscriber_id__in=gone).update(
                status=Digest.Status.SKIPPED, claim_token=""
            )
            result.count(skipped=skipped)
        Digest.objects.filter(claimable).update(
            status=Digest.Status.CLAIMED,
            claim_token=token,
            claimed_at=claimed_at,
            attempts=F("attempts") + 1,
        )
    claimed = list(Digest.objects.filter(claim_token=token, status=Digest.Status.CLAIMED))
    # Items left by a worker that died before sending are rebuilt from scratch.
    DigestItem.objects.filter(digest__in=claimed).delete()
    return token, claimed


def digest_message(digest: Digest, subscriber: Subscriber, items: list[DigestItem]):
    """The digest email: HTML and plain text, with one-click unsubscribe headers."""
    unsubscribe = links.unsubscribe_url(subscriber)
    feedback = links.feedback_urls(subscriber, [item.paper for item in items])
    for item, (more, less) in zip(items, feedback, strict=True):
        item.more_url, item.less_url = more, less
    domain = settings.DIGEST_FROM_EMAIL.rsplit("@", 1)[-1].strip("> ")
    return make_message(
        "digest",
        subscriber.email,
        {
            **editions.email_context(digest, subscriber, items),
            "subscriber": subscriber,
            "edition": digest.edition,
            "items": items,
            "account_url": links.settings_url(subscriber),
            "unsubscribe_url": unsubscribe,
        },
        from_email=settings.DIGEST_FROM_EMAIL,
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "List-Id": settings.DIGEST_LIST_ID,
            "Message-ID": make_msgid("digest", domain=domain or None),
        },
        tags=["digest"],
        metadata={"digest_id": str(digest.id), "edition": digest.edition.isoformat()},
    )


def digest_send_batch(
    *,
    subscriber_ids: list[int],
    now: datetime,
    edition: date | None = None,
    stop: threading.Event | None = None,
    run_id: int | None = None,
) -> BatchResult:
    """Rank, record and send the digests of one batch of subscribers.

    Messages go out ``DIGEST_SEND_CONCURRENCY`` at a time. Each group of messages is
    fenced just before it is sent: one UPDATE moves the group from ``claimed`` (with this
    batch's token) to ``sending`` and returns the digests it moved; a digest another
    worker took over is not among them and is not sent. The outcomes are recorded before
    the next group is fenced. Setting ``stop`` (the worker is shutting down) sends nothing
    more: the messages in flight finish and are recorded, the rest go back to pending and
    their subscribers are listed in ``released``. So are those the provider turned away
    for now (429, 503) when nothing else is left to send: the batch hands them on to a new
    task after their pause (``release_for``) instead of idling through it. Digests whose
    delivery kept failing are counted in ``retry`` for the task to retry later.
    """
    if stop is not None and stop.is_set():  # the worker is stopping: hand it all back
        return BatchResult(run_id=run_id, released=list(subscriber_ids))
    subscribers = list(
        Subscriber.objects.filter(id__in=subscriber_ids)
        .prefetch_related("interests")
        .order_by("id")
    )
    result = BatchResult(run_id=run_id)
    result.count(skipped=len(set(subscriber_ids)) - len(subscribers))  # deleted meanwhile
    token, digests = _claim(subscribers, now=now, edition=edition, result=result)
    if not digests:
        return result
    by_id = {s.id: s for s in subscribers}
    owners = [by_id[d.subscriber_id] for d in digests]
    starts = selectors.edition_starts(owners, now=now)
    picks = selectors.recommendations_for(owners, now=now, since=starts)
    items = [
        DigestItem(digest=d, paper_id=p.paper_id, rank=rank, score=p.score, terms=p.terms)
        for d in digests
        for rank, p in enumerate(picks[d.subscriber_id], start=1)
    ]
    # ignore_conflicts: a worker that took these claims over may have written them too.
    DigestItem.objects.bulk_create(items, ignore_conflicts=True)
    papers = Paper.objects.in_bulk({item.paper_id for item in items})
    items_of = defaultdict(list)
    for item in items:
        item.paper = papers[item.paper_id]
        items_of[item.digest_id].append(item)
    # Each digest covers the papers since its edition started (shown in the email); one
    # with none that passed the floor is skipped with the reason the account page shows.
    for digest in digests:
        digest.covers_from = starts[digest.subscriber_id]
    _update_each(
        "covers_from",
        {d.id: d.covers_from for d in digests},
        where={"claim_token": token},
        covers_to=now,
    )
    newest = selectors.newest_paper_at()
    skip_reasons = defaultdict(list)
    for digest in digests:
        if not items_of[digest.id]:
            new = newest is not None and newest >= digest.covers_from
            reason = "no new matching papers" if new else "no new papers"
            follows = by_id[digest.subscriber_id].followed_phrases
            skip_reasons[reason if follows else "no topic followed"].append(digest.id)
    if skip_reasons:
        with transaction.atomic():
            for reason, ids in skip_reasons.items():
                skipped = Digest.objects.filter(
                    id__in=ids, claim_token=token, status=Digest.Status.CLAIMED
                ).update(status=Digest.Status.SKIPPED, claim_token="", skip_reason=reason)
                result.count(skipped=skipped)
    outgoing = [
        _Outgoing(d, by_id[d.subscriber_id], items_of[d.id]) for d in digests if items_of[d.id]
    ]
    _Delivery(token=token, result=result, stop=stop or threading.Event()).run(outgoing)
    return result


@dataclass(eq=False)
class _Outgoing:
    digest: Digest
    subscriber: Subscriber
    items: list[DigestItem]
    message: object = None
    attempts: int = 0
    not_before: float = 0.0

    def render(self) -> bool:
        """Build the email unless it is built already; True when it was built now."""
        if self.message is not None:
            return False
        self.message = digest_message(self.digest, self.subscriber, self.items)
        return True


class _Delivery:
    """The sending loop of one batch: fence a group, send it concurrently, record outcomes.

    At most ``DIGEST_SEND_CONCURRENCY`` messages are ``sending`` (fenced, outcome not yet
    recorded) at any time, so a kill interrupts at most that many digests. Groups are a
    quarter of that, so the next group is fenced while three are still in flight, and it
    is rendered while they are: the main thread renders ahead whenever the window is
    full. Each fence costs one query and each record one per kind of outcome (usually
    just "sent").
    """

    def __init__(self, *, token: str, result: BatchResult, stop: threading.Event):
        self.token, self.result, self.stop = token, result, stop
        self.window = max(1, settings.DIGEST_SEND_CONCURRENCY)
        self.group = max(1, self.window // 4)
        self.renewed = time.monotonic()
        self.in_flight: dict[Future, _Outgoing] = {}
        self.done: list[tuple[_Outgoing, Attempt]] = []
        self.ready: deque[_Outgoing] = deque()
        self.later: list[_Outgoing] = []  # waiting for a retry within the batch

    def run(self, outgoing: list[_Outgoing]) -> None:
        self.ready.extend(outgoing)
        sender = Sender(concurrency=self.window, stop=self.stop)
        try:
            while not self.stop.is_set():
                group = self._next_group()
                if group:
                    self._record()
                    sends = self._fence_and_send(group, sender)
                    for entry, future in zip(group, sends, strict=True):
                        if future is not None:
                            self.in_flight[future] = entry
                    continue
                if self._render_next():
                    continue
                if not self.in_flight and not self.later:
                    self._record()  # the last outcomes; a "not now" among them is tried again
                    if not self.later or self._hand_on():
                        break
                self._wait()
        finally:
            sender.close()  # the messages in flight finish
            self._collect(list(self.in_flight))
            self._record()
            self._release([*self.ready, *self.later])

    def _next_group(self) -> list[_Outgoing]:
        """Up to a group of digests that may be sent now, if the window has room for them."""
        now = time.monotonic()
        due = [e for e in self.later if e.not_before <= now]
        available = len(due) + len(self.ready)
        size = min(self.group, available)
        if not size or len(self.in_flight) + size > self.window:
            return []
        group = due[:size]
        self.later = [e for e in self.later if e not in group]
        while len(group) < size:
            group.append(self.ready.popleft())
        return group

    def _render_next(self) -> bool:
        """Render one message of the next group while the window is full; False when the
        next group is all rendered (so the loop waits for an answer)."""
        return any(entry.render() for entry in itertools.islice(self.ready, self.group))

    def _wait(self) -> None:
        """Until a message in flight is answered or a retry is due. Outcomes already known
        are recorded after ``RECORD_AFTER`` s without news, so a slow message does not keep
        the others unrecorded (a kill would count them interrupted)."""
        timeout = None
        if self.later:
            timeout = max(0.0, min(e.not_before for e in self.later) - time.monotonic())
        if self.done:
            timeout = RECORD_AFTER if timeout is None else min(timeout, RECORD_AFTER)
        if self.in_flight:
            finished, _ = wait(self.in_flight, timeout=timeout, return_when=FIRST_COMPLETED)
            self._collect(finished)
            if not finished:
                self._record()
        elif timeout:
            self.stop.wait(timeout)

    def _collect(self, futures) -> None:
        for future in futures:
            entry = self.in_flight.pop(future)
            self.done.append((entry, future.result()))

    def _fence_and_send(self, group: list[_Outgoing], sender: Sender) -> list[Future | None]:
        for entry in group:
            entry.render()
        held = self._fence([e.digest.id for e in group])
        return [sender.submit(e.message) if e.digest.id in held else None for e in group]

    def _fence(self, ids: list[int]) -> set[int]:
        """Move ``ids`` from claimed-by-us to sending; the ids moved. One statement, committed
        durably (``durable_commit``) before any of their messages goes out.

        Every third of ``DIGEST_CLAIM_TIMEOUT`` the same statement renews the lease of all
        this batch's digests, so a live batch is never taken over however long it runs.
        Django's update() cannot say which rows it changed, hence RETURNING in plain SQL
        (PostgreSQL, and SQLite since 3.35).
        """
        now = timezone.now()
        renew = time.monotonic() - self.renewed > settings.DIGEST_CLAIM_TIMEOUT / 3
        marks = ", ".join(["%s"] * len(ids))
        table = connection.ops.quote_name(Digest._meta.db_table)
        held = "status IN (%s, %s)" if renew else f"status = %s AND id IN ({marks})"
        sql = (
            f"UPDATE {table} SET status = CASE WHEN id IN ({marks}) THEN %s ELSE status END, "
            f"claimed_at = %s WHERE claim_token = %s AND {held} RETURNING id"
        )
        sending, claimed = Digest.Status.SENDING.value, Digest.Status.CLAIMED.value
        params = [*ids, sending, connection.ops.adapt_datetimefield_value(now), self.token]
        params += [claimed, sending] if renew else [claimed, *ids]
        with durable_commit(), connection.cursor() as cursor:
            cursor.execute(sql, params)
            returned = {row[0] for row in cursor.fetchall()}
        if renew:
            self.renewed = time.monotonic()
        lost = set(ids) - returned
        if lost:
            log.warning("digests %s were taken over by another worker; not sent here", lost)
        return set(ids) & returned

    def _record(self) -> None:
        """Store the outcomes collected so far: one UPDATE per kind of outcome.

        Each UPDATE only touches digests still ``sending`` under this batch's token, and
        what it changed is what gets counted, so a digest another worker settled as
        interrupted meanwhile is counted once, by that worker.
        """
        done, self.done = self.done, []
        now, kinds = timezone.now(), defaultdict(list)
        for entry, attempt in done:
            digest = entry.digest
            digest.claim_token, entry.attempts = "", entry.attempts + 1
            if attempt.failure is not Failure.NOT_ACCEPTED:
                entry.message = None  # settled: free the rendered email
            if attempt.failure is None:
                digest.status, digest.sent_at, digest.message_id = SENT, now, attempt.detail
                digest.error = ""
                kinds["sent"].append(digest)
                continue
            digest.error = attempt.detail
            log.warning("digest %s to %s not sent: %s", digest.id, entry.subscriber, digest.error)
            if attempt.failure is Failure.REJECTED:
                digest.status = FAILED
                kinds["failed"].append(digest)
            elif attempt.failure is Failure.UNKNOWN:
                digest.status, digest.error = SENDING, f"{attempt.detail}\n{UNKNOWN_OUTCOME}"
                kinds["interrupted"].append(digest)  # stays sending, with no token
            elif self.stop.is_set():
                digest.status = PENDING
                kinds["released"].append(digest)
                self.result.released.append(digest.subscriber_id)
            elif entry.attempts + digest.attempts - 1 < SEND_ATTEMPTS:  # + earlier claims
                digest.status, digest.claim_token = CLAIMED, self.token
                pause = attempt.retry_after
                if pause is None:
                    pause = min(SEND_BACKOFF * 2 ** (entry.attempts - 1), SEND_BACKOFF_MAX)
                entry.not_before = time.monotonic() + pause
                kinds["again"].append(digest)
                self.later.append(entry)
            else:
                digest.status = PENDING
                kinds["retry"].append(digest)
        if not kinds:
            return
        ours = Digest.objects.filter(claim_token=self.token, status=SENDING)
        with transaction.atomic():
            counts = {
                kind: ours.bulk_update(digests, _RECORDED_FIELDS)
                for kind, digests in kinds.items()
                if kind != "sent"
            }
            if sent := kinds.get("sent"):
                # Only the message id differs from one sent digest to the next.
                counts["sent"] = _update_each(
                    "message_id",
                    {d.id: d.message_id for d in sent},
                    where={"claim_token": self.token, "status": SENDING},
                    status=SENT,
                    sent_at=now,
                    error="",
                    claim_token="",
                )
            self.result.count(**{k: n for k, n in counts.items() if k not in ("again", "released")})

    def _hand_on(self) -> bool:
        """When only retries are left, release them for a new task to send after their
        pause, so this worker moves on to its next batch instead of idling. Each claim
        counts as a try, so a digest the provider keeps turning away reaches
        ``SEND_ATTEMPTS`` and goes to the task's slower retries."""
        pause = max(e.not_before for e in self.later) - time.monotonic()
        self.result.release_for = max(self.result.release_for, pause)
        self._release(self.later)
        self.later = []
        return True

    def _release(self, entries: list[_Outgoing]) -> None:
        """Give back digests this batch claimed but did not send (it is stopping, or hands
        them on)."""
        if not entries:
            return
        Digest.objects.filter(
            id__in=[e.digest.id for e in entries], claim_token=self.token, status=CLAIMED
        ).update(status=PENDING, claim_token="")
        self.result.released += [e.digest.subscriber_id for e in entries]


def _update_each(column: str, values: dict[int, object], *, where: dict, **same) -> int:
    """Set ``column`` of each digest id in ``values`` to its value (and the ``same``
    columns to one value each), where the ``where`` columns hold; one UPDATE, the number
    of rows changed. Written out as one CASE on the id: building it with ``bulk_update``
    or ``Case(When(...))`` expressions cost about 1 ms of CPU per digest of a batch."""
    if not values:
        return 0
    field, quote = Digest._meta.get_field, connection.ops.quote_name

    def prepared(name, value):
        return field(name).get_db_prep_save(value, connection)

    assignments = [f"{quote(column)} = CASE {quote('id')}"]
    params: list = []
    for digest_id, value in values.items():
        assignments[0] += " WHEN %s THEN %s"
        params += [digest_id, prepared(column, value)]
    assignments[0] += " END"
    for name, value in same.items():
        assignments.append(f"{quote(name)} = %s")
        params.append(prepared(name, value))
    conditions = [f"{quote('id')} IN ({', '.join(['%s'] * len(values))})"]
    params += list(values)
    for name, value in where.items():
        conditions.append(f"{quote(name)} = %s")
        params.append(prepared(name, value))
    sql = (
        f"UPDATE {quote(Digest._meta.db_table)} SET {', '.join(assignments)}"
        f" WHERE {' AND '.join(conditions)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


PENDING, CLAIMED, SENDING = Digest.Status.PENDING, Digest.Status.CLAIMED, Digest.Status.SENDING
SENT, FAILED = Digest.Status.SENT, Digest.Status.FAILED
_RECORDED_FIELDS = ["status", "sent_at", "message_id", "error", "claim_token"]
UNKNOWN_OUTCOME = "The provider may have taken it: not sent again."


def digests_prune(*, now: datetime, chunk_size: int = 5000) -> int:
    """Delete digests (with their items) of editions older than ``DIGEST_RETENTION_DAYS``,
    ``chunk_size`` digests per transaction so no lock is held long; the count is returned.
    Ratings stay: they keep moving the readers' profiles."""
    cutoff = now.date() - timedelta(days=settings.DIGEST_RETENTION_DAYS)
    deleted = 0
    while True:
        ids = list(
            Digest.objects.filter(edition__lt=cutoff)
            .order_by()
            .values_list("id", flat=True)[:chunk_size]
        )
        if not ids:
            break
        with transaction.atomic():
            DigestItem.objects.filter(digest_id__in=ids).delete()
            deleted += Digest.objects.filter(id__in=ids).delete()[1].get("digest.Digest", 0)
    if deleted:
        log.info("deleted %d digests of editions before %s", deleted, cutoff)
    return deleted


# --- Ratings -----------------------------------------------------------------------------


def rating_record(*, subscriber: Subscriber, paper: Paper, value: int) -> Rating:
    """Record "more like this" (1) or "less like this" (-1); the same click twice counts once.

    Changing one's mind replaces the earlier rating and counts as a fresh one.
    """
    if value not in (1, -1):
        raise ValueError(f"a rating is 1 or -1, not {value!r}")
    rating, created = Rating.objects.get_or_create(
        subscriber=subscriber, paper=paper, defaults={"value": value}
    )
    if not created and rating.value != value:
        rating.value, rating.created_at = value, timezone.now()
        rating.save(update_fields=["value", "created_at"])
    return rating


def rating_undo(*, subscriber: Subscriber, paper_id: int) -> bool:
    """Forget the subscriber's rating of a paper; False when there was none."""
    deleted, _ = Rating.objects.filter(subscriber=subscriber, paper_id=paper_id).delete()
    return deleted > 0


# --- Feeds -------------------------------------------------------------------------------


def feed_token_reset(*, subscriber: Subscriber) -> None:
    """Give the reader a new feed URL; the old one stops working."""
    subscriber.feed_token = new_feed_token()
    subscriber.save(update_fields=["feed_token"])
