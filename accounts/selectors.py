"""Reads for the account page."""

from dataclasses import dataclass

from django.utils import timezone

from digest.models import Digest, Paper
from digest.selectors import recommendations_for

from .models import Subscriber


@dataclass(frozen=True)
class PreviewItem:
    paper: Paper
    score: float
    terms: list[str]


def subscriber_preview(*, subscriber: Subscriber) -> list[PreviewItem]:
    """The digest the subscriber would get if it were sent now, best first."""
    subscriber = Subscriber.objects.prefetch_related("interests").get(pk=subscriber.pk)
    picks = recommendations_for([subscriber], now=timezone.now())[subscriber.id]
    papers = Paper.objects.in_bulk([p.paper_id for p in picks])
    return [PreviewItem(papers[p.paper_id], p.score, p.terms) for p in picks]


def subscriber_past_digests(*, subscriber: Subscriber, limit: int = 20) -> list[Digest]:
    """The subscriber's sent digests, newest first, with their papers."""
    return list(
        subscriber.digests.filter(status=Digest.Status.SENT)
        .prefetch_related("items__paper")
        .order_by("-edition")[:limit]
    )
