from datetime import UTC, date, datetime, timedelta

from django.conf import settings

from digest.models import IngestRun
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
