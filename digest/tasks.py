"""Celery tasks: thin wrappers that take ids, call a service and retry on temporary failure."""

import os
import signal
import threading
from datetime import date, datetime

from billiard.process import active_children
from celery import shared_task
from celery.signals import worker_process_init, worker_shutting_down
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from . import services

stopping = threading.Event()
"""Set in a pool process when its worker is told to stop: batches send nothing more."""


@worker_process_init.connect
def _stop_gently_on_sigterm(**kwargs):
    """In a pool process, SIGTERM asks the batch in hand to stop instead of killing it."""
    signal.signal(signal.SIGTERM, lambda signum, frame: stopping.set())


@worker_shutting_down.connect
def _tell_pool_processes(**kwargs):
    """The worker was told to stop (a deploy): tell each pool process, which by default
    would go on with its whole batch, so a deploy's grace period is enough."""
    for child in active_children():
        if child.pid and child.pid != os.getpid():
            os.kill(child.pid, signal.SIGTERM)


class TemporaryDeliveryFailure(Exception):
    """Some digests of a batch met a temporary delivery error and went back to pending."""


@shared_task
def send_due_digests(edition: str | None = None) -> int:
    """Hourly tick (or a manual run with ``edition``): enqueue the due subscribers in batches."""
    now = timezone.now()
    run, batches = services.digest_start_run(
        now=now, edition=date.fromisoformat(edition) if edition else None
    )
    for ids in batches:
        transaction.on_commit(
            lambda ids=ids: send_digest_batch.delay(ids, now.isoformat(), edition, run.id)
        )
    return run.id


@shared_task(
    bind=True,
    autoretry_for=(TemporaryDeliveryFailure,),
    retry_backoff=settings.DIGEST_RETRY_BACKOFF,
    retry_backoff_max=settings.DIGEST_RETRY_BACKOFF_MAX,
    retry_jitter=True,
    max_retries=settings.DIGEST_MAX_RETRIES,
)
def send_digest_batch(self, subscriber_ids: list[int], now: str, edition: str | None, run_id: int):
    """Send one batch; what a stopping worker hands back is queued again at once."""
    result = services.digest_send_batch(
        subscriber_ids=subscriber_ids,
        now=datetime.fromisoformat(now),
        edition=date.fromisoformat(edition) if edition else None,
        stop=stopping,
        run_id=run_id,
    )
    services.digest_finish_run(run_id=run_id)
    if result.released:
        send_digest_batch.delay(sorted(set(result.released)), now, edition, run_id)
    if result.retry:
        raise TemporaryDeliveryFailure(f"{result.retry} digests will be tried again")
    return {"sent": result.sent, "skipped": result.skipped, "failed": result.failed}


@shared_task
def ingest_papers() -> dict[str, str]:
    """Hourly, before the digest tick: fetch new papers from each of ``INGEST_SOURCES``."""
    return {
        source: services.ingest_source(source=source).status for source in settings.INGEST_SOURCES
    }
