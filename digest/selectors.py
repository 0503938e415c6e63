"""Reads: who is due, and what the recommender would send them."""

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db.models import (
    Case,
    DateField,
    DateTimeField,
    Exists,
    F,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone

from accounts.forms import parse_interests
from accounts.models import Subscriber

from . import index_store
from .models import Digest, DigestItem, Paper, Rating
from .ranking import PaperIndex, Profiles, recommend, search

# A subscriber whose digest for an edition reached one of these needs nothing more for it.
DONE_STATUSES = [
    Digest.Status.SENDING,
    Digest.Status.SENT,
    Digest.Status.SKIPPED,
    Digest.Status.FAILED,
]


def _due_on(edition: date) -> Q:
    """Daily subscribers every day, weekly subscribers on their weekday."""
    return Q(frequency=Subscriber.Frequency.DAILY) | Q(
        frequency=Subscriber.Frequency.WEEKLY, weekly_day=edition.weekday()
    )


def done_since(edition) -> Exists:
    """Whether the subscriber (``OuterRef("pk")``) has a digest done for ``edition`` or a
    later one: a reader who moved their time zone west after a digest, and whose local
    date went back a day, gets no second one that day."""
    return Exists(
        Digest.objects.filter(
            subscriber=OuterRef("pk"), edition__gte=edition, status__in=DONE_STATUSES
        )
    )


def subscribers_due(*, now: datetime, edition: date | None = None) -> list[int]:
    """Ids of active subscribers whose digest is due and not yet done, in one query.

    With ``edition`` every active subscriber due on that date counts, whatever the hour
    (the manual daily run). Without it, a subscriber is due once their local send hour
    has come on their local date (the hourly beat tick); a tick that was missed is
    made up by the next one; a weekly reader's, until the same hour the next day (their
    week has no other; that digest is the edition of the day it is made, as every
    digest is).
    """
    active = Subscriber.objects.filter(status=Subscriber.Status.ACTIVE)
    if edition is not None:
        due = active.filter(_due_on(edition)).annotate(
            edition=Value(edition, output_field=DateField())
        )
    else:
        # Zones grouped by their local date and hour (400 zones are about 40 groups).
        zones_at = defaultdict(list)
        for zone in active.values_list("timezone", flat=True).distinct().order_by():
            local = now.astimezone(Subscriber(timezone=zone).zone)
            zones_at[local.date(), local.hour].append(zone)
        daily, weekly = Subscriber.Frequency.DAILY, Subscriber.Frequency.WEEKLY
        slots = []
        for (today, hour), zones in zones_at.items():
            yesterday = today - timedelta(days=1)
            for when, slot in (
                (Q(frequency=daily, send_hour__lte=hour), today),
                (Q(frequency=weekly, weekly_day=today.weekday(), send_hour__lte=hour), today),
                (
                    Q(frequency=weekly, weekly_day=yesterday.weekday(), send_hour__gt=hour),
                    yesterday,
                ),
            ):
                slots.append(When(Q(timezone__in=zones) & when, then=Value(slot)))
        due = active.annotate(edition=Case(*slots, output_field=DateField())).filter(
            edition__isnull=False
        )
    return list(
        due.filter(~done_since(OuterRef("edition"))).order_by("pk").values_list("pk", flat=True)
    )


class IndexNotReady(Exception):
    """No paper index has been built yet (``digest.tasks.build_index``)."""


@dataclass(frozen=True)
class Corpus:
    """The current paper index (None before the first build), the Paper id of each of its
    rows (ascending), when each was ingested, and the index version."""

    index: PaperIndex | None
    paper_ids: np.ndarray
    ingested_at: np.ndarray
    version: str = ""

    def rows_of(self, paper_ids) -> np.ndarray:
        if not len(self.paper_ids):
            return np.zeros(0, dtype=np.int64)
        positions = np.searchsorted(self.paper_ids, paper_ids)
        positions = np.clip(positions, 0, len(self.paper_ids) - 1)
        return positions[self.paper_ids[positions] == paper_ids]


_stored_index = index_store.Reader()


def corpus() -> Corpus:
    """The current paper index as built by ``digest.services.index_build``.

    Loaded (memory-mapped) on first use and again only after a new version was swapped in;
    never fitted here. Papers ingested since the build are not in it (see
    ``recommendations_for``).
    """
    stored = _stored_index.current(settings.INDEX_DIR)
    if stored is None:
        return Corpus(index=None, paper_ids=np.zeros(0, np.int64), ingested_at=np.zeros(0))
    return Corpus(
        index=stored.index,
        paper_ids=stored.papers["paper_id"],
        ingested_at=stored.papers["ingested_at"],
        version=stored.version,
    )


SEARCH_RESULTS = 200
"""Most papers an archive search ranks (ten pages); further ones match too little to help."""


def cache_key(name: str, *state) -> str:
    """The cache key of ``name`` for this state (values with a stable ``repr``)."""
    return f"{name}:{hashlib.sha256(repr(state).encode()).hexdigest()[:32]}"


SEARCH_CACHE_SECONDS = 600
"""A search's ranking is kept per index version this long: its further pages and the same
search again read it instead of ranking the archive again (0.1-0.5 s on 150,000 synthetic
papers)."""


def search_topics(query: str) -> tuple[str, list[str]]:
    """What a search looks for (its topics as one query) and the topics it keeps out, read
    as the account page reads interests ("speech recognition, -surveys", "LLM agents but
    not surveys"). A query the account page would refuse, or that would keep out all it
    names without a minus ("no free lunch theorem", "Not All Patches are What You Need"),
    is looked for as typed."""
    try:
        interests = parse_interests(query)
    except ValidationError:
        return query, []
    followed = ", ".join(phrase for phrase, excluded in interests if not excluded)
    if not followed and not query.lstrip().startswith("-"):
        return query, []
    return followed, [phrase for phrase, excluded in interests if excluded]


def paper_search_ranked_already(query: str) -> bool:
    """Whether ``query``'s ranking is kept (see ``paper_search_ranking``): its further pages
    cost a cache read, not a ranking of the archive."""
    return cache.get(cache_key("search", corpus().version, query)) is not None


def paper_search_ranking(query: str) -> list[tuple[int, float]]:
    """The ids and scores of the papers matching ``query`` (its topics scored as interest
    phrases, papers about a topic it keeps out left out; see ``search_topics``), best
    first; kept per index version for ``SEARCH_CACHE_SECONDS``."""
    data = corpus()
    followed, excluded = search_topics(query)
    if data.index is None or not followed:
        return []

    def ranked() -> list[tuple[int, float]]:
        rows, scores = search(data.index, followed, limit=SEARCH_RESULTS, excluded=excluded)
        return list(zip(data.paper_ids[rows].tolist(), scores.tolist(), strict=True))

    return cache.get_or_set(cache_key("search", data.version, query), ranked, SEARCH_CACHE_SECONDS)


def paper_search(query: str) -> list[tuple[Paper, float]]:
    """The papers matching ``query`` (see ``paper_search_ranking``), best first."""
    ranked = paper_search_ranking(query)
    papers = Paper.objects.in_bulk([paper_id for paper_id, _ in ranked])
    return [(papers[i], score) for i, score in ranked if i in papers]


MATCH_WINDOW = timedelta(days=7)
"""The recent papers over which an interest's matches are counted (see ``match_counts``)."""


def match_counts(phrases: list[str], *, now: datetime) -> dict[str, tuple[int, int]]:
    """Per phrase, how many papers of the index ingested in the last ``MATCH_WINDOW``
    match it and how many hold it whole (see ``PaperIndex.match_counts``); none before
    the first index."""
    data = corpus()
    if data.index is None or not phrases:
        return {}
    since = (now - MATCH_WINDOW).timestamp()
    rows = np.flatnonzero(np.asarray(data.ingested_at) >= since)
    matching, whole = data.index.match_counts(phrases, rows)
    return {p: (int(m), int(w)) for p, m, w in zip(phrases, matching, whole, strict=True)}


def respelled(text: str) -> str:
    """The text with its misspelled words mended (see ``PaperIndex.respelled``)."""
    index = corpus().index
    return index.respelled(text) if index is not None else text


def long_forms_in(text: str) -> dict[str, str]:
    """Each acronym of ``text`` the papers define, as typed, with its long form (see
    ``PaperIndex.long_forms_in``); none before the first index."""
    index = corpus().index
    return index.long_forms_in(text) if index is not None else {}


def unknown_words(text: str) -> dict[str, str | None]:
    """Each word of ``text`` no paper of the index uses, with the word it is probably a
    misspelling of (see ``PaperIndex.unknown_words``); none before the first index."""
    index = corpus().index
    return index.unknown_words(text) if index is not None else {}


@dataclass(frozen=True)
class Pick:
    paper_id: int
    score: float
    terms: list[str]


def edition_starts(subscribers: list[Subscriber], *, now: datetime) -> dict[int, datetime]:
    """From when each subscriber's next digest takes papers, in one query.

    Papers added since their previous digest was made (``covers_to``; for a digest from
    before that was recorded, its edition at their send hour), at most
    ``DIGEST_CATCHUP_DAYS`` back; for a first digest, the last ``DIGEST_CANDIDATE_DAYS``
    days. So a reader who moves their hour later loses no paper added in between.
    """
    previous = {
        sid: (edition, until)
        for sid, edition, until in Digest.objects.filter(
            subscriber__in=subscribers,
            status__in=[Digest.Status.SENT, Digest.Status.SENDING],
        )
        .values("subscriber_id")
        .annotate(last=Max("edition"), until=Max("covers_to"))
        .values_list("subscriber_id", "last", "until")
    }
    oldest = now - timedelta(days=settings.DIGEST_CATCHUP_DAYS)
    first = now - timedelta(days=settings.DIGEST_CANDIDATE_DAYS)
    starts = {}
    for s in subscribers:
        edition, until = previous.get(s.id, (None, None))
        due = until or (edition and datetime.combine(edition, time(s.send_hour), tzinfo=s.zone))
        starts[s.id] = max(due, oldest) if due and due < now else first
    return starts


def newest_paper_at() -> datetime | None:
    """When the newest paper was added."""
    return Paper.objects.aggregate(newest=Max("ingested_at"))["newest"]


def recommendations_for(
    subscribers: list[Subscriber], *, now: datetime, since: dict[int, datetime] | None = None
) -> dict[int, list[Pick]]:
    """Each subscriber's best papers among those ingested recently, best first.

    ``subscribers`` must come with ``interests`` prefetched. Papers already sent to a
    subscriber, or rated by them, are never picked again; their ratings move their profile
    ("more / less like this"; only ratings made within the index window are read). Papers
    ingested after the index was built are vectorized with its vocabulary. Costs three
    queries however many subscribers and however long the history. Raises
    ``IndexNotReady`` before the first index is built.
    """
    data = corpus()
    if data.index is None:
        raise IndexNotReady("the paper index is not built yet")
    if not subscribers:
        return {}
    # Each subscriber's candidates are the papers added since their edition starts
    # (``since``, by default ``edition_starts``): the candidates are ordered oldest first
    # and each subscriber gets those from ``first_candidate`` on.
    since = since or edition_starts(subscribers, now=now)
    starts = np.asarray([since[s.id].timestamp() for s in subscribers])
    earliest = min(since.values())
    index, paper_ids, ingested_at, candidates = _with_newer_papers(data, earliest)
    candidates = candidates[np.argsort(ingested_at[candidates], kind="stable")]
    first_candidate = np.searchsorted(ingested_at[candidates], starts)
    row_of = {s.id: row for row, s in enumerate(subscribers)}
    # Only candidates can be sent again. They were ingested since ``earliest``, so only digests
    # created (first claimed) since then can hold them: with the (subscriber, created_at)
    # index this reads about a week of the batch's digests, however long the history.
    sent = DigestItem.objects.filter(
        digest__subscriber__in=list(row_of),
        digest__created_at__gte=earliest,
        digest__status__in=[Digest.Status.SENT, Digest.Status.SENDING],
        paper_id__in=paper_ids[candidates].tolist(),
    ).values_list("digest__subscriber_id", "paper_id")
    row_of_candidate = dict(zip(paper_ids[candidates].tolist(), candidates.tolist(), strict=True))
    seen = [(row_of[sid], row_of_candidate[paper_id]) for sid, paper_id in sent]
    # A rating is made after its paper is ingested, so only ratings made within the index
    # window can be of papers in the index: with the (subscriber, created_at) index this
    # reads at most a window of each reader's ratings, however long they have rated. Their
    # ages come as intervals, four times faster to read than times with their zone.
    rated = list(
        Rating.objects.filter(
            subscriber__in=list(row_of),
            created_at__gte=now - timedelta(days=settings.INDEX_WINDOW_DAYS),
        )
        .annotate(age=Value(now, output_field=DateTimeField()) - F("created_at"))
        .values_list("subscriber_id", "paper_id", "value", "age")
    )
    rated_ids = np.asarray(sorted({r[1] for r in rated}), dtype=np.int64)
    rated_rows = _rows_of(paper_ids, rated_ids)
    row_of_paper = dict(zip(paper_ids[rated_rows].tolist(), rated_rows.tolist(), strict=True))
    feedback = [
        (row_of[sid], row_of_paper[paper_id], value, age.total_seconds() / 86400)
        for sid, paper_id, value, age in rated
        if paper_id in row_of_paper
    ]
    # A paper the reader rated (on the onboarding page, say) is as good as seen.
    seen += [
        (row_of[sid], row_of_candidate[paper_id])
        for sid, paper_id, _, _ in rated
        if paper_id in row_of_candidate
    ]
    profiles = Profiles.build(
        n_papers=len(paper_ids),
        limits=[s.max_papers for s in subscribers],
        interests=[
            (row, i.phrase, i.weight, i.excluded)
            for row, s in enumerate(subscribers)
            for i in s.interests.all()
        ],
        seen=seen,
        feedback=feedback,
    )
    result = recommend(
        index,
        profiles,
        candidates,
        min_score=settings.DIGEST_MIN_SCORE,
        chunk_size=settings.RANKING_CHUNK_SIZE,
        n_threads=settings.RANKING_THREADS,
        popularity_weight=settings.RANKING_POPULARITY_WEIGHT,
        recency_weight=settings.RANKING_RECENCY_WEIGHT,
        today=now.date(),
        diversity=settings.RANKING_DIVERSITY,
        first_candidate=first_candidate,
    )
    return {
        s.id: [
            Pick(int(paper_ids[paper_row]), score, terms)
            for paper_row, score, terms in result.for_subscriber(row)
        ]
        for row, s in enumerate(subscribers)
    }


def digest_with_papers(*, subscriber_id: int, digest_id) -> Digest | None:
    """A subscriber's digest with its items and their papers, or None."""
    return (
        Digest.objects.filter(subscriber_id=subscriber_id, id=digest_id)
        .select_related("subscriber")
        .prefetch_related(Prefetch("items", DigestItem.objects.select_related("paper")))
        .first()
        if isinstance(digest_id, int)
        else None
    )


def last_edition(*, subscriber: Subscriber) -> Digest | None:
    """The subscriber's latest digest that is done (sent, skipped or failed)."""
    return subscriber.digests.filter(status__in=DONE_STATUSES).order_by("-edition").first()


def ratings_of(*, subscriber_id: int, papers) -> dict[int, int]:
    """The subscriber's rating (1 or -1) of each of ``papers`` they rated, by paper id."""
    return dict(
        Rating.objects.filter(
            subscriber_id=subscriber_id, paper__in=[p.id for p in papers]
        ).values_list("paper_id", "value")
    )


def feed_items(*, subscriber: Subscriber, limit: int) -> list[DigestItem]:
    """The papers of the subscriber's sent digests, newest digest first, best first in each."""
    return list(
        DigestItem.objects.filter(digest__subscriber=subscriber, digest__status=Digest.Status.SENT)
        .select_related("paper", "digest")
        .order_by("-digest__edition", "rank")[:limit]
    )


def feed_changed_at(*, token: str) -> datetime | None:
    """When the sent digest newest in the feed ``token`` went out (None: none yet)."""
    sent = Digest.objects.filter(subscriber__feed_token=token, status=Digest.Status.SENT)
    return sent.aggregate(last=Max("sent_at"))["last"]


def _rows_of(paper_ids: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Rows of the (ascending) ``paper_ids`` holding the ``wanted`` ids that are there."""
    return Corpus(index=None, paper_ids=paper_ids, ingested_at=paper_ids).rows_of(wanted)


def _with_newer_papers(data: Corpus, since: datetime):
    """The index, its rows' paper ids and ingestion times, and the candidate rows (ingested
    since ``since``), with rows added for the candidates ingested after the index was built
    (one query)."""
    newest = int(data.paper_ids[-1]) if len(data.paper_ids) else 0
    newer = list(
        Paper.objects.filter(id__gt=newest, ingested_at__gte=since)
        .order_by("id")
        .values_list("id", "title", "abstract", "published", "ingested_at")
    )
    ingested_at = np.asarray(data.ingested_at)
    candidates = np.flatnonzero(ingested_at >= since.timestamp())
    if not newer:
        return data.index, data.paper_ids, ingested_at, candidates
    ids, titles, abstracts, published, ingested = zip(*newer, strict=True)
    index = data.index.extended(titles, abstracts, published=published)
    added = np.arange(len(data.paper_ids), len(data.paper_ids) + len(ids))
    paper_ids = np.concatenate([data.paper_ids, np.asarray(ids, dtype=np.int64)])
    ingested_at = np.concatenate([ingested_at, [t.timestamp() for t in ingested]])
    return index, paper_ids, ingested_at, np.concatenate([candidates, added])


def ratings_for(*, subscriber: Subscriber) -> QuerySet[Rating]:
    """The subscriber's ratings with their papers, newest first."""
    return (
        Rating.objects.filter(subscriber=subscriber)
        .select_related("paper")
        .order_by("-created_at", "-id")
    )


def _paper_export(paper: Paper) -> dict:
    return {"title": paper.title, "url": paper.url, "arxiv_id": paper.external_id}


def subscriber_export(*, subscriber: Subscriber) -> dict:
    """Everything stored about a subscriber, as JSON-ready data ("download my data")."""
    digests = subscriber.digests.order_by("-edition").prefetch_related(
        Prefetch("items", DigestItem.objects.select_related("paper").order_by("rank"))
    )
    return {
        "exported_at": timezone.now(),
        "profile": {
            "email": subscriber.email,
            "status": subscriber.status,
            "timezone": subscriber.timezone,
            "send_hour": subscriber.send_hour,
            "frequency": subscriber.frequency,
            "weekly_day": subscriber.weekly_day,
            "max_papers": subscriber.max_papers,
            "subscribed_at": subscriber.created_at,
            "confirmed_at": subscriber.confirmed_at,
            "last_login_at": subscriber.last_login_at,
        },
        "interests": [
            {"phrase": i.phrase, "weight": i.weight, "excluded": i.excluded}
            for i in subscriber.interests.all()
        ],
        "ratings": [
            {
                "paper": _paper_export(r.paper),
                "rating": "more like this" if r.value > 0 else "less like this",
                "rated_at": r.created_at,
            }
            for r in ratings_for(subscriber=subscriber)
        ],
        "digests_kept_days": settings.DIGEST_RETENTION_DAYS,
        "digests": [
            {
                "edition": d.edition,
                "status": d.status,
                "sent_at": d.sent_at,
                "papers": [
                    {
                        "rank": item.rank,
                        "score": round(item.score, 4),
                        "reasons": item.terms,
                        "paper": _paper_export(item.paper),
                    }
                    for item in d.items.all()
                ],
            }
            for d in digests
        ],
    }
