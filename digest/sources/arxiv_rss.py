"""arXiv's daily announcement feed (RSS 2.0), e.g. https://rss.arxiv.org/rss/cs.CL+cs.LG.

Each item's description reads ``arXiv:2511.01234v1 Announce Type: new Abstract: ...``.
New submissions and cross-lists carry the announcement date as ``published``;
replacements (a new version) carry it as ``updated``. The whole feed is one page; a feed
already ingested (same publication date as the cursor) is skipped.
"""

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from xml.etree import ElementTree

from django.conf import settings

from .arxiv_api import parse_xml
from .base import Page, PaperRecord, SourceError, arxiv_id, arxiv_links, clean
from .http import PoliteClient

SOURCE = "arxiv-rss"
NS = {"dc": "http://purl.org/dc/elements/1.1/", "arxiv": "http://arxiv.org/schemas/atom"}
_DESCRIPTION = re.compile(
    r"^arXiv:(?P<id>\S+)\s+Announce Type:\s*(?P<type>\S+)\s+Abstract:\s*(?P<abstract>.*)$",
    re.DOTALL,
)


def _date(text: str | None, *, what: str) -> datetime:
    """An RSS (RFC 822) date as a UTC datetime."""
    try:
        moment = parsedate_to_datetime((text or "").strip())
    except (TypeError, ValueError) as e:
        raise ValueError(f"{what} is not an RFC 822 date: {text!r}") from e
    return moment.replace(tzinfo=moment.tzinfo or UTC).astimezone(UTC)


def _record(item: ElementTree.Element) -> PaperRecord:
    description = _DESCRIPTION.match((item.findtext("description") or "").strip())
    if description is None:
        raise ValueError("description does not start with 'arXiv:<id> Announce Type: ...'")
    external_id, version = arxiv_id(description["id"])
    title = clean(item.findtext("title"))
    if not title:
        raise ValueError(f"{external_id}: no title")
    announced = _date(item.findtext("pubDate"), what="pubDate").date()
    replaced = description["type"].startswith("replace")
    authors = [clean(a) for a in (item.findtext("dc:creator", "", NS)).split(",") if a.strip()]
    categories = [clean(c.text) for c in item.findall("category") if clean(c.text)]
    abs_url, pdf_url = arxiv_links(external_id)  # not the item's <link>: only ever https
    return PaperRecord(
        title=title,
        abstract=clean(description["abstract"]),
        external_id=external_id,
        version=version,
        authors=authors,
        authors_count=len(authors) or None,
        categories=categories,
        primary_category=categories[0] if categories else "",
        published=None if replaced else announced,
        updated=announced if replaced else None,
        abs_url=abs_url,
        pdf_url=pdf_url,
    )


def fetch(
    *, client: PoliteClient, categories: list[str], since: date | None, cursor: str
) -> Iterator[Page]:
    url = settings.ARXIV_RSS_URL.rstrip("/") + "/" + "+".join(categories)
    where = f"arXiv RSS {url}"
    channel = parse_xml(client.get(url), where=where).find("channel")
    if channel is None:
        raise SourceError(f"{where}: not an RSS feed (no <channel>)")
    try:
        built = _date(
            channel.findtext("pubDate") or channel.findtext("lastBuildDate"), what="the feed date"
        ).isoformat()
    except ValueError as e:
        raise SourceError(f"{where}: {e}") from e
    items = channel.findall("item")
    if not items:
        raise SourceError(f"{where}: empty feed, no items (arXiv announces nothing on weekends)")
    if cursor and built <= cursor:
        return  # this announcement was ingested by an earlier run
    records, skipped = [], []
    for number, item in enumerate(items, start=1):
        try:
            records.append(_record(item))
        except ValueError as e:
            skipped.append(f"{where}: item {number} skipped: {e}")
    yield Page(records=records, cursor=built, skipped=skipped)
