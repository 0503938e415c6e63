"""ESP tracking webhooks: stop mailing readers whose address bounced, complained or opted out.

Anymail receives and authenticates the ESP's call (basic auth with ``ANYMAIL_WEBHOOK_SECRET``)
at ``/anymail/<esp>/tracking/`` and sends one ``tracking`` signal per event.
"""

from anymail.signals import EventType, tracking
from django.dispatch import receiver

from accounts import services
from accounts.models import Subscriber

# What each kind of event makes of the reader; other events (delivered, opened...) change nothing.
STATUS_AFTER = {
    EventType.BOUNCED: Subscriber.Status.BOUNCED,
    EventType.COMPLAINED: Subscriber.Status.UNSUBSCRIBED,
    EventType.UNSUBSCRIBED: Subscriber.Status.UNSUBSCRIBED,
}


@receiver(tracking, dispatch_uid="digest.webhooks.stop_mailing")
def stop_mailing(sender, event, esp_name, **kwargs):
    status = STATUS_AFTER.get(event.event_type)
    if status is None or not event.recipient:
        return
    reason = f"{esp_name} reported {event.event_type}"
    if event.description or event.reject_reason:
        reason += f": {event.description or event.reject_reason}"
    services.subscriber_stop_mailing(email=event.recipient, status=status, reason=reason)
