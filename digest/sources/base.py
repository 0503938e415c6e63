"""What every paper source produces: ``PaperRecord``s, merged into Papers by ``papers_upsert``."""

import re
from dataclasses import dataclass, field
from datetime import date


class SourceError(Exception):
    """A source gave something we cannot use (HTTP error, malformed payload, timeout)."""


@dataclass
class PaperRecord:
    title: str
    abstract: str = ""
    external_id: str = ""
    version: int = 1
    authors: list[str] = field(default_factory=list)
    authors_count: int | None = None
    categories: list[str] = field(default_factory=list)
    primary_category: str = ""
    published: date | None = None
    updated: date | None = None
    abs_url: str = ""
    pdf_url: str = ""
    upvotes: int | None = None


@dataclass
class Page:
    """One response of a source, written in one transaction.

    ``cursor`` marks how far the page reached (an ISO date or timestamp, so the greatest
    is the newest); the next run stops there. ``skipped`` explains entries left out.
    """

    records: list[PaperRecord]
    cursor: str = ""
    skipped: list[str] = field(default_factory=list)


_ARXIV_ID = re.compile(r"(\d{4}\.\d{4,5}|[a-z][a-z.\-]*/\d{7})(?:v(\d+))?", re.IGNORECASE)


def arxiv_id(text: str) -> tuple[str, int]:
    """``("2511.01234", 2)`` from an arXiv id or URL such as ``http://arxiv.org/abs/2511.01234v2``.

    Raises ``ValueError`` when there is no arXiv id in ``text``; the version is 1 when absent.
    """
    match = _ARXIV_ID.search(text.rsplit("/abs/", 1)[-1].removeprefix("oai:arXiv.org:"))
    if match is None:
        raise ValueError(f"no arXiv id in {text!r}")
    return match[1], int(match[2] or 1)


def clean(text: str | None) -> str:
    """Text with runs of whitespace (line breaks inside titles and abstracts) made one space."""
    return " ".join((text or "").split())


def normalize_title(title: str) -> str:
    """The de-duplication key of a paper without an external id (also the judgments' key):
    lower-cased, runs of whitespace made one space, ends stripped."""
    return re.sub(r"\s+", " ", title.lower()).strip()
