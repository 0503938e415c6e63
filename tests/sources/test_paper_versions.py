from datetime import date

from digest.models import Paper
from digest.services import ingest_source


def test_it_updates_a_known_paper_with_its_new_version(recorded):
    recorded.arxiv_page("arxiv_api_page1.xml", start=0)
    recorded.arxiv_page("arxiv_api_page2.xml", start=3)
    ingest_source(source="arxiv", since=date(2026, 11, 1))
    recorded.reset()
    recorded.arxiv_page("arxiv_api_version2.xml", start=0)

    run = ingest_source(source="arxiv", since=date(2026, 11, 1))

    assert (run.seen, run.new, run.updated) == (1, 0, 1)
    assert Paper.objects.filter(external_id="2611.14402").count() == 1
    paper = Paper.objects.get(external_id="2611.14402")
    assert paper.version == 2
    assert paper.title == (
        "Sparse Retrieval Heads for Long-Context Question Answering and Summarization"
    )
    assert paper.abstract.startswith("We extend our study")
    assert paper.updated == date(2026, 11, 22)
    assert paper.pdf_url == "https://arxiv.org/pdf/2611.14402"


def test_an_older_version_does_not_overwrite_a_newer_one(recorded):
    recorded.arxiv_page("arxiv_api_version2.xml", start=0)
    ingest_source(source="arxiv", since=date(2026, 11, 1))
    recorded.reset()
    recorded.arxiv_page("arxiv_api_page1.xml", start=0)
    recorded.arxiv_page("arxiv_api_page2.xml", start=3)

    ingest_source(source="arxiv", since=date(2026, 11, 1))

    paper = Paper.objects.get(external_id="2611.14402")
    assert (paper.version, paper.abstract[:19]) == (2, "We extend our study")
