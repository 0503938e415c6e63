"""Loading the sample corpus and relevance judgments for the ranking benchmarks."""

from __future__ import annotations

import json
from dataclasses import astuple, dataclass
from datetime import date
from pathlib import Path

from digest.sources.base import normalize_title, readable


@dataclass(frozen=True)
class Corpus:
    """Unique papers (the first listing of each normalized title wins, gaps filled by later)."""

    keys: list[str]
    titles: list[str]
    abstracts: list[str]
    upvotes: list[int | None]
    published: list[date | None]

    def subset(self, rows) -> Corpus:
        """The papers at ``rows``, in that order."""
        return Corpus(*([column[i] for i in rows] for column in astuple(self)))


def load_corpus(path: str | Path) -> Corpus:
    papers: dict[str, dict] = {}
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            if not line.strip():
                continue
            record = json.loads(line)
            paper = papers.setdefault(normalize_title(record["title"]), dict(record))
            for name, value in record.items():
                if paper.get(name) in (None, ""):
                    paper[name] = value
    keys = list(papers)
    return Corpus(
        keys=keys,
        # As the ingest stores them (TeX read as text); the keys are the judgments'.
        titles=[readable(papers[k]["title"]) for k in keys],
        abstracts=[readable(papers[k].get("abstract") or "") for k in keys],
        upvotes=[_count(papers[k].get("upvotes")) for k in keys],
        published=[_date(papers[k].get("published")) for k in keys],
    )


def _count(value) -> int | None:
    try:
        return max(int(value), 0) if value is not None else None
    except (TypeError, ValueError):
        return None


def _date(value) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def load_judgments(path: str | Path) -> tuple[list[dict], dict[str, dict[str, int]]]:
    """``(personas, qrels)`` as described in data/judgments-README.md."""
    with open(path, encoding="utf-8") as file:
        data = json.load(file)
    qrels = {pid: {normalize_title(t): g for t, g in q.items()} for pid, q in data["qrels"].items()}
    personas = [
        {"id": p["id"], "keywords": p.get("keywords", []), "exclude": p.get("exclude") or []}
        for p in data["personas"]
    ]
    return personas, qrels
