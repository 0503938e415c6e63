"""Links of papers from the remote sources: built from the arXiv id, never taken from the feed."""

from datetime import date

from responses.matchers import query_param_matcher

from digest.models import Paper
from digest.services import ingest_source


def test_an_arxiv_entry_gets_its_links_from_its_id_not_from_the_feed(recorded):
    feed = recorded.payload("arxiv_api_page1.xml").replace(
        b'href="http://arxiv.org/abs/2611.14402v1"', b'href="javascript:alert(document.domain)//"'
    )
    feed = feed.replace(b'href="http://arxiv.org/pdf/2611.14402v1"', b'href="data:text/html,x"')
    recorded.get(
        recorded.api,
        body=feed,
        content_type="application/atom+xml",
        match=[query_param_matcher({"start": "0"}, strict_match=False)],
    )
    recorded.arxiv_page("arxiv_api_page2.xml", start=3)

    ingest_source(source="arxiv", since=date(2026, 11, 1))

    paper = Paper.objects.get(external_id="2611.14402")
    assert (paper.abs_url, paper.pdf_url) == (
        "https://arxiv.org/abs/2611.14402",
        "https://arxiv.org/pdf/2611.14402",
    )


def test_an_rss_item_gets_its_link_from_its_id_not_from_the_feed(recorded):
    feed = recorded.payload("arxiv_rss_monday.xml").replace(
        b"<link>https://arxiv.org/abs/2611.16102</link>",
        b"<link>javascript:alert(document.domain)//</link>",
    )
    recorded.get(recorded.rss, body=feed, content_type="application/rss+xml")

    ingest_source(source="arxiv-rss")

    paper = Paper.objects.get(external_id="2611.16102")
    assert (paper.abs_url, paper.pdf_url) == (
        "https://arxiv.org/abs/2611.16102",
        "https://arxiv.org/pdf/2611.16102",
    )


def test_a_daily_papers_item_without_an_arxiv_id_gets_no_link(recorded, today):
    today(date(2026, 11, 20))
    items = [
        {"paper": {"id": "javascript:alert(1)", "title": "Hostile", "summary": "x"}},
        {"paper": {"title": "No id", "summary": "x"}, "url": "javascript:alert(1)"},
    ]
    recorded.get(recorded.daily, json=items)

    ingest_source(source="daily-papers", since=date(2026, 11, 20))

    assert list(Paper.objects.values_list("title", "abs_url", "pdf_url")) == [("No id", "", "")]
