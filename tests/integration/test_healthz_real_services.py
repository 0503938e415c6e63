"""/healthz against a real Redis broker and a real Celery worker: it says when no worker
answers and when beat has stopped ticking."""

import time

import pytest
from django.core.cache import cache

from digest.celery import HeartbeatScheduler, app
from digest.health import BEAT_TICK_KEY

pytestmark = pytest.mark.integration


@pytest.fixture
def real_broker(db, settings, monkeypatch, redis_server):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    monkeypatch.setattr(app.conf, "broker_url", redis_server.url)
    # Celery keeps the connection pools it made for an earlier test's broker URL.
    monkeypatch.setattr(app, "_pool", None)
    monkeypatch.setattr(app.amqp, "_producer_pool", None)
    monkeypatch.setitem(app.conf, "beat_schedule", {})  # a tick here sends no task
    settings.HEALTHZ_REUSE_SECONDS = 0  # every request here checks anew
    cache.delete(BEAT_TICK_KEY)


def beat_ticks(tmp_path):
    """What celery beat does on each wake-up, with this project's scheduler."""
    scheduler = HeartbeatScheduler(app=app, schedule_filename=str(tmp_path / "beat-schedule"))
    scheduler.tick()
    scheduler.close()


def test_it_reports_every_part_healthy(client, real_broker, stack, tmp_path):
    stack.worker()
    beat_ticks(tmp_path)

    response = client.get("/healthz")

    assert response.json() == {
        "database": "ok",
        "broker": "ok",
        "worker": "ok",
        "beat": "ok",
        "ok": True,
    }
    assert response.status_code == 200


def test_it_answers_503_when_no_worker_answers(client, real_broker, stack, tmp_path):
    beat_ticks(tmp_path)

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["worker"] == "failed: no worker answered a ping within 3 s"
    assert (body["broker"], body["beat"], body["ok"]) == ("ok", "ok", False)


def test_it_answers_503_when_beat_stalled(client, real_broker, stack, settings):
    stack.worker()
    cache.set(BEAT_TICK_KEY, time.time() - 3 * 3600)

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["beat"] == "failed: beat's last tick was 180 minutes ago"
    assert (body["worker"], body["ok"]) == ("ok", False)
    cache.delete(BEAT_TICK_KEY)
    assert client.get("/healthz").json()["beat"] == "failed: beat has not ticked"
