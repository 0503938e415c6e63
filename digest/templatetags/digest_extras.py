"""Template helpers for digests: readable reasons, and the account page's ratings."""

from typing import NamedTuple

from django import template
from django.urls import reverse

from accounts import links
from digest import selectors
from digest.ranking import LIKED_PREFIX

register = template.Library()


class Reasons(NamedTuple):
    keywords: list[str]
    liked: list[str]


@register.filter
def reasons(terms: list[str] | None) -> Reasons:
    """Split a paper's reasons into matched keywords and the titles of liked papers."""
    terms = terms or []
    return Reasons(
        keywords=[t for t in terms if not t.startswith(LIKED_PREFIX)],
        liked=[t.removeprefix(LIKED_PREFIX) for t in terms if t.startswith(LIKED_PREFIX)],
    )


@register.simple_tag
def rated_papers(subscriber):
    return selectors.ratings_for(subscriber=subscriber)


@register.simple_tag
def digest_page_url(digest) -> str:
    """The digest's own page (see ``digest.views.digest_page``)."""
    return links.digest_path(digest)


@register.simple_tag
def feed_url(subscriber) -> str:
    """The reader's personal Atom feed (see ``digest.feeds``)."""
    return links.absolute(reverse("digest:feed", args=[subscriber.feed_token]))


@register.simple_tag
def last_edition(subscriber):
    return selectors.last_edition(subscriber=subscriber)
