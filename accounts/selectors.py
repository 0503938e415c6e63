"""Reads for the account page and for the links in emails."""

from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from digest.models import Digest, Paper
from digest.selectors import recommendations_for

from . import links
from .models import Subscriber
from .tokens import BadToken, read_signin_token, read_token

ALREADY_USED = "This link was already used. Ask for a new one below."


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


def subscriber_from_link(*, token: str, purpose: str, max_age: int) -> Subscriber:
    """The subscriber a single-use link names, without using the link up; BadToken if it is
    not (or no longer) valid."""
    subscriber_id, nonce = read_signin_token(token, purpose, max_age=max_age)
    subscriber = Subscriber.objects.filter(id=subscriber_id).first()
    if subscriber is None:
        raise BadToken("This account no longer exists.")
    if nonce != links.login_nonce(subscriber):
        raise BadToken(ALREADY_USED)
    return subscriber


def subscriber_from_settings_link(*, token: str) -> Subscriber:
    """The subscriber a digest's settings link names (reusable until it expires)."""
    payload = read_token(token, "settings", max_age=settings.ACCOUNT_SETTINGS_LINK_MAX_AGE)
    subscriber = Subscriber.objects.filter(id=payload["s"]).first()
    if subscriber is None:
        raise BadToken("This account no longer exists.")
    return subscriber
