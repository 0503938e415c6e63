from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone

from accounts.tasks import clear_expired_sessions

pytestmark = pytest.mark.django_db


def test_a_daily_task_deletes_expired_sign_in_sessions_and_keeps_live_ones(client, subscriber):
    # Every sign-in and settings link leaves a session row; Django never deletes them.
    live = client.session
    live["reader"] = subscriber.pk
    live.save()
    Session.objects.create(
        session_key="x" * 32, session_data="", expire_date=timezone.now() - timedelta(days=1)
    )
    entry = settings.CELERY_BEAT_SCHEDULE["clear-expired-sessions"]

    clear_expired_sessions()

    assert entry["task"] == "accounts.tasks.clear_expired_sessions"
    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]
