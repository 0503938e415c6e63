"""Celery tasks for account mail and admin actions: thin wrappers that take ids or an
address and call a service, so the web request that queues them does no mail work.
Account mail the provider did not take ("not now": 429, 503, no connection) is sent
again on the digests' retry schedule; mail that may have arrived is not."""

from datetime import datetime

from celery import shared_task
from django.conf import settings
from django.core.management import call_command

from digest.mail import MessageNotAccepted
from digest.services import digest_send_batch

from . import services
from .models import Subscriber

account_mail_task = shared_task(
    autoretry_for=(MessageNotAccepted,),
    retry_backoff=settings.DIGEST_RETRY_BACKOFF,
    retry_backoff_max=settings.DIGEST_RETRY_BACKOFF_MAX,
    retry_jitter=True,
    max_retries=settings.DIGEST_MAX_RETRIES,
)


@account_mail_task
def send_confirmation(subscriber_id: int) -> None:
    subscriber = Subscriber.objects.filter(id=subscriber_id).first()
    if subscriber is not None:
        services.subscriber_send_confirmation(subscriber=subscriber)


@account_mail_task
def send_signin_link(email: str) -> None:
    """Queued for every sign-in request; the address is looked up here, not in the request."""
    services.subscriber_send_signin(email=email)


@account_mail_task
def send_email_change_link(subscriber_id: int, email: str) -> None:
    subscriber = Subscriber.objects.filter(id=subscriber_id).first()
    if subscriber is not None:
        services.subscriber_send_email_change(subscriber=subscriber, email=email)


@account_mail_task
def send_email_changed_notice(subscriber_id: int, old_email: str) -> None:
    subscriber = Subscriber.objects.filter(id=subscriber_id).first()
    if subscriber is not None:
        services.subscriber_send_email_changed(subscriber=subscriber, old_email=old_email)


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
