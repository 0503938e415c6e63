"""What every paper source produces: ``PaperRecord``s, merged into Papers by ``papers_upsert``."""

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
