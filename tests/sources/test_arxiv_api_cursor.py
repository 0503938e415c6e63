from datetime import date

from digest.models import IngestRun, Paper
from digest.services import ingest_source


def test_it_stops_at_the_newest_paper_the_last_good_run_saw(recorded):
    recorded.arxiv_page("arxiv_api_page1.xml", start=0)
    recorded.arxiv_page("arxiv_api_page2.xml", start=3)
    first = ingest_source(source="arxiv", since=date(2026, 11, 1))
    recorded.reset()
    # The next day: two new submissions, then the newest one the first run saw.
    recorded.arxiv_page("arxiv_api_next_day.xml", start=0)

    second = ingest_source(source="arxiv")

    assert first.cursor == "2026-11-20T18:59:41+00:00"
    assert [call.request.params["start"] for call in recorded.calls] == ["0"]
    assert (second.status, second.seen, second.new) == ("ok", 2, 2)
    assert second.cursor == "2026-11-21T19:55:12+00:00"
    assert Paper.objects.count() == 8


def test_it_keeps_the_cursor_when_nothing_is_new(recorded):
    recorded.arxiv_page("arxiv_api_page1.xml", start=0)
    recorded.arxiv_page("arxiv_api_page2.xml", start=3)
    ingest_source(source="arxiv", since=date(2026, 11, 1))
    recorded.reset()
    recorded.arxiv_page("arxiv_api_page1.xml", start=0)

    again = ingest_source(source="arxiv")

    assert (again.status, again.seen, again.new) == ("ok", 0, 0)
    assert again.cursor == "2026-11-20T18:59:41+00:00"
    assert recorded.requested(recorded.api) == 1


def test_a_cursor_belongs_to_its_categories(recorded):
    recorded.arxiv_page("arxiv_api_page1.xml", start=0)
    recorded.arxiv_page("arxiv_api_page2.xml", start=3)
    ingest_source(source="arxiv", since=date(2026, 11, 1))
    recorded.reset()
    recorded.arxiv_page("arxiv_api_page1.xml", start=0)
    recorded.arxiv_page("arxiv_api_page2.xml", start=3)

    other = ingest_source(source="arxiv", categories=["cs.CL"], since=date(2026, 11, 1))

    assert other.params["cursor"] == ""
    assert other.seen == 6
    assert recorded.calls[0].request.params["search_query"] == "cat:cs.CL"
    assert IngestRun.objects.filter(status="ok").count() == 2
