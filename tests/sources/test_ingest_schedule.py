from datetime import UTC, date, datetime, timedelta

import pytest
from django.conf import settings

from digest import tasks
from digest.models import IngestRun, Paper
from digest.sources import SOURCES
from digest.tasks import ingest_papers


def _next_tick(entry: str, after: datetime) -> datetime:
    schedule = settings.CELERY_BEAT_SCHEDULE[entry]["schedule"]
    start, ends_in, _ = schedule.remaining_delta(after)
    return start + ends_in


def test_beat_ingests_papers_before_every_digest_tick():
    assert settings.CELERY_BEAT_SCHEDULE["ingest-papers"]["task"] == "digest.tasks.ingest_papers"
    tick = datetime(2026, 11, 23, tzinfo=UTC)
    ticks = []
    while (tick := _next_tick("send-due-digests", tick)) < datetime(2026, 11, 24, tzinfo=UTC):
        ticks.append(tick)
        previous_hour = tick - timedelta(hours=1)
        assert previous_hour < _next_tick("ingest-papers", previous_hour) < tick
    assert len(ticks) == 24


def test_the_task_runs_each_configured_source_in_turn(recorded, settings, today):
    today(date(2026, 11, 23))
    settings.INGEST_SOURCES = ["arxiv-rss", "daily-papers"]
    recorded.rss_feed("arxiv_rss_monday.xml")
    recorded.daily_list("2026-11-21")  # nothing on Saturday...
    recorded.daily_list("2026-11-22")
    recorded.daily_list("2026-11-23", "daily_papers_2026-11-21.json")

    statuses = ingest_papers.delay().get()

    assert statuses == {"arxiv-rss": "ok", "daily-papers": "ok"}
    assert list(IngestRun.objects.order_by("id").values_list("source", "seen")) == [
        ("arxiv-rss", 4),
        ("daily-papers", 1),
    ]


def test_a_fault_in_one_source_still_lets_the_others_run_and_the_index_take_their_papers(
    recorded, settings, today, monkeypatch, django_capture_on_commit_callbacks
):
    today(date(2026, 11, 23))
    settings.INGEST_SOURCES = ["daily-papers", "arxiv-rss"]
    recorded.rss_feed("arxiv_rss_monday.xml")

    def broken(**kwargs):
        raise RuntimeError("a bug in reading this source")

    monkeypatch.setattr(SOURCES["daily-papers"], "fetch", broken)
    built = []
    monkeypatch.setattr(tasks.build_index, "delay", lambda: built.append(1))

    with pytest.raises(RuntimeError), django_capture_on_commit_callbacks(execute=True):
        ingest_papers.apply(throw=True)

    runs = dict(IngestRun.objects.values_list("source", "status"))
    assert runs == {"daily-papers": "failed", "arxiv-rss": "ok"}
    assert Paper.objects.count() == 4 and built == [1]


def test_a_source_name_no_source_has_fails_the_task_after_the_others_ran(
    recorded, settings, today, monkeypatch, django_capture_on_commit_callbacks
):
    today(date(2026, 11, 23))
    settings.INGEST_SOURCES = ["arxv", "arxiv-rss"]
    recorded.rss_feed("arxiv_rss_monday.xml")
    built = []
    monkeypatch.setattr(tasks.build_index, "delay", lambda: built.append(1))

    unknown = pytest.raises(ValueError, match="unknown source 'arxv'")
    with unknown, django_capture_on_commit_callbacks(execute=True):
        ingest_papers.apply(throw=True)

    assert Paper.objects.count() == 4 and built == [1]
