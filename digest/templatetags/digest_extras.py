"""Template helpers for digests: readable reasons, and the account page's ratings."""

import functools
from typing import NamedTuple

from django import template
from django.core.paginator import Paginator
from django.urls import reverse

from accounts import links
from digest import selectors
from digest.ranking import LIKED_PREFIX, PARTLY_PREFIX, interest_parts
from digest.views import RATINGS_ON_ACCOUNT_PAGE

register = template.Library()


class Clause(NamedTuple):
    """One clause of a paper's "Why:" line: its words ("matches") and what they name,
    interests as the reader typed them or, when ``liked``, liked papers by short title."""

    lead: str
    items: tuple[str, ...]
    liked: bool = False


SHORT_TITLE_WORDS = 8
"""A liked paper is named by its title up to a colon ("DASpeech: ..."), or its first words."""


def short_title(title: str) -> str:
    head = title.split(":", 1)[0].strip() if ":" in title else title
    words = head.split()
    return " ".join(words[:SHORT_TITLE_WORDS]) + ("…" if len(words) > SHORT_TITLE_WORDS else "")


@register.filter
def reasons(terms: list[str] | None) -> tuple[Clause, ...]:
    """A paper's reasons as the clauses of its "Why:" line, in order: the interests it
    matches, those it matches only part of, and the liked papers it is close to; "matches
    your interests" when there is none. Templates only mark them up and join them with
    "; " (web pages, and the HTML and text emails read the same)."""
    return _clauses(tuple(terms or ()))


@functools.lru_cache(maxsize=4096)
def _clauses(terms: tuple[str, ...]) -> tuple[Clause, ...]:
    """(Remembered: the text and HTML bodies ask for each paper's, and readers of the same
    interests share them.)"""
    clauses = (
        Clause(
            "matches", tuple(t for t in terms if not t.startswith((LIKED_PREFIX, PARTLY_PREFIX)))
        ),
        Clause(
            "partly matches",
            tuple(t.removeprefix(PARTLY_PREFIX) for t in terms if t.startswith(PARTLY_PREFIX)),
        ),
        Clause(
            "close to",
            tuple(
                short_title(t.removeprefix(LIKED_PREFIX))
                for t in terms
                if t.startswith(LIKED_PREFIX)
            ),
            liked=True,
        ),
    )
    return tuple(c for c in clauses if c.items) or (Clause("matches your interests", ()),)


@register.filter
def long_forms(phrase: str) -> dict[str, str]:
    """The acronyms of an interest the papers define, as typed, with their long forms: what
    the interest also matches ("ViT": "vision transformers")."""
    return selectors.long_forms_in(phrase)


@register.filter
def read_as(phrase: str) -> list[str]:
    """The topics an interest is read as when it is not read as typed ("object detection
    and image segmentation": two; see ``digest.ranking.interest_parts``), else none."""
    parts = interest_parts(phrase)
    return parts if parts != [" ".join(phrase.split())] else []


@register.filter
def of_phrase(by_phrase: dict, phrase: str):
    """The entry of a mapping by interest phrase, or None (``recent_matches``)."""
    return by_phrase.get(phrase)


@register.simple_tag
def rated_papers(subscriber):
    """The first page of the reader's ratings, newest first, as the account page shows them."""
    ratings = selectors.ratings_for(subscriber=subscriber)
    return Paginator(ratings, RATINGS_ON_ACCOUNT_PAGE).get_page(1)


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
