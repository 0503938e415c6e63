"""Absolute links that go into emails. Each carries a signed token (see ``tokens``)."""

from django.conf import settings
from django.urls import reverse

from .tokens import make_token, make_tokens


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


def email_change_url(subscriber, email: str) -> str:
    """The link sent to a new address: moves the subscriber's mail there from the address
    it names (so once), whatever sign-in links are used meanwhile."""
    token = make_token(subscriber.id, "email", o=subscriber.email, e=email)
    return absolute(reverse("accounts:email_change", args=[token]))


def settings_url(subscriber) -> str:
    """The digest's "Tune your interests" link: opens the account settings (not export or
    delete), as often as wanted for ``ACCOUNT_SETTINGS_LINK_MAX_AGE``."""
    token = make_token(subscriber.id, "settings")
    return absolute(reverse("accounts:settings_link", args=[token]))


def unsubscribe_url(subscriber) -> str:
    token = make_token(subscriber.id, "unsubscribe")
    return absolute(reverse("accounts:unsubscribe", args=[token]))


def digest_path(digest) -> str:
    """The digest's own page: read-only, signed for that digest of that subscriber."""
    return reverse("digest:page", args=[make_token(digest.subscriber_id, "digest", d=digest.id)])


def digest_url(digest) -> str:
    return absolute(digest_path(digest))


def feedback_urls(subscriber, papers) -> list[tuple[str, str]]:
    """The "more like this" and "less like this" links of each of a digest's ``papers``.

    A paper's two links share one token, signed for the subscriber and the paper; the
    rating is the link's last part.
    """
    more, less = _link_maker("digest:feedback", 1), _link_maker("digest:feedback", -1)
    tokens = make_tokens(subscriber.id, "feedback", [{"p": paper.id} for paper in papers])
    return [(more(token), less(token)) for token in tokens]


def _link_maker(viewname: str, *args):
    """``make(token)``: the absolute URL of ``viewname`` for ``token`` and ``args``, with
    one reverse() however many links it makes (a reverse() costs more than a signature)."""
    before, _, after = absolute(reverse(viewname, args=["TOKEN", *args])).rpartition("TOKEN")
    return lambda token: before + token + after
