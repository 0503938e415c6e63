from datetime import date

from digest.models import Paper
from digest.services import ingest_source


def test_it_ingests_the_announcement_feed(recorded):
    recorded.rss_feed("arxiv_rss_monday.xml")

    run = ingest_source(source="arxiv-rss")

    assert (run.status, run.seen, run.new, run.error) == ("ok", 4, 4, "")
    assert recorded.calls[0].request.url == "https://rss.arxiv.org/rss/cs.CL+cs.LG"
    new = Paper.objects.get(external_id="2611.16102")
    assert new.title == "Scaling Laws for Data Pruning in Pretraining"
    assert (
        new.abstract == "We derive scaling laws that predict when pruning pretraining data helps."
    )
    assert new.authors == ["Noah Fischer"]
    assert new.published == date(2026, 11, 23)
    assert new.abs_url == "https://arxiv.org/abs/2611.16102"
    cross = Paper.objects.get(external_id="2611.16230")
    assert (cross.primary_category, cross.categories) == ("cs.CV", ["cs.CV", "cs.CL"])
    assert cross.authors == ["Zhang Lei", "Emma Johansson"]
    replaced = Paper.objects.get(external_id="2610.08814")
    assert (replaced.version, replaced.published, replaced.updated) == (3, None, date(2026, 11, 23))


def test_it_skips_an_announcement_it_already_ingested(recorded):
    recorded.rss_feed("arxiv_rss_monday.xml")
    ingest_source(source="arxiv-rss")

    again = ingest_source(source="arxiv-rss")

    assert (again.status, again.seen) == ("ok", 0)
    assert again.cursor == "2026-11-23T05:00:00+00:00"
    assert Paper.objects.count() == 4


def test_it_skips_an_unreadable_item_and_keeps_the_others(recorded):
    feed = recorded.payload("arxiv_rss_monday.xml").replace(
        b"arXiv:2611.16102v1 Announce Type: new", b"Announce Type: new", 1
    )
    recorded.get(recorded.rss, body=feed)

    run = ingest_source(source="arxiv-rss")

    assert (run.status, run.seen, run.failed) == ("ok", 3, 1)
    assert "item 1 skipped: description does not start with 'arXiv:<id>" in run.error
    assert not Paper.objects.filter(external_id="2611.16102").exists()
