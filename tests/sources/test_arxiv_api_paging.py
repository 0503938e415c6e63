from datetime import date

from digest.models import IngestRun, Paper
from digest.services import ingest_source


def test_it_pages_through_the_api_and_keeps_every_field(recorded):
    recorded.arxiv_page("arxiv_api_page1.xml", start=0)
    recorded.arxiv_page("arxiv_api_page2.xml", start=3)

    run = ingest_source(source="arxiv", since=date(2026, 11, 1))

    assert (run.status, run.seen, run.new, run.updated, run.error) == ("ok", 6, 6, 0, "")
    assert [call.request.params["start"] for call in recorded.calls] == ["0", "3"]
    first = recorded.calls[0].request
    assert first.params["search_query"] == "cat:cs.CL OR cat:cs.LG"
    assert first.params["sortBy"] == "submittedDate"
    assert first.params["sortOrder"] == "descending"
    assert "mailto:ops@digest.example" in first.headers["User-Agent"]

    paper = Paper.objects.get(external_id="2611.14402")
    assert paper.version == 1
    assert paper.title == "Sparse Retrieval Heads for Long-Context Question Answering"
    assert paper.abstract.startswith("Long-context language models often fail to locate")
    assert paper.authors == ["Mei Tanaka", "Ravi Subramanian", "Laura Becker"]
    assert paper.primary_category == "cs.CL"
    assert paper.categories == ["cs.CL", "cs.LG"]
    assert paper.published == date(2026, 11, 20)
    assert paper.abs_url == "https://arxiv.org/abs/2611.14402"
    assert paper.pdf_url == "https://arxiv.org/pdf/2611.14402"
    assert paper.source == "arxiv"
    assert Paper.objects.get(external_id="2611.14388").primary_category == "cs.LG"


def test_it_stops_paging_at_the_since_date(recorded):
    recorded.arxiv_page("arxiv_api_page1.xml", start=0)
    recorded.arxiv_page("arxiv_api_page2.xml", start=3)

    run = ingest_source(source="arxiv", since=date(2026, 11, 19))

    assert run.seen == 5  # 2611.12019 of Nov 17 is older than --since
    assert not Paper.objects.filter(external_id="2611.12019").exists()
    assert IngestRun.objects.get().cursor == "2026-11-20T18:59:41+00:00"


def test_it_reads_from_a_configured_mirror(recorded, settings):
    settings.ARXIV_API_URL = "http://127.0.0.1:8765/api/query"
    recorded.get(settings.ARXIV_API_URL, body=recorded.payload("arxiv_api_version2.xml"))

    run = ingest_source(source="arxiv", since=date(2026, 11, 1))

    assert run.status == "ok"
    assert recorded.calls[0].request.url.startswith("http://127.0.0.1:8765/api/query?")
