"""Absolute links that go into emails. Each carries a signed token (see ``tokens``)."""

from django.conf import settings
from django.urls import reverse

from .tokens import make_token


def absolute(path: str) -> str:
    return settings.SITE_URL + path


def login_nonce(subscriber) -> int:
    """Changes on every sign-in, so a confirm or sign-in link works once."""
    return int(subscriber.last_login_at.timestamp()) if subscriber.last_login_at else 0


def confirm_url(subscriber) -> str:
    token = make_token(subscriber.id, "confirm", n=login_nonce(subscriber))
    return absolute(reverse("accounts:confirm", args=[token]))


def signin_url(subscriber) -> str:
    token = make_token(subscriber.id, "signin", n=login_nonce(subscriber))
    return absolute(reverse("accounts:signin", args=[token]))


def unsubscribe_url(subscriber) -> str:
    token = make_token(subscriber.id, "unsubscribe")
    return absolute(reverse("accounts:unsubscribe", args=[token]))


def feedback_url(subscriber, paper, value: int) -> str:
    """A digest's "more like this" (``value`` 1) or "less like this" (-1) link for ``paper``."""
    token = make_token(subscriber.id, "feedback", p=paper.id, v=value)
    return absolute(reverse("digest:feedback", args=[token]))
