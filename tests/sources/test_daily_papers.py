import json
from datetime import date

from digest.models import Paper
from digest.services import ingest_source


def test_it_stores_upvotes_and_refreshes_them_on_the_next_run(recorded, today):
    today(date(2026, 11, 20))
    recorded.daily_list("2026-11-20")
    first = ingest_source(source="daily-papers", since=date(2026, 11, 20))
    recorded.reset()
    today(date(2026, 11, 21))
    recorded.daily_list("2026-11-20", "daily_papers_2026-11-20_later.json")
    recorded.daily_list("2026-11-21")

    second = ingest_source(source="daily-papers")

    assert (first.status, first.new, first.cursor) == ("ok", 3, "2026-11-20")
    # The last day with papers is read again, so its upvotes keep moving.
    assert [call.request.params["date"] for call in recorded.calls] == ["2026-11-20", "2026-11-21"]
    assert (second.status, second.seen, second.new, second.updated) == ("ok", 3, 0, 2)
    assert second.cursor == "2026-11-20"  # Saturday listed nothing
    upvotes = dict(Paper.objects.values_list("title", "upvotes"))
    assert upvotes["Sparse Retrieval Heads for Long-Context Question Answering"] == 97
    assert upvotes["A Benchmark for Multilingual Code Review Comments"] == 15


def test_it_reads_the_paper_fields(recorded, today):
    today(date(2026, 11, 20))
    recorded.daily_list("2026-11-20")

    ingest_source(source="daily-papers", since=date(2026, 11, 20))

    paper = Paper.objects.get(external_id="2611.14402")
    assert paper.authors == ["Mei Tanaka", "Ravi Subramanian", "Laura Becker"]
    assert paper.abstract.startswith("Long-context language models often fail")
    assert (paper.published, paper.upvotes, paper.source) == (
        date(2026, 11, 20),
        41,
        "daily-papers",
    )
    assert paper.abs_url == "https://arxiv.org/abs/2611.14402"
    no_id = Paper.objects.get(external_id="")
    assert no_id.title == "Calibrated uncertainty for instruction-tuned models"
    assert no_id.abs_url == ""


def test_an_item_with_fields_of_the_wrong_kind_is_skipped_with_a_reason_a_person_can_read(
    recorded, today
):
    today(date(2026, 11, 20))
    good = {"paper": {"id": "2611.00001", "title": "A good paper", "summary": "Text."}}
    bad = [
        {"paper": {"id": 2611, "title": "An id that is a number"}},
        {"paper": {"id": "2611.00002", "title": "A date that is a number", "publishedAt": 5}},
        {"paper": {"id": "2611.00003", "title": "No date", "publishedAt": "yesterday"}},
        {"paper": {"id": "2611.00004", "title": "Upvotes true", "upvotes": True}},
    ]
    recorded.get(recorded.daily, body=json.dumps([good, *bad]), content_type="application/json")

    run = ingest_source(source="daily-papers", since=date(2026, 11, 20))

    assert list(Paper.objects.values_list("title", flat=True)) == ["A good paper"]
    assert run.failed == 4
    assert "'id' is not an arXiv id: 2611" in run.error
    assert "'publishedAt' is not a date: 5" in run.error
    assert "'publishedAt' is not a date: 'yesterday'" in run.error
    assert "'upvotes' is not a count: True" in run.error
    assert "object has no attribute" not in run.error and "argument must be" not in run.error
