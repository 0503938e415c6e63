"""Reads for the account page, the interest suggestions and the links in emails."""

import re
import threading
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Max
from django.utils import timezone
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from digest.models import Digest, Paper, Rating
from digest.ranking import in_another_script
from digest.selectors import (
    cache_key,
    corpus,
    edition_starts,
    match_counts,
    newest_paper_at,
    ratings_of,
    recommendations_for,
    unknown_words,
)

from . import links
from .models import AccountMail, Subscriber
from .tokens import BadToken, read_email_change_token, read_signin_token, read_token

ALREADY_USED = "This link was already used. Ask for a new one below."

ONBOARDING_PAPERS = 6

PREVIEW_CACHE_SECONDS = 24 * 3600
"""A cached preview is keyed by everything it depends on (see ``_preview_key``), so this
only bounds how long an unused entry stays."""


@dataclass(frozen=True)
class PreviewItem:
    paper: Paper
    score: float
    terms: list[str]
    rating: int | None = None


def subscriber_preview(
    *, subscriber: Subscriber, now: datetime | None = None, key: str | None = None
) -> list[PreviewItem] | None:
    """The digest the subscriber would get if it were sent now, best first, with their
    ratings; None while the
    first paper index is being built.

    Cached under ``subscriber_preview_key``, so the recommender runs once per change of
    what the preview depends on, not once per view. A caller that has the key passes it,
    with the subscriber's ``interests`` prefetched (the account page: two queries fewer).
    """
    now = now or timezone.now()
    if key is None:
        subscriber = Subscriber.objects.prefetch_related("interests").get(pk=subscriber.pk)
        last_sent = subscriber_last_sent(subscriber=subscriber)
        key = subscriber_preview_key(subscriber=subscriber, last_sent=last_sent, now=now)
    if key is None:
        return None

    def preview() -> list[PreviewItem]:
        picks = recommendations_for([subscriber], now=now)[subscriber.id]
        papers = Paper.objects.in_bulk([p.paper_id for p in picks])
        ratings = ratings_of(subscriber_id=subscriber.id, papers=papers.values())
        return [
            PreviewItem(papers[p.paper_id], p.score, p.terms, ratings.get(p.paper_id))
            for p in picks
        ]

    return cache.get_or_set(key, preview, PREVIEW_CACHE_SECONDS)


def subscriber_has_new_papers(*, subscriber: Subscriber) -> bool:
    """Whether a paper was added since the reader's next digest starts taking papers (an
    empty preview then means nothing matched, not that nothing came)."""
    now = timezone.now()
    newest = newest_paper_at()
    return newest is not None and newest >= edition_starts([subscriber], now=now)[subscriber.id]


def subscriber_preview_key(
    *, subscriber: Subscriber, last_sent: int | None, now: datetime | None = None
) -> str | None:
    """A key that changes whenever the preview may: the reader's interests, digest size,
    ratings or sent digests (``last_sent``, from ``subscriber_last_sent``), the index
    version, the day. None before the first index. One small indexed query, and one for
    the interests unless they are prefetched."""
    version = corpus().version
    if not version:
        return None
    ratings = Rating.objects.filter(subscriber=subscriber).aggregate(
        n=Count("id"), last=Max("id"), changed=Max("created_at")
    )
    interests = sorted((i.phrase, i.weight, i.excluded) for i in subscriber.interests.all())
    day = (now or timezone.now()).date().isoformat()
    ratings = sorted(ratings.items())
    state = (version, day, subscriber.max_papers, interests, ratings, last_sent)
    return cache_key(f"preview:{subscriber.pk}", *state)


@dataclass(frozen=True)
class UnknownWord:
    interest: str
    word: str
    probably: str | None

    @property
    def in_another_script(self) -> bool:
        return in_another_script(self.word)


def interests_unknown_words(*, phrases: Iterable[str]) -> list[UnknownWord]:
    """The words of these interests that no paper uses, each with the word it is probably a
    misspelling of: such a word matches nothing."""
    return [
        UnknownWord(phrase, word, probably)
        for phrase in phrases
        for word, probably in unknown_words(phrase).items()
    ]


def subscriber_unknown_words(*, subscriber: Subscriber) -> list[UnknownWord]:
    """``interests_unknown_words`` of the reader's interests (``interests`` prefetched on
    the account page)."""
    return interests_unknown_words(phrases=[i.phrase for i in subscriber.interests.all()])


MATCH_COUNTS_CACHE_SECONDS = 3600
"""Match counts are kept per index version and hour: a new paper moves them by one."""


@dataclass(frozen=True)
class RecentMatches:
    papers: int
    whole: int


def subscriber_recent_matches(
    *, subscriber: Subscriber, now: datetime | None = None
) -> dict[str, RecentMatches]:
    """Per interest the reader follows, how many papers of the last week match it and how
    many hold all of it (``interests`` prefetched on the account page); cached."""
    now = now or timezone.now()
    phrases = sorted(set(subscriber.followed_phrases))
    version = corpus().version
    if not phrases or not version:
        return {}
    key = cache_key("matches", version, now.replace(minute=0, second=0, microsecond=0), phrases)
    counts = cache.get_or_set(
        key, lambda: match_counts(phrases, now=now), MATCH_COUNTS_CACHE_SECONDS
    )
    return {phrase: RecentMatches(*counts[phrase]) for phrase in phrases if phrase in counts}


def subscriber_last_sent(*, subscriber: Subscriber) -> int | None:
    """Id of the newest digest sent (or being sent) to the subscriber: what changes their
    history and what the recommender leaves out."""
    return (
        Digest.objects.filter(
            subscriber=subscriber, status__in=[Digest.Status.SENT, Digest.Status.SENDING]
        )
        .order_by("-created_at")  # the (subscriber, created_at) index: one row read
        .values_list("id", flat=True)
        .first()
    )


def subscriber_onboarding_papers(*, subscriber: Subscriber) -> list[PreviewItem]:
    """A few recent papers close to a new reader's interests, to rate before the first digest.

    The recent papers already rated come first (oldest rating first), so a paper stays on
    the page once rated even when the rating moves it down the ranking; then the best
    unrated ones, at least three.
    """
    since = timezone.now() - timedelta(days=settings.DIGEST_CANDIDATE_DAYS)
    rated = [
        PreviewItem(r.paper, 0.0, [], r.value)
        for r in Rating.objects.filter(subscriber=subscriber, paper__ingested_at__gte=since)
        .select_related("paper")
        .order_by("created_at", "id")
    ]
    preview = subscriber_preview(subscriber=subscriber) or []
    unrated = [item for item in preview if item.rating is None]
    return rated + unrated[: max(3, ONBOARDING_PAPERS - len(rated))]


def subscriber_past_digests(*, subscriber: Subscriber, limit: int = 20) -> list[Digest]:
    """The subscriber's sent digests, newest first, with their papers."""
    return list(
        subscriber.digests.filter(status=Digest.Status.SENT)
        .prefetch_related("items__paper")
        .order_by("-edition")[:limit]
    )


# --- Interest suggestions ----------------------------------------------------------------

SUGGEST_WINDOW = timedelta(days=7)
SUGGEST_MIN_PAPERS = 2
_URL = re.compile(r"\S+://\S+|www\.\S+")
_CLAUSE = re.compile(r"[.,;:!?()\[\]{}\"“”]")
_WORD = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
# Words abstracts use whatever their topic: in data/papers.jsonl (326 papers) each is in
# 3-37% of them ("propose" 37%, "work" 32%, "method" 16%, "shows" 3%) next to any topic;
# as suggestions they would crowd out the topics.
BOILERPLATE = frozenset(
    """propose proposed paper results using demonstrate demonstrates work based novel
    existing new introduce approach approaches method methods experiments recent code
    available achieve achieves show shows outperforms significantly extensive furthermore""".split()  # noqa: SIM905
)


@dataclass(frozen=True)
class Suggestion:
    phrase: str
    papers: int


def _phrases(text: str) -> set[str]:
    """Lower-case 1- to 3-word phrases of a text, not starting or ending with a stop word."""
    found = set()
    for clause in _CLAUSE.split(_URL.sub(" ", text.lower())):
        words = _WORD.findall(clause)
        skip = [w in ENGLISH_STOP_WORDS or w in BOILERPLATE or len(w) < 2 for w in words]
        for n in (1, 2, 3):
            for i in range(len(words) - n + 1):
                if not (skip[i] or skip[i + n - 1]):
                    found.add(" ".join(words[i : i + n]))
    return found


@dataclass(frozen=True)
class SuggestionTable:
    """Phrases of recent papers, most papers first, indexed by the first two letters of a word."""

    by_start: dict[str, list[Suggestion]]

    @classmethod
    def build(cls, texts) -> "SuggestionTable":
        counts = Counter()
        for text in texts:
            counts.update(_phrases(text))
        frequent = sorted(
            (Suggestion(p, n) for p, n in counts.items() if n >= SUGGEST_MIN_PAPERS),
            key=lambda s: (-s.papers, s.phrase),
        )
        by_start = defaultdict(list)
        for suggestion in frequent:
            for start in {word[:2] for word in suggestion.phrase.split()}:
                by_start[start].append(suggestion)
        return cls(dict(by_start))

    def matching(self, text: str, limit: int) -> list[Suggestion]:
        """Phrases with a word starting with ``text``; phrases starting with it first."""
        query = " ".join(text.lower().split())
        found = [
            s
            for s in self.by_start.get(query[:2], [])
            if s.phrase.startswith(query) or f" {query}" in s.phrase
        ]
        found.sort(key=lambda s: not s.phrase.startswith(query))
        return found[:limit]


_suggest_lock = threading.Lock()
_suggest_cache: dict[tuple, SuggestionTable] = {}


def _suggestion_table() -> SuggestionTable:
    """The table of the papers ingested in the last week; rebuilt when they change, or hourly."""
    since = timezone.now().replace(minute=0, second=0, microsecond=0) - SUGGEST_WINDOW
    recent = Paper.objects.filter(ingested_at__gte=since)
    stamp = recent.aggregate(n=Count("id"), changed=Max("updated_at"))
    key = (since, stamp["n"], stamp["changed"])
    with _suggest_lock:
        if key not in _suggest_cache:
            rows = recent.values_list("title", "abstract").iterator()
            _suggest_cache.clear()
            _suggest_cache[key] = SuggestionTable.build(f"{t}.\n{a}" for t, a in rows)
        return _suggest_cache[key]


def interest_suggestions(*, text: str, limit: int = 8) -> list[Suggestion]:
    """Phrases of last week's papers that continue ``text``, with how many papers have them."""
    if len(text.strip()) < 2:
        return []
    return _suggestion_table().matching(text, limit)


def _named_subscriber(subscriber_id: int) -> Subscriber:
    """The subscriber a link names; BadToken if the account is gone."""
    subscriber = Subscriber.objects.filter(id=subscriber_id).first()
    if subscriber is None:
        raise BadToken("This account no longer exists.")
    return subscriber


def subscriber_from_link(*, token: str, purpose: str, max_age: int) -> Subscriber:
    """The subscriber a single-use link names, without using the link up; BadToken if it is
    not (or no longer) valid."""
    subscriber_id, nonce = read_signin_token(token, purpose, max_age=max_age)
    subscriber = _named_subscriber(subscriber_id)
    if nonce != links.login_nonce(subscriber):
        raise BadToken(ALREADY_USED)
    return subscriber


def subscriber_from_email_change_link(*, token: str) -> Subscriber:
    """The subscriber a change-address link names while their mail still goes to the
    address it moves it from; BadToken if not."""
    subscriber_id, old, _ = read_email_change_token(token, max_age=settings.ACCOUNT_CONFIRM_MAX_AGE)
    subscriber = _named_subscriber(subscriber_id)
    if subscriber.email != old:
        raise BadToken(ALREADY_USED)
    return subscriber


def subscriber_from_settings_link(*, token: str) -> Subscriber:
    """The subscriber a digest's settings link names (reusable until it expires)."""
    payload = read_token(token, "settings", max_age=settings.ACCOUNT_SETTINGS_LINK_MAX_AGE)
    return _named_subscriber(payload["s"])


def account_mail_unsent_ids(*, before: datetime) -> list[int]:
    """Account mail no worker has claimed whose next attempt was due before ``before``,
    oldest first."""
    return list(
        AccountMail.objects.filter(claimed_at=None, next_attempt_at__lt=before)
        .order_by("created_at")
        .values_list("id", flat=True)
    )
