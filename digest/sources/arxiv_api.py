"""The arXiv API (Atom): newest submissions of some categories, paged, down to the last run.

https://info.arxiv.org/help/api/user-manual.html - results are sorted by submission date,
newest first; paging stops at the first entry no newer than the previous run's cursor (its
newest submission time, already seen) or older than ``since``. Papers announced late with an
older submission time (held in moderation) come from the RSS feed instead.
"""

from collections.abc import Iterator
from datetime import date, datetime
from xml.etree import ElementTree

from django.conf import settings

from .base import Page, PaperRecord, SourceError, arxiv_id, arxiv_links, clean
from .http import PoliteClient

SOURCE = "arxiv"
NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "arxiv": "http://arxiv.org/schemas/atom",
    "opensearch": "http://a9.com/-/spec/opensearch/1.1/",
}


def parse_xml(content: bytes, *, where: str) -> ElementTree.Element:
    if not content.strip():
        raise SourceError(f"{where}: the response is empty")
    try:
        return ElementTree.fromstring(content)
    except ElementTree.ParseError as e:
        raise SourceError(f"{where}: malformed or truncated XML ({e})") from e


def _timestamp(text: str | None) -> datetime:
    return datetime.fromisoformat((text or "").strip())


def _record(entry: ElementTree.Element) -> tuple[PaperRecord, str]:
    """The paper of an Atom entry and its submission time (ISO); ValueError if unusable."""
    external_id, version = arxiv_id(entry.findtext("atom:id", "", NS))
    title = clean(entry.findtext("atom:title", "", NS))
    if not title:
        raise ValueError(f"{external_id}: no title")
    published = _timestamp(entry.findtext("atom:published", None, NS))
    updated = entry.findtext("atom:updated", None, NS)
    primary = entry.find("arxiv:primary_category", NS)
    categories = [c.get("term", "") for c in entry.findall("atom:category", NS) if c.get("term")]
    authors = [clean(a.findtext("atom:name", "", NS)) for a in entry.findall("atom:author", NS)]
    abs_url, pdf_url = arxiv_links(external_id)  # not the feed's links: only ever https
    record = PaperRecord(
        title=title,
        abstract=clean(entry.findtext("atom:summary", "", NS)),
        external_id=external_id,
        version=version,
        authors=authors,
        authors_count=len(authors) or None,
        categories=categories,
        primary_category=primary.get("term", "") if primary is not None else categories[0],
        published=published.date(),
        updated=_timestamp(updated).date() if updated else None,
        abs_url=abs_url,
        pdf_url=pdf_url,
    )
    return record, published.isoformat()


def fetch(
    *, client: PoliteClient, categories: list[str], since: date | None, cursor: str
) -> Iterator[Page]:
    size = settings.ARXIV_PAGE_SIZE
    query = " OR ".join(f"cat:{category}" for category in categories)
    start = 0
    while True:
        where = f"arXiv API ({query}, start={start})"
        body = client.get(
            settings.ARXIV_API_URL,
            params={
                "search_query": query,
                "sortBy": "submittedDate",
                "sortOrder": "descending",
                "start": start,
                "max_results": size,
            },
        )
        feed = parse_xml(body, where=where)
        if feed.tag != f"{{{NS['atom']}}}feed":
            raise SourceError(f"{where}: not an Atom feed (root element {feed.tag!r})")
        entries = feed.findall("atom:entry", NS)
        if len(entries) == 1 and entries[0].findtext("atom:title", "", NS) == "Error":
            message = clean(entries[0].findtext("atom:summary", "", NS))
            raise SourceError(f"{where}: arXiv says: {message}")
        written = feed.findtext("opensearch:totalResults", "0", NS).strip() or "0"
        if not written.isdigit():
            raise SourceError(f"{where}: totalResults is not a number: {written!r:.40}")
        total = int(written)
        if not entries:
            raise SourceError(
                f"{where}: empty feed, no entries (of {total} results); "
                "the next run starts again from the last good one"
            )
        records, stamps, skipped, reached_end = [], [], [], False
        for number, entry in enumerate(entries, start=start + 1):
            try:
                record, stamp = _record(entry)
            except (ValueError, AttributeError, IndexError) as e:
                skipped.append(f"{where}: entry {number} skipped: {e}")
                continue
            if stamp <= cursor or (since and record.published < since):
                reached_end = True
                break
            records.append(record)
            stamps.append(stamp)
        yield Page(records=records, cursor=max(stamps, default=""), skipped=skipped)
        start += len(entries)
        if reached_end or start >= total:
            return
