"""/healthz says whether the database and the Celery broker answer."""

from benchmarks.processes import free_port
from digest.celery import app


def test_it_reports_healthy_with_the_in_process_broker(client, db):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "in-process", "ok": True}


def test_it_answers_503_naming_a_broker_that_does_not_answer(client, db, settings, monkeypatch):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    monkeypatch.setattr(app.conf, "broker_url", f"redis://127.0.0.1:{free_port()}/0")

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["database"] == "ok"
    assert body["broker"].startswith("failed")
    assert body["ok"] is False
