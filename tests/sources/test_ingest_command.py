import io

import pytest
from django.core.management import CommandError, call_command

from digest.models import IngestRun, Paper


def test_it_ingests_a_source_by_hand_with_plain_progress_lines(recorded):
    recorded.arxiv_page("arxiv_api_page1.xml", start=0)
    recorded.arxiv_page("arxiv_api_page2.xml", start=3)
    out = io.StringIO()

    call_command(
        "ingest", "--source", "arxiv", "--categories", "cs.CL", "--since", "2026-11-19", stdout=out
    )

    assert recorded.calls[0].request.params["search_query"] == "cat:cs.CL"
    assert out.getvalue().splitlines() == [
        "arxiv: page of 3 papers, 3 so far",
        "arxiv: page of 2 papers, 5 so far",
        "arxiv: ok, 5 papers read, 5 new, 0 updated, 0 skipped",
    ]
    run = IngestRun.objects.get()
    assert run.params["categories"] == ["cs.CL"]
    assert run.params["since"] == "2026-11-19"
    assert Paper.objects.count() == 5


def test_it_runs_every_configured_source_and_fails_when_one_fails(recorded, settings, today):
    from datetime import date

    today(date(2026, 11, 23))
    settings.INGEST_SOURCES = ["arxiv-rss", "daily-papers"]
    recorded.rss_feed("arxiv_rss_monday.xml")
    recorded.get(recorded.daily, body=b"<html>502 Bad Gateway</html>", status=502)
    out = io.StringIO()

    with pytest.raises(CommandError, match=r"daily-papers: .*answered HTTP 502"):
        call_command("ingest", stdout=out)

    assert "arxiv-rss: ok, 4 papers read, 4 new" in out.getvalue()
    assert "daily-papers: failed" in out.getvalue()
    assert Paper.objects.count() == 4


def test_it_rejects_an_unknown_source_and_a_bad_date():
    with pytest.raises(CommandError, match="invalid choice: 'arxv'"):
        call_command("ingest", "--source", "arxv")
    with pytest.raises(CommandError, match="--since"):
        call_command("ingest", "--since", "yesterday")
    assert not IngestRun.objects.exists()
