"""Celery tasks: thin wrappers that take ids, call a service and retry on temporary failure."""

import logging
import os
import signal
import threading
from contextlib import contextmanager
from datetime import date, datetime

from billiard.process import active_children
from celery import shared_task
from celery.signals import worker_shutting_down
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from . import selectors, services
from .models import IngestRun

log = logging.getLogger(__name__)

stopping = threading.Event()
"""Set in a pool process when its worker is told to stop: batches send nothing more."""


@contextmanager
def _stop_gently_on_sigterm(task):
    """While a batch runs in a pool process, SIGTERM asks it to stop instead of killing it.

    Installed around the batch, not at process start: billiard resets SIGTERM after
    Celery's process initializer, and an idle pool process should still just exit.
    """
    if task.request.is_eager or threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: stopping.set())
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


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
    """Hourly tick (or a manual run with ``edition``): enqueue the due subscribers in
    batches; with no usable paper index (none built yet, or one an earlier release built),
    have one built first, which batches that start before it is ready wait for."""
    now = timezone.now()
    run, batches = services.digest_start_run(
        now=now, edition=date.fromisoformat(edition) if edition else None
    )
    if selectors.corpus().index is None:
        transaction.on_commit(build_index.delay)
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
    """Send one batch; what it hands back (the worker is stopping, or the provider said
    "not now" to its last messages) is queued again, after the provider's pause."""
    if selectors.corpus().index is None:
        # Before the first index exists nothing is claimed or skipped: try again later.
        raise self.retry(
            exc=selectors.IndexNotReady("the paper index is not built yet"),
            countdown=settings.INDEX_WAIT_SECONDS,
        )
    with _stop_gently_on_sigterm(self):
        result = services.digest_send_batch(
            subscriber_ids=subscriber_ids,
            now=datetime.fromisoformat(now),
            edition=date.fromisoformat(edition) if edition else None,
            stop=stopping,
            run_id=run_id,
        )
    services.digest_finish_run(run_id=run_id)
    if result.released:
        send_digest_batch.apply_async(
            (sorted(set(result.released)), now, edition, run_id), countdown=result.release_for
        )
    if result.retry:
        raise TemporaryDeliveryFailure(f"{result.retry} digests will be tried again")
    return {"sent": result.sent, "skipped": result.skipped, "failed": result.failed}


@shared_task
def ingest_papers() -> dict[str, str]:
    """Hourly, before the digest tick: fetch new papers from each of ``INGEST_SOURCES``,
    then update the paper index once."""
    started, runs, errors = timezone.now(), [], []
    for source in settings.INGEST_SOURCES:
        try:
            runs.append(services.ingest_source(source=source))
        except Exception as error:  # a fault reading one source: the others still run
            log.exception("ingest %s failed", source)
            errors.append(error)
            # Its run, if it got as far as starting one: the pages it wrote count.
            runs += IngestRun.objects.filter(source=source, started_at__gte=started)[:1]
    # The papers of every page written, a failed source's included, reach the index.
    update_index_after(runs)
    if errors:
        raise errors[0]
    return {run.source: run.status for run in runs}


def update_index_after(runs: list[IngestRun]) -> None:
    """After an ingest (on commit): rebuild the index when paper text was added or changed
    or there is no usable index (an earlier release built it), else refresh its priors'
    arrays when only upvotes or dates changed."""
    if any(run.text_changed for run in runs) or selectors.corpus().index is None:
        transaction.on_commit(build_index.delay)
    elif any(run.updated for run in runs):
        transaction.on_commit(refresh_index_priors.delay)


@shared_task
def build_index() -> str | None:
    """Fit the paper index in this process and make it current for every process."""
    return services.index_build()


@shared_task
def refresh_index_priors() -> str | None:
    """Rewrite the current index's upvote and date arrays (no refit)."""
    return services.index_refresh_priors()


@shared_task
def prune_digests() -> int:
    """Daily: delete digests older than ``DIGEST_RETENTION_DAYS``."""
    return services.digests_prune(now=timezone.now())
