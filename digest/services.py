"""Writes: ingesting papers, and building, claiming and sending digests."""

import logging
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.utils import make_msgid

import numpy as np
from django.conf import settings
from django.core.mail import get_connection
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts import links
from accounts.models import Subscriber, new_feed_token

from . import editions, index_store, selectors
from .emails import make_message
from .journal import (
    FAILED,
    SENT,
    journal_begin,
    journal_forget,
    journal_read,
    journal_record,
    journal_release,
)
from .mail import describe_failure, is_temporary_failure
from .models import Digest, DigestItem, DigestRun, IngestRun, Paper, Rating, normalize_title
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
    paper.title_key = normalize_title(paper.title)[:500]
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
    keys = {normalize_title(r.title)[:500] for r in records}
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
            key = normalize_title(record.title)[:500]
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
        ids, titles, abstracts, ingested, upvotes, published = [], [], [], [], [], []
        for row in rows.iterator(chunk_size=5000):
            for column, value in zip(
                (ids, titles, abstracts, ingested, upvotes, published), row, strict=True
            ):
                column.append(value)
        if not ids:
            return None
        index = PaperIndex.fit(titles, abstracts, upvotes=upvotes, published=published)
        del titles, abstracts
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


@dataclass
class BatchResult:
    sent: int = 0
    skipped: int = 0
    failed: int = 0
    interrupted: int = 0
    retry: int = 0


def digest_start_run(*, now: datetime, edition: date | None = None) -> tuple[DigestRun, list]:
    """Choose the due subscribers (one query) and cut them into batches of ids."""
    subscriber_ids = selectors.subscribers_due(now=now, edition=edition)
    run = DigestRun.objects.create(started_at=now, edition=edition, due=len(subscriber_ids))
    size = settings.DIGEST_BATCH_SIZE
    batches = [subscriber_ids[i : i + size] for i in range(0, len(subscriber_ids), size)]
    if not batches:
        digest_finish_run(run_id=run.id, result=BatchResult())
    return run, batches


def digest_finish_run(*, run_id: int, result: BatchResult) -> None:
    """Add a batch's counts to its run; the batch that completes the run logs the summary."""
    DigestRun.objects.filter(id=run_id).update(
        sent=F("sent") + result.sent,
        skipped=F("skipped") + result.skipped,
        failed=F("failed") + result.failed,
        interrupted=F("interrupted") + result.interrupted,
    )
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


def _claim(
    subscribers: list[Subscriber], *, now: datetime, edition: date | None, result: BatchResult
) -> list[Digest]:
    """Create the editions' Digest rows if missing and claim the pending ones for this batch.

    The unique (subscriber, edition) constraint and the conditional UPDATE make sure a
    duplicated or retried task claims nothing that another one holds. A claim left
    behind by a worker that died is taken over after ``DIGEST_CLAIM_TIMEOUT`` seconds:
    first what the delivery journal says that worker did is recorded (and counted in
    ``result``), then the digests it never got to are claimed again.
    """
    editions = {s.id: edition or s.local_date(now) for s in subscribers}
    by_edition = defaultdict(list)
    for sid, ed in editions.items():
        by_edition[ed].append(sid)
    ours = Q(pk__in=[])
    for ed, ids in by_edition.items():
        ours |= Q(edition=ed, subscriber_id__in=ids)
    # Staleness is judged by the wall clock: a redelivered task carries its tick's ``now``.
    claimed_at = timezone.now()
    stale = Q(
        status=Digest.Status.CLAIMED,
        claimed_at__lt=claimed_at - timedelta(seconds=settings.DIGEST_CLAIM_TIMEOUT),
    )
    token = uuid.uuid4().hex
    with transaction.atomic():
        Digest.objects.bulk_create(
            [Digest(subscriber_id=sid, edition=ed) for sid, ed in editions.items()],
            ignore_conflicts=True,
        )
        abandoned = list(Digest.objects.filter(ours & stale))
        _record(_outcomes_of(abandoned, journal_read([d.id for d in abandoned])), result)
        Digest.objects.filter(ours & (Q(status=Digest.Status.PENDING) | stale)).update(
            status=Digest.Status.CLAIMED,
            claim_token=token,
            claimed_at=claimed_at,
            attempts=F("attempts") + 1,
        )
    claimed = list(Digest.objects.filter(claim_token=token, status=Digest.Status.CLAIMED))
    # Items left by a worker that died before sending are rebuilt from scratch.
    DigestItem.objects.filter(digest__in=claimed).delete()
    return claimed


def _outcomes_of(digests: list[Digest], entries: dict) -> list[Digest]:
    """The digests whose journal entry says how their delivery ended, updated to match."""
    now = timezone.now()
    for digest in digests:
        outcome, detail = entries.get(digest.id, (None, ""))
        if outcome == SENT:
            digest.status, digest.sent_at, digest.message_id = Digest.Status.SENT, now, detail
        elif outcome == FAILED:
            digest.status, digest.error = Digest.Status.FAILED, detail
        elif outcome is not None:
            digest.status = Digest.Status.SENDING
            digest.error = "Its worker stopped while sending it; not sent again in case it arrived."
    return [d for d in digests if d.status != Digest.Status.CLAIMED]


def _record(digests: list[Digest], result: BatchResult) -> None:
    """Store the outcomes of ``digests`` in one statement, count them, clear their journal."""
    if not digests:
        return
    for digest in digests:
        digest.claim_token = ""
    Digest.objects.bulk_update(
        digests, ["status", "sent_at", "message_id", "error", "claim_token", "covers_from"]
    )
    journal_forget([d.id for d in digests])
    statuses = Counter(d.status for d in digests)
    result.sent += statuses[Digest.Status.SENT]
    result.failed += statuses[Digest.Status.FAILED]
    result.interrupted += statuses[Digest.Status.SENDING]
    result.retry += statuses[Digest.Status.PENDING]


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
    *, subscriber_ids: list[int], now: datetime, edition: date | None = None
) -> BatchResult:
    """Rank, record and send the digests of one batch of subscribers.

    The whole batch costs a constant number of queries: the outcome of each message goes
    to the delivery journal (``digest.journal``) as it is known, and into the database in
    one statement at the end. Temporary delivery failures put the digest back to pending
    and are counted in ``retry`` for the task to retry later.
    """
    subscribers = list(
        Subscriber.objects.filter(id__in=subscriber_ids, status=Subscriber.Status.ACTIVE)
        .prefetch_related("interests")
        .order_by("id")
    )
    result = BatchResult(skipped=len(set(subscriber_ids)) - len(subscribers))
    digests = _claim(subscribers, now=now, edition=edition, result=result)
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
    DigestItem.objects.bulk_create(items)
    papers = Paper.objects.in_bulk({item.paper_id for item in items})
    items_of = defaultdict(list)
    for item in items:
        item.paper = papers[item.paper_id]
        items_of[item.digest_id].append(item)
    newest = selectors.newest_paper_at()
    for digest in digests:
        digest.covers_from = starts[digest.subscriber_id]
        if not items_of[digest.id]:
            new = newest is not None and newest >= digest.covers_from
            digest.status, digest.claim_token = Digest.Status.SKIPPED, ""
            digest.skip_reason = "no new matching papers" if new else "no new papers"
    empty = [d for d in digests if not items_of[d.id]]
    Digest.objects.bulk_update(empty, ["status", "claim_token", "covers_from", "skip_reason"])
    result.skipped += len(empty)

    done = []
    try:
        with get_connection() as connection:  # one SMTP/ESP session for the whole batch
            for digest in digests:
                if items_of[digest.id] and journal_begin(digest.id):
                    subscriber = by_id[digest.subscriber_id]
                    _send_one(digest, subscriber, items_of[digest.id], connection)
                    done.append(digest)
    finally:
        _record(done, result)
    return result


def _send_one(digest, subscriber, items, connection) -> None:
    """Send one digest and note how it went in the journal and on ``digest`` (not saved)."""
    message = digest_message(digest, subscriber, items)
    try:
        connection.send_messages([message])
    except Exception as exc:
        digest.error = describe_failure(exc)[:1000]
        log.warning("digest %s to %s not sent: %s", digest.id, message.to[0], digest.error)
        if is_temporary_failure(exc):
            digest.status = Digest.Status.PENDING
            journal_release(digest.id)
        else:
            digest.status = Digest.Status.FAILED
            journal_record(digest.id, FAILED, digest.error)
        return
    status = getattr(message, "anymail_status", None)
    digest.message_id = (status and status.message_id) or message.extra_headers["Message-ID"]
    digest.status, digest.sent_at = Digest.Status.SENT, timezone.now()
    journal_record(digest.id, SENT, digest.message_id)


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
