from datetime import date

from digest.models import Paper
from digest.services import ingest_source


def test_the_same_paper_from_every_source_is_one_paper(recorded, today):
    today(date(2026, 11, 23))
    recorded.arxiv_page("arxiv_api_page1.xml", start=0)
    recorded.arxiv_page("arxiv_api_page2.xml", start=3)
    recorded.rss_feed("arxiv_rss_monday.xml")
    for day in ("2026-11-20", "2026-11-21", "2026-11-22"):
        recorded.daily_list(day)
    recorded.daily_list("2026-11-23", "daily_papers_2026-11-21.json")

    api = ingest_source(source="arxiv", since=date(2026, 11, 1))
    recorded.arxiv_page("arxiv_api_next_day.xml", start=0)
    api_next_day = ingest_source(source="arxiv")
    rss = ingest_source(source="arxiv-rss")
    daily = ingest_source(source="daily-papers", since=date(2026, 11, 20))

    # The feed announces 2611.15120, which the API already gave: 3 of its 4 papers are new.
    assert (api.new, api_next_day.new, rss.seen, rss.new, daily.new) == (6, 2, 4, 3, 0)
    assert Paper.objects.count() == 11
    assert Paper.objects.filter(external_id="2611.15120").count() == 1
    # Daily papers only add upvotes to papers arXiv already gave us.
    assert (daily.seen, daily.updated) == (4, 4)
    upvotes = dict(Paper.objects.exclude(upvotes=None).values_list("external_id", "upvotes"))
    assert upvotes == {"2611.14402": 41, "2611.14251": 12, "2611.14388": 7, "2611.15120": 23}
    # The daily entry without an arXiv id matched its paper by normalized title.
    calibrated = Paper.objects.get(external_id="2611.14388")
    assert calibrated.title == "Calibrated Uncertainty for Instruction-Tuned Models"
    assert calibrated.source == "arxiv"


def test_a_paper_first_seen_on_the_daily_list_is_completed_by_arxiv(recorded, today):
    today(date(2026, 11, 20))
    recorded.daily_list("2026-11-20")
    ingest_source(source="daily-papers", since=date(2026, 11, 20))
    recorded.arxiv_page("arxiv_api_page1.xml", start=0)
    recorded.arxiv_page("arxiv_api_page2.xml", start=3)

    api = ingest_source(source="arxiv", since=date(2026, 11, 1))

    assert (api.new, api.updated) == (3, 3)
    assert Paper.objects.count() == 6
    paper = Paper.objects.get(external_id="2611.14402")
    assert (paper.source, paper.upvotes, paper.primary_category) == ("daily-papers", 41, "cs.CL")
    assert paper.categories == ["cs.CL", "cs.LG"]
