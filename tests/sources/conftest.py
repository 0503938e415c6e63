"""Recorded responses of the paper sources (tests/sources/fixtures/), replayed by ``responses``."""

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import responses
from django.utils import timezone
from responses.matchers import query_param_matcher

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(autouse=True)
def _source_settings(settings, db):
    settings.ARXIV_REQUEST_INTERVAL = 0
    settings.INGEST_RETRY_BACKOFF = 0
    settings.ARXIV_PAGE_SIZE = 3
    settings.ARXIV_CATEGORIES = ["cs.CL", "cs.LG"]
    settings.INGEST_CONTACT_EMAIL = "ops@digest.example"
    settings.INGEST_USER_AGENT = "PaperDigest/0.1 (mailto:ops@digest.example)"


class Recorded(responses.RequestsMock):
    """Replays saved payloads; a request nobody registered fails as if offline."""

    api = "https://export.arxiv.org/api/query"
    rss = "https://rss.arxiv.org/rss/cs.CL+cs.LG"
    daily = "https://huggingface.co/api/daily_papers"

    @staticmethod
    def payload(name: str) -> bytes:
        return (FIXTURES / name).read_bytes()

    def arxiv_page(self, name: str, *, start: int, **kwargs):
        self.get(
            self.api,
            body=self.payload(name),
            content_type="application/atom+xml",
            match=[query_param_matcher({"start": str(start)}, strict_match=False)],
            **kwargs,
        )

    def rss_feed(self, name: str, **kwargs):
        self.get(self.rss, body=self.payload(name), content_type="application/rss+xml", **kwargs)

    def daily_list(self, day: str, name: str = "", **kwargs):
        self.get(
            self.daily,
            body=self.payload(name or f"daily_papers_{day}.json"),
            content_type="application/json",
            match=[query_param_matcher({"date": day}, strict_match=False)],
            **kwargs,
        )

    def requested(self, url: str) -> int:
        return sum(call.request.url.startswith(url) for call in self.calls)


@pytest.fixture
def recorded():
    with Recorded(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def today(monkeypatch):
    """Pretend today is a given date (the daily-papers source reads the days up to today)."""

    def set_today(day: date):
        moment = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
        monkeypatch.setattr(timezone, "now", lambda: moment)

    return set_today
