"""/healthz says whether the database and the Celery broker answer."""

import json
import time

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command

from benchmarks.processes import free_port
from digest import health
from digest.celery import app
from digest.health import BEAT_TICK_KEY, beat_record_tick


def test_it_reports_healthy_with_the_in_process_broker(client, db):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {
        "database": "ok",
        "broker": "in-process",
        "worker": "in-process",
        "beat": "in-process",
        "ok": True,
    }


def test_it_answers_503_naming_a_broker_that_does_not_answer(client, db, settings, monkeypatch):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    monkeypatch.setattr(app.conf, "broker_url", f"redis://127.0.0.1:{free_port()}/0")

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["database"] == "ok"
    assert body["broker"].startswith("failed")
    assert body["worker"] == "failed: the broker does not answer"
    assert body["ok"] is False


def test_the_beat_container_check_fails_when_beat_stalled(db, settings, capsys):
    """``manage.py health beat`` is the beat container's health check in docker-compose.yml."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    cache.set(BEAT_TICK_KEY, time.time() - 20 * 60)

    with pytest.raises(CommandError, match="unhealthy"):
        call_command("health", "beat")
    assert "beat's last tick was 20 minutes ago" in capsys.readouterr().out

    beat_record_tick()
    call_command("health", "beat")
    assert json.loads(capsys.readouterr().out) == {"beat": "ok", "ok": True}
    cache.delete(BEAT_TICK_KEY)


def test_strangers_polling_it_ping_the_workers_once_a_window(client, db, settings, monkeypatch):
    # Each check pings every worker through the broker and may wait 3 s for an answer.
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.HEALTHZ_REUSE_SECONDS = 10
    pings = []
    monkeypatch.setattr(app.control, "ping", lambda **kw: pings.append(1) or [{"w": "pong"}])
    monkeypatch.setitem(health.CHECKS, "broker", lambda: "ok")
    beat_record_tick()
    clock = [1000.0]
    monkeypatch.setattr(health.time, "monotonic", lambda: clock[0])

    answers = [client.get("/healthz") for _ in range(50)]
    clock[0] += 10
    again = client.get("/healthz")

    assert {a.status_code for a in answers} == {200} and again.status_code == 200
    assert len(pings) == 2
    cache.delete(BEAT_TICK_KEY)
