"""The community-upvoted daily papers list (Hugging Face's ``/api/daily_papers?date=``).

Each day's list is one page: ``[{"paper": {"id", "title", "summary", "authors": [{"name"}],
"publishedAt", "upvotes"}, ...}, ...]``. Runs start again at the cursor's day so that
upvotes keep being refreshed while a paper is on the list; the cursor is the last day
that listed any paper (weekends list none).
"""

import json
from collections.abc import Iterator
from datetime import date, datetime, timedelta

from django.conf import settings
from django.utils import timezone

from .base import Page, PaperRecord, SourceError, arxiv_id, arxiv_links, clean
from .http import PoliteClient

SOURCE = "daily-papers"
PAGE_LIMIT = 100  # the most the API gives per request


def _record(item) -> PaperRecord:
    paper = item.get("paper") if isinstance(item, dict) else None
    if not isinstance(paper, dict):
        raise ValueError("no 'paper' object")
    paper_id, published = paper.get("id"), paper.get("publishedAt")
    if paper_id is not None and not isinstance(paper_id, str):
        raise ValueError(f"'id' is not an arXiv id: {paper_id!r:.40}")
    if published is not None and not isinstance(published, str):
        raise ValueError(f"'publishedAt' is not a date: {published!r:.40}")
    external_id, version = arxiv_id(paper_id) if paper_id else ("", 1)
    title = clean(paper.get("title") or item.get("title"))
    if not title:
        raise ValueError(f"{external_id or 'paper without id'}: no title")
    authors = [clean(a.get("name")) for a in paper.get("authors") or [] if isinstance(a, dict)]
    upvotes = paper.get("upvotes")
    is_count = isinstance(upvotes, int) and not isinstance(upvotes, bool) and upvotes >= 0
    if upvotes is not None and not is_count:
        raise ValueError(f"{external_id}: 'upvotes' is not a count: {upvotes!r:.40}")
    abs_url, pdf_url = arxiv_links(external_id) if external_id else ("", "")
    return PaperRecord(
        title=title,
        abstract=clean(paper.get("summary")),
        external_id=external_id,
        version=version,
        authors=[a for a in authors if a],
        authors_count=len(authors) or None,
        published=_date(published),
        abs_url=abs_url,
        pdf_url=pdf_url,
        upvotes=upvotes,
    )


def _date(text: str | None) -> date | None:
    try:
        return datetime.fromisoformat(text).date() if text else None
    except ValueError:
        raise ValueError(f"'publishedAt' is not a date: {text!r:.40}") from None


def fetch(
    *, client: PoliteClient, categories: list[str], since: date | None, cursor: str
) -> Iterator[Page]:
    today = timezone.now().date()
    first = day = since or (date.fromisoformat(cursor) if cursor else today)
    listed = 0
    while day <= today:
        where = f"daily papers of {day}"
        body = client.get(
            settings.DAILY_PAPERS_URL, params={"date": day.isoformat(), "limit": PAGE_LIMIT}
        )
        try:
            items = json.loads(body)
        except ValueError as e:
            raise SourceError(f"{where}: malformed or truncated JSON ({e})") from e
        if not isinstance(items, list):
            raise SourceError(f"{where}: expected a JSON list, got {type(items).__name__}")
        records, skipped = [], []
        for number, item in enumerate(items, start=1):
            try:
                records.append(_record(item))
            except (ValueError, TypeError, AttributeError) as e:
                skipped.append(f"{where}: item {number} skipped: {e}")
        listed += len(items)
        yield Page(records=records, cursor=day.isoformat() if items else "", skipped=skipped)
        day += timedelta(days=1)
    if not listed:
        raise SourceError(f"daily papers: empty feed, no papers listed from {first} to {today}")
