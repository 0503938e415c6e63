import logging
import os

from celery import Celery
from celery.beat import PersistentScheduler

log = logging.getLogger(__name__)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "digest.settings")

app = Celery("digest")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


class HeartbeatScheduler(PersistentScheduler):
    """Celery beat's default scheduler, also noting each tick (at least every 5 minutes, its
    longest sleep) so that ``/healthz`` can tell a stalled beat."""

    def tick(self, *args, **kwargs):
        from .health import beat_record_tick

        try:
            beat_record_tick()
        except Exception:
            log.exception("beat: cannot record the tick for /healthz")
        return super().tick(*args, **kwargs)
