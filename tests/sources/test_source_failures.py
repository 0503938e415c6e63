"""Every bad response leaves the papers as they were before the failing page, says why in
the IngestRun and the log, and the next run starts again from the last good one."""

from datetime import date, timedelta

import pytest
import requests
from django.utils import timezone

from digest.models import IngestRun, Paper
from digest.services import ingest_source

SINCE = date(2026, 11, 1)


def truncated(name):
    return lambda recorded: recorded.payload(name)[:-300]


BAD_RESPONSES = [
    # (source, url attribute, body or exception, HTTP status, what the run must say)
    ("arxiv", "api", truncated("arxiv_api_page1.xml"), 200, "malformed or truncated XML"),
    ("arxiv", "api", b"", 200, "the response is empty"),
    ("arxiv", "api", b"<html><body>Bad gateway</body>", 200, "malformed or truncated XML"),
    ("arxiv", "api", "arxiv_rss_monday.xml", 200, "not an Atom feed"),
    ("arxiv", "api", "arxiv_api_empty.xml", 200, "empty feed, no entries"),
    ("arxiv", "api", "arxiv_api_error.xml", 200, "arXiv says: max_results must be less than"),
    ("arxiv", "api", b"Service Unavailable", 503, "answered HTTP 503 Service Unavailable"),
    ("arxiv", "api", requests.ConnectTimeout("timed out"), 200, "did not answer within 30"),
    ("arxiv-rss", "rss", "arxiv_rss_weekend.xml", 200, "empty feed, no items"),
    ("arxiv-rss", "rss", truncated("arxiv_rss_monday.xml"), 200, "malformed or truncated XML"),
    ("arxiv-rss", "rss", "arxiv_api_page1.xml", 200, "not an RSS feed"),
    ("arxiv-rss", "rss", b"Not Found", 404, "answered HTTP 404 Not Found"),
    ("daily-papers", "daily", truncated("daily_papers_2026-11-20.json"), 200, "truncated JSON"),
    ("daily-papers", "daily", b'{"error": "Invalid date"}', 200, "expected a JSON list, got dict"),
    ("daily-papers", "daily", b"[]", 200, "empty feed, no papers listed from 2026-11-01"),
    ("daily-papers", "daily", requests.ReadTimeout("read timed out"), 200, "did not answer"),
    (
        "arxiv",
        "api",
        lambda recorded: recorded.payload("arxiv_api_page1.xml").replace(
            b'1.1/">6</opensearch:totalResults>', b'1.1/">many</opensearch:totalResults>'
        ),
        200,
        "totalResults is not a number: 'many'",
    ),
]


@pytest.mark.parametrize(("source", "url", "body", "status", "message"), BAD_RESPONSES)
def test_it_reports_a_bad_response_and_changes_no_paper(
    recorded, today, caplog, source, url, body, status, message
):
    today(date(2026, 11, 3))
    recorded.rss_feed("arxiv_rss_monday.xml")
    ingest_source(source="arxiv-rss")
    papers_before = list(Paper.objects.values_list("external_id", "version", "upvotes"))
    recorded.reset()
    if isinstance(body, str):
        body = recorded.payload(body)
    elif callable(body):
        body = body(recorded)
    recorded.get(getattr(recorded, url), body=body, status=status)

    run = ingest_source(source=source, since=SINCE)

    assert run.status == IngestRun.Status.FAILED
    assert message in run.error
    assert run.cursor == ""
    assert message in caplog.text
    assert list(Paper.objects.values_list("external_id", "version", "upvotes")) == papers_before


def test_it_retries_server_errors_with_backoff_before_giving_up(recorded, settings):
    settings.INGEST_RETRIES = 2
    recorded.get(recorded.api, body=b"Service Unavailable", status=503)

    run = ingest_source(source="arxiv", since=SINCE)

    assert recorded.requested(recorded.api) == 3
    assert "answered HTTP 503" in run.error


def test_a_server_error_that_passes_is_retried_transparently(recorded):
    recorded.get(recorded.api, body=b"Service Unavailable", status=503)
    recorded.get(recorded.api, body=b"Bad Gateway", status=502)
    recorded.arxiv_page("arxiv_api_version2.xml", start=0)

    run = ingest_source(source="arxiv", since=SINCE)

    assert (run.status, run.new) == ("ok", 1)
    assert recorded.requested(recorded.api) == 3


def test_a_failing_page_keeps_the_pages_before_it_and_the_next_run_resumes(recorded):
    recorded.arxiv_page("arxiv_api_page1.xml", start=0)
    recorded.get(recorded.api, body=recorded.payload("arxiv_api_page2_truncated.xml"))

    failed = ingest_source(source="arxiv", since=SINCE)

    assert (failed.status, failed.seen, failed.new, failed.cursor) == ("failed", 3, 3, "")
    assert "arXiv API (cat:cs.CL OR cat:cs.LG, start=3): malformed or truncated XML" in failed.error
    assert Paper.objects.count() == 3
    assert not Paper.objects.filter(external_id__in=["2611.13977", "2611.13805"]).exists()

    recorded.reset()
    recorded.arxiv_page("arxiv_api_page1.xml", start=0)
    recorded.arxiv_page("arxiv_api_page2.xml", start=3)
    again = ingest_source(source="arxiv", since=SINCE)

    assert (again.status, again.seen, again.new, again.updated) == ("ok", 6, 3, 0)
    assert Paper.objects.count() == 6


def test_after_a_failed_run_the_next_one_starts_from_the_last_good_cursor(recorded):
    recorded.arxiv_page("arxiv_api_page1.xml", start=0)
    recorded.arxiv_page("arxiv_api_page2.xml", start=3)
    good = ingest_source(source="arxiv", since=SINCE)
    recorded.reset()
    recorded.get(recorded.api, body=requests.ConnectionError("connection reset"))
    ingest_source(source="arxiv")
    recorded.reset()
    recorded.arxiv_page("arxiv_api_next_day.xml", start=0)

    resumed = ingest_source(source="arxiv")

    assert resumed.params["cursor"] == good.cursor
    assert (resumed.status, resumed.new) == ("ok", 2)
    assert list(IngestRun.objects.values_list("status", flat=True)) == ["ok", "failed", "ok"][::-1]


def test_a_run_whose_process_was_killed_is_marked_interrupted_by_the_next_one(recorded):
    killed = IngestRun.objects.create(source="arxiv-rss")  # left "running"
    IngestRun.objects.filter(id=killed.id).update(started_at=timezone.now() - timedelta(hours=2))
    recorded.rss_feed("arxiv_rss_monday.xml")

    ingest_source(source="arxiv-rss")

    killed.refresh_from_db()
    assert killed.status == IngestRun.Status.FAILED and "interrupted" in killed.error
    assert IngestRun.objects.filter(status=IngestRun.Status.RUNNING).count() == 0
