"""/healthz against a real Redis broker."""

import pytest

from digest.celery import app

pytestmark = pytest.mark.integration


def test_it_reports_the_real_broker_healthy(client, db, settings, monkeypatch, redis_server):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    monkeypatch.setattr(app.conf, "broker_url", redis_server.url)

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "ok", "ok": True}
