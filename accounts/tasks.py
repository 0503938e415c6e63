"""Celery tasks for account mail and admin actions: thin wrappers that take ids and call
a service, so the web request that queues them does no mail work.
Account mail the provider did not take ("not now": 429, 503, no connection) is sent
again on the digests' retry schedule, capped at ``ACCOUNT_MAIL_RETRY_BACKOFF_MAX``; mail
that may have arrived is not. Each mail is stored with the request (``AccountMail``), so
mail whose task the broker never took is queued again, and sent once however often it is
queued."""

from datetime import datetime

from celery import shared_task
from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from digest.mail import MessageNotAccepted
from digest.services import digest_send_batch

from . import services


@shared_task(
    bind=True,
    retry_backoff=settings.DIGEST_RETRY_BACKOFF,
    retry_backoff_max=settings.ACCOUNT_MAIL_RETRY_BACKOFF_MAX,
    retry_jitter=True,
    max_retries=settings.DIGEST_MAX_RETRIES,
)
def send_account_mail(self, mail_id: int) -> None:
    """Celery's exponential backoff, with the time of the retry stored on the mail (the
    sweep leaves it to the retry; after the last one it is due again at once)."""
    retry_in = (
        get_exponential_backoff_interval(
            factor=self.retry_backoff,
            retries=self.request.retries,
            maximum=self.retry_backoff_max,
            full_jitter=self.retry_jitter,
        )
        if self.request.retries < self.max_retries
        else 0
    )
    try:
        services.account_mail_send(mail_id=mail_id, retry_in=retry_in)
    except MessageNotAccepted as exc:
        raise self.retry(exc=exc, countdown=retry_in) from exc


@shared_task
def queue_unsent_account_mail() -> int:
    """Every minute: account mail whose task never reached a worker is queued again."""
    return services.account_mail_queue_unsent(now=timezone.now())


@shared_task
def send_digest_now(subscriber_ids: list[int], now: str) -> dict[str, int]:
    """Admin's "send a digest now"."""
    result = digest_send_batch(subscriber_ids=subscriber_ids, now=datetime.fromisoformat(now))
    return {"sent": result.sent, "skipped": result.skipped, "failed": result.failed}


@shared_task
def clear_expired_sessions() -> None:
    """Daily: delete the expired sessions that sign-ins and settings links leave behind,
    which Django keeps until told."""
    call_command("clearsessions")
