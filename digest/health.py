"""``/healthz`` and ``manage.py health``: do the database and the Celery broker answer, does
a worker answer a ping, and has beat ticked lately?"""

import threading
import time

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from .celery import app

BROKER_TIMEOUT = 2  # seconds
# A worker busy with a batch answers a ping from its main process; /healthz returns on the
# first answer. 1 s was too short with the 2-core machine at load average 9 (pings of a
# running worker timed out), so 3 s; the compose health check allows 15 s.
WORKER_PING_TIMEOUT = 3.0
BEAT_TICK_KEY = "health:beat-last-tick"


class Unhealthy(Exception):
    """A part answered, and what it said is wrong."""


def beat_record_tick() -> None:
    """Called by beat on every tick (``digest.celery.HeartbeatScheduler``)."""
    cache.set(BEAT_TICK_KEY, time.time(), timeout=7 * 24 * 3600)


def _database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return "ok"


def _broker() -> str:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "in-process"
    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT)
    return "ok"


def _worker() -> str:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "in-process"
    if not app.control.ping(timeout=WORKER_PING_TIMEOUT, limit=1):
        raise Unhealthy(f"no worker answered a ping within {WORKER_PING_TIMEOUT:g} s")
    return "ok"


def _beat() -> str:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "in-process"
    last_tick = cache.get(BEAT_TICK_KEY)
    if last_tick is None:
        raise Unhealthy("beat has not ticked")
    silence = time.time() - last_tick
    if silence > settings.BEAT_MAX_SILENCE:
        raise Unhealthy(f"beat's last tick was {silence / 60:.0f} minutes ago")
    return "ok"


CHECKS = {"database": _database, "broker": _broker, "worker": _worker, "beat": _beat}


def health(parts=tuple(CHECKS)) -> dict:
    """Each part's state ("ok", "in-process" or "failed: why") and ``ok`` for all of them.
    A worker is not asked while the broker is down (the ping would wait for it)."""
    states = {}
    for name in parts:
        if name == "worker" and states.get("broker", "ok").startswith("failed"):
            states[name] = "failed: the broker does not answer"
            continue
        try:
            states[name] = CHECKS[name]()
        except Unhealthy as e:
            states[name] = f"failed: {e}"
        except Exception as e:
            states[name] = f"failed: {e.__class__.__name__}"
    return states | {"ok": all(not state.startswith("failed") for state in states.values())}


_last_check: tuple[float, dict] | None = None
_checking = threading.Lock()


def _recent_health() -> dict:
    """``health()`` as this process last checked it, within ``HEALTHZ_REUSE_SECONDS``: a
    check pings every worker through the broker and may wait ``WORKER_PING_TIMEOUT``, so
    whoever polls /healthz, however often, causes one check a window; requests that come
    during a check wait for its answer."""
    global _last_check
    with _checking:
        now = time.monotonic()
        if _last_check is None or now - _last_check[0] >= settings.HEALTHZ_REUSE_SECONDS:
            _last_check = (now, health())
        return _last_check[1]


@never_cache
def healthz(request):
    """200 with each part's state when all are well; 503 naming the parts that are not."""
    states = _recent_health()
    return JsonResponse(states, status=200 if states["ok"] else 503)
