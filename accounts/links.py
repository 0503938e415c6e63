"""Absolute links that go into emails. Each carries a signed token (see ``tokens``)."""

from django.conf import settings
from django.urls import reverse

from .tokens import make_token


def absolute(path: str) -> str:
    return settings.SITE_URL + path


def login_nonce(subscriber) -> int:
    """Changes on every sign-in, so a sign-in link works once."""
    return int(subscriber.last_login_at.timestamp()) if subscriber.last_login_at else 0


def confirm_url(subscriber) -> str:
    return absolute(reverse("accounts:confirm", args=[make_token(subscriber.id, "confirm")]))


def signin_url(subscriber) -> str:
    token = make_token(subscriber.id, "signin", n=login_nonce(subscriber))
    return absolute(reverse("accounts:signin", args=[token]))


def unsubscribe_url(subscriber) -> str:
    return absolute(reverse("accounts:unsubscribe", args=[make_token(subscriber.id, "unsubscribe")]))
