"""What a digest edition shows besides its papers: the dates it covers, the inbox
preheader, how much of each abstract fits under the size budget, and its page's link."""

from accounts import links
from digest.jinja2 import date as format_date

HTML_BUDGET = 90_000
"""Most bytes of a digest's HTML part. Gmail clips a message over about 102 KB, hiding
the footer with the unsubscribe and settings links; the test builds the largest digest
a reader can choose, with long titles, abstracts and author lists, and checks it fits."""

ABSTRACT_CHARS = 420
"""Characters of an abstract shown in the HTML part (about 60 words), fewer in a long digest."""
ABSTRACT_WORDS_TEXT = 45
"""Words of an abstract shown in the plain-text part."""

PAGE_BYTES = 3_500
ITEM_BYTES = 600
"""Bytes of a digest's HTML besides its papers, and of each paper's markup besides its text
and links (measured by rendering the template with empty texts: 2.9 KB and 0.42 KB)."""


def abstract_chars(items) -> int:
    """Characters of each abstract in the HTML part so that it stays under ``HTML_BUDGET``:
    what is left of the budget after each paper's title, authors, reasons and links,
    shared equally (escaping and non-ASCII text counted at a tenth more)."""
    taken = PAGE_BYTES
    for item in items:
        paper = item.paper
        texts = [paper.title, paper.byline, paper.url, paper.pdf, *(item.terms or [])]
        links = [getattr(item, "more_url", ""), getattr(item, "less_url", "")]
        taken += ITEM_BYTES + sum(len(t.encode()) for t in texts + links) * 11 // 10
    share = (HTML_BUDGET - taken) * 10 // 11 // max(len(items), 1)
    return max(0, min(ABSTRACT_CHARS, share))


def preheader(items, followed_phrases) -> str:
    """The inbox preview line: the one paper, or how many papers on which interests."""
    if len(items) == 1:
        return items[0].paper.title
    phrases = followed_phrases[:2]
    about = f" on {' and '.join(phrases)}" if phrases else ""
    return f"{len(items)} papers{about}, first: {items[0].paper.title}" if items else ""


def covers(digest, subscriber) -> str:
    """Which dates of papers the digest covers, in the reader's time zone."""
    if digest.covers_from is None:
        return ""
    start = digest.covers_from.astimezone(subscriber.zone).date()
    if start >= digest.edition:
        return f"Papers added on {format_date(digest.edition, 'l, j F')}."
    return (
        f"Papers added from {format_date(start, 'l, j F')}"
        f" to {format_date(digest.edition, 'l, j F')}."
    )


def email_context(digest, subscriber, items) -> dict:
    """The digest email's context besides its papers' feedback and account links."""
    return {
        "preheader": preheader(items, subscriber.followed_phrases),
        "abstract_chars": abstract_chars(items),
        "abstract_words_text": ABSTRACT_WORDS_TEXT,
        "digest_url": links.digest_url(digest),
        "covers": covers(digest, subscriber),
    }
