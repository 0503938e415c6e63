"""Reads for the account page."""

import hashlib
from dataclasses import dataclass
from datetime import datetime

from django.core.cache import cache
from django.db.models import Count, Max
from django.utils import timezone

from digest.models import Digest, Paper, Rating
from digest.selectors import corpus, recommendations_for

from .models import Subscriber

PREVIEW_CACHE_SECONDS = 24 * 3600
"""A cached preview is keyed by everything it depends on (see ``_preview_key``), so this
only bounds how long an unused entry stays."""


@dataclass(frozen=True)
class PreviewItem:
    paper: Paper
    score: float
    terms: list[str]


def subscriber_preview(
    *, subscriber: Subscriber, now: datetime | None = None
) -> list[PreviewItem] | None:
    """The digest the subscriber would get if it were sent now, best first; None while the
    first paper index is being built.

    Cached under ``subscriber_preview_key``, so the recommender runs once per change of
    what the preview depends on, not once per view.
    """
    now = now or timezone.now()
    subscriber = Subscriber.objects.prefetch_related("interests").get(pk=subscriber.pk)
    key = subscriber_preview_key(subscriber=subscriber, now=now)
    if key is None:
        return None
    preview = cache.get(key)
    if preview is None:
        picks = recommendations_for([subscriber], now=now)[subscriber.id]
        papers = Paper.objects.in_bulk([p.paper_id for p in picks])
        preview = [PreviewItem(papers[p.paper_id], p.score, p.terms) for p in picks]
        cache.set(key, preview, PREVIEW_CACHE_SECONDS)
    return preview


def subscriber_preview_key(*, subscriber: Subscriber, now: datetime | None = None) -> str | None:
    """A key that changes whenever the preview may: the reader's interests, digest size,
    ratings or sent digests, the index version, the day. None before the first index.
    Three small indexed queries."""
    version = corpus().version
    if not version:
        return None
    ratings = Rating.objects.filter(subscriber=subscriber).aggregate(
        n=Count("id"), last=Max("id"), changed=Max("created_at")
    )
    sent = subscriber_last_sent(subscriber=subscriber)
    interests = sorted((i.phrase, i.weight, i.excluded) for i in subscriber.interests.all())
    day = (now or timezone.now()).date().isoformat()
    state = repr((version, day, subscriber.max_papers, interests, sorted(ratings.items()), sent))
    return f"preview:{subscriber.pk}:{hashlib.sha256(state.encode()).hexdigest()[:32]}"


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


def subscriber_past_digests(*, subscriber: Subscriber, limit: int = 20) -> list[Digest]:
    """The subscriber's sent digests, newest first, with their papers."""
    return list(
        subscriber.digests.filter(status=Digest.Status.SENT)
        .prefetch_related("items__paper")
        .order_by("-edition")[:limit]
    )
