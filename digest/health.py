"""``/healthz``: does the database answer, and does the Celery broker?"""

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from .celery import app

BROKER_TIMEOUT = 2  # seconds


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


@never_cache
def healthz(request):
    """200 with each part's state when all answer; 503 naming the parts that failed."""
    checks = {}
    for name, check in (("database", _database), ("broker", _broker)):
        try:
            checks[name] = check()
        except Exception as exc:
            checks[name] = f"failed: {exc.__class__.__name__}"
    healthy = all(not state.startswith("failed") for state in checks.values())
    return JsonResponse(checks | {"ok": healthy}, status=200 if healthy else 503)
