"""JSON-lines paper lists: one object a line with at least ``title`` and ``abstract``.

Optional fields: ``id``/``arxiv_id``, ``authors`` (list of names), ``authors_count``,
``categories``, ``published`` (YYYY-MM-DD), ``url``, ``pdf_url`` (http or https only),
``upvotes``. A line that breaks a rule, or a limit of the Paper columns, is reported alone.
"""

import json
import re
from collections.abc import Iterable
from datetime import date

from .base import PaperRecord, arxiv_id, clean

SOURCE = "jsonl"
_ARXIV_STYLE = re.compile(r"(?:arxiv:)?\d{4}\.\d{4,5}(?:v\d+)?", re.IGNORECASE)
"""An id written as arXiv writes them ("2611.00010v2", "arXiv:2611.00010"): stored as the
id alone and its version, as the other sources store it, so versions merge."""


def _record(obj) -> PaperRecord:
    if not isinstance(obj, dict):
        raise ValueError("expected a JSON object")
    title = obj.get("title")
    if not isinstance(title, str) or not title.strip():
        raise ValueError("missing or empty 'title'")
    abstract = obj.get("abstract", obj.get("summary", ""))
    if not isinstance(abstract, str):
        raise ValueError("'abstract' must be a string")
    authors = obj.get("authors") or []
    if not isinstance(authors, list) or not all(isinstance(a, str) for a in authors):
        raise ValueError("'authors' must be a list of names")
    categories = obj.get("categories") or []
    if not isinstance(categories, list) or not all(isinstance(c, str) for c in categories):
        raise ValueError("'categories' must be a list of strings")
    published = obj.get("published")
    try:
        published = date.fromisoformat(published[:10]) if published else None
    except (TypeError, ValueError) as e:
        raise ValueError(f"'published' is not a YYYY-MM-DD date: {published!r}") from e
    counts = {}
    for key in ("authors_count", "upvotes"):
        value = obj.get(key)
        is_count = isinstance(value, int) and not isinstance(value, bool) and value >= 0
        if value is not None and not is_count:
            raise ValueError(f"'{key}' must be a non-negative whole number")
        counts[key] = value
    external_id, version = str(obj.get("arxiv_id") or obj.get("id") or "").strip(), 1
    if _ARXIV_STYLE.fullmatch(external_id):
        external_id, version = arxiv_id(external_id)
    return PaperRecord(
        title=clean(title),
        abstract=clean(abstract),
        external_id=external_id,
        version=version,
        authors=authors,
        authors_count=counts["authors_count"]
        if counts["authors_count"] is not None
        else (len(authors) or None),
        categories=categories,
        primary_category=categories[0] if categories else "",
        published=published,
        abs_url=obj.get("url") or "",
        pdf_url=obj.get("pdf_url") or "",
        upvotes=counts["upvotes"],
    )


def parse_lines(
    lines: Iterable[str | bytes],
) -> tuple[list[PaperRecord], list[tuple[int, str]]]:
    """Good records, and ``(line number, reason)`` for each line that could not be read
    (lines as text, or as bytes of UTF-8: a line that is not is reported alone)."""
    records, errors = [], []
    for number, line in enumerate(lines, start=1):
        if isinstance(line, bytes):
            try:
                line = line.decode("utf-8-sig")
            except UnicodeDecodeError as e:
                byte = e.object[e.start]
                errors.append(
                    (number, f"not UTF-8 text (byte {byte:#04x} at column {e.start + 1})")
                )
                continue
        if not line.strip():
            continue
        try:
            records.append(_record(json.loads(line)))
        except json.JSONDecodeError as e:
            errors.append((number, f"not valid JSON ({e.msg} at column {e.colno})"))
        except ValueError as e:
            errors.append((number, str(e)))
    return records, errors
